/**
 * Overlapping style switches on the real pipeline (style thread per stage): the last call wins, one load at a
 * time, and no style thread is left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { createRgbImage } from '../../server/src/pipeline/image.ts';
import { LivePipeline } from '../../server/src/pipeline/live-pipeline.ts';
import { liveStyleThreads } from '../../server/src/pipeline/style-thread.ts';

let context: PhotoContext;
beforeAll(async () => {
  context = await createPhotoContext({ logger: quietLogger });
});
afterAll(() => context.close());

describe('overlapping style switches', () => {
  it('mosaic -> candy, udnie, mosaic, candy at once: candy wins; one style thread runs and at most one is kept for a switch back', async () => {
    const threadsBefore = liveStyleThreads();
    const pipeline = await LivePipeline.create(context.runtime, context.catalog, { style: 'mosaic', target: 'whole', workingLongSide: 96, styleThread: true });
    const frame = createRgbImage(128, 96);
    const out = createRgbImage(128, 96);
    let ts = 0;
    let running = true;
    // frames keep flowing while the switches overlap, as in a call
    const pump = (async () => {
      while (running) {
        await pipeline.process(frame, (ts += 33), out);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      const clicks = ['candy', 'udnie', 'mosaic', 'candy'];
      const results = await Promise.allSettled(clicks.map((style) => pipeline.update({ style })));
      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(pipeline.effect.style).toBe('candy');
      expect(pipeline.effect.modelId).toBe(context.catalog.modelFor('candy', 'live'));
      const until = Date.now() + 5000;
      // The running thread (candy) plus the one the last switch retired, kept for a switch back: no thread of the
      // overlapping switches leaks.
      while (liveStyleThreads() > threadsBefore + 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(liveStyleThreads()).toBe(threadsBefore + 2);
    } finally {
      running = false;
      await pump;
      pipeline.close();
    }
    const until = Date.now() + 5000;
    while (liveStyleThreads() > threadsBefore && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(liveStyleThreads()).toBe(threadsBefore);
  });
});
