import { describe, expect, it } from 'vitest';
import { Resampler } from '../../server/src/pipeline/resample.ts';

describe('Resampler', () => {
  it('keeps a constant picture constant when upscaling and downscaling', () => {
    for (const [sw, sh, dw, dh] of [
      [8, 6, 20, 15],
      [64, 48, 7, 5],
    ] as const) {
      const src = new Float32Array(sw * sh * 3).fill(0.25);
      const dst = new Float32Array(dw * dh * 3);
      new Resampler({ srcWidth: sw, srcHeight: sh, dstWidth: dw, dstHeight: dh, channels: 3 }).resize(src, 'HWC', dst, 'HWC');
      for (const v of dst) expect(v).toBeCloseTo(0.25, 5);
    }
  });

  it('averages a fine checkerboard to grey when shrinking 8x instead of aliasing', () => {
    const sw = 64;
    const src = new Uint8Array(sw * sw);
    for (let y = 0; y < sw; y++) for (let x = 0; x < sw; x++) src[y * sw + x] = (x + y) % 2 ? 255 : 0;
    const dst = new Float32Array(8 * 8);
    new Resampler({ srcWidth: sw, srcHeight: sw, dstWidth: 8, dstHeight: 8, channels: 1 }).resize(src, 'HWC', dst, 'HWC');
    for (const v of dst) expect(Math.abs(v - 127.5)).toBeLessThan(12);
  });

  it('is the identity at the same size and converts HWC to CHW with scale and offset', () => {
    const w = 5;
    const h = 3;
    const src = new Uint8Array(w * h * 3).map((_, i) => (i * 7) % 256);
    const dst = new Float32Array(w * h * 3);
    new Resampler({ srcWidth: w, srcHeight: h, dstWidth: w, dstHeight: h, channels: 3 }).resize(src, 'HWC', dst, 'CHW', 2, 1);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) expect(dst[c * w * h + y * w + x]).toBeCloseTo(src[(y * w + x) * 3 + c]! * 2 + 1, 4);
  });

  it('clips and rounds when writing 8-bit output (style networks overshoot 0..255)', () => {
    const src = new Float32Array([-40, 300, 127.6, 0.4]);
    const dst = new Uint8Array(4);
    new Resampler({ srcWidth: 4, srcHeight: 1, dstWidth: 4, dstHeight: 1, channels: 1 }).resize(src, 'HWC', dst, 'HWC');
    expect([...dst]).toEqual([0, 255, 128, 0]);
  });

  it('rejects buffers that are too small', () => {
    const r = new Resampler({ srcWidth: 4, srcHeight: 4, dstWidth: 2, dstHeight: 2, channels: 3 });
    expect(() => r.resize(new Uint8Array(10), 'HWC', new Float32Array(12), 'HWC')).toThrow(RangeError);
  });
});
