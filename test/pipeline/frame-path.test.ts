/**
 * The live frame path's fast stages against their references: native upsamples vs the JavaScript Resampler, the
 * 8-bit composite vs the float one, the Stylizer's layout-only conversions vs resampling at equal size, and a
 * LivePipeline fed the decoder's working-size picture vs one that downscales itself.
 */
import { describe, expect, it } from 'vitest';
import { composite, compositeAlpha8 } from '../../server/src/pipeline/composite.ts';
import { createAlpha8, createMask, createRgbImage, maskToAlpha8, type RgbImage } from '../../server/src/pipeline/image.ts';
import { NativeScaler, NativeScalerCache } from '../../server/src/pipeline/native-scale.ts';
import { Resampler } from '../../server/src/pipeline/resample.ts';
import { chwToHwcBytes, hwcToChw } from '../../server/src/pipeline/stylize.ts';
import { LivePipeline } from '../../server/src/pipeline/live-pipeline.ts';
import { ModelRuntime } from '../../server/src/runtime/onnx.ts';
import { StyleCatalog } from '../../server/src/styles/catalog.ts';
import { quietLogger } from '../../server/src/context.ts';
import { syntheticFrame } from '../../server/src/tools/synthetic-scene.ts';

function meanAbsDiff(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

describe('native scaling', () => {
  it('upsamples RGB and masks like the JavaScript Resampler (bilinear), and refuses short buffers', () => {
    const small = syntheticFrame(256, 192);
    const reference = createRgbImage(640, 480);
    new Resampler({ srcWidth: 256, srcHeight: 192, dstWidth: 640, dstHeight: 480, channels: 3 }).resize(small.data, 'HWC', reference.data, 'HWC');
    const native = createRgbImage(640, 480);
    const scaler = new NativeScaler({ srcWidth: 256, srcHeight: 192, dstWidth: 640, dstHeight: 480, format: 'rgb24' });
    scaler.scale(small.data, native.data);
    const d = meanAbsDiff(native.data, reference.data);
    expect(d.mean).toBeLessThan(0.5);
    expect(d.max).toBeLessThanOrEqual(2);
    expect(() => scaler.scale(small.data.subarray(10), native.data)).toThrow(/source/);
    scaler.close();
    scaler.close(); // idempotent
    expect(() => scaler.scale(small.data, native.data)).toThrow(/closed/);

    const mask = createMask(256, 192);
    for (let i = 0; i < mask.data.length; i++) mask.data[i] = (i % 256) / 255;
    const alpha = createAlpha8(256, 192);
    maskToAlpha8(mask, alpha);
    const cache = new NativeScalerCache();
    const up = createAlpha8(640, 480);
    cache.get({ srcWidth: 256, srcHeight: 192, dstWidth: 640, dstHeight: 480, format: 'gray8' }).scale(alpha.data, up.data);
    const floatUp = createMask(640, 480);
    new Resampler({ srcWidth: 256, srcHeight: 192, dstWidth: 640, dstHeight: 480, channels: 1 }).resize(mask.data, 'HWC', floatUp.data, 'HWC');
    let worst = 0;
    for (let i = 0; i < up.data.length; i++) worst = Math.max(worst, Math.abs(up.data[i]! / 255 - floatUp.data[i]!));
    expect(worst).toBeLessThan(3 / 255);
    cache.close();
  });
});

describe('8-bit composite', () => {
  it('matches the float composite within one grey level, sure pixels bit-exact', () => {
    const original = syntheticFrame(64, 48, 0);
    const styled = syntheticFrame(64, 48, 1);
    for (let i = 0; i < styled.data.length; i++) styled.data[i] = 255 - styled.data[i]!;
    const mask = createMask(64, 48);
    for (let i = 0; i < mask.data.length; i++) mask.data[i] = Math.round(((i * 37) % 256)) / 255;
    const alpha = createAlpha8(64, 48);
    maskToAlpha8(mask, alpha);
    for (const target of ['background', 'person', 'whole'] as const) {
      const a = createRgbImage(64, 48);
      const b = createRgbImage(64, 48);
      composite(original, styled, mask, target, a);
      compositeAlpha8(original, styled, alpha, target, b);
      expect(meanAbsDiff(a.data, b.data).max).toBeLessThanOrEqual(1);
    }
    // Mask 0 under `person`: the original, exactly.
    alpha.data.fill(0);
    const out = createRgbImage(64, 48);
    compositeAlpha8(original, styled, alpha, 'person', out);
    expect(Buffer.compare(Buffer.from(out.data), Buffer.from(original.data))).toBe(0);
    expect(() => compositeAlpha8(original, styled, null, 'person', out)).toThrow(/needs a mask/);
  });
});

describe('style network layout conversions', () => {
  it('HWC bytes <-> CHW floats at equal size equal the resampler at equal size', () => {
    const img = syntheticFrame(40, 30);
    const viaResampler = new Float32Array(40 * 30 * 3);
    new Resampler({ srcWidth: 40, srcHeight: 30, dstWidth: 40, dstHeight: 30, channels: 3 }).resize(img.data, 'HWC', viaResampler, 'CHW', 1 / 255, 0);
    const direct = new Float32Array(40 * 30 * 3);
    hwcToChw(img.data, direct, 1 / 255, 0);
    for (let i = 0; i < direct.length; i++) expect(Math.abs(direct[i]! - viaResampler[i]!)).toBeLessThan(1e-6);
    const planar = new Float32Array(direct.length);
    for (let i = 0; i < planar.length; i++) planar[i] = direct[i]! * 255 + (i % 3 === 0 ? 300 : i % 3 === 1 ? -20 : 0.4);
    const back = new Uint8Array(planar.length);
    chwToHwcBytes(planar, back);
    const reference = new Uint8Array(planar.length);
    new Resampler({ srcWidth: 40, srcHeight: 30, dstWidth: 40, dstHeight: 30, channels: 3 }).resize(planar, 'CHW', reference, 'HWC');
    expect(meanAbsDiff(back, reference).max).toBe(0);
  });
});

describe('LivePipeline with the decoder-scaled working picture', () => {
  it('gives the same frame as downscaling itself, exactly', async () => {
    const runtime = new ModelRuntime({ logger: quietLogger, threads: 1 });
    const catalog = await StyleCatalog.discover({}, () => {});
    const a = await LivePipeline.create(runtime, catalog, { style: 'mosaic', target: 'background', styleThread: false });
    const b = await LivePipeline.create(runtime, catalog, { style: 'mosaic', target: 'background', styleThread: false });
    try {
      const frame = syntheticFrame(640, 480);
      const size = a.workingSize(640, 480);
      expect(size).toEqual({ width: 256, height: 192 });
      // In the product the decoder's scaler makes `small`; here the pipeline's own downscale does, so that the
      // two paths must agree exactly.
      const small = createRgbImage(size.width, size.height);
      new Resampler({ srcWidth: 640, srcHeight: 480, dstWidth: 256, dstHeight: 192, channels: 3 }).resize(frame.data, 'HWC', small.data, 'HWC');
      const outA = createRgbImage(640, 480);
      const outB = createRgbImage(640, 480);
      await a.process(frame, 0, outA);
      await b.process(frame, 0, outB, small);
      // The same downscale handed over: identical output.
      expect(meanAbsDiff(outA.data, outB.data).max).toBe(0);
      // The background (top rows) is styled.
      expect(meanAbsDiff(outA.data.subarray(0, 640 * 3 * 20), frame.data.subarray(0, 640 * 3 * 20)).mean).toBeGreaterThan(10);
      expect(a.passesThrough).toBe(false);
      await a.update({ target: 'none' });
      expect(a.passesThrough).toBe(true);
    } finally {
      a.close();
      b.close();
      await runtime.close();
    }
  });
});
