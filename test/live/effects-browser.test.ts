/**
 * Blur and background replacement through the real product path in a real browser: Chromium's fake camera plays a
 * still frame (of the upper-body clip, or our sample scene without ../shared), the server segments and renders the
 * effect (LivePipeline in the session worker), and the page reads the returned video back. With a still input,
 * every returned frame is comparable pixel by pixel with what was sent (person: mask >= 0.98, background: <= 0.02).
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverFit } from '../../server/src/pipeline/background-image.ts';
import { createRgbImage, type RgbImage } from '../../server/src/pipeline/image.ts';
import type { RunningServer } from '../../server/src/server.ts';
import { renderBuiltinBackground } from '../../server/src/styles/backgrounds.ts';
import { chromiumAvailable } from '../support/browser.ts';
import { startStillCameraCall, type StillCameraCall } from '../support/still-camera-call.ts';

const suite = chromiumAvailable() ? describe : describe.skip;
const IDENTITY = 'e2e-tester-0001';

suite('blur and background pictures through a real browser with the real models', () => {
  let call: StillCameraCall;
  let server: RunningServer;
  let page: Page;
  let still: RgbImage;
  let personMask: Float32Array;

  beforeAll(async () => {
    call = await startStillCameraCall({ tmpPrefix: 'deepphoto-fx-e2e-', env: (dir) => ({ DEEPPHOTO_BACKGROUNDS_DIR: path.join(dir, 'backgrounds') }) });
    ({ server, page, still, personMask } = call);
  }, 180_000);

  afterAll(async () => {
    await call?.close();
  });

  const frameCount = (): Promise<number> => page.evaluate(() => (window as unknown as { live: { frames: unknown[] } }).live.frames.length);
  const emit = (event: string, payload: unknown) =>
    page.evaluate(([e, p]) => (window as unknown as { live: { emit(e: string, p: unknown): Promise<{ ok: boolean }> } }).live.emit(e as string, p), [event, payload] as const);

  async function framesAfter(count: number, timeoutMs = 60_000): Promise<void> {
    const start = await frameCount();
    const end = Date.now() + timeoutMs;
    while ((await frameCount()) < start + count) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${count} returned frames`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const grab = (): Promise<Uint8Array> => call.grab();

  const isPerson = (i: number) => personMask[i]! >= 0.98;
  const isBackground = (i: number) => personMask[i]! <= 0.02;

  /** Mean absolute difference of `returned` to `reference` over the pixels `where` selects, 0..255. */
  function meanDiff(returned: Uint8Array, reference: Uint8Array, where: (i: number) => boolean): number {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < personMask.length; i++) {
      if (!where(i)) continue;
      sum += (Math.abs(returned[i * 3]! - reference[i * 3]!) + Math.abs(returned[i * 3 + 1]! - reference[i * 3 + 1]!) + Math.abs(returned[i * 3 + 2]! - reference[i * 3 + 2]!)) / 3;
      n++;
    }
    expect(n).toBeGreaterThan(10_000);
    return sum / n;
  }

  /** Detail: mean |horizontal + vertical neighbour difference| over pixels whose neighbours are in the region too. */
  function detail(picture: Uint8Array, where: (i: number) => boolean): number {
    const w = still.width;
    let sum = 0;
    let n = 0;
    for (let y = 0; y < still.height - 1; y++) {
      for (let x = 0; x < w - 1; x++) {
        const i = y * w + x;
        if (!where(i) || !where(i + 1) || !where(i + w)) continue;
        for (let c = 0; c < 3; c++) sum += Math.abs(picture[i * 3 + c]! - picture[(i + 1) * 3 + c]!) + Math.abs(picture[i * 3 + c]! - picture[(i + w) * 3 + c]!);
        n++;
      }
    }
    return sum / n;
  }

  async function settle(payload: unknown): Promise<Uint8Array> {
    const ack = await emit('session.update', payload);
    expect(ack, JSON.stringify(payload)).toMatchObject({ ok: true });
    await framesAfter(8);
    return grab();
  }

  it('baseline (effect none): the round trip alone changes little', async () => {
    const returned = await settle({ effect: { kind: 'none' } });
    const person = meanDiff(returned, still.data, isPerson);
    const background = meanDiff(returned, still.data, isBackground);
    console.log('none: mean abs change person %s background %s; background detail sent %s returned %s', person.toFixed(2), background.toFixed(2), detail(still.data, isBackground).toFixed(2), detail(returned, isBackground).toFixed(2));
    expect(person).toBeLessThan(8);
    expect(background).toBeLessThan(8);
  });

  it('blur (strong, background): the background loses its detail, the person stays as sent', async () => {
    const returned = await settle({ effect: { kind: 'blur', target: 'background', params: { strength: 'strong' } } });
    const person = meanDiff(returned, still.data, isPerson);
    const sentDetail = detail(still.data, isBackground);
    const returnedDetail = detail(returned, isBackground);
    console.log('blur-strong: person change %s; background detail %s -> %s', person.toFixed(2), sentDetail.toFixed(2), returnedDetail.toFixed(2));
    expect(person).toBeLessThan(8); // VP8 round trip twice, nothing else
    expect(returnedDetail).toBeLessThan(sentDetail * 0.6);
    // The person keeps its detail (within what VP8 takes away).
    expect(detail(returned, isPerson)).toBeGreaterThan(detail(still.data, isPerson) * 0.7);
  });

  it('blur light keeps more background detail than strong', async () => {
    const strong = detail(await grab(), isBackground);
    const light = detail(await settle({ style: 'blur-light' }), isBackground);
    console.log('background detail: light %s strong %s', light.toFixed(2), strong.toFixed(2));
    expect(light).toBeGreaterThan(strong);
  });

  it('a built-in picture (dawn) replaces the background, the person stays as sent', async () => {
    const returned = await settle({ style: 'bg-dawn', target: 'background' });
    const fitted = createRgbImage(still.width, still.height);
    coverFit(await renderBuiltinBackground('dawn'), fitted);
    const person = meanDiff(returned, still.data, isPerson);
    const toPicture = meanDiff(returned, fitted.data, isBackground);
    const toCamera = meanDiff(returned, still.data, isBackground);
    console.log('bg-dawn: person change %s; background vs picture %s, vs camera %s', person.toFixed(2), toPicture.toFixed(2), toCamera.toFixed(2));
    expect(person).toBeLessThan(8);
    expect(toPicture).toBeLessThan(8);
    expect(toCamera).toBeGreaterThan(30);
  });

  it("the user's own uploaded picture (HTTP upload) replaces the background live", async () => {
    const orange = await sharp({ create: { width: 800, height: 300, channels: 3, background: '#ff8800' } }).png().toBuffer();
    const body = new FormData();
    body.set('image', new Blob([new Uint8Array(orange)], { type: 'image/png' }), 'orange.png');
    const response = await fetch(`${server.url}/api/backgrounds`, { method: 'POST', body, headers: { 'x-deepphoto-identity': IDENTITY } });
    expect(response.status).toBe(201);
    const { effect } = (await response.json()) as { effect: { id: string } };
    const returned = await settle({ style: effect.id });
    const solid = new Uint8Array(still.data.length);
    for (let i = 0; i < solid.length; i += 3) solid.set([255, 136, 0], i);
    const person = meanDiff(returned, still.data, isPerson);
    const toPicture = meanDiff(returned, solid, isBackground);
    console.log('own picture: person change %s; background vs picture %s', person.toFixed(2), toPicture.toFixed(2));
    expect(person).toBeLessThan(8);
    expect(toPicture).toBeLessThan(8);
  });
});
