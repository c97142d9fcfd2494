/**
 * Temporal stability of the stylized picture. A feed-forward style network answers tiny input changes (sensor
 * noise, codec noise) with large texture changes, so a still scene shimmers far more in the output than in the
 * camera. Where the input did not change, the previous output is still right: blend towards it; where the input
 * moved, take the new output as it is, so nothing smears.
 *
 * Per frame, at the working size (the downscaled copy the networks see):
 *   change  = mean over RGB of |input - previous input|, box-averaged over 3x3 (so that single noisy pixels do
 *             not count as motion), then the maximum over 3x3 (so that the edges of a motion count as moving)
 *   weight  = strength                                   where change <= still
 *             strength * (moving - change)/(moving - still)  in between
 *             0                                          where change >= moving
 * then on the styled picture: out = weight * previous out + (1 - weight) * styled (the live path blends at the
 * working size, before the upsample to the frame; a larger styled picture gets the weights upsampled bilinearly).
 * The blend is recursive (the previous output is itself blended), i.e. an exponential moving average with a
 * time constant of 1/(1 - strength) frames on still pixels, and none on moving ones. `npm run eval:temporal`
 * measures the result (shimmer ratio and a smearing check).
 */
import type { RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';

export interface TemporalOptions {
  /** Weight of the previous output on pixels whose input did not change; 0 turns the output blend off. Below 1. */
  strength: number;
  /** Input change (0..255, mean over RGB, 3x3 mean then 3x3 max) at or below which a pixel counts as still. */
  still: number;
  /** Input change at or above which a pixel counts as moving (weight 0). */
  moving: number;
  /** A gap between frames longer than this (ms) drops the history (paused camera, stalled stream). */
  resetAfterMs: number;
}

/**
 * Chosen on the default clip (eval:temporal): mosaic, the most shimmering light net, goes from 3.07 to ~1.35 with
 * the motion still coming through in full; lower thresholds or strength left mosaic above 1.4, higher ones
 * (still 3, moving 8) lagged visibly on moving pixels. Blending the network's input as well did not help.
 */
export const DEFAULT_TEMPORAL: TemporalOptions = { strength: 0.95, still: 2.5, moving: 6, resetAfterMs: 500 };

export function validateTemporalOptions(o: TemporalOptions): void {
  if (!(o.strength >= 0 && o.strength < 1)) throw new RangeError(`temporal strength must be in [0, 1), got ${o.strength}`);
  if (!(o.still >= 0 && o.moving > o.still)) throw new RangeError(`temporal thresholds need 0 <= still < moving, got ${o.still} / ${o.moving}`);
}

/**
 * Pure stage: blend weights from the change between two frames of the same size (interleaved RGB).
 * change = mean over RGB of |current - previous|, box-averaged over 3x3 (single noisy pixels are not motion),
 * then the maximum over 3x3 of that (the neighbours of a moving pixel count as moving too, so the motion's edges
 * are not smeared). `scratch` needs 2 * width * height values; `out` gets the weights.
 */
export function stillnessWeights(current: Uint8Array, previous: Uint8Array, width: number, height: number, options: TemporalOptions, scratch: Float32Array, out: Float32Array): void {
  const n = width * height;
  if (current.length !== n * 3 || previous.length !== n * 3 || scratch.length < 2 * n || out.length < n) throw new RangeError('stillnessWeights: buffer sizes do not match the frame');
  const a = scratch.subarray(0, n);
  const b = scratch.subarray(n, 2 * n);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    a[i] = (Math.abs(current[p]! - previous[p]!) + Math.abs(current[p + 1]! - previous[p + 1]!) + Math.abs(current[p + 2]! - previous[p + 2]!)) / 3;
  }
  // Separable 3x3 passes (borders clamped): mean a -> b -> a, then max a -> b -> out.
  rows3(a, width, height, b, false);
  columns3(b, width, height, a, false);
  rows3(a, width, height, b, true);
  columns3(b, width, height, out, true);
  const { strength, still, moving } = options;
  const slope = strength / (moving - still);
  for (let i = 0; i < n; i++) {
    const change = out[i]!;
    out[i] = change <= still ? strength : change >= moving ? 0 : strength - (change - still) * slope;
  }
}

// 3-tap passes with clamped borders. Mean and max are separate loops and the borders are handled outside the
// inner loops, so that each loop is branch-free (these run on every working-size pixel of every frame).
function rows3(src: Float32Array, width: number, height: number, dst: Float32Array, max: boolean): void {
  if (width < 2) {
    dst.set(src.subarray(0, width * height));
    return;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const last = row + width - 1;
    if (max) {
      dst[row] = Math.max(src[row]!, src[row + 1]!);
      for (let i = row + 1; i < last; i++) {
        const l = src[i - 1]!;
        const c = src[i]!;
        const r = src[i + 1]!;
        const m = l > c ? l : c;
        dst[i] = m > r ? m : r;
      }
      dst[last] = Math.max(src[last - 1]!, src[last]!);
    } else {
      dst[row] = (2 * src[row]! + src[row + 1]!) / 3;
      for (let i = row + 1; i < last; i++) dst[i] = (src[i - 1]! + src[i]! + src[i + 1]!) / 3;
      dst[last] = (src[last - 1]! + 2 * src[last]!) / 3;
    }
  }
}

