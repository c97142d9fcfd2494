/**
 * Arbitrary style transfer (Magenta, Ghiasi et al. 2017): any picture becomes a style.
 *
 * Two networks: the *prediction* network turns a style picture (256x256) into a 100-d style vector; the *transfer*
 * network stylizes a content picture of any size (multiple of 4) with a style vector. Style strength is what the
 * authors do: blend the style vector with the content picture's own vector (0 = the content's own look, 1 = the
 * style's). Everything here is pure over typed arrays apart from the model runs.
 */
import type { LoadedModel } from '../runtime/onnx.ts';
import type { RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';
import { workingSize, type Size } from './stylize.ts';

export const STYLE_VECTOR_LENGTH = 100;
/** The prediction network's fixed input side. */
export const STYLE_IMAGE_SIDE = 256;

/** The largest centred square of a picture: the style picture is cropped to it before resizing (no distortion). */
export function centreSquare(picture: { width: number; height: number }): { left: number; top: number; side: number } {
  const side = Math.min(picture.width, picture.height);
  return { left: Math.floor((picture.width - side) / 2), top: Math.floor((picture.height - side) / 2), side };
}

function cropRgb(picture: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left === 0 && top === 0 && width === picture.width && height === picture.height) return picture;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * picture.width + left) * 3;
    data.set(picture.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** Style picture -> the prediction network's NHWC float input (centre square, antialiased resize, 0..1). */
export function styleImageInput(picture: RgbImage, resamplers = new ResamplerCache()): Float32Array {
  const { left, top, side } = centreSquare(picture);
  const square = cropRgb(picture, left, top, side, side);
  const input = new Float32Array(STYLE_IMAGE_SIDE * STYLE_IMAGE_SIDE * 3);
  resamplers
    .get({ srcWidth: side, srcHeight: side, dstWidth: STYLE_IMAGE_SIDE, dstHeight: STYLE_IMAGE_SIDE, channels: 3 })
    .resize(square.data, 'HWC', input, 'HWC', 1 / 255, 0);
  return input;
}

/** Runs the prediction network on a picture: its 100-d style vector. */
export async function predictStyleVector(predict: LoadedModel, picture: RgbImage, resamplers?: ResamplerCache): Promise<Float32Array> {
  const { data } = await predict.run(styleImageInput(picture, resamplers), [1, STYLE_IMAGE_SIDE, STYLE_IMAGE_SIDE, 3]);
  if (data.length !== STYLE_VECTOR_LENGTH) throw new Error(`${predict.entry.id}: expected a ${STYLE_VECTOR_LENGTH}-d style vector, got ${data.length}`);
  return Float32Array.from(data);
}

/** strength·style + (1 − strength)·content, strength in 0..1 (clamped), into `out` (may alias either input). */
export function blendStyleVectors(style: Float32Array, content: Float32Array, strength: number, out = new Float32Array(style.length)): Float32Array {
  const s = Math.min(1, Math.max(0, strength));
  for (let i = 0; i < out.length; i++) out[i] = s * style[i]! + (1 - s) * content[i]!;
  return out;
}

/**
 * The small pure entry point for tools (e.g. `eval:style`): stylizes an 8-bit RGB buffer (HWC, width and height
 * multiples of 4) with a style vector at its own size and returns the 8-bit result.
 */
export async function stylizeRgbWithVector(transfer: LoadedModel, rgb: RgbImage, styleVector: Float32Array): Promise<RgbImage> {
  if (rgb.width % 4 !== 0 || rgb.height % 4 !== 0) throw new TypeError('stylizeRgbWithVector: width and height must be multiples of 4');
  const input = new Float32Array(rgb.data.length);
  for (let i = 0; i < input.length; i++) input[i] = rgb.data[i]! / 255;
  const { data } = await runTransfer(transfer, input, { width: rgb.width, height: rgb.height }, styleVector);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(data[i]! * 255)));
  return { width: rgb.width, height: rgb.height, data: out };
}

function runTransfer(transfer: LoadedModel, content: Float32Array, size: Size, styleVector: Float32Array) {
  const styleName = transfer.entry.io.styleInput?.name;
  if (styleName === undefined) throw new TypeError(`${transfer.entry.id} is not a style transfer network`);
  return transfer.runWith({
    [transfer.inputName]: { data: content, dims: [1, size.height, size.width, 3] },
    [styleName]: { data: styleVector, dims: [1, 1, 1, STYLE_VECTOR_LENGTH] },
  });
}

export interface ArbitraryStyleOptions {
  /** 0..1: how much of the style picture's look, the rest is the content's own (1 = full style). */
  strength: number;
  /** Recompute the content's own vector after this many frames (it changes slowly; only used when strength < 1). */
  contentVectorEveryFrames: number;
  /** Cap on the long side the transfer network runs at, below what the caller asks (the live path sets it). */
  maxLongSide: number;
}

