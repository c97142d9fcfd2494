import { rm, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_STYLE_IDS, TOY_PROCESSOR_MODULE } from '../../server/src/live/builtin-processors.ts';
import { liveFrameWorkerCount } from '../../server/src/live/frame-worker-client.ts';
import { liveRecorderChildren } from '../../server/src/live/recorder.ts';
import { recordingRoutes } from '../../server/src/live/recording-routes.ts';
import { attachSignaling, type SignalingHandle } from '../../server/src/signaling/signaling.ts';
import { chromiumAvailable, ffprobeCodec, ffprobeDuration, launchChromium, makeY4mClip, type TempClip } from '../support/browser.ts';
import { clientBundle } from '../support/client-bundle.ts';
import { LIVE_PAGE_HTML } from './live-page.ts';

interface PageFrame { t: number; mean: [number, number, number]; w: number; h: number }

const run = chromiumAvailable() ? describe : describe.skip;

run('live video through a real browser', () => {
  let app: FastifyInstance;
  let signaling: SignalingHandle;
  let browser: Browser;
  let clip: TempClip;
  let recordingsDir: string;
  let base: string;

  beforeAll(async () => {
    clip = await makeY4mClip({ seconds: 4 });
    recordingsDir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-rec-'));
    app = Fastify();
    const clientJs = await clientBundle();
    app.get('/', async (_req, reply) => reply.type('text/html').send(LIVE_PAGE_HTML));
    app.get('/deepphoto-client.js', async (_req, reply) => reply.type('text/javascript').send(clientJs));
    signaling = await attachSignaling(app.server, {
      processorModule: TOY_PROCESSOR_MODULE,
      knownStyles: BUILTIN_STYLE_IDS,
      defaultEffect: { style: 'invert', target: 'whole' },
      maxSessions: 1,
      recordings: { dir: recordingsDir },
    });
    await app.register(recordingRoutes, { store: signaling.store });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await launchChromium({ fakeVideo: clip.path });
  });

  afterAll(async () => {
    await browser?.close();
    await signaling?.close();
    await app?.close();
    await clip?.remove();
    if (recordingsDir) await rm(recordingsDir, { recursive: true, force: true });
  });

  async function openLivePage(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(base + '/');
    await page.evaluate(() => (window as unknown as { live: { start(): Promise<boolean> } }).live.start());
    return page;
  }

  const frames = (page: Page): Promise<PageFrame[]> => page.evaluate(() => (window as unknown as { live: { frames: PageFrame[] } }).live.frames);
  const localMeans = (page: Page): Promise<Array<[number, number, number]>> =>
    page.evaluate(() => (window as unknown as { live: { localMeans: Array<[number, number, number]> } }).live.localMeans);

  async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const isBlack = (m: [number, number, number]): boolean => m[0] < 12 && m[1] < 12 && m[2] < 12;
  const isRedTint = (m: [number, number, number]): boolean => m[0] > 100 && m[1] < 25 && m[2] < 25;

  it('returns the processed camera video: frames are not black and are the inverse of what the camera sends', async () => {
    const page = await openLivePage();
    try {
      await waitFor(async () => (await frames(page)).length >= 60, 20_000, '60 returned frames');
      await new Promise((r) => setTimeout(r, 2000)); // let bitrate ramp up
      const got = (await frames(page)).slice(-30);
      const local = (await localMeans(page)).slice(-30);
      expect(got.every((f) => !isBlack(f.mean))).toBe(true);
      expect(got[0]!.w).toBe(640);
      expect(got[0]!.h).toBe(480);
      const avg = (rows: Array<[number, number, number]>, c: number): number => rows.reduce((s, m) => s + m[c]!, 0) / rows.length;
      for (let c = 0; c < 3; c++) {
        // inverted: returned mean ≈ 255 - camera mean (same clip, a few frames apart)
        expect(Math.abs(avg(got.map((f) => f.mean), c) - (255 - avg(local, c)))).toBeLessThan(25);
      }
      const stats = await page.evaluate(() => (window as unknown as { live: { stats: unknown[] } }).live.stats);
      const last = stats[stats.length - 1] as { fpsIn: number; fpsOut: number; latencyMs: number; stages: Record<string, number> };
      console.log('stats', JSON.stringify(last));
      expect(last.fpsOut).toBeGreaterThan(15);
    } finally {
      await page.close();
      await waitFor(async () => signaling.sessions.size === 0, 5000, 'session closed');
    }
  });

  it('a style switch mid-stream shows the new effect within 3 frames and never a black frame', async () => {
    const page = await openLivePage();
    try {
      await waitFor(async () => (await frames(page)).length >= 45, 20_000, 'returned frames');
      const result = await page.evaluate(async () => {
        const live = (window as unknown as { live: { frames: PageFrame[]; emit(e: string, p: unknown): Promise<{ ok: boolean }> } }).live;
        const ack = await live.emit('session.update', { style: 'tint-red' });
        const index = live.frames.length;
        await new Promise((r) => setTimeout(r, 1500));
        // the 30 frames before the switch (the very first sample of a stream can be an unpainted black frame)
        return { ack, after: live.frames.slice(index), before: live.frames.slice(Math.max(0, index - 30), index) };
      });
      expect(result.ack.ok).toBe(true);
      const firstRed = result.after.findIndex((f) => isRedTint(f.mean));
      console.log('style switch: first new-style frame index after ack', firstRed);
      expect(firstRed).toBeGreaterThanOrEqual(0);
      expect(firstRed).toBeLessThan(3);
      expect(result.after.slice(firstRed).every((f) => isRedTint(f.mean))).toBe(true);
      const all = [...result.before, ...result.after];
      expect(all.some((f) => isBlack(f.mean))).toBe(false);
    } finally {
      await page.close();
      await waitFor(async () => signaling.sessions.size === 0, 5000, 'session closed');
    }
  });

  it('records about 5 s of the output as a WebM whose duration matches the time recorded', async () => {
    const page = await openLivePage();
    try {
      await waitFor(async () => (await frames(page)).length >= 30, 20_000, 'returned frames');
      const { start, stop, elapsed } = await page.evaluate(async () => {
        const live = (window as unknown as { live: { emit(e: string, p?: unknown): Promise<unknown> } }).live;
        const t0 = performance.now();
        const start = await live.emit('recording.start', {});
        await new Promise((r) => setTimeout(r, 5000));
        const stop = await live.emit('recording.stop', {});
        return { start, stop, elapsed: performance.now() - t0 };
      });
      expect(start).toMatchObject({ ok: true });
      const ready = stop as { ok: boolean; id: string; url: string; durationMs: number; bytes: number };
      expect(ready.ok).toBe(true);
      expect(ready.bytes).toBeGreaterThan(10_000);
      const res = await fetch(base + ready.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/webm');
      const file = path.join(recordingsDir, 'download.webm');
      await writeFile(file, Buffer.from(await res.arrayBuffer()));
      expect(await ffprobeCodec(file)).toBe('vp8');
      const duration = await ffprobeDuration(file);
      console.log('recording', { duration, reportedMs: ready.durationMs, elapsedMs: elapsed });
      expect(Math.abs(duration * 1000 - 5000) / 5000).toBeLessThan(0.1);
      expect(Math.abs(duration * 1000 - ready.durationMs) / ready.durationMs).toBeLessThan(0.1);
      const missing = await fetch(base + '/api/recordings/00000000-0000-4000-8000-000000000000');
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
      expect((await fetch(base + '/api/recordings/..%2F..%2Fetc%2Fpasswd')).status).toBe(400);
    } finally {
      await page.close();
      await waitFor(async () => signaling.sessions.size === 0, 5000, 'session closed');
    }
  });

  it('a browser that vanishes mid-stream (while recording) leaves no session, worker or child process', async () => {
    const page = await openLivePage();
    await waitFor(async () => (await frames(page)).length >= 30, 20_000, 'returned frames');
    await page.evaluate(() => (window as unknown as { live: { emit(e: string, p?: unknown): Promise<unknown> } }).live.emit('recording.start', {}));
    expect(signaling.sessions.size).toBe(1);
    expect(liveFrameWorkerCount()).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    await page.close();
    await waitFor(async () => signaling.sessions.size === 0 && liveFrameWorkerCount() === 0 && liveRecorderChildren() === 0, 5000, 'everything freed');
    expect(signaling.sessions.size).toBe(0);
    expect(liveFrameWorkerCount()).toBe(0);
    expect(liveRecorderChildren()).toBe(0);
  });

  it('a second live session beyond maxSessions gets busy, and the first keeps streaming', async () => {
    const first = await openLivePage();
    const second = await browser.newPage();
    try {
      await waitFor(async () => (await frames(first)).length >= 10, 20_000, 'first session frames');
      await second.goto(base + '/');
      const error = await second.evaluate(async () => {
        try {
          await (window as unknown as { live: { start(): Promise<boolean> } }).live.start();
          return 'started';
        } catch (e) {
          return String(e);
        }
      });
      expect(error).toContain('busy');
      const n = (await frames(first)).length;
      await new Promise((r) => setTimeout(r, 500));
      expect((await frames(first)).length).toBeGreaterThan(n);
    } finally {
      await second.close();
      await first.close();
      await waitFor(async () => signaling.sessions.size === 0, 5000, 'session closed');
    }
  });
});