function columns3(src: Float32Array, width: number, height: number, dst: Float32Array, max: boolean): void {
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const row = y * width;
    const down = (y < height - 1 ? y + 1 : height - 1) * width;
    if (max) {
      for (let x = 0; x < width; x++) {
        const u = src[up + x]!;
        const c = src[row + x]!;
        const d = src[down + x]!;
        const m = u > c ? u : c;
        dst[row + x] = m > d ? m : d;
      }
    } else for (let x = 0; x < width; x++) dst[row + x] = (src[up + x]! + src[row + x]! + src[down + x]!) / 3;
  }
}

/** Pure stage: `frame = w * previous + (1 - w) * frame` per pixel (interleaved RGB, in place), rounded. */
export function blendTowardsPrevious(frame: Uint8Array, previous: Uint8Array, weights: Float32Array): void {
  const n = weights.length;
  if (frame.length !== n * 3 || previous.length !== n * 3) throw new RangeError('blendTowardsPrevious: buffer sizes do not match');
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const w = weights[i]!;
    if (w === 0) continue;
    frame[p] = frame[p]! + w * (previous[p]! - frame[p]!) + 0.5;
    frame[p + 1] = frame[p + 1]! + w * (previous[p + 1]! - frame[p + 1]!) + 0.5;
    frame[p + 2] = frame[p + 2]! + w * (previous[p + 2]! - frame[p + 2]!) + 0.5;
  }
}

/**
 * One stream's temporal state: the previous working-size input and the previous (blended) styled frame. Per frame,
 * `prepareInput` (before the networks run) computes the stillness of each working-size pixel; `blendOutput` (after the style network) blends its output. Buffers are allocated once per frame size. The history is dropped when
 * the size, the style (`key`) or the timing changes, so a style switch never fades through the old look.
 */
export class TemporalBlender {
  private previousRaw = new Uint8Array(0);
  private change = new Float32Array(0);
  private stillness = new Float32Array(0);
  private weightsFull = new Float32Array(0);
  private previousStyled = new Uint8Array(0);
  private readonly up = new ResamplerCache();
  private readonly ramp: TemporalOptions;
  private historyKey: string | null = null;
  private lastTimestampMs = Number.NEGATIVE_INFINITY;
  /** Whether the current frame has a usable history (set by prepareInput, used by blendOutput). */
  private blendThisFrame = false;
  private smallWidth = 0;
  private smallHeight = 0;
  /** Mean output weight of the last blend (0 when nothing was blended): how much of the frame was held still. */
  lastMeanWeight = 0;

  constructor(private readonly options: TemporalOptions = DEFAULT_TEMPORAL) {
    validateTemporalOptions(options);
    this.ramp = { ...options, strength: 1 };
  }

  get enabled(): boolean {
    return this.options.strength > 0;
  }

  reset(): void {
    this.historyKey = null;
    this.blendThisFrame = false;
    this.lastMeanWeight = 0;
  }

  /**
   * Before the networks run: stillness (0..1) of each working-size pixel since the previous frame. `key` names the
   * network that will style this frame (the model id); a different one drops the history.
   */
  prepareInput(small: RgbImage, key: string, timestampMs: number): void {
    if (!this.enabled) return;
    const ns = small.width * small.height;
    const resized = small.width !== this.smallWidth || small.height !== this.smallHeight;
    if (resized) {
      this.smallWidth = small.width;
      this.smallHeight = small.height;
      this.previousRaw = new Uint8Array(ns * 3);
      this.change = new Float32Array(2 * ns);
      this.stillness = new Float32Array(ns);
    }
    const gap = timestampMs - this.lastTimestampMs;
    this.blendThisFrame = !resized && this.historyKey === key && gap >= 0 && gap <= this.options.resetAfterMs;
    this.lastTimestampMs = timestampMs;
    this.historyKey = key;
    if (this.blendThisFrame) stillnessWeights(small.data, this.previousRaw, small.width, small.height, this.ramp, this.change, this.stillness);
    this.previousRaw.set(small.data);
  }

  /** After the style network: `styled` (frame size, in place) blended towards the previous output where still. */
  blendOutput(styled: RgbImage): void {
    if (!this.enabled) return;
    const nf = styled.width * styled.height;
    const resized = this.previousStyled.length !== nf * 3;
    if (resized) {
      this.previousStyled = new Uint8Array(nf * 3);
      this.weightsFull = new Float32Array(nf);
    }
    this.lastMeanWeight = 0;
    if (this.blendThisFrame && !resized) {
      const ns = this.smallWidth * this.smallHeight;
      if (styled.width === this.smallWidth && styled.height === this.smallHeight) {
        // The live path blends at the working size (before the upsample): the weights need no resampling.
        const strength = this.options.strength;
        for (let i = 0; i < ns; i++) this.weightsFull[i] = this.stillness[i]! * strength;
      } else
        this.up
          .get({ srcWidth: this.smallWidth, srcHeight: this.smallHeight, dstWidth: styled.width, dstHeight: styled.height, channels: 1 })
          .resize(this.stillness, 'HWC', this.weightsFull, 'HWC', this.options.strength);
      blendTowardsPrevious(styled.data, this.previousStyled, this.weightsFull);
      let sum = 0;
      for (let i = 0; i < ns; i++) sum += this.stillness[i]!;
      this.lastMeanWeight = (sum / ns) * this.options.strength;
    }
    this.previousStyled.set(styled.data);
  }

  /** Both phases for one frame (the style network having already run on `small`): for tools and tests. */
  apply(small: RgbImage, styled: RgbImage, key: string, timestampMs: number): void {
    this.prepareInput(small, key, timestampMs);
    this.blendOutput(styled);
  }
}
