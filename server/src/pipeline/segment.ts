import type { LoadedModel } from '../runtime/onnx.ts';
import { createMask, type Mask, type RgbImage } from './image.ts';
import { NativeScalerCache } from './native-scale.ts';
import { ResamplerCache } from './resample.ts';

export interface SegmenterOptions {
  /**
   * Also run the horizontally mirrored picture and average the two masks. Portrait models are not exactly
   * symmetric; averaging cancels part of their error at the cost of a second (~2.5 ms) inference.
   */
  flipAverage?: boolean;
}

/**
 * Person segmentation at the model's own resolution: stretch the picture to the model input (NHWC, 0..1), run,
 * return the low-resolution probability mask. Upsampling to the picture happens in `refineMask`, guided by the
 * full-resolution picture. Buffers are owned here and reused from call to call.
 */
export class Segmenter {
  readonly width: number;
  readonly height: number;
  private readonly input: Float32Array;
  private readonly flipped: Float32Array;
  private readonly mask: Mask;
  private readonly resamplers = new ResamplerCache();
  /** Live frames (already at the working size) are only stretched up to the model: natively, then normalised. */
  private readonly stretch = new NativeScalerCache();
  private stretched = new Uint8Array(0);

  constructor(
    private readonly model: LoadedModel,
    private readonly options: SegmenterOptions = {},
  ) {
    const { shape, layout } = model.entry.io.input;
    if (layout !== 'NHWC' || shape.length !== 4 || shape[3] !== 3) throw new TypeError(`${model.entry.id}: expected an NHWC RGB input`);
    this.height = shape[1]!;
    this.width = shape[2]!;
    this.input = new Float32Array(this.width * this.height * 3);
    this.flipped = new Float32Array(this.width * this.height * 3);
    this.mask = createMask(this.width, this.height);
  }

  get modelId(): string {
    return this.model.entry.id;
  }

  /** Frees the native scaling context (idempotent); the model belongs to its runtime. */
  close(): void {
    this.stretch.close();
  }

  /** The returned mask is owned by the Segmenter and overwritten by the next call. */
  async segment(image: RgbImage): Promise<Mask> {
    const { scale, offset } = this.model.entry.normalization;
    if (image.width <= this.width && image.height <= this.height) {
      if (this.stretched.length !== this.input.length) this.stretched = new Uint8Array(this.input.length);
      this.stretch.get({ srcWidth: image.width, srcHeight: image.height, dstWidth: this.width, dstHeight: this.height, format: 'rgb24' }).scale(image.data, this.stretched);
      const input = this.input;
      const stretched = this.stretched;
      for (let i = 0; i < input.length; i++) input[i] = stretched[i]! * scale + offset;
    } else
      // Photos (larger than the model): the area-averaging JavaScript resampler, which does not alias.
      this.resamplers
        .get({ srcWidth: image.width, srcHeight: image.height, dstWidth: this.width, dstHeight: this.height, channels: 3 })
        .resize(image.data, 'HWC', this.input, 'HWC', scale, offset);
    const dims = [1, this.height, this.width, 3];
    const { data } = await this.model.run(this.input, dims);
    this.mask.data.set(data.subarray(0, this.mask.data.length));
    if (this.options.flipAverage) {
      flipRowsHwc(this.input, this.flipped, this.width, this.height, 3);
      const mirrored = (await this.model.run(this.flipped, dims)).data;
      const w = this.width;
      const out = this.mask.data;
      for (let y = 0; y < this.height; y++) {
        const row = y * w;
        for (let x = 0; x < w; x++) out[row + x] = 0.5 * (out[row + x]! + mirrored[row + (w - 1 - x)]!);
      }
    }
    return this.mask;
  }
}

/** Mirrors each row of an HWC buffer left-right. */
export function flipRowsHwc(src: Float32Array, dst: Float32Array, width: number, height: number, channels: number): void {
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < width; x++) {
      const s = row + x * channels;
      const d = row + (width - 1 - x) * channels;
      for (let c = 0; c < channels; c++) dst[d + c] = src[s + c]!;
    }
  }
}