export const DEFAULT_ARBITRARY_OPTIONS: ArbitraryStyleOptions = { strength: 1, contentVectorEveryFrames: 90, maxLongSide: Infinity };

/**
 * The arbitrary-style stage, interchangeable with `Stylizer` (same `stylize(picture, out, maxLongSide)`): one
 * resample down into the network's NHWC float input, the transfer network, one resample up into `out`.
 * Buffers are reused while the working size stays the same. With strength < 1 the content's own style vector
 * (prediction network) is computed on the first frame and refreshed every `contentVectorEveryFrames` frames.
 */
export class ArbitraryStylizer {
  private input = new Float32Array(0);
  private readonly down = new ResamplerCache();
  private readonly up = new ResamplerCache();
  private readonly predictResamplers = new ResamplerCache();
  private readonly blended = new Float32Array(STYLE_VECTOR_LENGTH);
  private contentVector: Float32Array | undefined;
  private framesSinceContentVector = 0;
  private options: ArbitraryStyleOptions;
  private styleVector: Float32Array;

  constructor(
    readonly transfer: LoadedModel,
    styleVector: Float32Array,
    /** Needed only when strength < 1. */
    private predict: LoadedModel | undefined,
    options: Partial<ArbitraryStyleOptions> = {},
    /** What this stage reports as its model (the live path uses it to tell one style stage from another). */
    public modelId = transfer.entry.id,
  ) {
    this.options = { ...DEFAULT_ARBITRARY_OPTIONS, ...options };
    this.styleVector = ArbitraryStylizer.checkedVector(styleVector, this.options.strength, predict);
  }

  private static checkedVector(vector: Float32Array, strength: number, predict: LoadedModel | undefined): Float32Array {
    if (vector.length !== STYLE_VECTOR_LENGTH) throw new TypeError(`style vector must have ${STYLE_VECTOR_LENGTH} values`);
    if (strength < 1 && predict === undefined) throw new TypeError('a style strength below 100 % needs the prediction network');
    return Float32Array.from(vector); // our own copy: a run in flight keeps reading the old one
  }

  /** The network this stage runs; another look for the same network only needs `setStyle`. */
  get networkId(): string {
    return this.transfer.entry.id;
  }

  /**
   * Switches to another look of the same network without reloading anything: the next frame uses it. This is what
   * makes a freshly uploaded style show up in a call within a frame or two.
   */
  setStyle(vector: Float32Array, strength: number, predict: LoadedModel | undefined = this.predict, modelId = this.modelId): void {
    this.styleVector = ArbitraryStylizer.checkedVector(vector, strength, predict);
    this.predict = predict;
    this.options = { ...this.options, strength };
    this.contentVector = undefined;
    this.modelId = modelId;
  }

  private async vectorFor(picture: RgbImage): Promise<Float32Array> {
    if (this.options.strength >= 1 || this.predict === undefined) return this.styleVector;
    if (this.contentVector === undefined || this.framesSinceContentVector >= this.options.contentVectorEveryFrames) {
      this.contentVector = await predictStyleVector(this.predict, picture, this.predictResamplers);
      blendStyleVectors(this.styleVector, this.contentVector, this.options.strength, this.blended);
      this.framesSinceContentVector = 0;
    }
    this.framesSinceContentVector++;
    return this.blended;
  }

  async stylize(picture: RgbImage, out: RgbImage, maxLongSide: number): Promise<Size> {
    if (out.width * picture.height !== out.height * picture.width) throw new TypeError("stylize: output must have the picture's aspect ratio");
    const size = workingSize(picture, Math.min(maxLongSide, this.options.maxLongSide), this.transfer.entry.io.input.multipleOf ?? 4);
    const n = size.width * size.height * 3;
    if (this.input.length !== n) this.input = new Float32Array(n);
    const { scale, offset } = this.transfer.entry.normalization;
    this.down
      .get({ srcWidth: picture.width, srcHeight: picture.height, dstWidth: size.width, dstHeight: size.height, channels: 3 })
      .resize(picture.data, 'HWC', this.input, 'HWC', scale, offset);
    const vector = await this.vectorFor(picture);
    const { data } = await runTransfer(this.transfer, this.input, size, vector);
    // The network ends in a sigmoid: 0..1 back to 0..255 while resampling to the output size.
    this.up
      .get({ srcWidth: size.width, srcHeight: size.height, dstWidth: out.width, dstHeight: out.height, channels: 3 })
      .resize(data, 'HWC', out.data, 'HWC', 255, 0);
    return size;
  }
}
