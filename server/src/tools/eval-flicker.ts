/**
 * npm run eval:flicker -- --video CLIP.mp4 [--json] [--width 640 --height 480] [--frames N]
 * Mask flicker on a clip: mean absolute per-pixel change between consecutive masks, raw (no temporal smoothing)
 * vs smoothed, plus "lag": how far the smoothed mask sits from the current raw mask on average.
 * Frames are decoded by Debian's ffmpeg (eval/video-frames.ts), at the live path's frame size.
 */
import { parseArgs } from 'node:util';
import { videoFrames } from '../eval/video-frames.ts';
import { quietLogger } from '../context.ts';
import { createMask, createRgbImage } from '../pipeline/image.ts';
import { LiveMaskChain } from '../pipeline/live-mask.ts';
import { ResamplerCache } from '../pipeline/resample.ts';
import { DEFAULT_SMOOTHING, meanAbsChange } from '../pipeline/smooth.ts';
import { workingSize } from '../pipeline/stylize.ts';
import { DEFAULT_LIVE_OPTIONS } from '../pipeline/live-pipeline.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { mean } from '../eval/metrics.ts';
import { readRuntimeConfig } from '../config/config.ts';

/** IoU of the person region (mask >= 0.5) of two masks. */
function personIoU(a: Float32Array, b: Float32Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    const pa = a[i]! >= 0.5;
    const pb = b[i]! >= 0.5;
    if (pa && pb) both++;
    if (pa || pb) either++;
  }
  return either === 0 ? 1 : both / either;
}

const { values } = parseArgs({
  options: {
    video: { type: 'string' },
    json: { type: 'boolean', default: false },
    width: { type: 'string', default: '640' },
    height: { type: 'string', default: '480' },
    frames: { type: 'string', default: '300' },
    ratio: { type: 'string', default: String(DEFAULT_SMOOTHING.ratio) },
  },
});
if (!values.video) {
  console.error('usage: npm run eval:flicker -- --video CLIP.mp4 [--json]');
  process.exit(2);
}
const width = Number(values.width);
const height = Number(values.height);
const fps = 30;


const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger });
// The live path's own mask chain (segment, smooth, refine), with the smoothing ratio under test.
const chain = await LiveMaskChain.create(runtime, DEFAULT_LIVE_OPTIONS.segmentationModel, { ...DEFAULT_LIVE_OPTIONS.smoothing, ratio: Number(values.ratio) });
const size = workingSize({ width, height }, DEFAULT_LIVE_OPTIONS.workingLongSide, 4); // as a live session on CPU
const small = createRgbImage(size.width, size.height);
const down = new ResamplerCache();
const raw = createMask(size.width, size.height);
const smoothed = createMask(size.width, size.height);
const previousRaw = new Float32Array(raw.data.length);
const previousSmoothed = new Float32Array(raw.data.length);

let n = 0;
let rawChange = 0;
let smoothChange = 0;
let lag = 0;
const ious: number[] = [];
for await (const { data } of videoFrames(values.video, { width, height, fps, frames: Number(values.frames) })) {
  down.get({ srcWidth: width, srcHeight: height, dstWidth: size.width, dstHeight: size.height, channels: 3 }).resize(data, 'HWC', small.data, 'HWC');
  // `raw`: what the user would see without temporal smoothing; `smoothed`: what a live session shows.
  await chain.run(small, (n * 1000) / fps, smoothed, raw);
  if (n > 0) {
    rawChange += meanAbsChange(raw.data, previousRaw);
    smoothChange += meanAbsChange(smoothed.data, previousSmoothed);
  }
  lag += meanAbsChange(smoothed.data, raw.data);
  ious.push(personIoU(smoothed.data, raw.data));
  previousRaw.set(raw.data);
  previousSmoothed.set(smoothed.data);
  n++;
}
await runtime.close();

const result = {
  video: values.video,
  frames: n,
  maskSize: `${size.width}x${size.height}`,
  smoothingRatio: Number(values.ratio),
  flickerRaw: Number((rawChange / Math.max(1, n - 1)).toFixed(5)),
  flickerSmoothed: Number((smoothChange / Math.max(1, n - 1)).toFixed(5)),
  meanAbsSmoothedVsRaw: Number((lag / Math.max(1, n)).toFixed(5)),
  /** Lag check: how much of the person the smoothed mask shares with the current frame's raw mask. */
  personIoUSmoothedVsRawMean: Number(mean(ious).toFixed(4)),
  personIoUSmoothedVsRawMin: Number(Math.min(...ious).toFixed(4)),
};
console.log(values.json ? JSON.stringify(result, null, 2) : result);
