/**
 * npm run bench:owner -- [--provider webgpu] [--style mosaic] [--size 640x480] [--sessions 1,2,4] [--seconds 10] [--json]
 *
 * The live path's GPU style stage end to end: one InferenceOwner thread (the process's one per GPU), N sessions
 * each sending frames back to back through its own port (the pipeline's Stylizer over a RemoteModel: layout
 * conversions, SharedArrayBuffers, messages, batching), for `seconds` each, once with batching (max 8 frames per
 * run) and once without (max 1). Reports frames/s per session and in all, and the mean batch. Sessions here share
 * this thread (a session's other work is not what is measured); `bench:gpu` gives the model's own ms per batch.
 */
import { parseArgs } from 'node:util';
import { Stylizer } from '../pipeline/stylize.ts';
import { InferenceClient, RemoteModel } from '../runtime/inference-client.ts';
import { InferenceOwner } from '../runtime/inference-owner.ts';
import { parseProviderList } from '../runtime/providers.ts';

const { values } = parseArgs({
  options: {
    provider: { type: 'string', default: 'webgpu' },
    style: { type: 'string', default: 'mosaic' },
    size: { type: 'string', default: '640x480' },
    sessions: { type: 'string', default: '1,2,4' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const providers = parseProviderList(values.provider).filter((p) => p !== 'cpu');
if (providers.length === 0) throw new TypeError('--provider must name a GPU provider (webgpu, cuda, tensorrt)');
const [width, height] = values.size.split('x').map(Number) as [number, number];
if (!(width > 0 && height > 0)) throw new TypeError(`--size must be WIDTHxHEIGHT, got ${values.size}`);
const sessionCounts = values.sessions.split(',').map(Number);
const seconds = Math.max(1, Number(values.seconds));

/** A frame-like picture (gradients), different per session. */
function picture(k: number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919 + k * 97) % 256;
  return data;
}

interface Run {
  sessions: number;
  maxBatch: number;
  framesPerSecondPerSession: number[];
  framesPerSecond: number;
  meanBatch: number;
  modelRuns: number;
}

async function measure(sessions: number, maxBatch: number): Promise<Run> {
  const owner = new InferenceOwner({ providers, maxBatch });
  const clients: InferenceClient[] = [];
  try {
    const stylizers: Stylizer[] = [];
    for (let k = 0; k < sessions; k++) {
      const client = new InferenceClient(owner.connect()!);
      clients.push(client);
      stylizers.push(new Stylizer(await RemoteModel.load(client, values.style)));
    }
    const run = async (stylizer: Stylizer, k: number, until: number): Promise<number> => {
      const input = { width, height, data: picture(k) };
      const out = { width, height, data: new Uint8Array(width * height * 3) };
      let frames = 0;
      while (performance.now() < until) {
        await stylizer.stylize(input, out, Math.max(width, height));
        frames++;
      }
      return frames;
    };
    // Warm-up: each batch size's first run compiles shaders and allocates.
    await Promise.all(stylizers.map((s, k) => run(s, k, performance.now() + 2000)));
    const before = (await owner.stats()).models[values.style]!;
    const started = performance.now();
    const frames = await Promise.all(stylizers.map((s, k) => run(s, k, started + seconds * 1000)));
    const elapsed = (performance.now() - started) / 1000;
    const after = (await owner.stats()).models[values.style]!;
    const round = (v: number) => Math.round(v * 100) / 100;
    const runs = after.runs - before.runs;
    return {
      sessions,
      maxBatch,
      framesPerSecondPerSession: frames.map((f) => round(f / elapsed)),
      framesPerSecond: round(frames.reduce((a, b) => a + b, 0) / elapsed),
      meanBatch: round((after.frames - before.frames) / Math.max(1, runs)),
      modelRuns: runs,
    };
  } finally {
    clients.forEach((c) => c.close());
    await owner.close();
  }
}

const results: Run[] = [];
for (const n of sessionCounts) {
  for (const maxBatch of [8, 1]) {
    const r = await measure(n, maxBatch);
    results.push(r);
    if (!values.json) console.log(`${n} session(s), max batch ${maxBatch}: ${r.framesPerSecond} frames/s in all (${r.framesPerSecondPerSession.join(', ')} per session), mean batch ${r.meanBatch}`);
  }
}
if (values.json) console.log(JSON.stringify({ provider: providers[0], style: values.style, size: `${width}x${height}`, seconds, results }, null, 2));
