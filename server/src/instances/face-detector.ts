import type { LoadedModel, ModelRuntime } from '../runtime/onnx.ts';
import type { RgbImage } from '../pipeline/image.ts';
import { ResamplerCache } from '../pipeline/resample.ts';
import { decodeBlazeFace, FULL_RANGE, letterbox, SHORT_RANGE, ssdAnchors, unletterbox, weightedNms, type BlazeFaceVariant, type FaceBox } from './blazeface.ts';

export type FaceModelId = 'face-short' | 'face-full';

const VARIANTS: Record<FaceModelId, BlazeFaceVariant> = { 'face-short': SHORT_RANGE, 'face-full': FULL_RANGE };

/**
 * BlazeFace on a picture: letterbox into the square input (aspect kept, zero border, as MediaPipe feeds it), run,
 * decode + NMS, and map the boxes back to picture pixels. The full-range model (192 px) finds faces down to ~1/20
 * of the frame width — people a few metres from a webcam — which is what several people in one frame need.
 * Buffers are owned here and reused.
 */
export class FaceDetector {
  private readonly variant: BlazeFaceVariant;
  private readonly anchors: Float32Array;
  private readonly input: Float32Array;
  private readonly resamplers = new ResamplerCache();
  private letterboxed: Float32Array = new Float32Array(0);

  private constructor(private readonly model: LoadedModel) {
    const variant = VARIANTS[model.entry.id as FaceModelId];
    if (!variant) throw new TypeError(`${model.entry.id} is not a BlazeFace model`);
    this.variant = variant;
    this.anchors = ssdAnchors(variant);
    this.input = new Float32Array(variant.inputSize * variant.inputSize * 3);
  }

  static async create(runtime: ModelRuntime, modelId: FaceModelId = 'face-full'): Promise<FaceDetector> {
    return new FaceDetector(await runtime.load(modelId));
  }

  get modelId(): string {
    return this.model.entry.id;
  }

  /** Faces in picture pixels, best first. */
  async detect(image: RgbImage): Promise<FaceBox[]> {
    const size = this.variant.inputSize;
    const lb = letterbox(image.width, image.height);
    // The picture is resampled into its place inside the square. MediaPipe pads the float tensor with zeros after
    // normalising to [-1, 1] (BORDER_ZERO), so the border is 0 here too.
    const innerW = Math.max(1, Math.round((image.width / lb.side) * size));
    const innerH = Math.max(1, Math.round((image.height / lb.side) * size));
    const offsetX = Math.floor((size - innerW) / 2);
    const offsetY = Math.floor((size - innerH) / 2);
    if (this.letterboxed.length !== innerW * innerH * 3) this.letterboxed = new Float32Array(innerW * innerH * 3);
    const { scale, offset } = this.model.entry.normalization;
    this.resamplers
      .get({ srcWidth: image.width, srcHeight: image.height, dstWidth: innerW, dstHeight: innerH, channels: 3 })
      .resize(image.data, 'HWC', this.letterboxed, 'HWC', scale, offset);
    this.input.fill(0);
    for (let y = 0; y < innerH; y++) {
      this.input.set(this.letterboxed.subarray(y * innerW * 3, (y + 1) * innerW * 3), ((y + offsetY) * size + offsetX) * 3);
    }
    const outputs = await this.model.runAll(this.input, [1, size, size, 3]);
    const regressors = outputs[this.model.entry.io.output.name];
    const scores = outputs[this.model.entry.io.extraOutputs?.[0]?.name ?? ''];
    if (!regressors || !scores) throw new Error(`${this.model.entry.id}: missing detector outputs`);
    const candidates = decodeBlazeFace(regressors, scores, this.anchors, this.variant);
    // Map back through the placement actually used (rounded to whole input pixels), not the ideal letterbox.
    const pixelsPerInput = image.width / innerW;
    const placed = { side: size * pixelsPerInput, left: -offsetX * pixelsPerInput, top: -offsetY * pixelsPerInput };
    return weightedNms(candidates, this.variant.minSuppressionIoU).map((box) => unletterbox(box, placed));
  }
}
