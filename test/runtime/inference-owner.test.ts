/**
 * One inference owner per GPU, for real on the WebGPU provider (Mesa lavapipe; see webgpu.test.ts): sessions in
 * their own threads, each with its port to the owner handed over in its init the way frame workers get theirs,
 * stylize different pictures at once through the pipeline's Stylizer; the owner batches their frames. Each output
 * must equal the same picture stylized alone (unbatched, in this thread, on webgpu), whatever it was batched with.
 * Small pictures (the quality `mosaic` teacher at 64x48): lavapipe takes ~seconds per full-size frame.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger } from '../../server/src/context.ts';
import { WorkerThread } from '../../server/src/core/worker.ts';
import { Stylizer } from '../../server/src/pipeline/stylize.ts';
import { InferenceClient, RemoteModel } from '../../server/src/runtime/inference-client.ts';
import { InferenceOwner, liveInferenceOwners, wantsInferenceOwner } from '../../server/src/runtime/inference-owner.ts';
import { ModelRuntime } from '../../server/src/runtime/onnx.ts';
import { personPhoto } from '../support/photo.ts';
import type { RemoteStyleSessionProtocol } from '../support/remote-style-session.ts';

const MODEL = 'mosaic';
const WIDTH = 64;
const HEIGHT = 48;
/** Byte levels (0..255) a batched output may differ from the same picture alone: measured 0; 1 allows rounding. */
const TOLERANCE = 1;
const SESSION_ENTRY = new URL('../support/remote-style-session.ts', import.meta.url);

process.env.XDG_RUNTIME_DIR ??= '/tmp';

/** Different pictures: crops of a portrait at `WIDTH`x`HEIGHT`. */
async function pictures(count: number): Promise<Uint8Array[]> {
  const photo = await personPhoto();
  const out: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const crop = { left: k * 25, top: k * 12, width: photo.width - 80, height: photo.height - 40 };
    const rgb = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).extract(crop).resize(WIDTH, HEIGHT, { fit: 'fill' }).raw().toBuffer();
    out.push(new Uint8Array(rgb));
  }
  return out;
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function startSession(owner: InferenceOwner, faultInjection = false): Promise<WorkerThread<RemoteStyleSessionProtocol>> {
  const port = owner.connect();
  if (!port) throw new Error('owner is closed');
  return WorkerThread.start<RemoteStyleSessionProtocol>({ name: 'test style session', entry: SESSION_ENTRY, init: { port, modelId: MODEL }, initTransfer: [port], faultInjection });
}

let alone: Stylizer;
let runtime: ModelRuntime;
let inputs: Uint8Array[];
/** Each picture stylized alone (unbatched model, this thread, webgpu): what every batched output must equal. */
let expected: Uint8Array[];

beforeAll(async () => {
  runtime = new ModelRuntime({ logger: quietLogger, providers: { style: ['webgpu'] }, threads: 1 });
  const model = await runtime.load(MODEL).catch((error: unknown) => {
    throw new Error(`no WebGPU adapter: install the test dependencies (npm run setup adds mesa-vulkan-drivers >= 25)\n${String(error)}`);
  });
  expect(model.provider).toBe('webgpu');
  alone = new Stylizer(model);
  inputs = await pictures(3);
  expected = [];
  for (const picture of inputs) {
    const out = { width: WIDTH, height: HEIGHT, data: new Uint8Array(WIDTH * HEIGHT * 3) };
    await alone.stylize({ width: WIDTH, height: HEIGHT, data: picture }, out, WIDTH);
    expected.push(out.data);
  }
  // The pictures differ, so equal outputs below mean each frame got its own picture back.
  expect(maxAbsDiff(expected[0]!, expected[1]!)).toBeGreaterThan(20);
}, 180_000);
afterAll(() => runtime?.close());

