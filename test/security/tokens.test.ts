/**
 * Access tokens, Origin/Host checks and zero-setup, against the real server (startServer: HTTP + socket.io).
 */
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../server/src/config/config.ts';
import { createSecurityContext } from '../../server/src/security/guard.ts';
import { parseTtl, TokenAuthority } from '../../server/src/security/tokens.ts';
import { startServer, type RunningServer } from '../../server/src/server.ts';

const SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
const BUILTIN = new URL('../../server/src/live/builtin-processors.ts', import.meta.url).href;

let server: RunningServer;
let dir: string;
const authority = new TokenAuthority(SECRET);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-tokens-'));
  server = await startServer({ servePage: false, processorModule: BUILTIN, recordings: { dir }, security: { secret: SECRET } });
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Connects a socket.io client; resolves with 'connected' or the server's error code from connect_error. */
function socketOutcome(token: unknown, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve) => {
    const c = connect(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: token === undefined ? {} : { token }, extraHeaders: headers });
    c.once('connect', () => {
      c.disconnect();
      resolve('connected');
    });
    c.once('connect_error', (e: Error & { data?: { code?: string } }) => {
      c.disconnect();
      resolve(e.data?.code ?? `transport: ${e.message}`);
    });
  });
}

async function offerWith(token: string): Promise<{ ok: boolean; error?: { code: string } }> {
  const c = connect(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } });
  await new Promise<void>((r) => c.once('connect', () => r()));
  const ack = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => c.emit('offer', { sdp: 'v=0' }, resolve));
  c.disconnect();
  return ack;
}

const sign = (claims: Record<string, unknown>, key = SECRET, exp = Math.floor(Date.now() / 1000) + 60) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer('deepphoto').setAudience('deepphoto-live').setExpirationTime(exp).sign(new TextEncoder().encode(key));

