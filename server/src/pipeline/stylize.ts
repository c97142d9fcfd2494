import type { LoadedModel } from '../runtime/onnx.ts';
import type { RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';

export interface Size {
  width: number;
  height: number;
}

/**
 * The size the style network runs at: the picture scaled down (never up) so that its long side is at most
 * `maxLongSide`, each side rounded to the model's multiple (strided convs then upsampling need it).
 */
export function workingSize(picture: Size, maxLongSide: number, multipleOf = 4): Size {
  const scale = Math.min(1, maxLongSide / Math.max(picture.width, picture.height));
  const round = (v: number) => Math.max(multipleOf, Math.round((v * scale) / multipleOf) * multipleOf);
  return { width: round(picture.width), height: round(picture.height) };
}

/**
 * Runs a fast-style network: picture -> NCHW float at the working size (one resample), inference, and the output
 * resampled straight back to 8-bit HWC at the picture's size with clipping (one more resample; the networks
 * overshoot 0..255). Input and output buffers are reused while the working size stays the same.
 */
export class Stylizer {
  private input = new Float32Array(0);
  private readonly down = new ResamplerCache();
  private readonly up = new ResamplerCache();
  private readonly multipleOf: number;

  constructor(readonly model: LoadedModel) {
    const { layout, shape } = model.entry.io.input;
    if (layout !== 'NCHW' || shape[1] !== 3) throw new TypeError(`${model.entry.id}: expected an NCHW RGB input`);
    this.multipleOf = model.entry.io.input.multipleOf ?? 4;
  }

  get modelId(): string {
    return this.model.entry.id;
  }

  /**
   * Stylizes `picture` at most `maxLongSide` px and writes the result into `out`, which may be larger (the live
   * path passes the full frame while `picture` is its downscaled copy: one resample instead of two).
   */
  async stylize(picture: RgbImage, out: RgbImage, maxLongSide: number): Promise<Size> {
    if (out.width * picture.height !== out.height * picture.width) throw new TypeError('stylize: output must have the picture\'s aspect ratio');
    const size = workingSize(picture, maxLongSide, this.multipleOf);
    const n = size.width * size.height * 3;
    if (this.input.length !== n) this.input = new Float32Array(n);
    const { scale, offset } = this.model.entry.normalization;
    this.down
      .get({ srcWidth: picture.width, srcHeight: picture.height, dstWidth: size.width, dstHeight: size.height, channels: 3 })
      .resize(picture.data, 'HWC', this.input, 'CHW', scale, offset);
    const { data } = await this.model.run(this.input, [1, 3, size.height, size.width]);
    this.up
      .get({ srcWidth: size.width, srcHeight: size.height, dstWidth: out.width, dstHeight: out.height, channels: 3 })
      .resize(data, 'CHW', out.data, 'HWC');
    return size;
  }
}
