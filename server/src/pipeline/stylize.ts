import type { LoadedModel } from '../runtime/onnx.ts';
import type { RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';

/**
 * What a Stylizer runs: a model loaded in this thread, or one that runs in the inference owner
 * (runtime/inference-client.ts `RemoteModel`), which hands out its input tensor in shared memory.
 */
export type StyleModel = Pick<LoadedModel, 'entry' | 'run'> & { allocateInput?(length: number): Float32Array };

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
  private input: Float32Array = new Float32Array(0);
  private readonly down = new ResamplerCache();
  private readonly up = new ResamplerCache();
  private readonly multipleOf: number;

  constructor(readonly model: StyleModel) {
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
    if (this.input.length !== n) this.input = this.model.allocateInput?.(n) ?? new Float32Array(n);
    const { scale, offset } = this.model.entry.normalization;
    // The live path hands over a picture already at the working size and wants the output at that size too: then
    // both conversions are plain layout changes, not resamples.
    if (size.width === picture.width && size.height === picture.height) hwcToChw(picture.data, this.input, scale, offset);
    else
      this.down
        .get({ srcWidth: picture.width, srcHeight: picture.height, dstWidth: size.width, dstHeight: size.height, channels: 3 })
        .resize(picture.data, 'HWC', this.input, 'CHW', scale, offset);
    const { data } = await this.model.run(this.input, [1, 3, size.height, size.width]);
    if (size.width === out.width && size.height === out.height) chwToHwcBytes(data, out.data);
    else
      this.up
        .get({ srcWidth: size.width, srcHeight: size.height, dstWidth: out.width, dstHeight: out.height, channels: 3 })
        .resize(data, 'CHW', out.data, 'HWC');
    return size;
  }
}

/** Interleaved 8-bit RGB -> planar float `value * scale + offset` (same size). */
export function hwcToChw(src: Uint8Array, dst: Float32Array, scale: number, offset: number): void {
  const plane = src.length / 3;
  if (dst.length !== src.length) throw new RangeError('hwcToChw: sizes differ');
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    dst[i] = src[j]! * scale + offset;
    dst[plane + i] = src[j + 1]! * scale + offset;
    dst[2 * plane + i] = src[j + 2]! * scale + offset;
  }
}

/** Planar float RGB (0..255, may overshoot) -> interleaved 8-bit, rounded and clipped (same size). */
export function chwToHwcBytes(src: Float32Array, dst: Uint8Array): void {
  const plane = dst.length / 3;
  if (src.length !== dst.length) throw new RangeError('chwToHwcBytes: sizes differ');
  for (let i = 0, j = 0; i < plane; i++, j += 3) {
    const r = src[i]!;
    const g = src[plane + i]!;
    const b = src[2 * plane + i]!;
    dst[j] = r < 0 ? 0 : r > 255 ? 255 : r + 0.5; // typed-array store truncates: +0.5 rounds
    dst[j + 1] = g < 0 ? 0 : g > 255 ? 255 : g + 0.5;
    dst[j + 2] = b < 0 ? 0 : b > 255 ? 255 : b + 0.5;
  }
}