describe('access tokens', () => {
  it('socket: none / expired / tampered / other secret are refused with unauthorized; a good one connects', async () => {
    const good = await authority.issue({ identity: 'alice', room: 'r1' });
    expect(await socketOutcome(good)).toBe('connected');
    expect(await socketOutcome(undefined)).toBe('unauthorized');
    expect(await socketOutcome(await sign({ room: 'r1', grants: ['publish'] }, SECRET, Math.floor(Date.now() / 1000) - 10))).toBe('unauthorized');
    const [h, p, sig] = good.split('.');
    const tamperedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), grants: ['publish', 'record', 'photo'], sub: 'mallory' })).toString('base64url');
    expect(await socketOutcome(`${h}.${tamperedPayload}.${sig}`)).toBe('unauthorized');
    expect(await socketOutcome(`${h}.${p}.${sig!.slice(0, -4)}AAAA`)).toBe('unauthorized');
    expect(await socketOutcome(await sign({ room: 'r1', grants: ['publish'] }, 'another-secret-0123456789abcdef0123456789'))).toBe('unauthorized');
    expect(await socketOutcome('not.a.jwt')).toBe('unauthorized');
  });

  it('the verifier names the reason: expired, wrong room, missing grant', async () => {
    const expired = await sign({ room: 'r1', grants: ['publish'] }, SECRET, Math.floor(Date.now() / 1000) - 10);
    await expect(authority.verify(expired)).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringMatching(/expired/) });
    const r1 = await authority.issue({ identity: 'alice', room: 'r1', grants: ['publish'] });
    await expect(authority.verify(r1, { room: 'r2' })).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/room/) });
    await expect(authority.verify(r1, { grant: 'record' })).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/record/) });
    expect(await authority.verify(r1, { room: 'r1', grant: 'publish' })).toMatchObject({ identity: 'alice', room: 'r1', grants: ['publish'] });
    expect(parseTtl('1h')).toBe(3600);
  });

  it('socket events need their grant: offer without publish, recording without record -> forbidden', async () => {
    const viewer = await authority.issue({ identity: 'bob', grants: ['photo'] });
    expect((await offerWith(viewer)).error?.code).toBe('forbidden');
    const c = connect(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: viewer } });
    await new Promise<void>((r) => c.once('connect', () => r()));
    const rec = await new Promise<{ error?: { code: string } }>((resolve) => c.emit('recording.start', {}, resolve));
    c.disconnect();
    expect(rec.error?.code).toBe('forbidden');
  });

  it('HTTP: /api/edit needs a token with the photo grant; recordings need record and ownership', async () => {
    const noToken = await fetch(`${server.url}/api/edit`, { method: 'POST', body: new FormData() });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const publishOnly = await authority.issue({ identity: 'carol', grants: ['publish'] });
    const forbidden = await fetch(`${server.url}/api/edit`, { method: 'POST', body: new FormData(), headers: { authorization: `Bearer ${publishOnly}` } });
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const id = '00000000-0000-4000-8000-000000000001';
    expect((await fetch(`${server.url}/api/recordings/${id}`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/recordings/${id}?access_token=${publishOnly}`)).status).toBe(403);
    // someone else's recording is indistinguishable from a missing one
    await server.signaling.store.setOwner(id, 'dave');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(server.signaling.store.webmPath(id), 'webm');
    const carolRec = await authority.issue({ identity: 'carol', grants: ['record'] });
    expect((await fetch(`${server.url}/api/recordings/${id}?access_token=${carolRec}`)).status).toBe(404);
    const daveRec = await authority.issue({ identity: 'dave', grants: ['record'] });
    expect((await fetch(`${server.url}/api/recordings/${id}`, { headers: { authorization: `Bearer ${daveRec}` } })).status).toBe(200);
  });

  it('with a secret configured, /api/token hands out nothing', async () => {
    const res = await fetch(`${server.url}/api/token`);
    expect(res.status).toBe(403);
  });
});

describe('Origin and Host', () => {
  it('refuses a socket from a foreign Origin and a DNS-rebinding Host, on socket.io and HTTP', async () => {
    const good = await authority.issue({ identity: 'alice' });
    expect(await socketOutcome(good, { origin: 'https://evil.example' })).toBe('forbidden');
    expect(await socketOutcome(good, { origin: server.url })).toBe('connected');
    const cross = await fetch(`${server.url}/api/styles`, { headers: { origin: 'https://evil.example' } });
    expect(cross.status).toBe(403);
    // fetch cannot set Host: use node:http
    const port = new URL(server.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/styles', headers: { host: `rebind.evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect((await fetch(`${server.url}/api/styles`)).status).toBe(200);
  });
});

describe('zero setup and refusing to start unprotected', () => {
  it('loopback without a secret: the page gets a short-lived token from /api/token that the socket accepts', async () => {
    const local = await startServer({ servePage: false, processorModule: BUILTIN, recordings: { dir }, security: { secret: undefined } });
    try {
      const body = (await (await fetch(`${local.url}/api/token`)).json()) as { token: string; expiresIn: number };
      expect(body.expiresIn).toBeLessThanOrEqual(3600);
      const outcome = await new Promise<string>((resolve) => {
        const c = connect(local.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: body.token } });
        c.once('connect', () => (c.disconnect(), resolve('connected')));
        c.once('connect_error', (e: Error & { data?: { code?: string } }) => (c.disconnect(), resolve(e.data?.code ?? 'error')));
      });
      expect(outcome).toBe('connected');
    } finally {
      await local.close();
    }
  });

  it('bound to a non-loopback address without DEEPPHOTO_SECRET, the server refuses to start and says what to set', async () => {
    expect(() => createSecurityContext({ host: '0.0.0.0', env: {} })).toThrow(ConfigError);
    expect(() => createSecurityContext({ host: '0.0.0.0', env: {} })).toThrow(/DEEPPHOTO_SECRET/);
    await expect(startServer({ host: '0.0.0.0', servePage: false, processorModule: BUILTIN, security: { secret: undefined } })).rejects.toThrow(/DEEPPHOTO_SECRET/);
    expect(() => createSecurityContext({ host: '0.0.0.0', env: { DEEPPHOTO_SECRET: SECRET } })).not.toThrow();
    expect(() => createSecurityContext({ host: '127.0.0.1', env: {} })).not.toThrow();
  });
});

describe('deepphoto token', () => {
  it('prints a token for the room and identity that the server accepts, and a join link', async () => {
    const { runTokenCommand } = await import('../../server/src/cli/token.ts');
    const lines: string[] = [];
    const log = console.log;
    console.log = (m: string) => void lines.push(m);
    let code: number;
    try {
      code = await runTokenCommand(['--room', 'R', '--identity', 'alice', '--ttl', '1h', '--json'], { DEEPPHOTO_SECRET: SECRET });
    } finally {
      console.log = log;
    }
    expect(code).toBe(0);
    const out = JSON.parse(lines[0]!) as { token: string; joinUrl: string };
    expect(out.joinUrl).toMatch(/\/\?token=ey/);
    const auth = await authority.verify(out.token, { room: 'R', grant: 'publish' });
    expect(auth.identity).toBe('alice');
    expect(auth.expiresAt - Date.now() / 1000).toBeGreaterThan(3500);
    expect(await runTokenCommand(['--identity', 'alice'], {})).toBe(2); // no secret: refuses, says what to set
  });
});
