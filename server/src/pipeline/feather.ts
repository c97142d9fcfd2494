import { assertSameSize, type Mask, type RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';

/**
 * Edge-aware mask refinement at full resolution: bilinear upsampling of the model's mask, then a guided filter
 * (He et al. 2010) with the picture's luma as guide. The filter makes the mask locally a linear function of the
 * picture, so the mask edge snaps to the real edge (hair, shoulders) instead of the model's blocky 256x256 edge,
 * and stays soft where the picture is soft: no halo, no jagged edge.
 *
 * All scratch planes are owned by the refiner and reused for every frame of the same size.
 */
export interface RefineOptions {
  /** Box radius in pixels at the picture's resolution; scaled with picture size when `radius` is not given. */
  radius?: number;
  /** Regulariser: larger = smoother, less edge-following. For a 0..1 guide, 1e-3..1e-2 is typical. */
  epsilon?: number;
  /**
   * Contrast around 0.5 applied last: `(q - 0.5) * gain + 0.5`, clipped. The guided filter keeps the coarse mask's
   * level away from edges (0.9 inside a person where it should be 1), which would leak style across the person;
   * a gain of 2 restores sure regions while the edge stays as sharp or soft as the picture makes it. The 0.5 level
   * set — and so the thresholded mask and its IoU — is unchanged by construction.
   */
  gain?: number;
}

export class MaskRefiner {
  private size = { width: 0, height: 0 };
  private planes: Float32Array[] = [];
  private readonly resamplers = new ResamplerCache();

  private ensure(width: number, height: number): Float32Array[] {
    if (this.size.width !== width || this.size.height !== height) {
      const n = width * height;
      // guide, p, meanI, meanP, corrIP/a, varI/b, tmp
      this.planes = Array.from({ length: 7 }, () => new Float32Array(n));
      this.size = { width, height };
    }
    return this.planes;
  }

  /** Writes the refined mask of `image` into `out` (same size as `image`). */
  refine(lowRes: Mask, image: RgbImage, out: Mask, options: RefineOptions = {}): void {
    assertSameSize(image, out, 'refine');
    const { width, height } = image;
    const n = width * height;
    const [guide, p, meanI, meanP, a, b, tmp] = this.ensure(width, height) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const radius = options.radius ?? Math.max(2, Math.round(Math.max(width, height) / 160));
    const epsilon = options.epsilon ?? 4e-3;
    const gain = options.gain ?? 2;

    this.resamplers
      .get({ srcWidth: lowRes.width, srcHeight: lowRes.height, dstWidth: width, dstHeight: height, channels: 1 })
      .resize(lowRes.data, 'HWC', p, 'HWC');
    lumaPlane(image, guide);

    boxMean(guide, meanI, tmp, width, height, radius);
    boxMean(p, meanP, tmp, width, height, radius);
    // a <- mean(I*p), b <- mean(I*I): computed via the out plane as scratch input.
    const product = out.data;
    for (let i = 0; i < n; i++) product[i] = guide[i]! * p[i]!;
    boxMean(product, a, tmp, width, height, radius);
    for (let i = 0; i < n; i++) product[i] = guide[i]! * guide[i]!;
    boxMean(product, b, tmp, width, height, radius);
    for (let i = 0; i < n; i++) {
      const mI = meanI[i]!;
      const mP = meanP[i]!;
      const cov = a[i]! - mI * mP;
      const variance = b[i]! - mI * mI;
      const ai = cov / (variance + epsilon);
      a[i] = ai;
      b[i] = mP - ai * mI;
    }
    boxMean(a, meanI, tmp, width, height, radius);
    boxMean(b, meanP, tmp, width, height, radius);
    const q = out.data;
    for (let i = 0; i < n; i++) {
      const v = (meanI[i]! * guide[i]! + meanP[i]! - 0.5) * gain + 0.5;
      q[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }

  /** Plain bilinear upsampling, no refinement (the baseline the refinement is measured against). */
  upsample(lowRes: Mask, out: Mask): void {
    this.resamplers
      .get({ srcWidth: lowRes.width, srcHeight: lowRes.height, dstWidth: out.width, dstHeight: out.height, channels: 1 })
      .resize(lowRes.data, 'HWC', out.data, 'HWC');
  }
}

/** Rec. 601 luma in 0..1. */
export function lumaPlane(image: RgbImage, out: Float32Array): void {
  const d = image.data;
  const n = image.width * image.height;
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = (0.299 * d[j]! + 0.587 * d[j + 1]! + 0.114 * d[j + 2]!) / 255;
}

/**
 * Mean over a (2r+1)^2 window clipped at the borders, O(1) per pixel via running sums. `tmp` is a scratch plane.
 * Both passes walk memory in order (the vertical pass derives each row from the previous one by adding and
 * subtracting whole rows), which keeps it cache-friendly at 640x480.
 */
export function boxMean(src: Float32Array, dst: Float32Array, tmp: Float32Array, width: number, height: number, r: number): void {
  // Horizontal running sums -> tmp (sums; normalised at the end by the clipped window area).
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    const first = Math.min(r, width - 1);
    for (let x = 0; x <= first; x++) acc += src[row + x]!;
    for (let x = 0; x < width; x++) {
      tmp[row + x] = acc;
      const add = x + r + 1;
      const sub = x - r;
      if (add < width) acc += src[row + add]!;
      if (sub >= 0) acc -= src[row + sub]!;
    }
  }
  // Vertical: dst row y = sum of tmp rows [y-r, y+r]; built incrementally from row y-1 by adding and subtracting
  // whole rows, so memory is read sequentially.
  const firstRows = Math.min(r, height - 1);
  for (let x = 0; x < width; x++) dst[x] = 0;
  for (let y = 0; y <= firstRows; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) dst[x]! += tmp[row + x]!;
  }
  for (let y = 1; y < height; y++) {
    const row = y * width;
    const prev = row - width;
    const add = y + r;
    const sub = y - r - 1;
    const addRow = add * width;
    const subRow = sub * width;
    for (let x = 0; x < width; x++) {
      let v = dst[prev + x]!;
      if (add < height) v += tmp[addRow + x]!;
      if (sub >= 0) v -= tmp[subRow + x]!;
      dst[row + x] = v;
    }
  }
  // Normalise by the clipped window area (separable: rows x columns).
  for (let y = 0; y < height; y++) {
    const countY = Math.min(height - 1, y + r) - Math.max(0, y - r) + 1;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const countX = Math.min(width - 1, x + r) - Math.max(0, x - r) + 1;
      dst[row + x]! /= countX * countY;
    }
  }
}
