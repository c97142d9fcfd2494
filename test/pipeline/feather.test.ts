import { describe, expect, it } from 'vitest';
import { boxMean, MaskRefiner } from '../../server/src/pipeline/feather.ts';
import { createMask, createRgbImage } from '../../server/src/pipeline/image.ts';

function bruteBoxMean(src: Float32Array, w: number, h: number, r: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++)
        for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
          sum += src[yy * w + xx]!;
          n++;
        }
      out[y * w + x] = sum / n;
    }
  return out;
}

describe('boxMean', () => {
  it('equals the brute-force windowed mean, borders included', () => {
    const w = 13;
    const h = 9;
    const src = new Float32Array(w * h).map((_, i) => Math.sin(i * 1.7) + (i % 5));
    for (const r of [1, 3, 20]) {
      const dst = new Float32Array(w * h);
      boxMean(src, dst, new Float32Array(w * h), w, h, r);
      const expected = bruteBoxMean(src, w, h, r);
      for (let i = 0; i < w * h; i++) expect(dst[i]).toBeCloseTo(expected[i]!, 4);
    }
  });
});

describe('MaskRefiner', () => {
  // A picture with a hard vertical edge at x = 60 (dark person on the left, bright wall on the right) and a coarse
  // model mask whose edge is blurred over ~16 px, as a 4x-downsampled model gives around hair and shoulders.
  const width = 128;
  const height = 64;
  const edge = 60;
  const picture = createRgbImage(width, height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) picture.data.fill(x < edge ? 40 : 220, (y * width + x) * 3, (y * width + x) * 3 + 3);
  const coarse = createMask(32, 16);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) coarse.data[y * 32 + x] = 1 / (1 + Math.exp((x * 4 + 2 - edge) / 4));

  /** Pixels per row that are neither clearly person nor clearly background: the width of the feathered edge. */
  function transitionWidth(mask: Float32Array, row: number): number {
    let n = 0;
    for (let x = 0; x < width; x++) if (mask[row * width + x]! > 0.1 && mask[row * width + x]! < 0.9) n++;
    return n;
  }

  it('turns a blurry model edge into a sharp one on the picture edge, where bilinear stays blurry', () => {
    const refiner = new MaskRefiner();
    const bilinear = createMask(width, height);
    refiner.upsample(coarse, bilinear);
    const guided = createMask(width, height);
    refiner.refine(coarse, picture, guided, { radius: 8, epsilon: 1e-3 });
    expect(transitionWidth(bilinear.data, 20)).toBeGreaterThan(10);
    expect(transitionWidth(guided.data, 20)).toBeLessThanOrEqual(2);
    // The edge lands on the picture's edge: person up to x = 59, background from x = 60.
    expect(guided.data[20 * width + edge - 1]).toBeGreaterThan(0.5);
    expect(guided.data[20 * width + edge]).toBeLessThan(0.5);
  });

  it('keeps values in 0..1 and flat regions flat', () => {
    const guided = createMask(width, height);
    new MaskRefiner().refine(coarse, picture, guided);
    for (const v of guided.data) expect(v >= 0 && v <= 1).toBe(true);
    expect(guided.data[10 * width + 5]).toBeGreaterThan(0.97); // deep inside the person
    expect(guided.data[10 * width + 120]).toBeLessThan(0.03); // deep in the background
  });

  it('rejects an output of another size', () => {
    expect(() => new MaskRefiner().refine(coarse, picture, createMask(10, 10))).toThrow(TypeError);
  });
});
