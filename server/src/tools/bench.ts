/**
 * npm run bench -- [--json] [--iterations N] [--styles candy,mosaic]
 * Per-stage medians on this machine for the photo/frame pipeline stages, at the sizes the live path uses.
 * Inputs are a deterministic synthetic "person over a textured background" frame, so the figures do not depend on
 * any data folder.
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { modelsByTask } from '@deepphoto/models';
import { median } from '../eval/metrics.ts';
import { composite } from '../pipeline/composite.ts';
import { MaskRefiner } from '../pipeline/feather.ts';
import { createMask, createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { Segmenter } from '../pipeline/segment.ts';
import { Stylizer } from '../pipeline/stylize.ts';
import { ModelRuntime, defaultThreads } from '../runtime/onnx.ts';
import { quietLogger } from '../context.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    iterations: { type: 'string', default: '15' },
    styles: { type: 'string' },
  },
});
const iterations = Math.max(3, Number(values.iterations));

/** A frame with structure at every scale: gradients, a bright "person" ellipse and fine stripes. */
export function syntheticFrame(width: number, height: number): RgbImage {
  const image = createRgbImage(width, height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inside = ((x - width / 2) / (width * 0.22)) ** 2 + ((y - height * 0.6) / (height * 0.45)) ** 2 < 1;
      image.data[i] = inside ? 210 : (x * 255) / width;
      image.data[i + 1] = inside ? 160 : ((x >> 2) + (y >> 2)) % 2 ? 200 : 60;
      image.data[i + 2] = inside ? 130 : (y * 255) / height;
    }
  return image;
}

async function time(fn: () => unknown | Promise<unknown>): Promise<{ medianMs: number; p90Ms: number; n: number }> {
  for (let i = 0; i < 2; i++) await fn(); // warm-up: JIT and ORT allocations
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 100) / 100;
  return { medianMs: round(median(samples)), p90Ms: round(samples[Math.floor(samples.length * 0.9)] ?? Number.NaN), n: samples.length };
}

const runtime = new ModelRuntime({ logger: quietLogger });
const results: Record<string, unknown> = {};
const sizes = [
  { width: 320, height: 240 },
  { width: 640, height: 480 },
];

for (const modelId of ['selfie-general', 'selfie-landscape']) {
  const model = await runtime.load(modelId);
  const frame = syntheticFrame(640, 480);
  results[`segmentation.${modelId}.640x480`] = await time(() => new Segmenter(model).segment(frame));
  const reused = new Segmenter(model);
  results[`segmentation.${modelId}.640x480.reused`] = await time(() => reused.segment(frame));
  const flip = new Segmenter(model, { flipAverage: true });
  results[`segmentation.${modelId}.640x480.flipAverage`] = await time(() => flip.segment(frame));
}

for (const size of sizes) {
  const frame = syntheticFrame(size.width, size.height);
  const lowRes = createMask(256, 256);
  for (let i = 0; i < lowRes.data.length; i++) lowRes.data[i] = ((i % 256) - 128) ** 2 + (Math.floor(i / 256) - 140) ** 2 < 90 ** 2 ? 1 : 0;
  const out = createMask(size.width, size.height);
  const refiner = new MaskRefiner();
  results[`feather.guided.${size.width}x${size.height}`] = await time(() => refiner.refine(lowRes, frame, out));
  results[`feather.bilinear.${size.width}x${size.height}`] = await time(() => refiner.upsample(lowRes, out));
  const styled = syntheticFrame(size.width, size.height).data.reverse();
  const composited = createRgbImage(size.width, size.height);
  results[`composite.background.${size.width}x${size.height}`] = await time(() =>
    composite(frame, { width: size.width, height: size.height, data: styled }, out, 'background', composited),
  );
}

const styleIds = values.styles ? values.styles.split(',') : modelsByTask('style').map((m) => m.id);
for (const id of styleIds) {
  let stylizer: Stylizer;
  try {
    stylizer = new Stylizer(await runtime.load(id));
  } catch (error) {
    results[`style.${id}`] = { error: (error as Error).message };
    continue;
  }
  for (const size of sizes) {
    const frame = syntheticFrame(size.width, size.height);
    const out = createRgbImage(size.width, size.height);
    // Working resolution = frame size: the network runs at full frame size here.
    results[`style.${id}.${size.width}x${size.height}`] = await time(() => stylizer.stylize(frame, out, Math.max(size.width, size.height)));
  }
}
await runtime.close();

const report = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, ortThreads: defaultThreads() },
  iterations,
  stages: results,
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(50)} ${JSON.stringify(v)}`);
