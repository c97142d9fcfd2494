/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest, what coturn's `use-auth-secret` implements):
 * username = "<unix expiry>:<identity>", credential = base64(HMAC-SHA1(secret, username)). Minted per session, so
 * a leaked credential expires on its own and the shared secret never leaves the server.
 */
import { createHmac } from 'node:crypto';
import type { IceServer, SecurityConfig } from '../config/config.ts';

export function turnCredential(secret: string, identity: string, ttlSeconds: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${identity}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** The ICE servers a browser gets: the configured ones plus TURN with fresh credentials for this identity. */
export function iceServersFor(config: Pick<SecurityConfig, 'iceServers' | 'turn'>, identity: string): IceServer[] {
  const servers = config.iceServers.map((s) => ({ ...s }));
  if (config.turn) servers.push({ urls: config.turn.urls, ...turnCredential(config.turn.secret, identity, config.turn.ttlSeconds) });
  return servers;
}
