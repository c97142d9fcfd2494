import type { ModelRuntime } from '../runtime/onnx.ts';
import { MaskRefiner, type RefineOptions } from './feather.ts';
import type { Mask, RgbImage } from './image.ts';
import { Segmenter } from './segment.ts';

/** The product's default segmentation settings; eval:seg measures exactly these unless told otherwise. */
export interface PersonMaskOptions {
  modelId: string;
  flipAverage: boolean;
  /** `guided`: edge-aware refinement at full resolution; `bilinear`: plain upsampling (the baseline). */
  upsampling: 'guided' | 'bilinear';
  refine: RefineOptions;
}

export const DEFAULT_PERSON_MASK: PersonMaskOptions = {
  modelId: 'selfie-general',
  flipAverage: true,
  upsampling: 'guided',
  refine: {},
};

/** Segment + upsample/refine: picture in, full-resolution soft person mask out. */
export class PersonMasker {
  private readonly refiner = new MaskRefiner();

  private constructor(
    private readonly segmenter: Segmenter,
    readonly options: PersonMaskOptions,
  ) {}

  static async create(runtime: ModelRuntime, options: Partial<PersonMaskOptions> = {}): Promise<PersonMasker> {
    const resolved = { ...DEFAULT_PERSON_MASK, ...options };
    const model = await runtime.load(resolved.modelId);
    return new PersonMasker(new Segmenter(model, { flipAverage: resolved.flipAverage }), resolved);
  }

  get modelId(): string {
    return this.segmenter.modelId;
  }

  /** Model-resolution mask (owned by the segmenter, valid until the next call). */
  segmentLowRes(image: RgbImage): Promise<Mask> {
    return this.segmenter.segment(image);
  }

  /** Upsamples a model-resolution mask of `image` into `out` with the configured method. */
  upsample(lowRes: Mask, image: RgbImage, out: Mask): void {
    if (this.options.upsampling === 'guided') this.refiner.refine(lowRes, image, out, this.options.refine);
    else this.refiner.upsample(lowRes, out);
  }

  async mask(image: RgbImage, out: Mask): Promise<void> {
    this.upsample(await this.segmentLowRes(image), image, out);
  }
}
