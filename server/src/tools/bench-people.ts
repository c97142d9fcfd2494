/**
 * npm run bench:people -- [--json] [--iterations N] [--live-seconds S] [--style mosaic]
 *
 * Person selection on this machine, per 640x480 frame of two people (the project's clip and its mirror side by
 * side, made with ffmpeg):
 *  - detection (BlazeFace full- and short-range, letterbox + model + decode/NMS), on the frame and on the 256 px
 *    working image the live path uses;
 *  - split (geodesic growth over the person mask) at working size and at 640x480; tracking (one update);
 *  - the live stage as it runs (detect every 3rd frame, track between, split, select), amortised per frame;
 *  - the live pipeline in process (no codec, no browser) with the left person selected vs `background`: fps.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { quietLogger } from '../context.ts';
import { median } from '../eval/metrics.ts';
import { FaceDetector } from '../instances/face-detector.ts';
import { LivePeople } from '../instances/live-people.ts';
import { DEFAULT_SPLIT, InstanceSplitter } from '../instances/split.ts';
import { FaceTracker } from '../instances/tracker.ts';
import { createMask, createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { LivePipeline } from '../pipeline/live-pipeline.ts';
import { chooseLiveTier } from '../pipeline/live-processor.ts';
import { PersonMasker } from '../pipeline/person-mask.ts';
import { ResamplerCache } from '../pipeline/resample.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { StyleCatalog } from '../styles/catalog.ts';
import { TWO_PEOPLE_STILL_FILTER } from './two-people.ts';
import { readProcessingConfig, readRuntimeConfig } from '../config/config.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    iterations: { type: 'string', default: '20' },
    'live-seconds': { type: 'string', default: '8' },
    style: { type: 'string', default: 'mosaic' },
    clip: { type: 'string', default: join(process.cwd(), '../shared/data/video/liveportrait_s18_upperbody.mp4') },
  },
});
const iterations = Math.max(3, Number(values.iterations));

async function time(fn: () => unknown | Promise<unknown>): Promise<{ medianMs: number; p90Ms: number; n: number }> {
  for (let i = 0; i < 2; i++) await fn();
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

function twoPeopleFrame(): { frame: RgbImage; source: string } {
  // bench.ts runs its benchmark on import, so there is no shared synthetic frame to borrow: the clip is required.
  if (!existsSync(values.clip)) throw new Error(`${values.clip}: the two-person frame is made from this clip (--clip FILE)`);
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', '2', '-i', values.clip, '-frames:v', '1', '-filter_complex', TWO_PEOPLE_STILL_FILTER, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 8 << 20 });
  return { frame: { width: 640, height: 480, data: new Uint8Array(raw) }, source: 'clip + mirror, 640x480' };
}

const results: Record<string, unknown> = {};
const { frame, source } = twoPeopleFrame();
const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger, threads: 1 });
const small = createRgbImage(256, 192);
new ResamplerCache().get({ srcWidth: 640, srcHeight: 480, dstWidth: 256, dstHeight: 192, channels: 3 }).resize(frame.data, 'HWC', small.data, 'HWC');

for (const id of ['face-full', 'face-short'] as const) {
  const detector = await FaceDetector.create(runtime, id);
  results[`detect.${id}.640x480`] = { ...(await time(() => detector.detect(frame))), faces: (await detector.detect(frame)).length };
  results[`detect.${id}.256x192`] = { ...(await time(() => detector.detect(small))), faces: (await detector.detect(small)).length };
}

const detector = await FaceDetector.create(runtime, 'face-full');
const masker = await PersonMasker.create(runtime);
for (const image of [small, frame]) {
  const mask = createMask(image.width, image.height);
  await masker.mask(image, mask);
  const faces = await detector.detect(image);
  const labels = new Uint8Array(image.width * image.height);
  const splitter = new InstanceSplitter();
  results[`split.${image.width}x${image.height}`] = await time(() => splitter.split(mask, faces, labels, DEFAULT_SPLIT));
}
{
  const faces = await detector.detect(frame);
  const tracker = new FaceTracker();
  let t = 0;
  results['track.update'] = await time(() => tracker.update(faces, (t += 33)));
}
{
  const people = await LivePeople.create(runtime);
  const mask = createMask(small.width, small.height);
  await masker.mask(small, mask);
  const work = createMask(small.width, small.height);
  let t = 0;
  const stage = await time(async () => {
    work.data.set(mask.data);
    await people.apply(small, work, (t += 33), [1], false);
  });
  results['livePeopleStage.256x192.perFrame'] = { ...stage, note: 'detect every 3rd frame, track + split + select every frame' };
}
await runtime.close();

/** The pipeline in process at 640x480: fps for `target` (the left person selected when people). */
async function liveFps(target: 'people' | 'background'): Promise<Record<string, unknown>> {
  const liveRuntime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger, threads: 1 });
  const catalog = await StyleCatalog.discover({}, () => {});
  const tier = await chooseLiveTier(liveRuntime, catalog, values.style, readProcessingConfig());
  const pipeline = await LivePipeline.create(liveRuntime, catalog, { style: values.style, target, ...tier });
  const out = createRgbImage(640, 480);
  let t = 0;
  for (let i = 0; i < 10; i++) await pipeline.process(frame, (t += 33.3), out); // warm-up; people get tracked
  if (target === 'people') await pipeline.update({ pick: { x: 0.25, y: 0.75 } });
  const seconds = Number(values['live-seconds']);
  const deadline = performance.now() + seconds * 1000;
  let frames = 0;
  const peopleMs: number[] = [];
  while (performance.now() < deadline) {
    const timings = await pipeline.process(frame, (t += 33.3), out);
    if (timings.peopleMs !== undefined) peopleMs.push(timings.peopleMs);
    frames++;
  }
  const effect = pipeline.effect;
  pipeline.close();
  await liveRuntime.close();
  return {
    target,
    selected: effect.people,
    fps: Math.round((frames / seconds) * 10) / 10,
    ...(peopleMs.length ? { peopleStageMsMedian: Math.round(median(peopleMs) * 100) / 100 } : {}),
    workingLongSide: tier.workingLongSide,
  };
}
// Alternated, so that a change in the (shared) machine's load between the runs shows instead of skewing one side.
results['live.background'] = await liveFps('background');
results['live.people'] = await liveFps('people');
results['live.background.again'] = await liveFps('background');
results['live.people.again'] = await liveFps('people');

const report = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: loadavg().map((v) => Math.round(v * 100) / 100) },
  frame: source,
  style: values.style,
  results,
};
if (values.json) console.log(JSON.stringify(report, null, 2));
else for (const [k, v] of Object.entries(results)) console.log(k.padEnd(36), JSON.stringify(v));
