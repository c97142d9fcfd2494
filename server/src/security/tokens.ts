/**
 * Access tokens: HS256 JWTs (jose) carrying identity, room and grants. One `TokenAuthority` per server verifies
 * every socket connection and HTTP API call. Errors carry wire codes: `unauthorized` (no / bad / expired token),
 * `forbidden` (valid token, but not for this room or without the grant).
 */
import { randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { DeepPhotoError } from '../core/errors.ts';

export const GRANTS = ['publish', 'record', 'photo'] as const;
export type Grant = (typeof GRANTS)[number];

/** Who a connection or request is, as proven by its token. Later layers (rooms) read room and identity here. */
export interface AuthContext {
  identity: string;
  room: string;
  grants: readonly Grant[];
  /** Unix seconds. */
  expiresAt: number;
}

const ISSUER = 'deepphoto';
const AUDIENCE = 'deepphoto-live';
export const DEFAULT_ROOM = 'default';
/** The room of zero-setup tokens (loopback, no secret): any room, since only the machine's own user gets one. */
export const ANY_ROOM = '*';

export const identitySchema = z.string().min(1).max(64).regex(/^[\w.@-]+$/, 'identity: letters, digits, _ . @ -');
export const roomSchema = z.union([z.literal(ANY_ROOM), z.string().min(1).max(64).regex(/^[\w.-]+$/, 'room: letters, digits, _ . -')]);
const claimsSchema = z.object({
  sub: identitySchema,
  room: roomSchema,
  grants: z.array(z.enum(GRANTS)).max(GRANTS.length),
  exp: z.number().int(),
});

export interface IssueOptions {
  identity: string;
  room?: string;
  grants?: readonly Grant[];
  /** Seconds; default one hour. */
  ttlSeconds?: number;
}

/** Parses "90", "90s", "15m", "1h", "2d" into seconds. */
export function parseTtl(value: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw new TypeError(`bad ttl "${value}": use e.g. 90s, 15m, 1h, 2d`);
  const n = Number(m[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (n <= 0) throw new TypeError('ttl must be positive');
  return n * unit;
}

export class TokenAuthority {
  private readonly key: Uint8Array;
  /** True when the secret was made up at start (loopback zero-setup): tokens die with the process. */
  readonly ephemeral: boolean;

  constructor(secret?: string) {
    this.ephemeral = secret === undefined;
    this.key = secret === undefined ? randomBytes(32) : new TextEncoder().encode(secret);
  }

  async issue(options: IssueOptions): Promise<string> {
    const identity = identitySchema.parse(options.identity);
    const room = roomSchema.parse(options.room ?? DEFAULT_ROOM);
    const ttl = options.ttlSeconds ?? 3600;
    return new SignJWT({ room, grants: [...(options.grants ?? GRANTS)] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(identity)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
      .sign(this.key);
  }

  /**
   * Verifies signature, expiry, issuer and audience; then, if asked, the room and a grant.
   * Throws DeepPhotoError `unauthorized` or `forbidden`.
   */
  async verify(token: unknown, need: { room?: string; grant?: Grant } = {}): Promise<AuthContext> {
    if (typeof token !== 'string' || token.length === 0) throw new DeepPhotoError('unauthorized', 'an access token is required (see README: Access tokens)');
    if (token.length > 4096) throw new DeepPhotoError('unauthorized', 'access token too long');
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new DeepPhotoError('unauthorized', 'access token expired; get a new one');
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new DeepPhotoError('unauthorized', 'access token signature is not valid');
      throw new DeepPhotoError('unauthorized', `access token rejected (${(error as { code?: string }).code ?? 'malformed'})`);
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new DeepPhotoError('unauthorized', 'access token claims are malformed');
    const auth: AuthContext = { identity: claims.data.sub, room: claims.data.room, grants: claims.data.grants, expiresAt: claims.data.exp };
    if (need.room !== undefined) requireRoom(auth, need.room);
    if (need.grant) requireGrant(auth, need.grant);
    return auth;
  }
}

/** Throws `forbidden` unless the token is for `room` (or for any room: zero-setup tokens). */
export function requireRoom(auth: AuthContext, room: string): void {
  if (auth.room !== ANY_ROOM && auth.room !== room) throw new DeepPhotoError('forbidden', `this token is for room "${auth.room}", not "${room}"`);
}

export function requireGrant(auth: AuthContext, grant: Grant): void {
  if (!auth.grants.includes(grant)) throw new DeepPhotoError('forbidden', `this token lacks the "${grant}" grant`);
}
