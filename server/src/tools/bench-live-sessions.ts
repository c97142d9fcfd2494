/**
 * `npm run bench -- --live EFFECT`: the live frame path as the product runs it, in process, without a browser.
 *
 * Each session is a real frame worker (the product's `FrameWorker` with the real pipeline module): VP8 packets go in,
 * are decoded, processed (segmentation, style thread, mask, composite) and encoded again, and VP8 packets come out.
 * The input packets are the product's own encoder output for 640x480 frames of a clip (default: the shared upper-body
 * clip when it is beside the checkout; otherwise a moving synthetic scene), looped.
 *
 * Two figures per number of concurrent sessions:
 * - `capacityFps`: closed loop, the next packet is sent when the previous frame comes back encoded: what a session
 *   can sustain when every frame is decoded, processed and encoded (the figure "N sessions at 30 fps" is about).
 * - `cpuMsPerFrame`: process CPU time (all threads) per delivered frame: the cost that decides sessions per machine,
 *   and much less sensitive than fps to other load on the machine.
 * Stage medians come from the timings each encoded frame carries.
 */
import { existsSync } from 'node:fs';
import { median } from '../eval/metrics.ts';
import { videoFrames } from '../eval/video-frames.ts';
import { syntheticFrame } from './synthetic-scene.ts';
import type { RgbImage } from '../pipeline/image.ts';
import { createVp8Encoder } from '../live/codec/node-av.ts';
import { FrameWorker, type EncodedOutput } from '../live/frame-worker-client.ts';
import type { Target } from '@deepphoto/shared';

export const DEFAULT_BENCH_VIDEO = new URL('../../../../shared/data/video/liveportrait_s18_upperbody.mp4', import.meta.url).pathname;
import { PIPELINE_PROCESSOR_MODULE } from '../pipeline/processor.ts';
import { readProcessingConfig } from '../config/config.ts';

export interface LiveSessionsOptions {
  effect: string;
  target: Target;
  seconds: number;
  maxSessions: number;
  video: string;
  width: number;
  height: number;
  /** Frames of the clip to encode and loop. */
  frames: number;
  /** A different processor module (e.g. the built-in toy one) instead of the real pipeline. */
  processorModule?: string;
}

interface Packet {
  data: Uint8Array;
  keyframe: boolean;
}

/** Raw RGB frames of the clip (ffmpeg), or a synthetic moving scene when there is no clip. */
async function sourceFrames(options: LiveSessionsOptions): Promise<{ frames: RgbImage[]; source: string }> {
  const { width, height } = options;
  if (existsSync(options.video)) {
    const frames: RgbImage[] = [];
    for await (const frame of videoFrames(options.video, { width, height, fps: 30, frames: options.frames, scaleFlags: 'area' })) frames.push(frame);
    if (frames.length > 0) return { frames, source: options.video };
  }
  const frames = Array.from({ length: options.frames }, (_, f) => syntheticFrame(width, height, Math.sin(f / 15) * width * 0.1));
  return { frames, source: 'synthetic' };
}

/** The clip as the product's encoder sends it: one keyframe first, then delta frames. */
function encodeClip(frames: RgbImage[]): Packet[] {
  const encoder = createVp8Encoder();
  try {
    const packets: Packet[] = [];
    frames.forEach((frame, i) => {
      for (const p of encoder.encode(frame, i * 33.333, i === 0)) packets.push({ data: p.data, keyframe: p.keyframe });
    });
    return packets;
  } finally {
    encoder.close();
  }
}

interface RunningSession {
  worker: FrameWorker;
  delivered: number;
  timings: EncodedOutput['timings'][];
  next: number;
}

const STAGES = ['decodeMs', 'segmentMs', 'styleMs', 'smoothMs', 'temporalMs', 'compositeMs', 'processMs', 'encodeMs'] as const;

export async function benchLiveSessions(options: LiveSessionsOptions): Promise<Record<string, unknown>> {
  const { frames, source } = await sourceFrames(options);
  const packets = encodeClip(frames);
  const perConcurrency: Record<string, unknown> = {};
  const config = readProcessingConfig();
  let sustained = 0;
  for (let n = 1; n <= options.maxSessions; n++) {
    const sessions: RunningSession[] = await Promise.all(
      Array.from({ length: n }, async () => ({
        // The live settings of this environment (DEEPPHOTO_LIVE_TIER, ...), read once, as the server hands them over.
        worker: await FrameWorker.start({ processorModule: options.processorModule ?? PIPELINE_PROCESSOR_MODULE, processor: { style: options.effect, target: options.target }, encoder: {}, config }),
        delivered: 0,
        timings: [],
        next: 0,
      })),
    );
    let measuring = false;
    let stopped = false;
    let timestamp = 0;
    const send = (s: RunningSession): void => {
      if (stopped) return;
      const p = packets[s.next % packets.length]!;
      s.next++;
      timestamp += 33.333;
      s.worker.pushFrame(p.data, Math.round(timestamp * 90) >>> 0, timestamp, performance.now(), p.keyframe);
    };
    for (const s of sessions) {
      s.worker.on('encoded', (out) => {
        if (measuring) {
          s.delivered++;
          s.timings.push(out.timings);
        }
        send(s);
      });
      // A decoded-but-not-processed frame (dropped by the flow limiter) produces no output: keep the loop going.
      s.worker.on('frame-error', () => send(s));
      send(s);
    }
    await new Promise((r) => setTimeout(r, 2500)); // warm-up: JIT, ORT arenas, the style thread's first runs
    measuring = true;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, options.seconds * 1000));
    measuring = false;
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    stopped = true;
    await Promise.all(sessions.map((s) => s.worker.close()));
    const deliveredTotal = sessions.reduce((a, s) => a + s.delivered, 0);
    const fps = sessions.map((s) => Math.round((s.delivered / elapsed) * 10) / 10);
    const stageMedians: Record<string, number> = {};
    const all = sessions.flatMap((s) => s.timings);
    for (const stage of STAGES) {
      const v = all.map((t) => t[stage]).filter((x): x is number => typeof x === 'number');
      if (v.length) stageMedians[stage] = Math.round(median(v) * 10) / 10;
    }
    perConcurrency[`sessions=${n}`] = {
      capacityFps: fps,
      cpuMsPerFrame: deliveredTotal ? Math.round(((cpu.user + cpu.system) / 1000 / deliveredTotal) * 10) / 10 : null,
      stageMedianMs: stageMedians,
    };
    if (Math.min(...fps) >= 30) sustained = n;
    else break;
  }
  return { effect: options.effect, target: options.target, frame: `${options.width}x${options.height}`, source, packets: packets.length, perConcurrency, sessionsSustainedAt30fps: sustained };
}
