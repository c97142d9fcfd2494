/**
 * Image-quality metrics of a style network against its teacher, as defined in the light-nets study (issue 6;
 * models/training/eval.py is the Python original): all images are float planar RGB (CHW) on the 0..255 scale,
 * clipped to 0..255 before they get here.
 *
 *   PSNR       10 log10(255² / MSE) over all pixels and channels
 *   PSNR@1/4   the same after 4x4 area averaging of both images (the low-pass content: colours and shapes)
 *   SSIM       Wang et al. 2004, per channel, 11x11 Gaussian window (σ 1.5), K1 0.01, K2 0.03, L 255, over the
 *              windows that lie fully inside the image, averaged over the three channels
 *   gap closed 1 - d(out, T) / d(input, T), d(a, b) = Σ over the teacher's first three ReLU outputs of
 *              ‖G_a - G_b‖_F / ‖G_b‖_F with G = F Fᵀ / (H W) (see teacher-grams.ts)
 */

/** A planar float image: `data[c * height * width + y * width + x]`. */
export interface PlanarImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export function psnr(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`psnr: ${a.length} vs ${b.length} values`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse);
}

/** Mean over each `factor` x `factor` block (F.avg_pool2d with stride = kernel; a ragged border is dropped). */
export function areaDownscale(image: PlanarImage, factor: number): PlanarImage {
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  const out = new Float32Array(image.channels * width * height);
  const norm = 1 / (factor * factor);
  for (let c = 0; c < image.channels; c++) {
    const src = c * image.width * image.height;
    const dst = c * width * height;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) {
          const row = src + (y * factor + dy) * image.width + x * factor;
          for (let dx = 0; dx < factor; dx++) sum += image.data[row + dx]!;
        }
        out[dst + y * width + x] = sum * norm;
      }
    }
  }
  return { width, height, channels: image.channels, data: out };
}

export function psnrQuarter(a: PlanarImage, b: PlanarImage): number {
  return psnr(areaDownscale(a, 4).data, areaDownscale(b, 4).data);
}

function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - half) ** 2) / (2 * sigma * sigma));
    sum += k[i]!;
  }
  for (let i = 0; i < size; i++) k[i]! /= sum;
  return k;
}

/** Separable 'valid' filtering of one plane: output (h - k + 1) x (w - k + 1). */
function filterValid(plane: Float64Array, width: number, height: number, kernel: Float64Array): Float64Array {
  const k = kernel.length;
  const ow = width - k + 1;
  const oh = height - k + 1;
  const rows = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      const base = y * width + x;
      for (let i = 0; i < k; i++) s += plane[base + i]! * kernel[i]!;
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += rows[(y + i) * ow + x]! * kernel[i]!;
      out[y * ow + x] = s;
    }
  }
  return out;
}

export function ssim(a: PlanarImage, b: PlanarImage, windowSize = 11, sigma = 1.5): number {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) throw new RangeError('ssim: images differ in size');
  if (a.width < windowSize || a.height < windowSize) throw new RangeError(`ssim: image smaller than the ${windowSize} px window`);
  const kernel = gaussianKernel(windowSize, sigma);
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  const n = a.width * a.height;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  let total = 0;
  for (let c = 0; c < a.channels; c++) {
    for (let i = 0; i < n; i++) {
      const va = a.data[c * n + i]!;
      const vb = b.data[c * n + i]!;
      x[i] = va;
      y[i] = vb;
      xx[i] = va * va;
      yy[i] = vb * vb;
      xy[i] = va * vb;
    }
    const [mx, my, mxx, myy, mxy] = [x, y, xx, yy, xy].map((p) => filterValid(p, a.width, a.height, kernel)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    let sum = 0;
    for (let i = 0; i < mx.length; i++) {
      const ux = mx[i]!;
      const uy = my[i]!;
      const vx = mxx[i]! - ux * ux;
      const vy = myy[i]! - uy * uy;
      const cxy = mxy[i]! - ux * uy;
      sum += ((2 * ux * uy + c1) * (2 * cxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
    total += sum / mx.length;
  }
  return total / a.channels;
}

/** Σ over layers of ‖G_a - G_b‖_F / ‖G_b‖_F (Gram matrices already divided by H W). */
export function gramDistance(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  if (a.length !== b.length) throw new RangeError('gramDistance: different layer counts');
  let d = 0;
  for (let l = 0; l < a.length; l++) {
    const ga = a[l]!;
    const gb = b[l]!;
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < gb.length; i++) {
      diff += (ga[i]! - gb[i]!) ** 2;
      norm += gb[i]! ** 2;
    }
    d += Math.sqrt(diff) / Math.sqrt(norm);
  }
  return d;
}

/** Interleaved 8-bit RGB -> planar float 0..255, cropped (top-left) to `width` x `height`. */
export function planarFromRgb(rgb: Uint8Array, srcWidth: number, width: number, height: number): PlanarImage {
  const n = width * height;
  const data = new Float32Array(3 * n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * srcWidth + x) * 3;
      const d = y * width + x;
      data[d] = rgb[s]!;
      data[n + d] = rgb[s + 1]!;
      data[2 * n + d] = rgb[s + 2]!;
    }
  }
  return { width, height, channels: 3, data };
}

/** Planar float 0..255 -> interleaved 8-bit RGB (rounded and clamped), the inverse of `planarFromRgb`. */
export function rgbFromPlanar(image: PlanarImage): Uint8Array {
  const n = image.width * image.height;
  const rgb = new Uint8Array(3 * n);
  for (let d = 0; d < n; d++) {
    for (let c = 0; c < 3; c++) rgb[d * 3 + c] = Math.min(255, Math.max(0, Math.round(image.data[c * n + d]!)));
  }
  return rgb;
}

/** Clips a network's raw output into 0..255 (the networks overshoot), in place. */
export function clip255(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, data[i]!));
  return data;
}
