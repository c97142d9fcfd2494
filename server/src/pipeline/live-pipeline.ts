import type { Target } from '@deepphoto/shared';
import type { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleCatalog, StyleTier } from '../styles/catalog.ts';
import { composite, TARGET_RULES } from './composite.ts';
import { MaskRefiner } from './feather.ts';
import { createMask, createRgbImage, type Mask, type RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';
import { Segmenter } from './segment.ts';
import { DEFAULT_SMOOTHING, MaskSmoother, type SmoothingOptions } from './smooth.ts';
import { Stylizer, workingSize } from './stylize.ts';

export interface FrameTimings {
  segmentMs: number;
  styleMs: number;
  smoothMs: number;
  compositeMs: number;
  totalMs: number;
}

export interface LivePipelineOptions {
  style: string;
  target: Target;
  /** Long side of the size segmentation refinement and style run at; the composite is at full frame size. */
  workingLongSide: number;
  /** Which network per look: `live` (distilled, CPU real time) or `quality` (teachers, for GPUs). */
  tier: StyleTier;
  smoothing: SmoothingOptions;
  segmentationModel: string;
}

export const DEFAULT_LIVE_OPTIONS: Omit<LivePipelineOptions, 'style' | 'target'> = {
  workingLongSide: 320,
  tier: 'live',
  smoothing: DEFAULT_SMOOTHING,
  segmentationModel: 'selfie-general',
};

/** The per-size buffers of one stream; rebuilt only when the camera's resolution changes. */
interface FrameBuffers {
  width: number;
  height: number;
  small: RgbImage;
  maskSmall: Mask;
  maskFull: Mask;
  styledFull: RgbImage;
}

function allocate(width: number, height: number, longSide: number): FrameBuffers {
  const s = workingSize({ width, height }, longSide, 4);
  return {
    width,
    height,
    small: createRgbImage(s.width, s.height),
    maskSmall: createMask(s.width, s.height),
    maskFull: createMask(width, height),
    styledFull: createRgbImage(width, height),
  };
}

/**
 * One stream's frame transform: `process(frame) -> frame`, with style and target changeable live.
 *
 * Per frame: downscale once to the working size; segment it and stylize it (the style network's output is
 * resampled straight to frame size); smooth the model-size mask over time; refine it with the guided filter at
 * working size; upsample the mask and composite at frame size, so the untouched region keeps full resolution.
 *
 * `update()` is make-before-break: a new style's session is created and warmed up while frames keep flowing with
 * the old one, then swapped in between two frames. A failed update leaves the old effect running.
 */
export class LivePipeline {
  private options: LivePipelineOptions;
  private stylizer: Stylizer | null;
  private readonly smoother: MaskSmoother;
  private readonly refiner = new MaskRefiner();
  private readonly downscale = new ResamplerCache();
  private readonly upMask = new ResamplerCache();
  private buffers: FrameBuffers | undefined;
  private closed = false;

  private constructor(
    private readonly runtime: ModelRuntime,
    private readonly catalog: StyleCatalog,
    private readonly segmenter: Segmenter,
    stylizer: Stylizer | null,
    options: LivePipelineOptions,
  ) {
    this.options = options;
    this.stylizer = stylizer;
    this.smoother = new MaskSmoother(options.smoothing);
  }

  static async create(
    runtime: ModelRuntime,
    catalog: StyleCatalog,
    options: Pick<LivePipelineOptions, 'style' | 'target'> & Partial<LivePipelineOptions>,
  ): Promise<LivePipeline> {
    const resolved: LivePipelineOptions = { ...DEFAULT_LIVE_OPTIONS, ...options };
    const modelId = catalog.modelFor(resolved.style, resolved.tier); // throws UnknownStyleError first
    const [segmentation, style] = await Promise.all([runtime.load(resolved.segmentationModel), runtime.load(modelId)]);
    return new LivePipeline(runtime, catalog, new Segmenter(segmentation), new Stylizer(style), resolved);
  }

  get effect(): { style: string; target: Target; modelId: string | null } {
    return { style: this.options.style, target: this.options.target, modelId: this.stylizer?.modelId ?? null };
  }

  async update(change: Partial<Pick<LivePipelineOptions, 'style' | 'target'>>): Promise<void> {
    if (this.closed) throw new Error('LivePipeline is closed');
    let next = this.stylizer;
    const style = change.style ?? this.options.style;
    if (change.style !== undefined) {
      const modelId = this.catalog.modelFor(style, this.options.tier);
      if (modelId !== this.stylizer?.modelId) next = new Stylizer(await this.runtime.load(modelId));
    }
    // Swap both in one step, after the new model is ready.
    this.stylizer = next;
    this.options = { ...this.options, style, target: change.target ?? this.options.target };
  }

  /** Writes the processed `input` into `output` (same size). `timestampMs` must increase. */
  async process(input: RgbImage, timestampMs: number, output: RgbImage): Promise<FrameTimings> {
    const started = performance.now();
    const timings: FrameTimings = { segmentMs: 0, styleMs: 0, smoothMs: 0, compositeMs: 0, totalMs: 0 };
    const { target } = this.options;
    const rule = TARGET_RULES[target];
    const stylizer = this.stylizer;
    if (!rule.needsStyle || !stylizer) {
      output.data.set(input.data);
      timings.totalMs = performance.now() - started;
      return timings;
    }
    if (this.buffers?.width !== input.width || this.buffers.height !== input.height) {
      this.buffers = allocate(input.width, input.height, this.options.workingLongSide);
      this.smoother.reset();
    }
    const b = this.buffers;
    this.downscale
      .get({ srcWidth: input.width, srcHeight: input.height, dstWidth: b.small.width, dstHeight: b.small.height, channels: 3 })
      .resize(input.data, 'HWC', b.small.data, 'HWC');

    // Sequential on purpose: onnxruntime-node runs inference as a synchronous native call on this thread, so
    // overlapping the two gives nothing and would only blur the per-stage timings. Each run uses ORT's threads.
    if (rule.needsMask) {
      let t = performance.now();
      const lowRes = await this.segmenter.segment(b.small);
      timings.segmentMs = performance.now() - t;
      t = performance.now();
      this.smoother.apply(lowRes, timestampMs);
      this.refiner.refine(lowRes, b.small, b.maskSmall);
      timings.smoothMs = performance.now() - t;
    }
    let t = performance.now();
    await stylizer.stylize(b.small, b.styledFull, Math.max(b.small.width, b.small.height));
    timings.styleMs = performance.now() - t;

    t = performance.now();
    if (rule.needsMask) {
      this.upMask
        .get({ srcWidth: b.small.width, srcHeight: b.small.height, dstWidth: input.width, dstHeight: input.height, channels: 1 })
        .resize(b.maskSmall.data, 'HWC', b.maskFull.data, 'HWC');
    }
    composite(input, b.styledFull, rule.needsMask ? b.maskFull : null, target, output);
    timings.compositeMs = performance.now() - t;
    timings.totalMs = performance.now() - started;
    return timings;
  }

  /** Sessions belong to the runtime (shared by the worker's pipelines); this only stops further use. */
  close(): void {
    this.closed = true;
    this.stylizer = null;
    this.buffers = undefined;
  }
}
