/**
 * The live path's person mask at working size: segment, smooth over time (MaskSmoother), refine along the
 * picture's edges (MaskRefiner). One chain shared by LivePipeline and eval:flicker, so that the tool measures the
 * flicker of exactly what a live session shows.
 */
import type { ModelRuntime } from '../runtime/onnx.ts';
import { MaskRefiner } from './feather.ts';
import type { Mask, RgbImage } from './image.ts';
import { Segmenter } from './segment.ts';
import { MaskSmoother, type SmoothingOptions } from './smooth.ts';

export class LiveMaskChain {
  private readonly smoother: MaskSmoother;
  private readonly refiner = new MaskRefiner();

  constructor(
    private readonly segmenter: Segmenter,
    smoothing: SmoothingOptions,
  ) {
    this.smoother = new MaskSmoother(smoothing);
  }

  static async create(runtime: ModelRuntime, modelId: string, smoothing: SmoothingOptions): Promise<LiveMaskChain> {
    return new LiveMaskChain(new Segmenter(await runtime.load(modelId)), smoothing);
  }

  /**
   * Writes the smoothed, refined mask of `small` into `out` (same size); `timestampMs` must increase. `unsmoothed`
   * (evaluation): also this frame's refined mask without temporal smoothing. Returns the segmentation's share.
   */
  async run(small: RgbImage, timestampMs: number, out: Mask, unsmoothed?: Mask): Promise<{ segmentMs: number }> {
    const t = performance.now();
    const lowRes = await this.segmenter.segment(small);
    const segmentMs = performance.now() - t;
    if (unsmoothed) this.refiner.refine(lowRes, small, unsmoothed); // before the smoother changes lowRes in place
    this.smoother.apply(lowRes, timestampMs);
    this.refiner.refine(lowRes, small, out);
    return { segmentMs };
  }

  /** Forgets the previous frames (a new stream, or the camera's size changed). */
  reset(): void {
    this.smoother.reset();
  }

  /** Frees the segmenter's native scaler (idempotent); the model belongs to its runtime. */
  close(): void {
    this.segmenter.close();
  }
}
