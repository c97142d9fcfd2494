import { describe, expect, it } from 'vitest';
import { blurWeight, boxRadiusForSigma, MaskedBlur } from '../../server/src/pipeline/blur.ts';
import { coverCrop, coverFit } from '../../server/src/pipeline/background-image.ts';
import { BlurRenderer } from '../../server/src/pipeline/effect-stage.ts';
import { composite } from '../../server/src/pipeline/composite.ts';
import { createMask, createRgbImage } from '../../server/src/pipeline/image.ts';

/** A 64x48 scene: grey-blue background with a vertical stripe pattern, a red 'person' block in the middle. */
function scene() {
  const w = 64;
  const h = 48;
  const image = createRgbImage(w, h);
  const mask = createMask(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const person = x >= 24 && x < 40 && y >= 12;
      mask.data[i] = person ? 1 : 0;
      const stripe = x % 4 < 2 ? 40 : 0;
      image.data.set(person ? [250, 20, 20] : [60 + stripe, 90 + stripe, 140 + stripe], i * 3);
    }
  }
  return { image, mask, w, h };
}

describe('MaskedBlur', () => {
  it('weights: background pixels 1, person 0, band fades out by the middle', () => {
    expect(blurWeight(0, 'background')).toBe(1);
    expect(blurWeight(0.3, 'background')).toBe(0);
    expect(blurWeight(1, 'background')).toBe(0);
    expect(blurWeight(0.1, 'background')).toBeGreaterThan(0);
    expect(blurWeight(0.5, 'person')).toBe(0);
    expect(blurWeight(1, 'person')).toBe(1);
    expect(blurWeight(0, 'person')).toBe(0);
    expect(blurWeight(0.7, 'all')).toBe(1);
    expect(boxRadiusForSigma(5)).toBeGreaterThan(boxRadiusForSigma(2));
  });

  it('a constant picture stays constant (normalisation, including at the borders)', () => {
    const image = createRgbImage(20, 10);
    image.data.fill(77);
    const out = createRgbImage(20, 10);
    new MaskedBlur().blur(image, null, 'all', 4, out);
    expect([...out.data].every((v) => v === 77)).toBe(true);
  });

  it('blurs the stripes away', () => {
    const { image, w, h } = scene();
    const out = createRgbImage(w, h);
    new MaskedBlur().blur(image, null, 'all', 3, out);
    // Two neighbouring background pixels in the top rows differ by 40 before, by little after.
    const at = (img: typeof out, x: number, y: number) => img.data[(y * w + x) * 3]!;
    expect(Math.abs(at(image, 4, 2) - at(image, 6, 2))).toBe(40);
    expect(Math.abs(at(out, 4, 2) - at(out, 6, 2))).toBeLessThan(6);
  });

  it('no halo: background next to the person takes no red, unlike a plain blur', () => {
    const { image, mask, w, h } = scene();
    const ours = createRgbImage(w, h);
    const plain = createRgbImage(w, h);
    const blur = new MaskedBlur();
    blur.blur(image, mask, 'background', 4, ours);
    blur.blur(image, null, 'all', 4, plain);
    // Red of the pixel just left of the person (x = 22, y = 30): background red is 60..100.
    const red = (img: typeof ours) => img.data[(30 * w + 22) * 3]!;
    expect(red(ours)).toBeLessThanOrEqual(100);
    expect(red(plain)).toBeGreaterThan(130);
    // Composited, the person stays bit-exact.
    const out = createRgbImage(w, h);
    composite(image, ours, mask, 'background', out);
    const p = (30 * w + 30) * 3;
    expect([...out.data.subarray(p, p + 3)]).toEqual([250, 20, 20]);
  });

  it('person blur uses only person pixels', () => {
    const { image, mask, w, h } = scene();
    const out = createRgbImage(w, h);
    new MaskedBlur().blur(image, mask, 'person', 4, out);
    const p = (30 * w + 25) * 3; // inside the person, next to its edge
    expect([...out.data.subarray(p, p + 3)]).toEqual([250, 20, 20]);
  });

  it('BlurRenderer renders at frame size from the working size', () => {
    const { image, mask } = scene();
    const renderer = new BlurRenderer(0.03, 'background');
    const picture = renderer.render(image, mask, 128, 96);
    expect([picture.width, picture.height]).toEqual([128, 96]);
    expect(renderer.needsMask).toBe(true);
    expect(new BlurRenderer(0.03, 'whole').needsMask).toBe(false);
  });
});

describe('background picture', () => {
  it('cover-fit crops the overflow, centred, and keeps the aspect ratio', () => {
    expect(coverCrop({ width: 200, height: 100 }, { width: 100, height: 100 })).toEqual({ x: 50, y: 0, width: 100, height: 100 });
    expect(coverCrop({ width: 100, height: 200 }, { width: 160, height: 120 })).toEqual({ x: 0, y: 62, width: 100, height: 75 });
    // Left half red, right half blue, fitted into a square: the crop is the middle, so both colours remain.
    const pic = createRgbImage(40, 10);
    for (let x = 0; x < 40; x++) for (let y = 0; y < 10; y++) pic.data.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    const out = createRgbImage(20, 20);
    coverFit(pic, out);
    expect([...out.data.subarray(0, 3)]).toEqual([255, 0, 0]);
    expect([...out.data.subarray(19 * 3, 20 * 3)]).toEqual([0, 0, 255]);
  });
});
