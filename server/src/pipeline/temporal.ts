/**
 * Temporal stability of the stylized picture. A feed-forward style network answers tiny input changes (sensor
 * noise, codec noise) with large texture changes, so a still scene shimmers far more in the output than in the
 * camera. Where the input did not change, the previous output is still right: blend towards it; where the input
 * moved, take the new output as it is, so nothing smears.
 *
 * Per frame, at the working size (the downscaled copy the networks see):
 *   change  = mean over RGB of |input - previous input|, box-averaged over 3x3 (so that single noisy pixels do
 *             not count as motion)
 *   weight  = strength                                   where change <= still
 *             strength * (moving - change)/(moving - still)  in between
 *             0                                          where change >= moving
 * then at frame size: out = weight * previous out + (1 - weight) * styled (weights upsampled bilinearly).
 * The blend is recursive (the previous output is itself blended), i.e. an exponential moving average with a
 * time constant of 1/(1 - strength) frames on still pixels, and none on moving ones.
 */
import type { RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';

export interface TemporalOptions {
  /** Weight of the previous output on pixels whose input did not change; 0 turns the stage off. Below 1. */
  strength: number;
  /** Input change (0..255, mean over RGB, 3x3 average) at or below which a pixel counts as still. */
  still: number;
  /** Input change at or above which a pixel counts as moving (weight 0). */
  moving: number;
  /** A gap between frames longer than this (ms) drops the history (paused camera, stalled stream). */
  resetAfterMs: number;
}

export const DEFAULT_TEMPORAL: TemporalOptions = { strength: 0.8, still: 1, moving: 5, resetAfterMs: 500 };

export function validateTemporalOptions(o: TemporalOptions): void {
  if (!(o.strength >= 0 && o.strength < 1)) throw new RangeError(`temporal strength must be in [0, 1), got ${o.strength}`);
  if (!(o.still >= 0 && o.moving > o.still)) throw new RangeError(`temporal thresholds need 0 <= still < moving, got ${o.still} / ${o.moving}`);
}

/**
 * Pure stage: blend weights from the change between two frames of the same size (interleaved RGB).
 * `scratch` (width * height) holds the per-pixel change before the 3x3 average; `out` gets the weights.
 */
export function stillnessWeights(current: Uint8Array, previous: Uint8Array, width: number, height: number, options: TemporalOptions, scratch: Float32Array, out: Float32Array): void {
  const n = width * height;
  if (current.length !== n * 3 || previous.length !== n * 3 || scratch.length < n || out.length < n) throw new RangeError('stillnessWeights: buffer sizes do not match the frame');
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    scratch[i] = (Math.abs(current[p]! - previous[p]!) + Math.abs(current[p + 1]! - previous[p + 1]!) + Math.abs(current[p + 2]! - previous[p + 2]!)) / 3;
  }
  const { strength, still, moving } = options;
  const slope = strength / (moving - still);
  for (let y = 0; y < height; y++) {
    const y0 = y > 0 ? y - 1 : 0;
    const y1 = y < height - 1 ? y + 1 : height - 1;
    for (let x = 0; x < width; x++) {
      const x0 = x > 0 ? x - 1 : 0;
      const x1 = x < width - 1 ? x + 1 : width - 1;
      let sum = 0;
      let count = 0;
      for (let yy = y0; yy <= y1; yy++) {
        const row = yy * width;
        for (let xx = x0; xx <= x1; xx++) {
          sum += scratch[row + xx]!;
          count++;
        }
      }
      const change = sum / count;
      out[y * width + x] = change <= still ? strength : change >= moving ? 0 : strength - (change - still) * slope;
    }
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
 * One stream's temporal blending state: the previous working-size input and the previous (blended) styled frame.
 * Buffers are allocated once per frame size. The history is dropped when the size, the style (`key`) or the
 * timing changes, so a style switch never fades through the old look.
 */
export class TemporalBlender {
  private previousSmall = new Uint8Array(0);
  private change = new Float32Array(0);
  private weightsSmall = new Float32Array(0);
  private weightsFull = new Float32Array(0);
  private previousStyled = new Uint8Array(0);
  private readonly up = new ResamplerCache();
  private historyKey: string | null = null;
  private lastTimestampMs = Number.NEGATIVE_INFINITY;
  /** Mean weight of the last blend (0 when nothing was blended): how much of the frame was held still. */
  lastMeanWeight = 0;

  constructor(private options: TemporalOptions = DEFAULT_TEMPORAL) {
    validateTemporalOptions(options);
  }

  get enabled(): boolean {
    return this.options.strength > 0;
  }

  reset(): void {
    this.historyKey = null;
    this.lastMeanWeight = 0;
  }

  /**
   * Blends `styled` (frame size, in place) towards the previous output where `small` (the working-size input
   * the network saw) did not change since the previous call. `key` names what produced `styled` (the model id).
   */
  apply(small: RgbImage, styled: RgbImage, key: string, timestampMs: number): void {
    if (!this.enabled) return;
    const ns = small.width * small.height;
    const nf = styled.width * styled.height;
    const resized = this.previousSmall.length !== ns * 3 || this.previousStyled.length !== nf * 3;
    if (resized) {
      this.previousSmall = new Uint8Array(ns * 3);
      this.change = new Float32Array(ns);
      this.weightsSmall = new Float32Array(ns);
      this.weightsFull = new Float32Array(nf);
      this.previousStyled = new Uint8Array(nf * 3);
    }
    const gap = timestampMs - this.lastTimestampMs;
    const fresh = resized || this.historyKey !== key || !(gap >= 0 && gap <= this.options.resetAfterMs);
    this.lastTimestampMs = timestampMs;
    if (!fresh) {
      stillnessWeights(small.data, this.previousSmall, small.width, small.height, this.options, this.change, this.weightsSmall);
      this.up
        .get({ srcWidth: small.width, srcHeight: small.height, dstWidth: styled.width, dstHeight: styled.height, channels: 1 })
        .resize(this.weightsSmall, 'HWC', this.weightsFull, 'HWC');
      blendTowardsPrevious(styled.data, this.previousStyled, this.weightsFull);
      let sum = 0;
      for (let i = 0; i < ns; i++) sum += this.weightsSmall[i]!;
      this.lastMeanWeight = sum / ns;
    } else {
      this.lastMeanWeight = 0;
    }
    this.historyKey = key;
    this.previousSmall.set(small.data);
    this.previousStyled.set(styled.data);
  }
}

