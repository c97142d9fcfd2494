/**
 * Worker thread of one session: decode → process → encode. Synchronous native codec calls and the processor
 * never block the main event loop. Every frame is decoded (VP8 frames depend on each other); processing goes
 * through a flow limiter (one in flight, newest wins), deferred with setImmediate so that frames queued while
 * one was processed are decoded first and only the newest is processed.
 */
import { serveThread, type ThreadContext } from '../core/worker.ts';
import { createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { createVp8Decoder, createVp8Encoder } from './codec/node-av.ts';
import type { EncodedFrame, VideoDecoder, VideoEncoder } from './codec/types.ts';
import { FlowLimiter } from './flow-limiter.ts';
import { ZERO_TIMINGS, type FrameProcessor, type ProcessorModule } from '../pipeline/processor.ts';
import type { SessionTimings } from '@deepphoto/shared';
import type { FrameWorkerProtocol } from './worker-messages.ts';

interface Slot {
  image: RgbImage;
  /** The frame at the processor's working size (scaled by the decoder), when the processor wants one. */
  small: RgbImage | undefined;
  rtpTimestamp: number;
  /** Capture time from the RTP timestamp, ms, increasing. */
  timestampMs: number;
  receivedAt: number;
  decodeMs: number;
}

let emit: ThreadContext<FrameWorkerProtocol>['emit'];

function post(message: FrameWorkerProtocol['event'], transfer?: ArrayBuffer[]): void {
  emit(message, transfer);
}

let processor: FrameProcessor;
let decoder: VideoDecoder;
let encoder: VideoEncoder;

let output: RgbImage = createRgbImage(2, 2);
let forceKeyframe = true;
let lastFrameError = 0;
let closing = false;
const emptySlot = (): Slot => ({ image: createRgbImage(2, 2), small: undefined, rtpTimestamp: 0, timestampMs: 0, receivedAt: 0, decodeMs: 0 });

const limiter = new FlowLimiter<Slot>([emptySlot(), emptySlot(), emptySlot()], (slot) => new Promise<void>((resolve, reject) => {
  setImmediate(() => {
    processAndEncode(slot).then(resolve, reject);
  });
}), (error) => post({ type: 'frame-error', message: String(error) }));

async function processAndEncode(slot: Slot): Promise<void> {
  if (closing) return;
  const input = slot.image;
  if (output.width !== input.width || output.height !== input.height) output = createRgbImage(input.width, input.height);
  const t0 = performance.now();
  let timings;
  try {
    timings = await processor.process(input, slot.timestampMs, output, slot.small);
  } catch (error) {
    // A per-frame error passes the frame through; it never kills the stream.
    output.data.set(input.data);
    timings = ZERO_TIMINGS;
    const now = performance.now();
    if (now - lastFrameError > 1000) {
      lastFrameError = now;
      post({ type: 'frame-error', message: error instanceof Error ? error.message : String(error) });
    }
  }
  if (closing) return;
  const t1 = performance.now();
  const frames = encoder.encode(output, slot.timestampMs, forceKeyframe);
  const t2 = performance.now();
  postEncoded(frames, slot, output, { ...timings, decodeMs: slot.decodeMs, processMs: t1 - t0, encodeMs: t2 - t1 });
}

function postEncoded(frames: EncodedFrame[], source: Pick<Slot, 'rtpTimestamp' | 'receivedAt'>, size: { width: number; height: number }, timings: SessionTimings): void {
  for (const f of frames) {
    if (f.keyframe) forceKeyframe = false;
    const data = f.data.buffer as ArrayBuffer;
    post(
      {
        type: 'encoded',
        data,
        keyframe: f.keyframe,
        rtpTimestamp: source.rtpTimestamp,
        receivedAt: source.receivedAt,
        width: size.width,
        height: size.height,
        timings,
        dropped: limiter.dropped,
      },
      [data],
    );
  }
}

/**
 * Pass-through (target `none`): the decoded picture goes straight back into the encoder in its own pixel format,
 * with no RGB conversion either way and no processing. Only while nothing is queued, so that frames never overtake
 * a processed one. Returns false when the codecs cannot do it (the frame then takes the normal path).
 */
function passThrough(message: Extract<FrameWorkerProtocol['message'], { type: 'frame' }>, size: { width: number; height: number }, decodeMs: number): boolean {
  const t0 = performance.now();
  const frames = encoder.encodeDecoded(decoder, message.timestampMs, forceKeyframe);
  if (!frames) return false;
  postEncoded(frames, message, size, { ...ZERO_TIMINGS, decodeMs, processMs: 0, encodeMs: performance.now() - t0 });
  return true;
}

function onFrame(message: Extract<FrameWorkerProtocol['message'], { type: 'frame' }>): void {
  const t0 = performance.now();
  const size = decoder.decode(new Uint8Array(message.data));
  if (!size) return;
  if (!limiter.busy && processor.passesThrough?.() && passThrough(message, size, performance.now() - t0)) return;
  const slot = limiter.writable();
  if (slot.image.width !== size.width || slot.image.height !== size.height) slot.image = createRgbImage(size.width, size.height);
  decoder.read(slot.image);
  const working = processor.workingSize?.(size.width, size.height);
  if (working && (working.width < size.width || working.height < size.height)) {
    if (slot.small?.width !== working.width || slot.small.height !== working.height) slot.small = createRgbImage(working.width, working.height);
    decoder.read(slot.small);
  } else slot.small = undefined;
  slot.rtpTimestamp = message.rtpTimestamp;
  slot.timestampMs = message.timestampMs;
  slot.receivedAt = message.receivedAt;
  slot.decodeMs = performance.now() - t0;
  limiter.submit();
}

async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  limiter.close();
  await limiter.idle();
  try {
    processor.close();
  } finally {
    decoder.close();
    encoder.close();
  }
}

await serveThread<FrameWorkerProtocol>(async (thread) => {
  emit = thread.emit;
  const { init } = thread;
  const mod = (await import(init.processorModule)) as ProcessorModule;
  if (typeof mod.createProcessor !== 'function') throw new TypeError(`${init.processorModule} does not export createProcessor`);
  try {
    processor = await mod.createProcessor(init.processor, init.config, init.inferencePort ? { inferencePort: init.inferencePort } : {});
  } catch (error) {
    init.inferencePort?.close(); // the owner forgets a session that never started
    throw error;
  }
  decoder = createVp8Decoder();
  encoder = createVp8Encoder(init.encoder);
  return {
    message(message) {
      if (message.type === 'keyframe') {
        forceKeyframe = true;
      } else if (!closing) {
        try {
          onFrame(message);
        } catch (error) {
          post({ type: 'frame-error', message: error instanceof Error ? error.message : String(error) });
        }
      }
    },
    // Rejections (e.g. unknown_person) reach the session with their wire code (core/worker.ts serializes them).
    request: async (message) => (await processor.update(message.change)) ?? undefined,
    close,
  };
});
