/**
 * The GPU code path, run for real on a software GPU: onnxruntime-node's bundled WebGPU provider on Mesa's lavapipe
 * (Vulkan), which `npm run setup` installs as a test dependency (mesa-vulkan-drivers 25 from bookworm-backports).
 * Same models and pre/post-processing as on a real GPU; only the speed differs (~0.3-1 s per frame here).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { readProcessingConfig } from '../../server/src/config/config.ts';
import { chooseLiveTier } from '../../server/src/pipeline/live-processor.ts';
import sharp from 'sharp';
import { ModelRuntime, parseProviderList, type LoadedModel } from '../../server/src/runtime/onnx.ts';
import { personPhoto } from '../support/photo.ts';
import { REPO_ROOT } from '../support/paths.ts';

const NO_ADAPTER_HINT = 'no WebGPU adapter: install the test dependencies (npm run setup adds mesa-vulkan-drivers >= 25)';

let gpu: ModelRuntime;
let cpu: ModelRuntime;
let context: PhotoContext;
beforeAll(async () => {
  gpu = new ModelRuntime({ logger: quietLogger, providers: { style: ['webgpu'], segmentation: ['webgpu'] } });
  cpu = new ModelRuntime({ logger: quietLogger, providers: { style: ['cpu'], segmentation: ['cpu'] }, threads: 1 });
  context = await createPhotoContext({ logger: quietLogger });
}, 180_000);
afterAll(async () => {
  await gpu?.close();
  await cpu?.close();
  await context?.close();
});

async function loadOnGpu(id: string): Promise<LoadedModel> {
  const model = await gpu.load(id).catch((error: unknown) => {
    throw new Error(`${NO_ADAPTER_HINT}\n${String(error)}`);
  });
  expect(model.provider).toBe('webgpu');
  return model;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** A real photo as the network's own input tensor. */
async function photoTensor(layout: 'NHWC' | 'NCHW', width: number, height: number, scale: number): Promise<Float32Array> {
  const photo = await personPhoto();
  const data = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  const picture = { data: new Uint8Array(data) };
  const out = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      const value = picture.data[i * 3 + c]! * scale;
      if (layout === 'NHWC') out[i * 3 + c] = value;
      else out[c * width * height + i] = value;
    }
  }
  return out;
}

describe('WebGPU provider on a software Vulkan GPU (lavapipe)', () => {
  it('runs the selfie segmentation model on webgpu with the same mask as CPU (within 5e-5; 1.4e-5 measured on a seg-dev portrait)', async () => {
    const model = await loadOnGpu('selfie-general');
    const input = await photoTensor('NHWC', 256, 256, model.entry.normalization.scale);
    const dims = [1, 256, 256, 3];
    const onGpu = await model.run(input, dims);
    const onCpu = await (await cpu.load('selfie-general')).run(input, dims);
    const diff = maxAbsDiff(onGpu.data, onCpu.data);
    console.log(`selfie-general webgpu vs cpu: max abs diff ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(5e-5);
    // The mask is a real one (not all zeros on both sides): part person, part background.
    const person = onGpu.data.filter((p) => p > 0.5).length / onGpu.data.length;
    expect(person).toBeGreaterThan(0.1);
    expect(person).toBeLessThan(0.9);
  });

  it('runs the light mosaic style net on webgpu with the same picture as CPU (within 5e-3 of the 0..255 range)', async () => {
    const model = await loadOnGpu('light-mosaic');
    const input = await photoTensor('NCHW', 256, 192, model.entry.normalization.scale);
    const dims = [1, 3, 192, 256];
    const onGpu = await model.run(input, dims);
    const onCpu = await (await cpu.load('light-mosaic')).run(input, dims);
    const diff = maxAbsDiff(onGpu.data, onCpu.data);
    console.log(`light-mosaic webgpu vs cpu: max abs diff ${diff.toFixed(4)} (of 255)`);
    expect(diff / 255).toBeLessThan(5e-3);
    expect(maxAbsDiff(onGpu.data, input)).toBeGreaterThan(10); // it did stylize
  });

  it('live tier: a style net that really loaded on webgpu makes a live session run the teacher at 640 px', async () => {
    const tier = await chooseLiveTier(gpu, context.catalog, 'mosaic', readProcessingConfig({ DEEPPHOTO_EP_STYLE: 'webgpu' }));
    expect(tier).toEqual({ tier: 'quality', workingLongSide: 640 });
    // The teacher when the mirror has it, else the light net: either way it is on the GPU.
    expect((await gpu.load(context.catalog.modelFor('mosaic', 'quality'))).provider).toBe('webgpu');
  });

  it('falls back to CPU, with one line saying why for all models, when the machine has no Vulkan driver', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/support/provider-probe.ts', 'selfie-landscape,light-mosaic', 'webgpu,cpu'], {
      cwd: REPO_ROOT,
      env: { ...process.env, VK_DRIVER_FILES: '/nonexistent.json', VK_ICD_FILENAMES: '/nonexistent.json' },
      timeout: 120_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { providers: Record<string, string>; warnings: string[] };
    expect(result.providers).toEqual({ 'selfie-landscape': 'cpu', 'light-mosaic': 'cpu' });
    // Learnt once per process: the second model skips webgpu without trying it again.
    expect(result.warnings).toEqual(['selfie-landscape: webgpu unavailable (no WebGPU adapter (No supported adapters)); trying cpu']);
  });
});

describe('parseProviderList', () => {
  it('keeps cpu last so that a GPU is always tried first', () => {
    expect(parseProviderList('cpu,webgpu')).toEqual(['webgpu', 'cpu']);
  });
});
