/**
 * The server's settings, read from the environment once at start into typed, validated objects (network and
 * security with zod; ORT, live path and folders below). A bad value stops the server at start with the
 * variable's name (better than a surprise on the first call).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ModelTask } from '@deepphoto/models';
import { z } from 'zod';
import { DEFAULT_THREADS, MODEL_TASKS, providersForTask, providerVariable, type ExecutionProvider } from '../runtime/providers.ts';

const iceServerSchema = z
  .object({
    urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    username: z.string().optional(),
    credential: z.string().optional(),
  })
  .strict();
export type IceServer = z.infer<typeof iceServerSchema>;

const csv = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export const securityConfigSchema = z.object({
  /** HMAC secret for access tokens; without it only a loopback-bound server starts (ephemeral secret). */
  secret: z.string().min(32, 'DEEPPHOTO_SECRET must be at least 32 characters').optional(),
  tls: z.object({ cert: z.string(), key: z.string() }).optional(),
  /** Origins allowed for socket.io and HTTP API calls, besides the server's own. */
  allowedOrigins: z.array(z.string().url()),
  /** Host header values accepted besides loopback names and the bound address (DNS-rebinding guard). */
  allowedHosts: z.array(z.string().min(1)),
  /** STUN/TURN servers handed to browsers (and used by the server's own ICE agent). Empty: nothing outside. */
  iceServers: z.array(iceServerSchema),
  turn: z.object({ secret: z.string().min(8), urls: z.array(z.string().regex(/^turns?:/)).min(1), ttlSeconds: z.number().int().positive() }).optional(),
  /** Public address the server announces in its ICE candidates (behind NAT / in a container). */
  announcedAddress: z.string().refine((v) => isIP(v) !== 0, 'DEEPPHOTO_ANNOUNCED_ADDRESS must be an IP address').optional(),
  rtcPortRange: z
    .tuple([z.number().int().min(1024).max(65535), z.number().int().min(1024).max(65535)])
    .refine(([a, b]) => a <= b, 'DEEPPHOTO_RTC_PORT_RANGE: low-high')
    .optional(),
  maxSessionsPerIdentity: z.number().int().positive(),
  connectTimeoutMs: z.number().int().positive(),
  noMediaTimeoutMs: z.number().int().positive(),
});
export type SecurityConfig = z.infer<typeof securityConfigSchema>;

export const DEFAULT_SECURITY_CONFIG: SecurityConfig = {
  allowedOrigins: [],
  allowedHosts: [],
  iceServers: [],
  maxSessionsPerIdentity: 1,
  connectTimeoutMs: 15_000,
  noMediaTimeoutMs: 10_000,
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return v;
}