describe('InferenceOwner on webgpu (lavapipe)', () => {
  it('asks for an owner only when the style providers name a GPU, and never runs one on cpu', () => {
    expect(wantsInferenceOwner(['cpu'])).toBe(false);
    expect(wantsInferenceOwner(['webgpu', 'cpu'])).toBe(true);
    expect(() => new InferenceOwner({ providers: ['cpu'] })).toThrow(/no GPU provider/);
  });

  it('serves three sessions in three threads from one model load, batching their frames; each output equals its picture alone', async () => {
    const owner = new InferenceOwner({ providers: ['webgpu', 'cpu'], threads: 1 });
    expect(owner.running).toBe(false); // nothing starts before a session connects
    const sessions = await Promise.all(inputs.map(() => startSession(owner)));
    try {
      const frames = 4;
      const replies = await Promise.all(sessions.map((s, k) => s.request({ picture: inputs[k]!, width: WIDTH, height: HEIGHT, frames })));
      const diffs = replies.map((reply, k) => Math.max(...reply.outputs.map((o) => maxAbsDiff(o, expected[k]!))));
      const stats = await owner.stats();
      console.log(`owner: ${JSON.stringify(stats)}; batch sizes per session ${JSON.stringify(replies.map((r) => r.batches))}; max abs diff per session ${diffs.join(', ')}`);
      for (const diff of diffs) expect(diff).toBeLessThanOrEqual(TOLERANCE);
      expect(stats.loads).toBe(1);
      expect(stats.sessionsConnected).toBe(3);
      const served = stats.models[MODEL]!;
      expect(served.provider).toBe('webgpu');
      expect(served.frames).toBe(3 * frames);
      expect(served.maxBatch).toBeGreaterThan(1);
      expect(served.runs).toBeLessThan(3 * frames);
    } finally {
      await Promise.allSettled(sessions.map((s) => s.close()));
      await owner.close();
    }
    expect(liveInferenceOwners()).toBe(0);
  }, 240_000);

  it('a session that crashes mid-stream does not disturb the other session\'s frames; the owner forgets it', async () => {
    const owner = new InferenceOwner({ providers: ['webgpu'], threads: 1 });
    const [steady, doomed] = await Promise.all([startSession(owner), startSession(owner, true)]);
    try {
      const steadyFrames = steady.request({ picture: inputs[0]!, width: WIDTH, height: HEIGHT, frames: 6 });
      const doomedFrames = doomed.request({ picture: inputs[1]!, width: WIDTH, height: HEIGHT, frames: 6 });
      doomedFrames.catch(() => undefined);
      // Crash it while its frames are in the owner's queue or batch.
      await new Promise((r) => setTimeout(r, 50));
      doomed.injectCrash();
      await expect(doomedFrames).rejects.toThrow(/crashed|exited/);
      const reply = await steadyFrames;
      expect(reply.outputs).toHaveLength(6);
      for (const output of reply.outputs) expect(maxAbsDiff(output, expected[0]!)).toBeLessThanOrEqual(TOLERANCE);
      // The owner still serves: a new session after the crash gets its picture right.
      const late = await startSession(owner);
      const after = await late.request({ picture: inputs[2]!, width: WIDTH, height: HEIGHT, frames: 1 });
      expect(maxAbsDiff(after.outputs[0]!, expected[2]!)).toBeLessThanOrEqual(TOLERANCE);
      const stats = await owner.stats();
      expect(stats.sessionsServed).toBe(3);
      expect(stats.sessionsConnected).toBe(2); // the crashed one's port closed
      expect(stats.loads).toBe(1);
      await late.close();
    } finally {
      await Promise.allSettled([steady.close(), doomed.close()]);
      await owner.close();
    }
  }, 240_000);

  it('closing the owner ends its thread and fails the sessions\' requests with a clear error; close() is idempotent', async () => {
    const owner = new InferenceOwner({ providers: ['webgpu'], threads: 1 });
    const port = owner.connect()!;
    const client = new InferenceClient(port);
    const model = await RemoteModel.load(client, MODEL);
    expect(model.provider).toBe('webgpu');
    expect(liveInferenceOwners()).toBe(1);
    await owner.close();
    await owner.close();
    expect(liveInferenceOwners()).toBe(0);
    expect(owner.connect()).toBeUndefined();
    await expect(new Stylizer(model).stylize({ width: WIDTH, height: HEIGHT, data: inputs[0]! }, { width: WIDTH, height: HEIGHT, data: new Uint8Array(WIDTH * HEIGHT * 3) }, WIDTH)).rejects.toThrow(/inference owner is gone/);
    client.close();
  }, 120_000);

  it('an owner that crashes fails its sessions\' requests with a clear error (their frames then pass through) and takes no new ones', async () => {
    const owner = new InferenceOwner({ providers: ['webgpu'], threads: 1, faultInjection: true });
    const client = new InferenceClient(owner.connect()!);
    try {
      const model = await RemoteModel.load(client, MODEL);
      const stylizer = new Stylizer(model);
      const out = { width: WIDTH, height: HEIGHT, data: new Uint8Array(WIDTH * HEIGHT * 3) };
      await stylizer.stylize({ width: WIDTH, height: HEIGHT, data: inputs[0]! }, out, WIDTH);
      await owner.injectCrash();
      await new Promise((r) => setTimeout(r, 500));
      expect(liveInferenceOwners()).toBe(0);
      await expect(stylizer.stylize({ width: WIDTH, height: HEIGHT, data: inputs[0]! }, out, WIDTH)).rejects.toThrow(/inference owner is gone/);
      // A session that starts after the crash is refused at load (it then takes the CPU tier).
      const late = new InferenceClient(owner.connect()!);
      await expect(late.load(MODEL)).rejects.toThrow(/inference owner is gone/);
      late.close();
    } finally {
      client.close();
      await owner.close();
    }
  }, 120_000);

  it('answers a malformed run with a clear error and keeps serving', async () => {
    const owner = new InferenceOwner({ providers: ['webgpu'], threads: 1 });
    const client = new InferenceClient(owner.connect()!);
    try {
      await client.load(MODEL);
      const input = new SharedArrayBuffer(3 * 8 * 8 * 4);
      await expect(client.run(MODEL, input, [1, 3, 8, 8], new SharedArrayBuffer(4))).rejects.toThrow(/output must hold 192 values/);
      await expect(client.run(MODEL, input, [2, 3, 8, 4], new SharedArrayBuffer(input.byteLength))).rejects.toThrow(/one frame per message/);
      await expect(client.load('no-such-model')).rejects.toThrow(/unknown model/);
      expect((await client.run(MODEL, input, [1, 3, 8, 8], new SharedArrayBuffer(input.byteLength))).batch).toBe(1);
    } finally {
      client.close();
      await owner.close();
    }
  }, 120_000);
});
