/**
 * Wires tokens, the Origin/Host policy and ICE configuration into the HTTP server and socket.io. One
 * `SecurityContext` per server, built once from the typed config.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'socket.io';
import { ConfigError, isLoopbackHost, readSecurityConfig, type IceServer, type SecurityConfig } from '../config/config.ts';
import { DeepPhotoError } from '../core/errors.ts';
import { checkRequest, createOriginPolicy, type OriginPolicy } from './origin.ts';
import { ANY_ROOM, GRANTS, TokenAuthority, type AuthContext, type Grant } from './tokens.ts';
import { iceServersFor } from './turn.ts';

export interface SecurityContext {
  config: SecurityConfig;
  authority: TokenAuthority;
  policy: OriginPolicy;
  /** True when the server may hand out tokens to loopback clients (no secret configured, loopback bind). */
  localTokens: boolean;
  /** ICE servers for this identity's browser (TURN credentials minted now). */
  iceServersFor(identity: string): IceServer[];
}

/** Lifetime of a zero-setup token from `/api/token`: short, the page fetches a new one on reconnect. */
export const LOCAL_TOKEN_TTL_SECONDS = 15 * 60;

/**
 * Refuses to run unprotected on a network: bound to anything but loopback, a secret is required.
 * Throws ConfigError with what to set.
 */
export function createSecurityContext(options: { host: string; config?: SecurityConfig; env?: NodeJS.ProcessEnv }): SecurityContext {
  const config = options.config ?? readSecurityConfig(options.env);
  const loopback = isLoopbackHost(options.host);
  if (!config.secret && !loopback) {
    throw new ConfigError(
      `refusing to listen on ${options.host} without access tokens: set DEEPPHOTO_SECRET (32+ random characters, e.g. ` +
        '`openssl rand -hex 32`) and hand out tokens with `npx deepphoto token --room R --identity NAME`, or bind to 127.0.0.1',
    );
  }
  return {
    config,
    authority: new TokenAuthority(config.secret),
    policy: createOriginPolicy({ bindHost: options.host, allowedHosts: config.allowedHosts, allowedOrigins: config.allowedOrigins }),
    localTokens: !config.secret && loopback,
    iceServersFor: (identity) => iceServersFor(config, identity),
  };
}

function isLoopbackAddress(address: string | undefined): boolean {
  return !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));
}

/** Bearer token of an HTTP request: `Authorization: Bearer …`, else `?access_token=` (download links). */
export function requestToken(request: Pick<FastifyRequest, 'headers' | 'query'>): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const q = (request.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' ? q : undefined;
}

export function sendError(reply: FastifyReply, error: DeepPhotoError): FastifyReply {
  return reply.status(error.status).send(error.toBody());
}

/** Verifies an HTTP request's token (and grant); answers 401/403 itself and returns undefined when refused. */
export async function authenticate(security: SecurityContext, request: FastifyRequest, reply: FastifyReply, grant?: Grant): Promise<AuthContext | undefined> {
  try {
    const auth = await security.authority.verify(requestToken(request), { ...(grant ? { grant } : {}) });
    (request as FastifyRequest & { auth?: AuthContext }).auth = auth;
    return auth;
  } catch (error) {
    await sendError(reply, DeepPhotoError.from(error));
    return undefined;
  }
}

/**
 * HTTP side: Host/Origin check on every request; `GET /api/token` (loopback zero-setup only) and
 * `GET /api/ice-servers` (any valid token).
 */
export function registerHttpSecurity(app: FastifyInstance, security: SecurityContext): void {
  app.addHook('onRequest', async (request, reply) => {
    const refused = checkRequest(security.policy, { host: request.headers.host, origin: request.headers.origin });
    if (refused) return sendError(reply, new DeepPhotoError('forbidden', refused));
  });

  app.get('/api/token', async (request, reply) => {
    if (!security.localTokens) {
      return sendError(reply, new DeepPhotoError('forbidden', 'this server hands out tokens only with no DEEPPHOTO_SECRET on loopback; ask its operator for a join link'));
    }
    if (!isLoopbackAddress(request.socket.remoteAddress)) return sendError(reply, new DeepPhotoError('forbidden', 'tokens are handed out to loopback clients only'));
    const identity = `local-${Math.random().toString(36).slice(2, 10)}`;
    const token = await security.authority.issue({ identity, room: ANY_ROOM, grants: GRANTS, ttlSeconds: LOCAL_TOKEN_TTL_SECONDS });
    return reply.header('cache-control', 'no-store').send({ token, identity, room: ANY_ROOM, expiresIn: LOCAL_TOKEN_TTL_SECONDS });
  });

  app.get('/api/ice-servers', async (request, reply) => {
    const auth = await authenticate(security, request, reply);
    if (!auth) return reply;
    return reply.header('cache-control', 'no-store').send({ iceServers: security.iceServersFor(auth.identity) });
  });
}

export type SocketAuthData = { auth: AuthContext };

/** socket.io middleware: Host/Origin check, then the token from `handshake.auth.token`; sets `socket.data.auth`. */
export function socketGuard(security: SecurityContext) {
  return (socket: Socket, next: (error?: Error) => void): void => {
    const req: IncomingMessage = socket.request;
    const refused = checkRequest(security.policy, { host: req.headers.host, origin: req.headers.origin });
    if (refused) return next(withData(new DeepPhotoError('forbidden', refused)));
    const token = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
    security.authority.verify(token).then(
      (auth) => {
        (socket.data as SocketAuthData).auth = auth;
        next();
      },
      (error: unknown) => next(withData(DeepPhotoError.from(error))),
    );
  };
}

/** socket.io passes `err.data` to the client's connect_error: the client sees the same {code, message}. */
function withData(error: DeepPhotoError): Error & { data: unknown } {
  const e = new Error(error.message) as Error & { data: unknown };
  e.data = error.toPayload();
  return e;
}

/** What unit tests of signaling without tokens get: everything allowed, one fixed identity. */
export const OPEN_AUTH: AuthContext = { identity: 'local', room: ANY_ROOM, grants: GRANTS, expiresAt: Number.MAX_SAFE_INTEGER };