/** Reads DEEPPHOTO_* security variables. Throws ConfigError naming the variable on a bad value. */
export function readSecurityConfig(env: NodeJS.ProcessEnv = process.env): SecurityConfig {
  let iceServers: unknown = [];
  if (env.DEEPPHOTO_ICE_SERVERS) {
    try {
      iceServers = JSON.parse(env.DEEPPHOTO_ICE_SERVERS);
    } catch {
      // a plain comma list of URLs is accepted too: "stun:stun.example.org:3478,turn:turn.example.org"
      iceServers = csv(env.DEEPPHOTO_ICE_SERVERS).map((urls) => ({ urls }));
    }
  }
  const cert = env.DEEPPHOTO_TLS_CERT;
  const key = env.DEEPPHOTO_TLS_KEY;
  if (Boolean(cert) !== Boolean(key)) throw new ConfigError('set both DEEPPHOTO_TLS_CERT and DEEPPHOTO_TLS_KEY (PEM file paths), or neither');
  const range = env.DEEPPHOTO_RTC_PORT_RANGE ? env.DEEPPHOTO_RTC_PORT_RANGE.split('-').map(Number) : undefined;
  const turnUrls = csv(env.DEEPPHOTO_TURN_URLS);
  const raw = {
    secret: env.DEEPPHOTO_SECRET || undefined,
    tls: cert && key ? { cert, key } : undefined,
    allowedOrigins: csv(env.DEEPPHOTO_ALLOWED_ORIGINS),
    allowedHosts: csv(env.DEEPPHOTO_ALLOWED_HOSTS),
    iceServers,
    turn: env.DEEPPHOTO_TURN_SECRET ? { secret: env.DEEPPHOTO_TURN_SECRET, urls: turnUrls, ttlSeconds: int(env, 'DEEPPHOTO_TURN_TTL', 3600) } : undefined,
    announcedAddress: env.DEEPPHOTO_ANNOUNCED_ADDRESS || undefined,
    rtcPortRange: range,
    maxSessionsPerIdentity: int(env, 'DEEPPHOTO_MAX_SESSIONS_PER_IDENTITY', DEFAULT_SECURITY_CONFIG.maxSessionsPerIdentity),
    connectTimeoutMs: int(env, 'DEEPPHOTO_CONNECT_TIMEOUT_MS', DEFAULT_SECURITY_CONFIG.connectTimeoutMs),
    noMediaTimeoutMs: int(env, 'DEEPPHOTO_NO_MEDIA_TIMEOUT_MS', DEFAULT_SECURITY_CONFIG.noMediaTimeoutMs),
  };
  const parsed = securityConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid security setting${issue.path.length ? ` (${issue.path.join('.')})` : ''}: ${issue.message}`);
  }
  return parsed.data;
}

/** Loads the PEM files named by the config (once, at start). */
export function loadTls(config: SecurityConfig): { cert: Buffer; key: Buffer } | undefined {
  if (!config.tls) return undefined;
  try {
    return { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
  } catch (error) {
    throw new ConfigError(`cannot read DEEPPHOTO_TLS_CERT/DEEPPHOTO_TLS_KEY: ${(error as Error).message}`);
  }
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

// ---- cluster (several filter servers sharing one Redis) -----------------------------------------------------------

export const clusterConfigSchema = z.object({
  /** `redis://host:port` (or `rediss://`); its presence is what turns cluster mode on. */
  redisUrl: z.string().regex(/^rediss?:\/\//, 'DEEPPHOTO_REDIS_URL must start with redis:// or rediss://'),
  /** Unique per node; default: host name and port. */
  nodeId: z.string().regex(/^[\w.:-]{1,128}$/, 'DEEPPHOTO_NODE_ID: 1-128 letters, digits, . : _ -'),
  /** Where browsers reach this node (what a redirect points them to). */
  publicUrl: z.string().url('DEEPPHOTO_PUBLIC_URL must be a URL such as https://node1.example:8443'),
  /** Cameras this node filters at once; default: DEEPPHOTO_MAX_SESSIONS. */
  capacity: z.number().int().positive(),
  /** After SIGTERM, how long calls go on here before their clients are sent elsewhere. */
  drainGraceMs: z.number().int().min(0),
  heartbeatMs: z.number().int().min(100),
  /** A node (and its rooms) that stops beating is gone after this long. */
  ttlMs: z.number().int().min(300),
  /** Redis key prefix: several clusters can share one Redis. */
  prefix: z.string().regex(/^[\w-]{1,64}$/, 'DEEPPHOTO_CLUSTER_PREFIX: letters, digits, _ -'),
}).refine((c) => c.ttlMs >= 2 * c.heartbeatMs, 'DEEPPHOTO_CLUSTER_TTL_MS must be at least twice DEEPPHOTO_CLUSTER_HEARTBEAT_MS');
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/**
 * Cluster settings, or undefined without DEEPPHOTO_REDIS_URL (single node: no Redis connection is attempted).
 * `listen` is where this process listens, for the defaults of the node id and public URL.
 */
