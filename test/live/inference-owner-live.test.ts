/**
 * The live path on a GPU, for real on the WebGPU provider (Mesa lavapipe; see test/runtime/webgpu.test.ts): with
 * the style providers naming a GPU, the SessionManager starts one inference owner, every session's frame worker
 * (the real pipeline) gets a port to it, and the quality style net runs there, loaded once and batched across
 * sessions. Closing one session leaves the other's frames alone; closing the server ends the owner's thread.
 * Small frames (160x120 camera, 64 px working size): lavapipe takes ~seconds per full-size frame.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProcessingConfig } from '../../server/src/config/config.ts';
import { createVp8Decoder, createVp8Encoder } from '../../server/src/live/codec/node-av.ts';
import { liveFrameWorkerCount, type EncodedOutput, type FrameWorker } from '../../server/src/live/frame-worker-client.ts';
import { RecordingStore } from '../../server/src/live/recording-store.ts';
import type { Session } from '../../server/src/live/session.ts';
import { SessionManager } from '../../server/src/live/session-manager.ts';
import { createRgbImage, type RgbImage } from '../../server/src/pipeline/image.ts';
import { PIPELINE_PROCESSOR_MODULE } from '../../server/src/pipeline/processor.ts';
import { InferenceClient, RemoteModel } from '../../server/src/runtime/inference-client.ts';
import { liveInferenceOwners, type InferenceOwner } from '../../server/src/runtime/inference-owner.ts';
import { personPhoto } from '../support/photo.ts';

process.env.XDG_RUNTIME_DIR ??= '/tmp';

const WIDTH = 160;
const HEIGHT = 120;

async function camera(k: number): Promise<RgbImage> {
  const photo = await personPhoto();
  const crop = { left: k * 30, top: k * 15, width: photo.width - 60, height: photo.height - 30 };
  const data = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).extract(crop).resize(WIDTH, HEIGHT, { fit: 'fill' }).raw().toBuffer();
  return { width: WIDTH, height: HEIGHT, data: new Uint8Array(data) };
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

/** A session's frame worker (private in Session; the peer feeds it in the product). */
function workerOf(session: Session): FrameWorker {
  return (session as unknown as { worker: FrameWorker }).worker;
}

/** What one session's camera sends and gets back. */
class Call {
  readonly outputs: EncodedOutput[] = [];
  readonly errors: string[] = [];
  private readonly encoder = createVp8Encoder();
  private sent = 0;

  constructor(
    readonly worker: FrameWorker,
    readonly picture: RgbImage,
  ) {
    worker.on('encoded', (o) => this.outputs.push(o));
    worker.on('frame-error', (m) => this.errors.push(m));
  }

  send(): void {
    const f = this.sent++;
    for (const frame of this.encoder.encode(this.picture, f * 33, f === 0)) this.worker.pushFrame(frame.data, f * 3000, f * 33, performance.now(), frame.keyframe);
  }

  /** The last output, decoded. */
  lastPicture(): RgbImage {
    const decoder = createVp8Decoder();
    const out = createRgbImage(WIDTH, HEIGHT);
    for (const o of this.outputs) if (decoder.decode(o.data)) decoder.read(out);
    decoder.close();
    return out;
  }

  close(): void {
    this.encoder.close();
  }
}

/**
 * Keeps the owner's GPU busy with larger frames of another caller (as many calls would), so that frames the two
 * sessions send meanwhile queue and run together. Alone, two sessions on a fast GPU rarely send at the same instant.
 */
async function keepBusy(owner: InferenceOwner, stop: { done: boolean }): Promise<number> {
  const client = new InferenceClient(owner.connect()!);
  const model = await RemoteModel.load(client, 'mosaic');
  const input = model.allocateInput(3 * 72 * 96);
  let runs = 0;
  while (!stop.done) {
    await model.run(input, [1, 3, 72, 96]);
    runs++;
  }
  client.close();
  return runs;
}

