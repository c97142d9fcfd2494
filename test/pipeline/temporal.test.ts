import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { createRgbImage, type RgbImage } from '../../server/src/pipeline/image.ts';
import { LivePipeline } from '../../server/src/pipeline/live-pipeline.ts';
import { blendTowardsPrevious, DEFAULT_TEMPORAL, stillnessWeights, TemporalBlender, type TemporalOptions } from '../../server/src/pipeline/temporal.ts';
import { personPhoto } from '../support/photo.ts';

const OPTIONS: TemporalOptions = { strength: 0.8, still: 1, moving: 5, resetAfterMs: 500 };

function filled(width: number, height: number, value: (x: number, y: number, c: number) => number): RgbImage {
  const image = createRgbImage(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) image.data[(y * width + x) * 3 + c] = value(x, y, c);
  return image;
}

/** Deterministic pseudo-random generator (Park-Miller), so the "network noise" is the same on every run. */
function noiseSource(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('stillnessWeights', () => {
  it('gives full strength where nothing changed, 0 where a block moved, and a ramp in between', () => {
    const w = 24;
    const h = 16;
    const previous = filled(w, h, (x, y) => (x * 7 + y * 3) % 200);
    const current = filled(w, h, (x, y, c) => previous.data[(y * w + x) * 3 + c]! + (x >= 12 && x < 20 && y >= 4 && y < 12 ? 40 : 0));
    const scratch = new Float32Array(2 * w * h);
    const out = new Float32Array(w * h);
    stillnessWeights(current.data, previous.data, w, h, OPTIONS, scratch, out);
    expect(out[2 * w + 2]).toBeCloseTo(0.8, 6); // far from the block
    expect(out[8 * w + 15]).toBe(0); // inside the moved block
    // A uniform change between `still` and `moving` gets the linear ramp.
    const shifted = filled(w, h, (x, y, c) => previous.data[(y * w + x) * 3 + c]! + 3);
    stillnessWeights(shifted.data, previous.data, w, h, OPTIONS, scratch, out);
    expect(out[5 * w + 5]).toBeCloseTo(0.8 * (5 - 3) / (5 - 1), 5);
  });

  it('rejects buffers that do not match the frame', () => {
    expect(() => stillnessWeights(new Uint8Array(12), new Uint8Array(12), 2, 2, OPTIONS, new Float32Array(3), new Float32Array(4))).toThrow(RangeError);
  });
});

describe('blendTowardsPrevious', () => {
  it('keeps the frame where the weight is 0 and mixes where it is not', () => {
    const frame = new Uint8Array([100, 100, 100, 100, 100, 100]);
    blendTowardsPrevious(frame, new Uint8Array([200, 200, 200, 0, 0, 0]), new Float32Array([0, 0.5]));
    expect([...frame]).toEqual([100, 100, 100, 50, 50, 50]);
  });
});

describe('TemporalBlender', () => {
  const w = 32;
  const h = 24;
  const small = filled(w, h, (x, y) => (x * 5 + y * 9) % 250);

  /** A "style network" output: a fixed picture plus per-frame noise of +-20 (what makes stylized video shimmer). */
  function styledWithNoise(random: () => number): RgbImage {
    return filled(2 * w, 2 * h, (x, y) => 120 + ((x + y) % 7) * 10 + Math.round((random() - 0.5) * 40));
  }

  it('on a still input, cuts the frame-to-frame change of a noisy styled output by more than half', () => {
    const blender = new TemporalBlender(OPTIONS);
    const random = noiseSource(7);
    const raw: Uint8Array[] = [];
    const blended: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const styled = styledWithNoise(random);
      raw.push(styled.data.slice());
      blender.apply(small, styled, 'light-candy', i * 33);
      blended.push(styled.data.slice());
    }
    let rawChange = 0;
    let blendedChange = 0;
    for (let i = 10; i < 20; i++) {
      rawChange += meanAbsDiff(raw[i]!, raw[i - 1]!);
      blendedChange += meanAbsDiff(blended[i]!, blended[i - 1]!);
    }
    expect(blendedChange).toBeLessThan(rawChange * 0.5);
    expect(blender.lastMeanWeight).toBeCloseTo(0.8, 5);
  });

  it('leaves pixels whose input moved exactly as the network drew them (no smearing)', () => {
    const blender = new TemporalBlender(OPTIONS);
    const random = noiseSource(3);
    blender.apply(small, styledWithNoise(random), 'light-candy', 0);
    // The whole right half of the input changes: there the output must be the new styled frame, unblended.
    const moved = filled(w, h, (x, y, c) => small.data[(y * w + x) * 3 + c]! + (x >= w / 2 ? 60 : 0));
    const styled = styledWithNoise(random);
    const expected = styled.data.slice();
    blender.apply(moved, styled, 'light-candy', 33);
    for (let y = 0; y < 2 * h; y++) {
      for (let x = w + 4; x < 2 * w; x++) {
        const p = (y * 2 * w + x) * 3;
        expect(styled.data[p]).toBe(expected[p]);
      }
    }
    // ...while the still left half was blended.
    expect(meanAbsDiff(styled.data.subarray(0, 3 * (w - 4)), expected.subarray(0, 3 * (w - 4)))).toBeGreaterThan(1);
  });

  it('drops its history on a style switch, a long gap between frames, and a size change', () => {
    const blender = new TemporalBlender(OPTIONS);
    const random = noiseSource(11);
    blender.apply(small, styledWithNoise(random), 'light-candy', 0);
    for (const [key, t] of [['light-udnie', 33], ['light-udnie', 2000]] as const) {
      const styled = styledWithNoise(random);
      const before = styled.data.slice();
      blender.apply(small, styled, key, t);
      expect(meanAbsDiff(styled.data, before)).toBe(0);
    }
    const bigger = filled(2 * w, 2 * h, () => 10);
    const styled = filled(4 * w, 4 * h, () => 99);
    blender.apply(bigger, styled, 'light-udnie', 2033);
    expect(styled.data.every((v) => v === 99)).toBe(true);
  });

  it('strength 0 is off; out-of-range options are refused', () => {
    const off = new TemporalBlender({ ...OPTIONS, strength: 0 });
    expect(off.enabled).toBe(false);
    expect(() => new TemporalBlender({ ...OPTIONS, strength: 1 })).toThrow(RangeError);
    expect(() => new TemporalBlender({ ...OPTIONS, still: 6, moving: 5 })).toThrow(RangeError);
  });
});

