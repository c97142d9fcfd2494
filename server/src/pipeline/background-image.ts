/**
 * Background replacement: a picture cover-fitted to the frame (scaled to fill it, centred, the overflow cropped,
 * never stretched), composited behind the person through the mask's soft band, with an optional light wrap (a
 * little of the new background's light spills over the person's edge, as it would in a real scene).
 *
 * The fitted picture is computed once per (picture, frame size) and reused for every frame.
 */
import { MASK_HIGH, MASK_LOW } from './composite.ts';
import { assertSameSize, createRgbImage, type Mask, type RgbImage } from './image.ts';
import { Resampler } from './resample.ts';

/** The crop of a `src` picture that has the aspect ratio of `dst`, centred. */
export function coverCrop(src: { width: number; height: number }, dst: { width: number; height: number }): { x: number; y: number; width: number; height: number } {
  const scale = Math.max(dst.width / src.width, dst.height / src.height);
  const width = Math.min(src.width, Math.max(1, Math.round(dst.width / scale)));
  const height = Math.min(src.height, Math.max(1, Math.round(dst.height / scale)));
  return { x: Math.floor((src.width - width) / 2), y: Math.floor((src.height - height) / 2), width, height };
}

/** Writes `picture` cover-fitted into `out` (any size). Allocates: meant for once per picture and frame size. */
export function coverFit(picture: RgbImage, out: RgbImage): void {
  const crop = coverCrop(picture, out);
  const cropped = createRgbImage(crop.width, crop.height);
  const rowBytes = crop.width * 3;
  for (let y = 0; y < crop.height; y++) {
    const from = ((crop.y + y) * picture.width + crop.x) * 3;
    cropped.data.set(picture.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  new Resampler({ srcWidth: crop.width, srcHeight: crop.height, dstWidth: out.width, dstHeight: out.height, channels: 3 }).resize(cropped.data, 'HWC', out.data, 'HWC');
}

/** Keeps one picture fitted to the current frame size. */
export class FittedBackground {
  private fitted: RgbImage | undefined;

  constructor(readonly picture: RgbImage) {}

  /** The picture at `width` x `height` (computed on the first call and after a size change). */
  at(width: number, height: number): RgbImage {
    if (this.fitted?.width !== width || this.fitted.height !== height) {
      const out = createRgbImage(width, height);
      coverFit(this.picture, out);
      this.fitted = out;
    }
    return this.fitted;
  }
}

/**
 * Light wrap: within the person's soft edge, mix in `amount` of the (blurred) new background, strongest where the
 * mask is lowest. `background` should be a blurred version of the new background so the wrap is light, not
 * detail. Pixels that are surely person (mask ≥ MASK_HIGH) or surely background are left as they are, so the
 * person's inside stays untouched.
 */
export function lightWrap(composited: RgbImage, background: RgbImage, mask: Mask, amount: number): void {
  assertSameSize(composited, background, 'lightWrap');
  assertSameSize(composited, mask, 'lightWrap');
  const d = composited.data;
  const bg = background.data;
  const m = mask.data;
  for (let i = 0, j = 0; i < m.length; i++, j += 3) {
    const v = m[i]!;
    if (v <= MASK_LOW || v >= MASK_HIGH) continue;
    // Largest in the outer half of the band (where the edge meets the new background), fading to 0 at MASK_HIGH.
    const w = amount * (1 - (v - MASK_LOW) / (MASK_HIGH - MASK_LOW));
    d[j] = d[j]! + w * (bg[j]! - d[j]!) + 0.5;
    d[j + 1] = d[j + 1]! + w * (bg[j + 1]! - d[j + 1]!) + 0.5;
    d[j + 2] = d[j + 2]! + w * (bg[j + 2]! - d[j + 2]!) + 0.5;
  }
}