export function readClusterConfig(listen: { host: string; port: number; maxSessions: number; tls: boolean }, env: NodeJS.ProcessEnv = process.env): ClusterConfig | undefined {
  if (!env.DEEPPHOTO_REDIS_URL) return undefined;
  const scheme = listen.tls ? 'https' : 'http';
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? hostname() : listen.host;
  const raw = {
    redisUrl: env.DEEPPHOTO_REDIS_URL,
    nodeId: env.DEEPPHOTO_NODE_ID || `${hostname()}:${listen.port}`,
    publicUrl: env.DEEPPHOTO_PUBLIC_URL || `${scheme}://${host.includes(':') ? `[${host}]` : host}:${listen.port}`,
    capacity: int(env, 'DEEPPHOTO_CLUSTER_CAPACITY', listen.maxSessions),
    drainGraceMs: nonNegativeInt(env, 'DEEPPHOTO_DRAIN_GRACE_MS', 30_000),
    heartbeatMs: int(env, 'DEEPPHOTO_CLUSTER_HEARTBEAT_MS', 1000),
    ttlMs: int(env, 'DEEPPHOTO_CLUSTER_TTL_MS', 3000),
    prefix: env.DEEPPHOTO_CLUSTER_PREFIX || 'deepphoto',
  };
  const parsed = clusterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid cluster setting${issue.path.length ? ` (${issue.path.join('.')})` : ''}: ${issue.message}`);
  }
  return { ...parsed.data, publicUrl: parsed.data.publicUrl.replace(/\/$/, '') };
}

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return v;
}

/** Which frame processor live sessions run: the real pipeline, or the model-free colour effects (tests, demos). */
export function readLiveProcessor(env: NodeJS.ProcessEnv = process.env): 'pipeline' | 'builtin' {
  const value = env.DEEPPHOTO_LIVE_PROCESSOR || 'pipeline';
  if (value !== 'pipeline' && value !== 'builtin') throw new ConfigError(`DEEPPHOTO_LIVE_PROCESSOR must be "pipeline" or "builtin", got "${value}"`);
  return value;
}

// ---- the whole configuration ------------------------------------------------------------------------------------

type Env = Readonly<Record<string, string | undefined>>;

/** ORT settings of every runtime the server makes. */
export interface RuntimeConfig {
  /** DEEPPHOTO_THREADS: intra-op threads of the photo runtime (default 2). */
  threads: number;
  /** DEEPPHOTO_EP, DEEPPHOTO_EP_<TASK>: execution providers in order of preference, per task (default cpu). */
  providers: Record<ModelTask, ExecutionProvider[]>;
}

/** Live-path settings, read in the main thread and handed to each session's frame worker. */
export interface LiveConfig {
  /** DEEPPHOTO_LIVE_TIER: force the light (`live`) or teacher (`quality`) networks; default: by provider. */
  tier?: 'live' | 'quality' | 'live-int8';
  /** DEEPPHOTO_LIVE_WORKING_SIZE: long side the live nets run at (default 256 on CPU, 640 on a GPU). */
  workingSize?: number;
  /** DEEPPHOTO_LIVE_THREADS: ORT threads of a session's worker (segmentation). */
  threads: number;
  /** DEEPPHOTO_STYLE_THREAD=0 runs the style net in the session's worker instead of its own thread. */
  styleThread: boolean;
  /** DEEPPHOTO_STYLE_THREADS: ORT threads of the style thread. */
  styleThreads: number;
  /** DEEPPHOTO_ARBITRARY_SPARE=0: no spare arbitrary-style thread beside a fixed network. */
  arbitrarySpare: boolean;
  /** DEEPPHOTO_ARBITRARY_WORKING_SIZE: long side the arbitrary-style net runs at live. */
  arbitraryWorkingSize?: number;
}

export interface PathsConfig {
  /** DEEPPHOTO_BACKGROUNDS_DIR (default var/backgrounds). */
  backgroundsDir: string;
  /** DEEPPHOTO_STYLES_DIR: styles made from users' pictures (default var/styles). */
  stylesDir: string;
  /** DEEPPHOTO_WEB_DIR: the built web page (default web/out of this repository). */
  webDir?: string;
}

export interface ServerConfig {
  /** PORT (default 8080). */
  port: number;
  /** HOST (default 127.0.0.1). */
  host: string;
  /** DEEPPHOTO_MAX_SESSIONS: cameras filtered at once (default 2). */
  maxSessions: number;
}

/** What a live frame processor needs (structured-clone safe: it travels to the frame worker as workerData). */
export interface ProcessingConfig {
  runtime: RuntimeConfig;
  live: LiveConfig;
  paths: PathsConfig;
}

export interface Config extends ProcessingConfig {
  server: ServerConfig;
  security: SecurityConfig;
}

function positiveInt(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return v;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${name} must be 0 or 1, got "${raw}"`);
}

