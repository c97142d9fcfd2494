import { createRgbImage, type RgbImage } from '../pipeline/image.ts';

/**
 * A frame with structure at every scale: gradients, a bright "person" ellipse and fine stripes, so that benchmarks
 * need no data folder. `personShiftX` moves the ellipse horizontally (pixels), for a scene that moves.
 */
export function syntheticFrame(width: number, height: number, personShiftX = 0): RgbImage {
  const image = createRgbImage(width, height);
  const cx = width / 2 + personShiftX;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inside = ((x - cx) / (width * 0.22)) ** 2 + ((y - height * 0.6) / (height * 0.45)) ** 2 < 1;
      image.data[i] = inside ? 210 : (x * 255) / width;
      image.data[i + 1] = inside ? 160 : ((x >> 2) + (y >> 2)) % 2 ? 200 : 60;
      image.data[i + 2] = inside ? 130 : (y * 255) / height;
    }
  return image;
}
