/**
 * npm run bench -- [--json] [--iterations N] [--styles candy,mosaic]
 *                  [--providers webgpu,cuda,cpu]   per-model ms on each provider at 640x480 and 1280x720
 *                  [--live EFFECT] [--live-target T] [--live-seconds S] [--max-sessions N] [--live-video FILE]
 *                  the live frame path (decode, pipeline, encode in the product's frame workers): fps and CPU ms per
 *                  frame for 1..N concurrent sessions (see bench-live-sessions.ts)
 *                  (EFFECT: a style id, blur-light / blur-strong, bg-dawn, ...)
 *                  [--arbitrary] [--style-picture FILE] [--arbitrary-sizes 128,192,256]   styles from any picture
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
import { createSessionWithFallback, LoadedModel, ModelRuntime, parseProviderList, type ExecutionProvider } from '../runtime/onnx.ts';
import { findModel, resolveModelPath } from '@deepphoto/models';
import { TemporalBlender } from '../pipeline/temporal.ts';
import { BackgroundLibrary } from '../styles/backgrounds.ts';
import { BLUR_STRENGTHS } from '@deepphoto/shared';
import { BlurRenderer, PictureRenderer } from '../pipeline/effect-stage.ts';
import { Resampler } from '../pipeline/resample.ts';
import { workingSize } from '../pipeline/stylize.ts';
import { quietLogger } from '../context.ts';
import { benchArbitrary } from './bench-arbitrary.ts';
import { syntheticFrame } from './synthetic-scene.ts';
import { benchLiveSessions, DEFAULT_BENCH_VIDEO } from './bench-live-sessions.ts';
import type { Target } from '@deepphoto/shared';
import { readRuntimeConfig } from '../config/config.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    iterations: { type: 'string', default: '15' },
    styles: { type: 'string' },
    providers: { type: 'string' },
    live: { type: 'string' },
    'live-seconds': { type: 'string', default: '6' },
    'max-sessions': { type: 'string', default: '4' },
    'live-target': { type: 'string', default: 'background' },
    'live-video': { type: 'string' },
    'skip-stages': { type: 'boolean', default: false },
    arbitrary: { type: 'boolean', default: false },
    'style-picture': { type: 'string', default: '../shared/data/style-images/munch-scream.jpg' },
    'arbitrary-sizes': { type: 'string', default: '160,192,256' },
  },
});
const iterations = Math.max(3, Number(values.iterations));

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

const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger });
const results: Record<string, unknown> = {};
const sizes = [
  { width: 320, height: 240 },
  { width: 640, height: 480 },
];

if (!values['skip-stages']) await benchStages();
if (values.providers) results.providers = await benchProviders(values.providers.split(',').map((p) => p.trim()) as ExecutionProvider[]);
if (values.live) {
  results.live = await benchLiveSessions({
    effect: values.live,
    target: values['live-target'] as Target,
    seconds: Number(values['live-seconds']),
    maxSessions: Number(values['max-sessions']),
    video: values['live-video'] ?? DEFAULT_BENCH_VIDEO,
    width: 640,
    height: 480,
    frames: 150,
  });
}
if (values.arbitrary) {
  results.arbitrary = await benchArbitrary({
    time,
    frame: syntheticFrame,
    stylePicture: values['style-picture'],
    liveSeconds: Number(values['live-seconds']),
    liveSizes: values['arbitrary-sizes'].split(',').map(Number),
  });
}

async function benchStages(): Promise<void> {
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
  await benchEffects(frame, out, composited);
  // Temporal blend of the styled frame (weights at the 256 px working size, blend at frame size), every pixel still.
  const small = syntheticFrame(256, Math.round((256 * size.height) / size.width / 4) * 4);
  const blender = new TemporalBlender();
  let t = 0;
  results[`temporal.${size.width}x${size.height}`] = await time(() => blender.apply(small, composited, 'bench', (t += 33)));
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
}

/**
 * Blur and background picture per frame, after segmentation (which they share with the styles): as the live path
 * runs them — the renderer at the 256 px working size, upsampled to the frame, then the composite at frame size —
 * and, for blur, computed at full frame size (what a GPU-size working resolution would cost).
 */
async function benchEffects(frame: RgbImage, maskFull: ReturnType<typeof createMask>, composited: RgbImage): Promise<void> {
  const { width, height } = frame;
  const label = `${width}x${height}`;
  const small = workingSize(frame, 256, 4);
  const frameSmall = createRgbImage(small.width, small.height);
  new Resampler({ srcWidth: width, srcHeight: height, dstWidth: small.width, dstHeight: small.height, channels: 3 }).resize(frame.data, 'HWC', frameSmall.data, 'HWC');
  const maskSmall = createMask(small.width, small.height);
  new Resampler({ srcWidth: width, srcHeight: height, dstWidth: small.width, dstHeight: small.height, channels: 1 }).resize(maskFull.data, 'HWC', maskSmall.data, 'HWC');
  for (const strength of Object.keys(BLUR_STRENGTHS) as (keyof typeof BLUR_STRENGTHS)[]) {
    const live = new BlurRenderer(BLUR_STRENGTHS[strength], 'background');
    results[`effect.blur-${strength}.${label}`] = await time(() => composite(frame, live.render(frameSmall, maskSmall, width, height), maskFull, 'background', composited));
    const full = new BlurRenderer(BLUR_STRENGTHS[strength], 'background');
    results[`effect.blur-${strength}.${label}.fullSize`] = await time(() => composite(frame, full.render(frame, maskFull, width, height), maskFull, 'background', composited));
  }
  const picture = new PictureRenderer(await new BackgroundLibrary().load('dawn'));
  results[`effect.image.${label}`] = await time(() => composite(frame, picture.render(frameSmall, maskSmall, width, height), maskFull, 'background', composited));
}

/** Each model on each provider alone (no CPU fallback), at the sizes a GPU would run live: ms per run. */
async function benchProviders(providers: ExecutionProvider[]): Promise<Record<string, unknown>> {
  parseProviderList(providers.join(',')); // validates names
  const out: Record<string, unknown> = {};
  const modelIds = ['selfie-general', ...(values.styles ? values.styles.split(',') : modelsByTask('style').map((m) => m.id))];
  for (const provider of providers) {
    const perModel: Record<string, unknown> = {};
    for (const id of modelIds) {
      const entry = findModel(id);
      if (!entry) continue;
      let model: LoadedModel;
      try {
        const choice = await createSessionWithFallback(await resolveModelPath(entry), [provider], { logger: quietLogger, label: id });
        model = new LoadedModel(entry, choice.session, provider);
      } catch (error) {
        perModel[id] = { unavailable: (error as Error).message };
        continue;
      }
      const shapes: Record<string, number[]> =
        entry.task === 'segmentation'
          ? { native: entry.io.input.shape }
          : { '640x480': [1, 3, 480, 640], '1280x720': [1, 3, 720, 1280] };
      const timed: Record<string, unknown> = {};
      for (const [label, dims] of Object.entries(shapes)) {
        const input = new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5);
        timed[label] = await time(() => model.run(input, dims));
      }
      perModel[id] = timed;
      await model.dispose();
    }
    out[provider] = perModel;
  }
  return out;
}

await runtime.close();

const report = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, ortThreads: readRuntimeConfig().threads },
  iterations,
  stages: results,
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(50)} ${JSON.stringify(v)}`);