async function until(condition: () => boolean, timeoutMs: number, tick: () => void): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) {
    tick();
    await new Promise((r) => setTimeout(r, 150));
  }
}

let dir: string;
let store: RecordingStore;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-owner-'));
  store = new RecordingStore({ dir });
  await store.init();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('live sessions on webgpu share one inference owner', () => {
  it('two sessions style their frames through one model load with batches > 1; one closing leaves the other running; closing the server ends the owner', async () => {
    const config = readProcessingConfig({ DEEPPHOTO_EP_STYLE: 'webgpu', DEEPPHOTO_EP_SEGMENTATION: 'cpu', DEEPPHOTO_EP_STYLE_TRANSFER: 'cpu', DEEPPHOTO_EP_STYLE_PREDICT: 'cpu', DEEPPHOTO_LIVE_THREADS: '1' });
    const manager = new SessionManager({ maxSessions: 2, processorModule: PIPELINE_PROCESSOR_MODULE, processorConfig: config, workingWidth: 64, store, connectTimeoutMs: 600_000 }); // no peer connects here
    const owner = (manager as unknown as { inference: InferenceOwner }).inference;
    expect(owner).toBeDefined();
    expect(liveInferenceOwners()).toBe(0); // started by the first session, not by the server
    const calls: Call[] = [];
    try {
      const sessions = await Promise.all([manager.create({ style: 'mosaic', target: 'whole' }, 'a'), manager.create({ style: 'mosaic', target: 'whole' }, 'b')]);
      expect(liveInferenceOwners()).toBe(1);
      for (const [k, session] of sessions.entries()) calls.push(new Call(workerOf(session), await camera(k)));
      const [first, second] = calls as [Call, Call];
      const stop = { done: false };
      const busy = keepBusy(owner, stop);
      await until(() => calls.every((c) => c.outputs.length >= 4), 90_000, () => calls.forEach((c) => c.send()));
      stop.done = true;
      const busyRuns = await busy;
      const stats = await owner.stats();
      console.log(`owner after two sessions: ${JSON.stringify(stats)}; outputs ${calls.map((c) => c.outputs.length).join(', ')}; 96x72 runs beside them ${busyRuns}`);
      expect(stats.loads).toBe(1); // the quality net, once for both sessions (and the third caller)
      expect(stats.sessionsServed).toBe(3);
      const served = stats.models.mosaic!;
      expect(served.provider).toBe('webgpu');
      expect(served.maxBatch).toBeGreaterThan(1);
      for (const call of calls) {
        expect(call.errors).toEqual([]);
        // Styled, not passed through (a per-frame error would pass the camera picture through).
        expect(meanAbsDiff(call.lastPicture(), call.picture)).toBeGreaterThan(15);
      }

      // One call ends mid-stream: the other's frames keep coming, styled.
      const framesBefore = served.frames;
      const secondBefore = second.outputs.length;
      await sessions[0]!.close('test');
      await until(() => second.outputs.length >= secondBefore + 4, 60_000, () => second.send());
      expect(second.outputs.length).toBeGreaterThanOrEqual(secondBefore + 4);
      expect(second.errors).toEqual([]);
      expect(meanAbsDiff(second.lastPicture(), second.picture)).toBeGreaterThan(15);
      const after = await owner.stats();
      expect(after.sessionsConnected).toBe(1);
      expect(after.models.mosaic!.frames).toBeGreaterThan(framesBefore);
      expect(first.errors).toEqual([]);
    } finally {
      calls.forEach((c) => c.close());
      await manager.closeAll();
    }
    expect(liveInferenceOwners()).toBe(0);
    expect(liveFrameWorkerCount()).toBe(0);
  }, 240_000);

  it('on CPU providers the server starts no inference owner (each session keeps its own style thread)', () => {
    const manager = new SessionManager({ maxSessions: 1, processorModule: PIPELINE_PROCESSOR_MODULE, processorConfig: readProcessingConfig({}), store });
    expect((manager as unknown as { inference: InferenceOwner | undefined }).inference).toBeUndefined();
    return manager.closeAll();
  });
});
