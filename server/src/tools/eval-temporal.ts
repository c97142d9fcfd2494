/**
 * npm run eval:temporal -- [--video FILE] [--json] [--styles candy,mosaic,udnie] [--target whole]
 *                          [--width 640 --height 360] [--frames N] [--strength S --still A --moving B]
 *
 * Temporal stability of the live path on a static-camera clip (default: the clip in ../shared/data/video).
 * Every decoded frame (Debian's ffmpeg, raw RGB at --width x --height) goes through two real LivePipelines with
 * the live defaults: one with temporal blending (server/src/pipeline/temporal.ts; DEFAULT_TEMPORAL unless
 * overridden) and one without it (the reference). Per style:
 *   ratio         = mean |output_t - output_t-1| / mean |input_t - input_t-1| over the clip (blended output)
 *   ratioWithout  = the same without the blending
 *   smearing check: on the pixels that moved (input change > 10/255, mean over RGB) the blended output should
 *   still be the unblended one: mean |blended - unblended| there, and PSNR between the two there; the output's
 *   frame-to-frame change there, blended / unblended (1 = all the motion comes through, < 1 = lag); and the mean
 *   |blended - unblended| over all pixels.
 */
import { join } from 'node:path';
import { videoFrames } from '../eval/video-frames.ts';
import { parseArgs } from 'node:util';
import type { Target } from '@deepphoto/shared';
import { MODELS_DIR } from '@deepphoto/models';
import { quietLogger } from '../context.ts';
import { median } from '../eval/metrics.ts';
import { createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { LivePipeline } from '../pipeline/live-pipeline.ts';
import { DEFAULT_TEMPORAL, type TemporalOptions } from '../pipeline/temporal.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { StyleCatalog, type StyleTier } from '../styles/catalog.ts';
import { CPU_LIVE_TIER } from '../pipeline/live-processor.ts';
import { readRuntimeConfig } from '../config/config.ts';

/** The issue-12 bar: stylized video may shimmer at most this much more than the camera does. */
export const TEMPORAL_RATIO_TARGET = 1.4;
/** A pixel counts as moving when its input changed by more than this (0..255, mean over RGB). */
const MOVING_THRESHOLD = 10;
/** Upper bounds of the input-change buckets the output change is broken down by. */
const BUCKETS = [1, 3, 10, Number.POSITIVE_INFINITY];

const { values } = parseArgs({
  options: {
    video: { type: 'string' },
    json: { type: 'boolean', default: false },
    styles: { type: 'string' },
    target: { type: 'string', default: 'whole' },
    width: { type: 'string', default: '640' },
    height: { type: 'string', default: '360' },
    frames: { type: 'string', default: '100000' },
    strength: { type: 'string' },
    still: { type: 'string' },
    moving: { type: 'string' },
    /** `live-int8` (default: what a CPU live session runs, the light nets' int8 copies) or `live` (float32). */
    tier: { type: 'string', default: CPU_LIVE_TIER },
  },
});
if (values.tier !== 'live' && values.tier !== 'live-int8') throw new Error('--tier must be live or live-int8');
const tier = values.tier as StyleTier;
const video = values.video ?? join(MODELS_DIR, '../../shared/data/video/liveportrait_s18_upperbody.mp4');
const width = Number(values.width);
const height = Number(values.height);
const fps = 30;
const target = values.target as Target;
const temporal: TemporalOptions = {
  ...DEFAULT_TEMPORAL,
  ...(values.strength !== undefined && { strength: Number(values.strength) }),
  ...(values.still !== undefined && { still: Number(values.still) }),
  ...(values.moving !== undefined && { moving: Number(values.moving) }),
};

function frames(path: string): AsyncGenerator<RgbImage> {
  return videoFrames(path, { width, height, fps, frames: Number(values.frames), scaleFlags: 'area' });
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

interface StyleResult {
  model: string;
  frames: number;
  inputChange: number;
  outputChange: number;
  outputChangeWithout: number;
  ratio: number;
  ratioWithout: number;
  meetsTarget: boolean;
  smearing: { movingPixelShare: number; meanAbsBlendedVsUnblendedMoving: number; psnrBlendedVsUnblendedMovingDb: number; meanAbsBlendedVsUnblendedAll: number; motionKeptOnMovingPixels: number };
  temporalMsMedian: number;
  /** Where the output change comes from, by input change (upper bound): pixel share and mean output change. */
  byInputChange: Record<string, { pixelShare: number; outputChange: number; outputChangeWithout: number; shareOfOutputChangeWithout: number }>;
}

async function evalStyle(runtime: ModelRuntime, catalog: StyleCatalog, style: string): Promise<StyleResult> {
  const blended = await LivePipeline.create(runtime, catalog, { style, target, temporal, tier });
  const reference = await LivePipeline.create(runtime, catalog, { style, target, temporal: { ...temporal, strength: 0 }, tier });
  const out = createRgbImage(width, height);
  const outRef = createRgbImage(width, height);
  const previousIn = new Uint8Array(width * height * 3);
  const previousOut = new Uint8Array(width * height * 3);
  const previousRef = new Uint8Array(width * height * 3);
  let n = 0;
  let inputChange = 0;
  let outputChange = 0;
  let outputChangeWithout = 0;
  let movingPixels = 0;
  let movingAbs = 0;
  let movingSq = 0;
  let allAbs = 0;
  let movingOutChange = 0;
  // Per input-change bucket (full-size pixels, mean over RGB).
  const buckets = BUCKETS.map(() => ({ count: 0, change: 0, changeWithout: 0 }));
  let movingRefChange = 0;
  const temporalMs: number[] = [];
  try {
    for await (const frame of frames(video)) {
      const t = (n * 1000) / fps;
      const timings = await blended.process(frame, t, out);
      await reference.process(frame, t, outRef);
      if (timings.temporalMs !== undefined) temporalMs.push(timings.temporalMs);
      if (n > 0) {
        inputChange += meanAbsDiff(frame.data, previousIn);
        outputChange += meanAbsDiff(out.data, previousOut);
        outputChangeWithout += meanAbsDiff(outRef.data, previousRef);
        for (let i = 0, p = 0; i < width * height; i++, p += 3) {
          const change = (Math.abs(frame.data[p]! - previousIn[p]!) + Math.abs(frame.data[p + 1]! - previousIn[p + 1]!) + Math.abs(frame.data[p + 2]! - previousIn[p + 2]!)) / 3;
          const d0 = out.data[p]! - outRef.data[p]!;
          const d1 = out.data[p + 1]! - outRef.data[p + 1]!;
          const d2 = out.data[p + 2]! - outRef.data[p + 2]!;
          const abs = (Math.abs(d0) + Math.abs(d1) + Math.abs(d2)) / 3;
          const bucket = buckets[BUCKETS.findIndex((upper) => change < upper)]!;
          bucket.count++;
          bucket.change += (Math.abs(out.data[p]! - previousOut[p]!) + Math.abs(out.data[p + 1]! - previousOut[p + 1]!) + Math.abs(out.data[p + 2]! - previousOut[p + 2]!)) / 3;
          bucket.changeWithout += (Math.abs(outRef.data[p]! - previousRef[p]!) + Math.abs(outRef.data[p + 1]! - previousRef[p + 1]!) + Math.abs(outRef.data[p + 2]! - previousRef[p + 2]!)) / 3;
          allAbs += abs;
          if (change > MOVING_THRESHOLD) {
            movingPixels++;
            movingAbs += abs;
            movingSq += (d0 * d0 + d1 * d1 + d2 * d2) / 3;
            for (let c = 0; c < 3; c++) {
              movingOutChange += Math.abs(out.data[p + c]! - previousOut[p + c]!);
              movingRefChange += Math.abs(outRef.data[p + c]! - previousRef[p + c]!);
            }
          }
        }
      }
      previousIn.set(frame.data);
      previousOut.set(out.data);
      previousRef.set(outRef.data);
      n++;
    }
  } finally {
    blended.close();
    reference.close();
  }
  const pairs = Math.max(1, n - 1);
  const pixels = width * height * pairs;
  const r = (v: number, d = 4) => Number(v.toFixed(d));
  const ratio = outputChange / inputChange;
  return {
    model: catalog.modelFor(style, tier),
    frames: n,
    inputChange: r(inputChange / pairs),
    outputChange: r(outputChange / pairs),
    outputChangeWithout: r(outputChangeWithout / pairs),
    ratio: r(ratio, 3),
    ratioWithout: r(outputChangeWithout / inputChange, 3),
    meetsTarget: ratio <= TEMPORAL_RATIO_TARGET,
    smearing: {
      movingPixelShare: r(movingPixels / pixels),
      meanAbsBlendedVsUnblendedMoving: r(movingAbs / Math.max(1, movingPixels), 3),
      psnrBlendedVsUnblendedMovingDb: movingSq === 0 ? Number.POSITIVE_INFINITY : r(10 * Math.log10((255 * 255) / (movingSq / Math.max(1, movingPixels))), 2),
      meanAbsBlendedVsUnblendedAll: r(allAbs / pixels, 3),
      /** Output change on moving pixels, blended / unblended: 1 = the motion comes through in full, < 1 = lag. */
      motionKeptOnMovingPixels: r(movingOutChange / Math.max(1, movingRefChange), 3),
    },
    temporalMsMedian: r(median(temporalMs), 2),
    byInputChange: Object.fromEntries(
      BUCKETS.map((upper, i) => {
        const { count, change, changeWithout } = buckets[i]!;
        return [`<${upper}`, { pixelShare: r(count / pixels), outputChange: r(change / Math.max(1, count), 3), outputChangeWithout: r(changeWithout / Math.max(1, count), 3), shareOfOutputChangeWithout: r(changeWithout / pixels / (outputChangeWithout / pairs), 3) }];
      }),
    ),
  };
}

const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger, threads: 1 });
const catalog = await StyleCatalog.discover({}, () => {});
const styles = values.styles?.split(',').map((s) => s.trim()) ?? catalog.ids();
const results: Record<string, StyleResult> = {};
const started = performance.now();
try {
  for (const style of styles) {
    results[style] = await evalStyle(runtime, catalog, style);
    if (!values.json) console.error(`${style}: ratio ${results[style].ratio} (without blending ${results[style].ratioWithout})`);
  }
} finally {
  await runtime.close();
}
const report = {
  video,
  frameSize: `${width}x${height}`,
  target,
  temporal,
  ratioTarget: TEMPORAL_RATIO_TARGET,
  movingThreshold: MOVING_THRESHOLD,
  styles: results,
  seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
};
console.log(values.json ? JSON.stringify(report, null, 2) : report);
