/**
 * Background replacement: a picture cover-fitted to the frame (scaled to fill it, centred, the overflow cropped,
 * never stretched), then composited behind the person through the mask's soft band (the guided-filter edge), so
 * hair and shoulders blend into the new picture instead of ending in a hard cut-out line.
 *
 * The fitted picture is computed once per (picture, frame size) and reused for every frame.
 */
import { createRgbImage, type RgbImage } from './image.ts';
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
