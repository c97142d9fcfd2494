import type { Mask } from './image.ts';

/**
 * Temporal mask smoothing in the manner of MediaPipe's SegmentationSmoothingCalculator: each pixel leans on the
 * previous mask in proportion to how *uncertain* the new value is (binary entropy), so confident pixels — including
 * a moving person's edge once the model is sure — follow at once (no lag), while pixels that hover near 0.5 stop
 * flickering.
 *
 * The blend ratio is given per 30 fps frame and scaled by the real frame interval (ratio^(dt / 33.3 ms)), so uneven
 * or dropped frames do not change how fast the mask follows in wall-clock time.
 */
export interface SmoothingOptions {
  /** Weight of the previous mask for a fully uncertain pixel, per 33.3 ms. 0 disables smoothing. */
  ratio: number;
  /** Frames further apart than this are unrelated (a pause, a switch): start over. */
  resetAfterMs: number;
}

// 0.8 measured on the upper-body clip: flicker -56 %, smoothed mask shares 97 % of the person with the raw one
// (0.9: -67 % but 95.5 %, min 82 % during fast motion — visible lag; 0.7: -47 %).
export const DEFAULT_SMOOTHING: SmoothingOptions = { ratio: 0.8, resetAfterMs: 500 };

const FRAME_MS = 1000 / 30;
const LOG2 = Math.log(2);

/** 1 at p = 0.5, 0 at p = 0 or 1: squared-complement of binary entropy, as MediaPipe uses. */
export function uncertainty(p: number): number {
  if (p <= 1e-6 || p >= 1 - 1e-6) return 0;
  const entropy = -(p * Math.log(p) + (1 - p) * Math.log(1 - p)) / LOG2; // 0..1
  const confidence = 1 - entropy;
  return 1 - confidence * confidence;
}

export class MaskSmoother {
  private previous: Float32Array | null = null;
  private lastTimestampMs = -Infinity;
  /** Uncertainty looked up from a table: the hot loop does no logarithms. */
  private static readonly table = (() => {
    const t = new Float32Array(1025);
    for (let i = 0; i <= 1024; i++) t[i] = uncertainty(i / 1024);
    return t;
  })();

  constructor(private readonly options: SmoothingOptions = DEFAULT_SMOOTHING) {}

  reset(): void {
    this.previous = null;
    this.lastTimestampMs = -Infinity;
  }

  /** Smooths `mask` in place against the previous result and remembers the result. */
  apply(mask: Mask, timestampMs: number): void {
    const data = mask.data;
    const dt = timestampMs - this.lastTimestampMs;
    const previous = this.previous;
    this.lastTimestampMs = timestampMs;
    if (!previous || previous.length !== data.length || dt <= 0 || dt > this.options.resetAfterMs || this.options.ratio <= 0) {
      if (!previous || previous.length !== data.length) this.previous = new Float32Array(data.length);
      this.previous!.set(data);
      return;
    }
    const ratio = Math.pow(this.options.ratio, dt / FRAME_MS);
    const table = MaskSmoother.table;
    for (let i = 0; i < data.length; i++) {
      const p = data[i]!;
      const weight = table[(p * 1024 + 0.5) | 0]! * ratio;
      const v = p + (previous[i]! - p) * weight;
      data[i] = v;
      previous[i] = v;
    }
  }
}

/** Mean absolute per-pixel change between two masks: the flicker figure. */
export function meanAbsChange(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