describe('LivePipeline with temporal blending (real light net)', () => {
  let context: PhotoContext;
  let frame: RgbImage;
  beforeAll(async () => {
    context = await createPhotoContext({ logger: quietLogger });
    frame = await personPhoto();
  });
  afterAll(() => context.close());

  it('a still camera with sensor noise shimmers less with the blending than without, and the stage is timed', async () => {
    const run = async (temporal: TemporalOptions) => {
      const pipeline = await LivePipeline.create(context.runtime, context.catalog, { style: 'candy', target: 'whole', workingLongSide: 160, temporal });
      const random = noiseSource(5);
      const out = createRgbImage(frame.width, frame.height);
      const previous = new Uint8Array(out.data.length);
      let change = 0;
      let temporalMs: number | undefined;
      for (let i = 0; i < 6; i++) {
        // +-1 level of noise: what a still webcam sends; the input change stays far below `still`.
        const noisy = { ...frame, data: frame.data.map((v) => Math.min(255, Math.max(0, v + Math.round((random() - 0.5) * 2)))) };
        const timings = await pipeline.process(noisy, i * 33, out);
        temporalMs = timings.temporalMs;
        if (i >= 2) change += meanAbsDiff(out.data, previous);
        previous.set(out.data);
      }
      pipeline.close();
      return { change, temporalMs };
    };
    const without = await run({ ...DEFAULT_TEMPORAL, strength: 0 });
    const blended = await run(DEFAULT_TEMPORAL);
    expect(without.change).toBeGreaterThan(0);
    expect(blended.change).toBeLessThan(without.change * 0.5);
    expect(without.temporalMs).toBeUndefined();
    expect(blended.temporalMs).toBeGreaterThan(0);
  }, 60_000);
});
