import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { blendStyleVectors, centreSquare } from '../../server/src/pipeline/arbitrary-style.ts';
import { createRgbImage, type RgbImage } from '../../server/src/pipeline/image.ts';
import { LivePipeline } from '../../server/src/pipeline/live-pipeline.ts';
import { liveStyleThreads } from '../../server/src/pipeline/style-thread.ts';
import { personPhoto } from '../support/photo.ts';

let context: PhotoContext;
let frame: RgbImage;
let stylesDir: string;

beforeAll(async () => {
  stylesDir = mkdtempSync(join(tmpdir(), 'deepphoto-styles-'));
  process.env.DEEPPHOTO_STYLES_DIR = stylesDir;
  context = await createPhotoContext({ logger: quietLogger });
  frame = await personPhoto();
});
afterAll(async () => {
  await context.close();
  delete process.env.DEEPPHOTO_STYLES_DIR;
  rmSync(stylesDir, { recursive: true, force: true });
});

function meanDiff(a: RgbImage, b: RgbImage): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / a.data.length;
}

describe('arbitrary-style helpers', () => {
  it('blends style vectors linearly and clamps the strength', () => {
    const style = Float32Array.of(2, 4);
    const content = Float32Array.of(0, 0);
    expect(Array.from(blendStyleVectors(style, content, 0.25))).toEqual([0.5, 1]);
    expect(Array.from(blendStyleVectors(style, content, 7))).toEqual([2, 4]);
    expect(Array.from(blendStyleVectors(style, content, -1))).toEqual([0, 0]);
  });

  it('crops the largest centred square', () => {
    expect(centreSquare({ width: 640, height: 480 })).toEqual({ left: 80, top: 0, side: 480 });
    expect(centreSquare({ width: 100, height: 301 })).toEqual({ left: 0, top: 100, side: 100 });
  });
});

describe('LivePipeline with arbitrary-style looks', () => {
  for (const styleThread of [false, true]) {
    it(`art look, then a user style and a strength change switch in place (${styleThread ? 'style thread' : 'in thread'})`, async (ctx) => {
      if (!context.catalog.arbitrary) return ctx.skip('arbitrary-style networks not installed');
      const user = context.catalog.userStyles.save({ id: 'u-0123456789ab', title: 'test', vector: await context.editor.styleVector(frame) });
      const pipeline = await LivePipeline.create(context.runtime, context.catalog, { style: 'art-scream', target: 'whole', styleThread });
      const scream = createRgbImage(frame.width, frame.height);
      await pipeline.process(frame, 0, scream);
      expect(pipeline.effect.modelId).toBe('arbitrary-transfer-f16:art-scream@100');
      expect(meanDiff(scream, frame)).toBeGreaterThan(20);

      // Switch mid-stream to the user style: the stage is retargeted, not rebuilt.
      const threadsBefore = liveStyleThreads();
      let t = 0;
      const frames = (async () => {
        const out = createRgbImage(frame.width, frame.height);
        for (let i = 0; i < 6; i++) await pipeline.process(frame, (t += 33), out);
      })();
      const started = performance.now();
      await pipeline.update({ style: user.id });
      const switchMs = performance.now() - started;
      await frames;
      console.log(`switch art-scream -> ${user.id} acknowledged after ${switchMs.toFixed(0)} ms (a frame carries it)`);
      expect(liveStyleThreads()).toBe(threadsBefore);
      expect(pipeline.effect.modelId).toBe(`arbitrary-transfer-f16:${user.id}@100`);
      const own = createRgbImage(frame.width, frame.height);
      await pipeline.process(frame, (t += 33), own);
      expect(meanDiff(own, scream)).toBeGreaterThan(10);

      await pipeline.update({ strength: 0 });
      const weak = createRgbImage(frame.width, frame.height);
      await pipeline.process(frame, (t += 33), weak);
      expect(pipeline.effect.modelId).toBe(`arbitrary-transfer-f16:${user.id}@0`);
      // The user style here is the frame's own vector, so 0 % and 100 % are the same look: nearly equal.
      expect(meanDiff(weak, own)).toBeLessThan(3);

      // Back to a fixed network: a new stage.
      await pipeline.update({ style: 'mosaic' });
      expect(pipeline.effect.modelId).toBe('light-mosaic');
      pipeline.close();
      await expect.poll(() => liveStyleThreads(), { timeout: 5000 }).toBe(0);
    }, 60_000);
  }

  it('with a spare arbitrary stage, a fixed network -> picture style switch takes no new thread, and the spare is closed with the pipeline', async (ctx) => {
    if (!context.catalog.arbitrary) return ctx.skip('arbitrary-style networks not installed');
    await expect.poll(() => liveStyleThreads(), { timeout: 5000 }).toBe(0);
    const pipeline = await LivePipeline.create(context.runtime, context.catalog, { style: 'mosaic', target: 'whole', spareArbitraryStage: true });
    await expect.poll(() => liveStyleThreads(), { timeout: 30_000 }).toBe(2); // mosaic + the spare
    const out = createRgbImage(frame.width, frame.height);
    let t = 0;
    await pipeline.process(frame, t, out);
    const started = performance.now();
    const frames = (async () => {
      for (let i = 0; i < 4; i++) await pipeline.process(frame, (t += 33), out);
    })();
    await pipeline.update({ style: 'art-scream' });
    console.log(`mosaic -> art-scream with a spare stage: ${(performance.now() - started).toFixed(0)} ms`);
    await frames;
    expect(pipeline.effect.modelId).toBe('arbitrary-transfer-f16:art-scream@100');
    await pipeline.update({ style: 'candy' }); // the arbitrary stage becomes the spare again
    expect(pipeline.effect.modelId).toBe('light-candy');
    // candy runs, the arbitrary stage is the spare again, and mosaic's thread is kept for a switch back.
    await expect.poll(() => liveStyleThreads(), { timeout: 5000 }).toBe(3);
    pipeline.close();
    await expect.poll(() => liveStyleThreads(), { timeout: 5000 }).toBe(0);
  }, 60_000);

  it('an unknown or deleted user style is refused and leaves the effect as it was', async (ctx) => {
    if (!context.catalog.arbitrary) return ctx.skip('arbitrary-style networks not installed');
    const pipeline = await LivePipeline.create(context.runtime, context.catalog, { style: 'art-udnie', target: 'whole', styleThread: false });
    await expect(pipeline.update({ style: 'u-ffffffffffff' })).rejects.toThrow(/unknown style/);
    expect(pipeline.effect.style).toBe('art-udnie');
    pipeline.close();
  });
});
