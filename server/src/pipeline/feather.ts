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
 * Both passes walk memory in order: the horizontal one along each row (borders in their own loops, so the inner
 * loop has no branches), the vertical one keeps a running sum per column in one row-sized buffer, adding the row
 * that enters the window and subtracting the one that leaves, and writes each output row normalised by the
 * clipped window's area (1 / (rows x columns), precomputed per column).
 */
export function boxMean(src: Float32Array, dst: Float32Array, tmp: Float32Array, width: number, height: number, r: number): void {
  const scratch = boxScratch(width, height, r);
  const { columnSums, inverseColumnCounts } = scratch;
  // Horizontal running sums -> tmp (sums; normalised in the vertical pass).
  const first = Math.min(r, width - 1);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let acc = 0;
    for (let x = 0; x <= first; x++) acc += src[row + x]!;
    // x in [0, width): add x+r+1 while < width, subtract x-r while >= 0.
    const addEnd = Math.max(0, width - r - 1); // x < addEnd: add is in range
    const subStart = Math.min(width, r); // x >= subStart: sub is in range
    let x = 0;
    for (; x < Math.min(addEnd, subStart); x++) {
      tmp[row + x] = acc;
      acc += src[row + x + r + 1]!;
    }
    for (; x < addEnd; x++) {
      tmp[row + x] = acc;
      acc += src[row + x + r + 1]! - src[row + x - r]!;
    }
    for (; x < subStart; x++) tmp[row + x] = acc;
    for (; x < width; x++) {
      tmp[row + x] = acc;
      acc -= src[row + x - r]!;
    }
  }
  // Vertical: running column sums over rows [y-r, y+r].
  columnSums.fill(0);
  for (let y = 0; y <= Math.min(r, height - 1); y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) columnSums[x]! += tmp[row + x]!;
  }
  for (let y = 0; y < height; y++) {
    if (y > 0) {
      const add = y + r;
      const sub = y - r - 1;
      if (add < height) {
        const addRow = add * width;
        if (sub >= 0) {
          const subRow = sub * width;
          for (let x = 0; x < width; x++) columnSums[x]! += tmp[addRow + x]! - tmp[subRow + x]!;
        } else for (let x = 0; x < width; x++) columnSums[x]! += tmp[addRow + x]!;
      } else if (sub >= 0) {
        const subRow = sub * width;
        for (let x = 0; x < width; x++) columnSums[x]! -= tmp[subRow + x]!;
      }
    }
    const inverseRows = 1 / (Math.min(height - 1, y + r) - Math.max(0, y - r) + 1);
    const row = y * width;
    for (let x = 0; x < width; x++) dst[row + x] = columnSums[x]! * inverseRows * inverseColumnCounts[x]!;
  }
}

/** Per-(width, r) buffers of boxMean, kept for the last size used (one live stream's working size). */
let lastBoxScratch: { width: number; r: number; columnSums: Float64Array; inverseColumnCounts: Float32Array } | undefined;
function boxScratch(width: number, _height: number, r: number): NonNullable<typeof lastBoxScratch> {
  if (lastBoxScratch?.width !== width || lastBoxScratch.r !== r) {
    const inverseColumnCounts = new Float32Array(width);
    for (let x = 0; x < width; x++) inverseColumnCounts[x] = 1 / (Math.min(width - 1, x + r) - Math.max(0, x - r) + 1);
    lastBoxScratch = { width, r, columnSums: new Float64Array(width), inverseColumnCounts };
  }
  return lastBoxScratch;
}
