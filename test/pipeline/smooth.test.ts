import { describe, expect, it } from 'vitest';
import { createMask } from '../../server/src/pipeline/image.ts';
import { MaskSmoother, meanAbsChange, uncertainty } from '../../server/src/pipeline/smooth.ts';

describe('uncertainty', () => {
  it('is 0 for sure pixels and 1 at 0.5, symmetric', () => {
    expect(uncertainty(0)).toBe(0);
    expect(uncertainty(1)).toBe(0);
    expect(uncertainty(0.5)).toBeCloseTo(1, 6);
    expect(uncertainty(0.2)).toBeCloseTo(uncertainty(0.8), 6);
    expect(uncertainty(0.1)).toBeLessThan(uncertainty(0.3));
  });
});

describe('MaskSmoother', () => {
  it('damps a pixel that flickers around 0.5', () => {
    const smoother = new MaskSmoother({ ratio: 0.9, resetAfterMs: 500 });
    const mask = createMask(1, 1);
    const raw: number[] = [];
    const smoothed: number[] = [];
    for (let f = 0; f < 30; f++) {
      mask.data[0] = f % 2 ? 0.35 : 0.65;
      raw.push(mask.data[0]);
      smoother.apply(mask, f * 33.3);
      smoothed.push(mask.data[0]!);
    }
    const flicker = (v: number[]) => v.slice(1).reduce((s, x, i) => s + Math.abs(x - v[i]!), 0) / (v.length - 1);
    expect(flicker(smoothed)).toBeLessThan(flicker(raw) * 0.3);
  });

  it('follows a confident change at once (no lag behind a moving person)', () => {
    const smoother = new MaskSmoother({ ratio: 0.9, resetAfterMs: 500 });
    const mask = createMask(1, 1);
    mask.data[0] = 0.0;
    smoother.apply(mask, 0);
    mask.data[0] = 1.0;
    smoother.apply(mask, 33);
    expect(mask.data[0]).toBe(1);
  });

  it('leans on the past more when frames come faster, less when slower', () => {
    const blendAfter = (dt: number) => {
      const s = new MaskSmoother({ ratio: 0.9, resetAfterMs: 500 });
      const m = createMask(1, 1);
      m.data[0] = 0.2;
      s.apply(m, 0);
      m.data[0] = 0.5;
      s.apply(m, dt);
      return Math.abs(m.data[0]! - 0.5); // distance from the new value = weight on the past
    };
    expect(blendAfter(16)).toBeGreaterThan(blendAfter(33));
    expect(blendAfter(33)).toBeGreaterThan(blendAfter(100));
  });

  it('starts over after a pause longer than resetAfterMs', () => {
    const s = new MaskSmoother({ ratio: 0.9, resetAfterMs: 500 });
    const m = createMask(1, 1);
    m.data[0] = 0.2;
    s.apply(m, 0);
    m.data[0] = 0.5;
    s.apply(m, 2000);
    expect(m.data[0]).toBe(0.5);
  });

  it('meanAbsChange measures per-pixel change', () => {
    expect(meanAbsChange(new Float32Array([0, 1, 0.5, 0.5]), new Float32Array([1, 1, 0.5, 0]))).toBeCloseTo(0.375, 6);
  });
});
