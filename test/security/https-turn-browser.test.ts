/**
 * End to end in Chromium: (1) over HTTPS from a name that is not localhost (self-signed certificate made here with
 * openssl, the name mapped to 127.0.0.1 by Chromium's host resolver), with a token from a join link; (2) through
 * TURN: Debian's coturn on loopback with a shared secret, the page forced to `iceTransportPolicy: 'relay'` with
 * the per-session credentials from /api/ice-servers. Both check the returned video's pixels (tint-red: red only).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_STYLE_IDS } from '../../server/src/live/builtin-processors.ts';
import { TokenAuthority } from '../../server/src/security/tokens.ts';
import { startServer, type RunningServer } from '../../server/src/server.ts';
import { chromiumAvailable, launchChromium } from '../support/browser.ts';
import { clientBundle } from '../support/client-bundle.ts';
import { LIVE_PAGE_HTML } from '../live/live-page.ts';

const run = promisify(execFile);
const BUILTIN = new URL('../../server/src/live/builtin-processors.ts', import.meta.url).href;
const SECRET = 'e2e-secret-0123456789abcdef0123456789abcdef';
const TURN_SECRET = 'turn-shared-secret-0123456789';
const NAME = 'deepphoto.test';
const TURNSERVER = '/usr/bin/turnserver';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

type Frame = { mean: [number, number, number] };
const suite = chromiumAvailable() ? describe : describe.skip;

suite('HTTPS from a non-localhost origin, and TURN relay, in Chromium', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let turn: ChildProcess | undefined;
  let turnPort = 0;
  const authority = new TokenAuthority(SECRET);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-e2e-sec-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${NAME}`, '-addext', `subjectAltName=DNS:${NAME}`]);

    if (existsSync(TURNSERVER)) {
      turnPort = await freePort();
      const conf = path.join(dir, 'turnserver.conf');
      await writeFile(
        conf,
        [
          'listening-ip=127.0.0.1',
          `listening-port=${turnPort}`,
          'relay-ip=127.0.0.1',
          'min-port=49152',
          'max-port=49400',
          'use-auth-secret',
          `static-auth-secret=${TURN_SECRET}`,
          `realm=${NAME}`,
          'allow-loopback-peers',
          'no-tls',
          'no-dtls',
          'no-tcp-relay',
          'no-cli',
          'no-multicast-peers',
          'fingerprint',
          `pidfile=${path.join(dir, 'turn.pid')}`,
          'log-file=stdout',
          'simple-log',
        ].join('\n'),
      );
      turn = spawn(TURNSERVER, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      turn.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      const until = Date.now() + 10_000;
      while (!/listener opened on|Total General servers/i.test(log) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    }

    const clientJs = await clientBundle();
    server = await startServer({
      host: '127.0.0.1',
      servePage: false,
      processorModule: BUILTIN,
      recordings: { dir: path.join(dir, 'rec') },
      security: {
        secret: SECRET,
        tls: { cert, key },
        allowedHosts: [NAME],
        ...(turnPort ? { turn: { secret: TURN_SECRET, urls: [`turn:127.0.0.1:${turnPort}?transport=udp`], ttlSeconds: 600 } } : {}),
      },
      signaling: { knownStyles: BUILTIN_STYLE_IDS, defaultEffect: { style: 'tint-red', target: 'whole' } },
      plugins: [
        async (app) => {
          app.get('/', async (_q, reply) => reply.type('text/html').send(LIVE_PAGE_HTML));
          app.get('/deepphoto-client.js', async (_q, reply) => reply.type('text/javascript').send(clientJs));
        },
      ],
    });
    browser = await launchChromium({ extraArgs: [`--host-resolver-rules=MAP ${NAME} 127.0.0.1`, '--ignore-certificate-errors'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    turn?.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function callFrom(page: Page, token: string, rtcConfig?: 'relay'): Promise<void> {
    await page.evaluate(
      async ([t, relay]) => {
        const live = (window as unknown as { live: { token: string; rtcConfig?: unknown; start(): Promise<boolean> } }).live;
        live.token = t as string;
        if (relay) {
          const res = await fetch('/api/ice-servers', { headers: { authorization: `Bearer ${t}` } });
          const { iceServers } = (await res.json()) as { iceServers: unknown[] };
          live.rtcConfig = { iceServers, iceTransportPolicy: 'relay' };
        }
        await live.start();
      },
      [token, rtcConfig ?? ''] as const,
    );
  }

  async function redFrames(page: Page, count: number): Promise<Frame[]> {
    const until = Date.now() + 60_000;
    for (;;) {
      const frames = await page.evaluate(() => (window as unknown as { live: { frames: Frame[] } }).live.frames);
      if (frames.length >= count) return frames;
      if (Date.now() > until) throw new Error(`only ${frames.length} frames returned`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('HTTPS at https://deepphoto.test:<port>/: secure context, camera, token from a join link, filtered video back', async () => {
    const url = `https://${NAME}:${new URL(server.url).port}/`;
    expect(server.url.startsWith('https://')).toBe(true);
    const page = await browser.newPage();
    try {
      await page.goto(url);
      const ctx = await page.evaluate(() => ({ secure: window.isSecureContext, host: location.hostname, protocol: location.protocol }));
      expect(ctx).toEqual({ secure: true, host: NAME, protocol: 'https:' });
      await callFrom(page, await authority.issue({ identity: 'https-user' }));
      const frames = await redFrames(page, 20);
      const [r, g, b] = frames.at(-1)!.mean;
      console.log('https: returned frame mean', { r, g, b, frames: frames.length });
      expect(r).toBeGreaterThan(100);
      expect(g).toBeLessThan(30);
      expect(b).toBeLessThan(30);
    } finally {
      await page.close();
    }
  });

  it('a foreign origin cannot open the socket even with a valid token', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`https://${NAME}:${new URL(server.url).port}/`);
      const token = await authority.issue({ identity: 'victim' });
      // a page elsewhere (same browser, other origin) tries to use the server: Origin is checked
      const outcome = await page.evaluate(
        async ([u, t]) => {
          const lib = (window as unknown as { DeepPhoto: { DeepPhotoClient: new (o: unknown) => { connect(): Promise<void>; close(): void } } }).DeepPhoto;
          const client = new lib.DeepPhotoClient({ url: u, token: t });
          return client.connect().then(
            () => 'connected',
            (e: { code?: string }) => e.code ?? 'error',
          );
        },
        [`https://127.0.0.1:${new URL(server.url).port}`, token] as const,
      );
      // from https://deepphoto.test the Origin differs from Host 127.0.0.1 and is not allow-listed
      expect(outcome).toBe('forbidden');
    } finally {
      await page.close();
    }
  });

  (existsSync(TURNSERVER) ? it : it.skip)('TURN: coturn on loopback, iceTransportPolicy relay, per-session credentials, filtered video received', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`https://${NAME}:${new URL(server.url).port}/`);
      await callFrom(page, await authority.issue({ identity: 'relay-user' }), 'relay');
      const frames = await redFrames(page, 20);
      const [r, g, b] = frames.at(-1)!.mean;
      const pair = await page.evaluate(async () => {
        const pc = (window as unknown as { live: { client: { peerConnection: RTCPeerConnection } } }).live.client.peerConnection;
        const stats = await pc.getStats();
        let local: string | undefined;
        stats.forEach((s) => {
          if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
            const l = stats.get(s.localCandidateId);
            local = l?.candidateType;
          }
        });
        return local;
      });
      console.log('turn: returned frame mean', { r, g, b, frames: frames.length, localCandidate: pair });
      expect(pair).toBe('relay');
      expect(r).toBeGreaterThan(100);
      expect(g).toBeLessThan(30);
      expect(b).toBeLessThan(30);
    } finally {
      await page.close();
    }
  });
});
