/**
 * Origin allow-list and Host check. The Host check is what stops DNS rebinding: a page on evil.example whose name
 * is re-pointed to 127.0.0.1 reaches a loopback-bound server with `Host: evil.example`, which we refuse.
 */
import { isLoopbackHost } from '../config/config.ts';

export interface OriginPolicy {
  /** Host names (no port) the server answers to. */
  hosts: ReadonlySet<string>;
  /** Full origins (scheme://host[:port]) allowed besides same-origin requests. */
  origins: ReadonlySet<string>;
}

export function createOriginPolicy(options: { bindHost: string; allowedHosts: readonly string[]; allowedOrigins: readonly string[] }): OriginPolicy {
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  if (options.bindHost && options.bindHost !== '0.0.0.0' && options.bindHost !== '::') hosts.add(stripBrackets(options.bindHost));
  for (const h of options.allowedHosts) hosts.add(stripBrackets(h.toLowerCase()));
  for (const o of options.allowedOrigins) {
    try {
      hosts.add(stripBrackets(new URL(o).hostname.toLowerCase()));
    } catch {
      // validated by the config schema
    }
  }
  return { hosts, origins: new Set(options.allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase())) };
}

function stripBrackets(h: string): string {
  return h.replace(/^\[|\]$/g, '');
}

/** Host name of a Host header (`name:port`, `[v6]:port`), lower-cased; undefined when malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header || header.length > 255) return undefined;
  try {
    return stripBrackets(new URL(`http://${header}`).hostname.toLowerCase());
  } catch {
    return undefined;
  }
}

/** Why a request is refused, or undefined when Host and Origin pass. */
export function checkRequest(policy: OriginPolicy, headers: { host?: string; origin?: string }): string | undefined {
  const host = hostName(headers.host);
  if (!host) return 'missing or malformed Host header';
  if (!policy.hosts.has(host) && !(isLoopbackHost(host) && policy.hosts.has('127.0.0.1'))) {
    return `Host "${host}" is not served here (set DEEPPHOTO_ALLOWED_HOSTS)`;
  }
  const origin = headers.origin;
  if (origin === undefined) return undefined; // non-browser clients (CLI, curl) send none; tokens still apply
  const normalized = origin.toLowerCase().replace(/\/$/, '');
  if (policy.origins.has(normalized)) return undefined;
  // Same origin: the page was served by this server under the Host it is talking to.
  try {
    const u = new URL(normalized);
    if (u.host === headers.host?.toLowerCase()) return undefined;
  } catch {
    return `malformed Origin "${origin}"`;
  }
  return `Origin "${origin}" is not allowed (set DEEPPHOTO_ALLOWED_ORIGINS)`;
}
