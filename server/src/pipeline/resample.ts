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
  // Drop zero-weight taps at either end so that inner loops do no useless work (upscaling then needs 2, not 3).
  for (let d = 0; d < dstSize; d++) {
    const base = d * maxTaps;
    let skip = 0;
    while (skip < count[d]! - 1 && weights[base + skip] === 0) skip++;
    if (skip > 0) {
      weights.copyWithin(base, base + skip, base + count[d]!);
      start[d]! += skip;
      count[d]! -= skip;
    }
    while (count[d]! > 1 && weights[base + count[d]! - 1] === 0) count[d]!--;
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
  /** one destination row, accumulated over the vertical taps */
  private readonly rowAccumulator: Float32Array;

  constructor(spec: ResampleSpec) {
    for (const [k, v] of Object.entries(spec)) {
      if (!Number.isInteger(v) || v <= 0) throw new TypeError(`Resampler: ${k} must be a positive integer, got ${v}`);
    }
    this.spec = { ...spec };
    this.xTaps = computeTaps(spec.srcWidth, spec.dstWidth);
    this.yTaps = computeTaps(spec.srcHeight, spec.dstHeight);
    this.rows = new Float32Array(spec.srcHeight * spec.dstWidth * spec.channels);
    this.rowAccumulator = new Float32Array(spec.dstWidth * spec.channels);
  }

  matches(spec: ResampleSpec): boolean {
    const s = this.spec;
    return s.srcWidth === spec.srcWidth && s.srcHeight === spec.srcHeight && s.dstWidth === spec.dstWidth && s.dstHeight === spec.dstHeight && s.channels === spec.channels;
  }

  /**
   * Resizes `src` (layout `srcLayout`) into `dst` (layout `dstLayout`), computing `value * scale + offset`.
   * When `dst` is 8-bit, values are rounded and clipped (model outputs overshoot 0..255).
   */
  resize(
    src: ArrayLike<number>,
    srcLayout: Layout,
    dst: Float32Array | Uint8Array,
    dstLayout: Layout,
    scale = 1,
    offset = 0,
  ): void {
    const { srcWidth: sw, srcHeight: sh, dstWidth: dw, dstHeight: dh, channels: c } = this.spec;
    if (src.length < sw * sh * c) throw new RangeError(`Resampler: source has ${src.length} values, needs ${sw * sh * c}`);
    if (dst.length < dw * dh * c) throw new RangeError(`Resampler: destination has ${dst.length} values, needs ${dw * dh * c}`);
    if (srcLayout === 'HWC' && c === 3) this.horizontalHwc3(src);
    else this.horizontalGeneric(src, srcLayout);
    this.vertical(dst, dstLayout, scale, offset);
  }

  /** Horizontal pass for interleaved RGB, channels unrolled (the common case: camera frames, photos). */
  private horizontalHwc3(src: ArrayLike<number>): void {
    const { srcWidth: sw, srcHeight: sh, dstWidth: dw } = this.spec;
    const rows = this.rows;
    const { start, count, weights, maxTaps } = this.xTaps;
    for (let y = 0; y < sh; y++) {
      const srcRow = y * sw * 3;
      let out = y * dw * 3;
      for (let x = 0; x < dw; x++, out += 3) {
        let si = srcRow + start[x]! * 3;
        let wi = x * maxTaps;
        const n = count[x]!;
        let r = 0;
        let g = 0;
        let b = 0;
        for (let t = 0; t < n; t++, si += 3, wi++) {
          const w = weights[wi]!;
          r += src[si]! * w;
          g += src[si + 1]! * w;
          b += src[si + 2]! * w;
        }
        rows[out] = r;
        rows[out + 1] = g;
        rows[out + 2] = b;
      }
    }
  }

  private horizontalGeneric(src: ArrayLike<number>, srcLayout: Layout): void {
    const { srcWidth: sw, srcHeight: sh, dstWidth: dw, channels: c } = this.spec;
    const rows = this.rows;
    const { start, count, weights, maxTaps } = this.xTaps;
    const plane = sw * sh;
    // Distance between horizontally adjacent samples of one channel, and between channels.
    const step = srcLayout === 'HWC' ? c : 1;
    const channelStride = srcLayout === 'HWC' ? 1 : plane;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < sh; y++) {
        const rowBase = ch * channelStride + y * sw * step;
        for (let x = 0; x < dw; x++) {
          let si = rowBase + start[x]! * step;
          let wi = x * maxTaps;
          const n = count[x]!;
          let acc = 0;
          for (let t = 0; t < n; t++, si += step, wi++) acc += src[si]! * weights[wi]!;
          rows[(y * dw + x) * c + ch] = acc;
        }
      }
    }
  }

  /**
   * Vertical pass, one destination row at a time: sum whole source rows (sequential memory), then scale, clip if
   * 8-bit, and scatter into the destination layout.
   */
  private vertical(dst: Float32Array | Uint8Array, dstLayout: Layout, scale: number, offset: number): void {
    const { dstWidth: dw, dstHeight: dh, channels: c } = this.spec;
    const rows = this.rows;
    const acc = this.rowAccumulator;
    const rowStride = dw * c;
    const plane = dw * dh;
    const toBytes = !(dst instanceof Float32Array);
    const { start, count, weights, maxTaps } = this.yTaps;
    for (let y = 0; y < dh; y++) {
      const n = count[y]!;
      let ri = start[y]! * rowStride;
      let wi = y * maxTaps;
      let w = weights[wi]!;
      for (let k = 0; k < rowStride; k++) acc[k] = rows[ri + k]! * w;
      for (let t = 1; t < n; t++) {
        ri += rowStride;
        w = weights[++wi]!;
        for (let k = 0; k < rowStride; k++) acc[k]! += rows[ri + k]! * w;
      }
      if (dstLayout === 'HWC') {
        const base = y * rowStride;
        if (toBytes) {
          for (let k = 0; k < rowStride; k++) {
            const v = acc[k]! * scale + offset;
            dst[base + k] = v < 0 ? 0 : v > 255 ? 255 : v + 0.5; // typed-array store truncates: +0.5 rounds
          }
        } else for (let k = 0; k < rowStride; k++) dst[base + k] = acc[k]! * scale + offset;
      } else {
        for (let ch = 0; ch < c; ch++) {
          const base = ch * plane + y * dw;
          for (let x = 0; x < dw; x++) {
            const v = acc[x * c + ch]! * scale + offset;
            dst[base + x] = toBytes ? (v < 0 ? 0 : v > 255 ? 255 : v + 0.5) : v;
          }
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
