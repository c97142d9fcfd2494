/**
 * Separable resampling with a triangle (bilinear) kernel whose support widens when shrinking, like PIL's BILINEAR:
 * upscaling is plain bilinear, downscaling averages every source pixel it covers instead of aliasing.
 * Taps are computed once per (source size, destination size); `resize` then only multiplies and adds into buffers
 * the Resampler owns or the caller passes in, so a video frame allocates nothing.
 */

interface Taps {
  /** first source index for each destination index */
  start: Int32Array;
  /** number of taps for each destination index */
  count: Int32Array;
  /** weights, `maxTaps` per destination index, normalised to sum 1 */
  weights: Float32Array;
  maxTaps: number;
}

function computeTaps(srcSize: number, dstSize: number): Taps {
  const scale = srcSize / dstSize;
  const support = Math.max(1, scale); // triangle half-width in source pixels
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float32Array(dstSize * maxTaps);
  for (let d = 0; d < dstSize; d++) {
    const centre = (d + 0.5) * scale; // half-pixel centres, as in ONNX Resize half_pixel / TF half_pixel_centers
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(srcSize, Math.ceil(centre + support));
    let sum = 0;
    let n = 0;
    for (let s = lo; s < hi && n < maxTaps; s++) {
      const w = Math.max(0, 1 - Math.abs(s + 0.5 - centre) / support);
      weights[d * maxTaps + n] = w;
      sum += w;
      n++;
    }
    if (sum === 0) {
      // Degenerate (e.g. 1-pixel source): take the nearest pixel.
      weights[d * maxTaps] = 1;
      start[d] = Math.min(srcSize - 1, Math.max(0, Math.floor(centre)));
      count[d] = 1;
      continue;
    }
    for (let i = 0; i < n; i++) weights[d * maxTaps + i]! /= sum;
    start[d] = lo;
    count[d] = n;
  }
  // Drop leading zero-weight taps so that inner loops do no useless work.
  for (let d = 0; d < dstSize; d++) {
    const base = d * maxTaps;
    let skip = 0;
    while (skip < count[d]! - 1 && weights[base + skip] === 0) skip++;
    if (skip > 0) {
      weights.copyWithin(base, base + skip, base + count[d]!);
      start[d]! += skip;
      count[d]! -= skip;
    }
  }
  return { start, count, weights, maxTaps };
}

export type Layout = 'HWC' | 'CHW';

export interface ResampleSpec {
  srcWidth: number;
  srcHeight: number;
  dstWidth: number;
  dstHeight: number;
  channels: number;
}

export class Resampler {
  readonly spec: Readonly<ResampleSpec>;
  private readonly xTaps: Taps;
  private readonly yTaps: Taps;
  /** horizontal pass result: srcHeight rows x dstWidth x channels, HWC */
  private readonly rows: Float32Array;

  constructor(spec: ResampleSpec) {
    for (const [k, v] of Object.entries(spec)) {
      if (!Number.isInteger(v) || v <= 0) throw new TypeError(`Resampler: ${k} must be a positive integer, got ${v}`);
    }
    this.spec = { ...spec };
    this.xTaps = computeTaps(spec.srcWidth, spec.dstWidth);
    this.yTaps = computeTaps(spec.srcHeight, spec.dstHeight);
    this.rows = new Float32Array(spec.srcHeight * spec.dstWidth * spec.channels);
  }

  matches(spec: ResampleSpec): boolean {
    const s = this.spec;
    return s.srcWidth === spec.srcWidth && s.srcHeight === spec.srcHeight && s.dstWidth === spec.dstWidth && s.dstHeight === spec.dstHeight && s.channels === spec.channels;
  }

  /**
   * Resizes `src` (layout `srcLayout`) into `dst` (layout `dstLayout`), computing `value * scale + offset`.
   * When `clampTo255` is set the destination is 8-bit and values are rounded and clipped (model outputs overshoot).
   */
  resize(
    src: ArrayLike<number>,
    srcLayout: Layout,
    dst: Float32Array | Uint8Array | Uint8ClampedArray,
    dstLayout: Layout,
    scale = 1,
    offset = 0,
  ): void {
    const { srcWidth: sw, srcHeight: sh, dstWidth: dw, dstHeight: dh, channels: c } = this.spec;
    if (src.length < sw * sh * c) throw new RangeError(`Resampler: source has ${src.length} values, needs ${sw * sh * c}`);
    if (dst.length < dw * dh * c) throw new RangeError(`Resampler: destination has ${dst.length} values, needs ${dw * dh * c}`);
    const rows = this.rows;
    const { start: xs, count: xc, weights: xw, maxTaps: xm } = this.xTaps;
    // Horizontal pass: source rows -> dstWidth columns (HWC).
    const srcPlane = sw * sh;
    for (let y = 0; y < sh; y++) {
      for (let x = 0; x < dw; x++) {
        const s0 = xs[x]!;
        const n = xc[x]!;
        const wBase = x * xm;
        const outBase = (y * dw + x) * c;
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          if (srcLayout === 'HWC') {
            let si = (y * sw + s0) * c + ch;
            for (let t = 0; t < n; t++, si += c) acc += src[si]! * xw[wBase + t]!;
          } else {
            let si = ch * srcPlane + y * sw + s0;
            for (let t = 0; t < n; t++, si++) acc += src[si]! * xw[wBase + t]!;
          }
          rows[outBase + ch] = acc;
        }
      }
    }
    // Vertical pass: rows -> destination, applying scale/offset and the destination layout.
    const { start: ys, count: yc, weights: yw, maxTaps: ym } = this.yTaps;
    const rowStride = dw * c;
    const dstPlane = dw * dh;
    const toBytes = !(dst instanceof Float32Array);
    for (let y = 0; y < dh; y++) {
      const s0 = ys[y]!;
      const n = yc[y]!;
      const wBase = y * ym;
      for (let x = 0; x < dw; x++) {
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          let ri = s0 * rowStride + x * c + ch;
          for (let t = 0; t < n; t++, ri += rowStride) acc += rows[ri]! * yw[wBase + t]!;
          let v = acc * scale + offset;
          if (toBytes) v = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
          dst[dstLayout === 'HWC' ? (y * dw + x) * c + ch : ch * dstPlane + y * dw + x] = v;
        }
      }
    }
  }
}

/** Keeps one Resampler per size and rebuilds it only when the size changes (e.g. the camera switches resolution). */
export class ResamplerCache {
  private current: Resampler | undefined;

  get(spec: ResampleSpec): Resampler {
    if (!this.current?.matches(spec)) this.current = new Resampler(spec);
    return this.current;
  }
}
