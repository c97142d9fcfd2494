import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_STYLE_IDS, TOY_PROCESSOR_MODULE } from '../../server/src/live/builtin-processors.ts';
import { attachSignaling, type SignalingHandle } from '../../server/src/signaling/signaling.ts';
import { chromiumAvailable, launchChromium } from '../support/browser.ts';
import { clientBundle } from '../support/client-bundle.ts';
import { MINIMAL_CLIENT_PAGE } from './client-minimal-page.ts';

const run = chromiumAvailable() ? describe : describe.skip;

/** Must-show 5: the client library, from a ~30-line page that is not the Next.js app, gets a filtered track. */
run('client library from a minimal page', () => {
  let app: FastifyInstance;
  let signaling: SignalingHandle;
  let browser: Browser;
  let dir: string;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-client-'));
    const bundle = await clientBundle();
    app = Fastify();
    app.get('/', async (_q, reply) => reply.type('text/html').send(MINIMAL_CLIENT_PAGE));
    app.get('/deepphoto-client.js', async (_q, reply) => reply.type('text/javascript').send(bundle));
    signaling = await attachSignaling(app.server, { processorModule: TOY_PROCESSOR_MODULE, knownStyles: BUILTIN_STYLE_IDS, maxSessions: 1, recordings: { dir } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await signaling?.close();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gets the filtered camera back as a MediaStreamTrack, and setEffect changes it', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(base + '/');
      expect(await page.evaluate(() => (window as unknown as { main(s: string): Promise<string> }).main('tint-red'))).toBe('video');
      const frames = (): Promise<number[][]> => page.evaluate(() => (window as unknown as { result: { frames: number[][] } }).result.frames);
      const deadline = Date.now() + 20_000;
      while ((await frames()).length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const red = (await frames()).slice(-10);
      console.log('minimal page: frames received', (await frames()).length, 'last mean', red.at(-1));
      expect(red.length).toBe(10);
      // tint-red: red channel max(luma, 128), green and blue 0 (after VP8, a few levels of noise)
      for (const m of red) expect(m[0]! > 100 && m[1]! < 25 && m[2]! < 25, JSON.stringify(m)).toBe(true);
      const effect = await page.evaluate(() => (window as unknown as { client: { setEffect(e: object): Promise<unknown> } }).client.setEffect({ style: 'tint-blue' }));
      expect(effect).toEqual({ style: 'tint-blue', target: 'whole' });
      await new Promise((r) => setTimeout(r, 500));
      const blue = (await frames()).slice(-5);
      for (const m of blue) expect(m[2]! > 100 && m[0]! < 25 && m[1]! < 25, JSON.stringify(m)).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { result: { error: string | null } }).result.error)).toBeNull();
      expect(signaling.sessions.size).toBe(1);
    } finally {
      await page.close();
    }
    const end = Date.now() + 5000;
    while (signaling.sessions.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(signaling.sessions.size).toBe(0);
  });
});
