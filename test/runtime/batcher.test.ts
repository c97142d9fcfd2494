/**
 * One inference owner batching frames of several sessions: the batched run must give each frame the picture it
 * would get alone, on CPU and on the WebGPU provider (lavapipe; see webgpu.test.ts).
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger } from '../../server/src/context.ts';
import { InferenceBatcher } from '../../server/src/runtime/batcher.ts';
import { ModelRuntime, type ExecutionProvider } from '../../server/src/runtime/onnx.ts';
import { personPhoto } from '../support/photo.ts';

/** Three different pictures (crops of a portrait) as the style net's NCHW input at `width`x`height`. */
async function frames(count: number, width: number, height: number): Promise<Float32Array[]> {
  const photo = await personPhoto();
  const out: Float32Array[] = [];
  for (let k = 0; k < count; k++) {
    const crop = { left: k * 20, top: k * 10, width: photo.width - 60, height: photo.height - 30 };
    const rgb = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).extract(crop).resize(width, height, { fit: 'fill' }).raw().toBuffer();
    const chw = new Float32Array(width * height * 3);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < 3; c++) chw[c * width * height + i] = rgb[i * 3 + c]!;
    out.push(chw);
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe.each<[ExecutionProvider, number]>([
  ['cpu', 1e-3],
  ['webgpu', 255 * 5e-3],
])('InferenceBatcher on %s', (provider, tolerance) => {
  let runtime: ModelRuntime;
  beforeAll(() => {
    runtime = new ModelRuntime({ logger: quietLogger, providers: { style: [provider] }, threads: 1 });
  });
  afterAll(() => runtime.close());

  it('runs frames submitted together as one batch, each frame getting the picture it gets alone', async () => {
    const model = await runtime.loadBatched('light-mosaic');
    expect(model.provider).toBe(provider);
    const single = await runtime.load('light-mosaic');
    const inputs = await frames(3, 128, 96);
    const dims = [1, 3, 96, 128];
    const batcher = new InferenceBatcher(model);
    const batched = await Promise.all(inputs.map((input) => batcher.run(input, dims)));
    expect(batcher.stats).toEqual({ runs: 1, frames: 3, maxBatch: 3 });
    for (let k = 0; k < inputs.length; k++) {
      const alone = await single.run(inputs[k]!, dims);
      expect(batched[k]!.dims).toEqual([1, 3, 96, 128]);
      const diff = maxAbsDiff(batched[k]!.data, alone.data);
      console.log(`${provider}: frame ${k} batched vs alone max abs diff ${diff.toExponential(2)}`);
      expect(diff).toBeLessThanOrEqual(tolerance);
    }
    // Different frames really gave different pictures (the views do not alias one another).
    expect(maxAbsDiff(batched[0]!.data, batched[1]!.data)).toBeGreaterThan(1);
    batcher.close();
  });

  it('frames of different sizes in one flush run as separate batches, and a bad frame fails alone', async () => {
    const batcher = new InferenceBatcher(await runtime.loadBatched('light-mosaic'));
    const [small] = await frames(1, 64, 48);
    const [large] = await frames(1, 128, 96);
    const results = await Promise.allSettled([
      batcher.run(small!, [1, 3, 48, 64]),
      batcher.run(large!, [1, 3, 96, 128]),
      batcher.run(new Float32Array(4 * 16 * 16), [1, 4, 16, 16]), // 4 channels: the model refuses it
      batcher.run(small!, [1, 3, 48, 64]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(batcher.stats.runs).toBe(2); // 64x48 x2 and 128x96; the failed run is not counted
    expect(batcher.stats.maxBatch).toBe(2);
    const after = await batcher.run(large!, [1, 3, 96, 128]);
    expect(after.dims).toEqual([1, 3, 96, 128]);
    batcher.close();
  });
});

describe('InferenceBatcher lifecycle', () => {
  it('close() rejects queued frames, refuses new ones and is idempotent', async () => {
    const runtime = new ModelRuntime({ logger: quietLogger, providers: { style: ['cpu'] }, threads: 1 });
    try {
      const batcher = new InferenceBatcher(await runtime.loadBatched('light-mosaic'));
      const queued = batcher.run(new Float32Array(3 * 16 * 16), [1, 3, 16, 16]);
      batcher.close();
      batcher.close();
      await expect(queued).rejects.toThrow(/closed/);
      await expect(batcher.run(new Float32Array(3 * 16 * 16), [1, 3, 16, 16])).rejects.toThrow(/closed/);
      await expect(new InferenceBatcher(await runtime.loadBatched('light-mosaic')).run(new Float32Array(6 * 16 * 16), [2, 3, 16, 16])).rejects.toThrow(/dims\[0\] must be 1/);
    } finally {
      await runtime.close();
    }
  });
});
