/**
 * The real product path in a real browser: Chromium's fake camera plays a still frame of the upper-body clip,
 * the server segments and stylizes it (LivePipeline in the session worker), and the page reads the returned
 * video back. A still input makes every returned frame comparable pixel by pixel with what was sent.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../server/src/pipeline/image.ts';
import type { RunningServer } from '../../server/src/server.ts';
import { chromiumAvailable, SAMPLE_VIDEO } from '../support/browser.ts';
import { startStillCameraCall, type StillCameraCall } from '../support/still-camera-call.ts';
import { existsSync } from 'node:fs';
import { liveFrameWorkerCount } from '../../server/src/live/frame-worker-client.ts';
import { liveRecorderChildren } from '../../server/src/live/recorder.ts';
import { ffprobeDuration } from '../support/browser.ts';

type Mean = [number, number, number];
interface PageFrame { t: number; mean: Mean }

const suite = chromiumAvailable() && existsSync(SAMPLE_VIDEO) ? describe : describe.skip;

suite('live effects through a real browser with the real models', () => {
  let call: StillCameraCall;
  let server: RunningServer;
  let page: Page;
  let still: RgbImage;
  let personMask: Float32Array;

  beforeAll(async () => {
    call = await startStillCameraCall({ tmpPrefix: 'deepphoto-still-' });
    ({ server, page, still, personMask } = call);
  }, 180_000);

  afterAll(async () => {
    await call?.close();
  });

  const frames = (): Promise<PageFrame[]> => page.evaluate(() => (window as unknown as { live: { frames: PageFrame[] } }).live.frames);
  const emit = (event: string, payload: unknown) =>
    page.evaluate(([e, p]) => (window as unknown as { live: { emit(e: string, p: unknown): Promise<{ ok: boolean }> } }).live.emit(e as string, p), [event, payload] as const);

  async function framesAfter(count: number, timeoutMs = 60_000): Promise<void> {
    const start = (await frames()).length;
    const end = Date.now() + timeoutMs;
    while ((await frames()).length < start + count) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${count} returned frames`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const grab = (): Promise<Uint8Array> => call.grab();

  /** Mean absolute difference to the sent still, over person pixels (mask >= 0.98) and background (<= 0.02). */
  function regionChange(returned: Uint8Array): { person: number; background: number } {
    let p = 0;
    let pn = 0;
    let b = 0;
    let bn = 0;
    for (let i = 0; i < personMask.length; i++) {
      const d = (Math.abs(returned[i * 3]! - still.data[i * 3]!) + Math.abs(returned[i * 3 + 1]! - still.data[i * 3 + 1]!) + Math.abs(returned[i * 3 + 2]! - still.data[i * 3 + 2]!)) / 3;
      if (personMask[i]! >= 0.98) (p += d), pn++;
      else if (personMask[i]! <= 0.02) (b += d), bn++;
    }
    expect(pn).toBeGreaterThan(10_000);
    expect(bn).toBeGreaterThan(10_000);
    return { person: p / pn, background: b / bn };
  }

  it('target=background: the person stays close to the camera picture while the background changes', async () => {
    expect((await emit('session.update', { style: 'mosaic', target: 'background' })).ok).toBe(true);
    await framesAfter(8);
    const change = regionChange(await grab());
    console.log('background target, mean abs change', change);
    expect(change.person).toBeLessThan(12); // VP8 round trip twice, nothing else
    expect(change.background).toBeGreaterThan(25);
  });

  it('target=person: the reverse', async () => {
    expect((await emit('session.update', { target: 'person' })).ok).toBe(true);
    await framesAfter(8);
    const change = regionChange(await grab());
    console.log('person target, mean abs change', change);
    expect(change.background).toBeLessThan(12);
    expect(change.person).toBeGreaterThan(25);
  });

  it('a style switch shows the new style within 3 frames, with no black frame', async () => {
    expect((await emit('session.update', { style: 'mosaic', target: 'whole' })).ok).toBe(true);
    await framesAfter(8);
    const before = (await frames()).slice(-3).map((f) => f.mean);
    const ack = await emit('session.update', { style: 'candy' });
    expect(ack.ok).toBe(true);
    const index = (await frames()).length;
    await framesAfter(8);
    const after = (await frames()).slice(index).map((f) => f.mean);
    const settled = after.at(-1)!;
    const distance = (a: Mean, b: Mean) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    const old = before.at(-1)!;
    expect(distance(old, settled)).toBeGreaterThan(10); // the two styles are told apart by colour
    const firstNew = after.findIndex((m) => distance(m, settled) < distance(m, old));
    console.log('style switch: first frame in the new style, index after ack', firstNew);
    expect(firstNew).toBeGreaterThanOrEqual(0);
    expect(firstNew).toBeLessThan(3);
    const black = (m: Mean) => m[0] < 12 && m[1] < 12 && m[2] < 12;
    expect([...before, ...after].some(black)).toBe(false);
  });

  it('server shutdown during a call finalizes the running recording and leaves no session, worker or child', async () => {
    const started = await emit('recording.start', {});
    expect(started.ok).toBe(true);
    await framesAfter(6);
    await new Promise((r) => setTimeout(r, 1500)); // at least ~1.5 s of recording, however fast frames come
    const id = (started as unknown as { id: string }).id;
    await server.close();
    expect(server.signaling.sessions.size).toBe(0);
    expect(liveFrameWorkerCount()).toBe(0);
    expect(liveRecorderChildren()).toBe(0);
    const file = server.signaling.store.webmPath(id);
    expect(existsSync(file)).toBe(true);
    expect(await ffprobeDuration(file)).toBeGreaterThan(0.5);
  });
});
