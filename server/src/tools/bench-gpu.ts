/**
 * npm run bench:gpu -- [--provider webgpu|cuda] [--json] [--iterations N] [--max-batch 8] [--styles mosaic,light-mosaic]
 *
 * What one GPU can serve: per-model ms on the GPU provider (segmentation at its native input, each style net at
 * 640x480 and 1280x720), style nets in batches of 1, 2, 4, ... frames through the product's InferenceBatcher (one
 * owner per GPU shared by all sessions), and from those the number of sessions one GPU sustains at 30 fps at each
 * size: the largest N whose N segmentation runs plus one batched style run fit in 33.3 ms. Nothing falls back to
 * CPU here: a provider that cannot load a model is reported with its reason. Runs on a software GPU too (lavapipe:
 * correct, slow); see README "GPU benchmark" for running it on a machine with an NVIDIA GPU.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { findModel, modelsByTask } from '@deepphoto/models';
import { quietLogger } from '../context.ts';
import { median } from '../eval/metrics.ts';
import { InferenceBatcher } from '../runtime/batcher.ts';
import { ModelRuntime, parseProviderList, type ExecutionProvider, type LoadedModel } from '../runtime/onnx.ts';
import { readRuntimeConfig } from '../config/config.ts';

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'webgpu' },
    json: { type: 'boolean', default: false },
    iterations: { type: 'string', default: '10' },
    'max-batch': { type: 'string', default: '8' },
    styles: { type: 'string' },
  },
});
const provider = parseProviderList(values.provider)[0] as ExecutionProvider;
const iterations = Math.max(3, Number(values.iterations));
const maxBatch = Math.max(1, Number(values['max-batch']));
const FRAME_BUDGET_MS = 1000 / 30;
const SIZES = { '640x480': { width: 640, height: 480 }, '1280x720': { width: 1280, height: 720 } } as const;

interface Timing {
  medianMs: number;
  minMs: number;
  n: number;
}

async function time(fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 2; i++) await fn(); // warm-up: shader compilation and allocations happen on the first runs
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  const round = (v: number) => Math.round(v * 100) / 100;
  return { medianMs: round(median(samples)), minMs: round(Math.min(...samples)), n: samples.length };
}

/** A frame-like tensor (gradients, not constant, so no kernel gets a trivially sparse input). */
function frameTensor(dims: readonly number[], scale: number): Float32Array {
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 256) * scale;
  return data;
}

const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger, providers: { segmentation: [provider], style: [provider] } });
const report: Record<string, unknown> = {};

async function load(id: string, batched: boolean): Promise<LoadedModel | { unavailable: string }> {
  try {
    return await (batched ? runtime.loadBatched(id) : runtime.load(id));
  } catch (error) {
    return { unavailable: (error as Error).message.split('\n')[0]! };
  }
}

// Segmentation: one frame per run (its converted graph resizes to constant sizes, batch included).
const segmentation = await load('selfie-general', false);
let segmentationMs = Number.NaN;
if ('unavailable' in segmentation) report['selfie-general'] = segmentation;
else {
  const dims = segmentation.entry.io.input.shape;
  const input = frameTensor(dims, segmentation.entry.normalization.scale);
  const timing = await time(() => segmentation.run(input, dims));
  segmentationMs = timing.medianMs;
  report['selfie-general'] = { provider: segmentation.provider, native: timing };
}

const styleIds = values.styles ? values.styles.split(',') : modelsByTask('style').map((m) => m.id);
const sessions: Record<string, Record<string, number>> = {};
for (const id of styleIds) {
  const entry = findModel(id);
  if (!entry) {
    report[id] = { unavailable: 'unknown model' };
    continue;
  }
  const model = await load(id, true);
  if ('unavailable' in model) {
    report[id] = model;
    continue;
  }
  const perSize: Record<string, unknown> = { provider: model.provider };
  for (const [label, size] of Object.entries(SIZES)) {
    const dims = [1, 3, size.height, size.width];
    const frame = frameTensor(dims, entry.normalization.scale);
    const batcher = new InferenceBatcher(model, maxBatch);
    const perBatch: Record<string, Timing> = {};
    let sustained = 0;
    for (let n = 1; n <= maxBatch; n *= 2) {
      // N sessions each submit their frame in the same turn: the batcher runs them as one batch.
      const timing = await time(() => Promise.all(Array.from({ length: n }, () => batcher.run(frame, dims))));
      perBatch[`batch=${n}`] = timing;
      if (n * segmentationMs + timing.medianMs <= FRAME_BUDGET_MS) sustained = n;
      else break;
    }
    batcher.close();
    perSize[label] = { perBatch, msPerFrameAtBatch1: perBatch['batch=1']?.medianMs };
    (sessions[id] ??= {})[label] = sustained;
  }
  report[id] = perSize;
}
await runtime.close();

const result = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  provider,
  iterations,
  frameBudgetMs: Math.round(FRAME_BUDGET_MS * 100) / 100,
  models: report,
  /** Per style net and size: sessions one GPU sustains at 30 fps (segmentation per frame + one batched style run). */
  sessionsAt30fps: sessions,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`provider ${provider}; segmentation ${segmentationMs} ms per frame`);
  for (const [id, bySize] of Object.entries(sessions)) console.log(`${id.padEnd(16)} sessions at 30 fps: ${JSON.stringify(bySize)}`);
}