export function readRuntimeConfig(env: Env = process.env): RuntimeConfig {
  const providers = {} as Record<ModelTask, ExecutionProvider[]>;
  for (const task of MODEL_TASKS) {
    try {
      providers[task] = providersForTask(task, env);
    } catch (error) {
      const name = env[providerVariable(task)] !== undefined ? providerVariable(task) : 'DEEPPHOTO_EP';
      throw new ConfigError(`${name}: ${(error as Error).message}`);
    }
  }
  return { threads: positiveInt(env, 'DEEPPHOTO_THREADS') ?? DEFAULT_THREADS, providers };
}

export function readLiveConfig(env: Env = process.env): LiveConfig {
  const tier = env.DEEPPHOTO_LIVE_TIER;
  if (tier !== undefined && tier !== '' && tier !== 'live' && tier !== 'quality' && tier !== 'live-int8') throw new ConfigError(`DEEPPHOTO_LIVE_TIER must be live, live-int8 or quality, got "${tier}"`);
  const workingSize = positiveInt(env, 'DEEPPHOTO_LIVE_WORKING_SIZE');
  const arbitraryWorkingSize = positiveInt(env, 'DEEPPHOTO_ARBITRARY_WORKING_SIZE');
  return {
    ...(tier ? { tier } : {}),
    ...(workingSize ? { workingSize } : {}),
    // ORT intra-op threads: the session worker runs segmentation, the style thread the style net, side by side;
    // one thread each fills two cores.
    threads: positiveInt(env, 'DEEPPHOTO_LIVE_THREADS') ?? 1,
    styleThread: flag(env, 'DEEPPHOTO_STYLE_THREAD', true),
    styleThreads: positiveInt(env, 'DEEPPHOTO_STYLE_THREADS') ?? 1,
    arbitrarySpare: flag(env, 'DEEPPHOTO_ARBITRARY_SPARE', true),
    ...(arbitraryWorkingSize ? { arbitraryWorkingSize } : {}),
  };
}

export function readPathsConfig(env: Env = process.env): PathsConfig {
  return {
    backgroundsDir: path.resolve(env.DEEPPHOTO_BACKGROUNDS_DIR || 'var/backgrounds'),
    stylesDir: path.resolve(env.DEEPPHOTO_STYLES_DIR || 'var/styles'),
    ...(env.DEEPPHOTO_WEB_DIR ? { webDir: path.resolve(env.DEEPPHOTO_WEB_DIR) } : {}),
  };
}

export function readProcessingConfig(env: Env = process.env): ProcessingConfig {
  return { runtime: readRuntimeConfig(env), live: readLiveConfig(env), paths: readPathsConfig(env) };
}

/**
 * Every setting, read once at start from the environment (see README: Configuration). A bad value throws
 * ConfigError naming the variable; nothing below reads the environment again: threads get what they need as
 * workerData.
 */
export function readConfig(env: Env = process.env): Config {
  const port = env.PORT === undefined || env.PORT === '' ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be a port number 0-65535, got "${env.PORT}"`);
  return {
    server: { port, host: env.HOST || '127.0.0.1', maxSessions: positiveInt(env, 'DEEPPHOTO_MAX_SESSIONS') ?? 2 },
    security: readSecurityConfig(env as NodeJS.ProcessEnv),
    ...readProcessingConfig(env),
  };
}
