import { isPeopleTarget, type PickPayload, type Target } from '@deepphoto/shared';
import { UnknownPersonError } from '../instances/errors.ts';
// Loaded on first use of a people target, so that sessions without person selection start as fast as before.
import type { LivePeople, LivePerson } from '../instances/live-people.ts';
import type { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleCatalog, StyleTier } from '../styles/catalog.ts';
import { composite, TARGET_RULES } from './composite.ts';
import { MaskRefiner } from './feather.ts';
import { createMask, type Mask, type RgbImage } from './image.ts';
import { ResamplerCache } from './resample.ts';
import { Segmenter } from './segment.ts';
import { DEFAULT_SMOOTHING, MaskSmoother, type SmoothingOptions } from './smooth.ts';
import { sharedRgbImage, ThreadedStylizer } from './style-thread.ts';
import { Stylizer, workingSize } from './stylize.ts';

/** What the live pipeline needs of a style stage: the in-thread Stylizer or the ThreadedStylizer. */
interface StyleStage {
  readonly modelId: string;
  stylize(picture: RgbImage, out: RgbImage, maxLongSide: number): Promise<unknown>;
  close?(): void;
}

export interface FrameTimings {
  segmentMs: number;
  styleMs: number;
  /** Person selection (detection on its frames, tracking, split); absent for other targets. */
  peopleMs?: number;
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
  /**
   * Run the style network in its own thread (`styleThreads` ORT threads) so that it overlaps segmentation and mask
   * work of the same frame. Off: everything in the calling thread, one stage after the other.
   */
  styleThread: boolean;
  styleThreads: number;
  /** Selected people (tracking ids) for the `people` / `people-except` targets. */
  people?: number[];
}

/** A live change: style / target / selection, or a one-shot pick (toggle the person at a point). */
export type LiveChange = Partial<Pick<LivePipelineOptions, 'style' | 'target' | 'people'>> & { pick?: PickPayload };

export const DEFAULT_LIVE_OPTIONS: Omit<LivePipelineOptions, 'style' | 'target'> = {
  workingLongSide: 256,
  tier: 'live',
  smoothing: DEFAULT_SMOOTHING,
  segmentationModel: 'selfie-general',
  styleThread: true,
  styleThreads: 1,
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
  // small and styledFull are shared with the style thread (SharedArrayBuffer): no copies across threads.
  return {
    width,
    height,
    small: sharedRgbImage(s.width, s.height),
    maskSmall: createMask(s.width, s.height),
    maskFull: createMask(width, height),
    styledFull: sharedRgbImage(width, height),
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
  private stylizer: StyleStage | null;
  /** The frame being processed, so that a replaced style stage is closed only after that frame is done. */
  private currentFrame: Promise<unknown> = Promise.resolve();
  /** Called when a frame is done: `update()` returns once a frame shows the new effect. */
  private frameDoneWaiters: (() => void)[] = [];
  private framesInProgress = 0;
  private framesDone = 0;
  private readonly smoother: MaskSmoother;
  private readonly refiner = new MaskRefiner();
  private readonly downscale = new ResamplerCache();
  private readonly upMask = new ResamplerCache();
  private buffers: FrameBuffers | undefined;
  private closed = false;
  /** Person selection stage, created the first time a people target is asked for. */
  private livePeople: LivePeople | null = null;
  private livePeopleLoading: Promise<LivePeople> | null = null;

  private constructor(
    private readonly runtime: ModelRuntime,
    private readonly catalog: StyleCatalog,
    private readonly segmenter: Segmenter,
    stylizer: StyleStage | null,
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
    const [segmentation, style] = await Promise.all([runtime.load(resolved.segmentationModel), LivePipeline.styleStage(runtime, modelId, resolved)]);
    const pipeline = new LivePipeline(runtime, catalog, new Segmenter(segmentation), style, resolved);
    if (isPeopleTarget(resolved.target)) await pipeline.ensureLivePeople();
    return pipeline;
  }

  private static async styleStage(runtime: ModelRuntime, modelId: string, options: LivePipelineOptions): Promise<StyleStage> {
    if (options.styleThread) return ThreadedStylizer.start(modelId, options.styleThreads);
    return new Stylizer(await runtime.load(modelId));
  }

  get effect(): { style: string; target: Target; modelId: string | null; people: number[] } {
    return { style: this.options.style, target: this.options.target, modelId: this.stylizer?.modelId ?? null, people: [...(this.options.people ?? [])] };
  }

  /** People in view (tracking ids, face boxes normalised to the frame) while a people target is on. */
  get people(): LivePerson[] {
    return this.livePeople?.people ?? [];
  }

  /**
   * Applies a change; with a selection (people / pick) it resolves to the selection after it. Unknown people
   * throw UnknownPersonError (code unknown_person) before anything changes.
   */
  async update(change: LiveChange): Promise<{ people: number[] } | undefined> {
    if (this.closed) throw new Error('LivePipeline is closed');
    // A pick may arrive right behind the switch to a people target: both wait for the one detector load.
    if (isPeopleTarget(change.target ?? this.options.target)) await this.ensureLivePeople();
    let people = change.people ?? this.options.people ?? [];
    if (change.people !== undefined || change.pick !== undefined) {
      if (!this.livePeople) {
        if (change.pick || people.length > 0) throw new UnknownPersonError('nobody is tracked yet: choose the people or people-except target first');
      } else {
        if (change.people) this.livePeople.checkIds(change.people);
        if (change.pick) {
          const id = this.livePeople.personAt(change.pick.x, change.pick.y);
          people = people.includes(id) ? people.filter((p) => p !== id) : [...people, id];
        }
      }
    }
    const previous = this.stylizer;
    let next = previous;
    const style = change.style ?? this.options.style;
    if (change.style !== undefined) {
      const modelId = this.catalog.modelFor(style, this.options.tier);
      if (modelId !== previous?.modelId) next = await LivePipeline.styleStage(this.runtime, modelId, this.options);
    }
    if (this.closed) {
      if (next !== previous) next?.close?.();
      throw new Error('LivePipeline is closed');
    }
    // Swap both in one step, after the new model is ready; retire the old stage once its last frame is done.
    this.stylizer = next;
    this.options = { ...this.options, style, target: change.target ?? this.options.target, people };
    if (previous && previous !== next) void this.currentFrame.finally(() => previous.close?.());
    await this.firstFrameWithCurrentEffect();
    return change.people !== undefined || change.pick !== undefined ? { people: [...people] } : undefined;
  }

  /**
   * Waits until the first frame started after the swap is done, so that "updated" means frames now carry the new
   * effect, not merely that it is loaded. Without frames (paused camera, tests) it gives up after 500 ms.
   */
  private firstFrameWithCurrentEffect(): Promise<void> {
    const firstNewFrame = this.framesDone + this.framesInProgress + 1;
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, 500);
      const check = () => (this.framesDone >= firstNewFrame ? finish() : this.frameDoneWaiters.push(check));
      check();
    });
  }

  private async ensureLivePeople(): Promise<LivePeople> {
    this.livePeopleLoading ??= import('../instances/live-people.ts').then(({ LivePeople }) => LivePeople.create(this.runtime));
    this.livePeople = await this.livePeopleLoading;
    return this.livePeople;
  }

  /** Writes the processed `input` into `output` (same size). `timestampMs` must increase. */
  process(input: RgbImage, timestampMs: number, output: RgbImage): Promise<FrameTimings> {
    this.framesInProgress++;
    const frame = this.processFrame(input, timestampMs, output);
    this.currentFrame = frame.catch(() => undefined);
    void this.currentFrame.then(() => {
      this.framesInProgress--;
      this.framesDone++;
      for (const waiter of this.frameDoneWaiters.splice(0)) waiter();
    });
    return frame;
  }

  private async processFrame(input: RgbImage, timestampMs: number, output: RgbImage): Promise<FrameTimings> {
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
      this.livePeople?.reset();
    }
    const b = this.buffers;
    this.downscale
      .get({ srcWidth: input.width, srcHeight: input.height, dstWidth: b.small.width, dstHeight: b.small.height, channels: 3 })
      .resize(input.data, 'HWC', b.small.data, 'HWC');

    // The style network starts first: in its own thread it runs while this thread does the mask work below
    // (in-thread, onnxruntime-node's synchronous run makes the two sequential anyway). The output is resampled
    // straight to frame size.
    const styleStarted = performance.now();
    let styleEnded = styleStarted;
    const styled = stylizer.stylize(b.small, b.styledFull, Math.max(b.small.width, b.small.height)).then(() => {
      styleEnded = performance.now();
    });
    styled.catch(() => undefined); // awaited below; not an unhandled rejection while the mask work runs
    let t = performance.now();
    if (rule.needsMask) {
      const lowRes = await this.segmenter.segment(b.small);
      timings.segmentMs = performance.now() - t;
      t = performance.now();
      this.smoother.apply(lowRes, timestampMs);
      this.refiner.refine(lowRes, b.small, b.maskSmall);
      if (isPeopleTarget(target) && this.livePeople) {
        const p = await this.livePeople.apply(b.small, b.maskSmall, timestampMs, this.options.people ?? [], target === 'people-except');
        timings.peopleMs = p.detectMs + p.trackMs + p.splitMs;
      }
      this.upMask
        .get({ srcWidth: b.small.width, srcHeight: b.small.height, dstWidth: input.width, dstHeight: input.height, channels: 1 })
        .resize(b.maskSmall.data, 'HWC', b.maskFull.data, 'HWC');
      timings.smoothMs = performance.now() - t;
    }
    await styled;
    timings.styleMs = styleEnded - styleStarted;

    t = performance.now();
    composite(input, b.styledFull, rule.needsMask ? b.maskFull : null, target, output);
    timings.compositeMs = performance.now() - t;
    timings.totalMs = performance.now() - started;
    return timings;
  }

  /** Model sessions belong to the runtime; the style thread (if any) is ended after the frame in progress. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const stylizer = this.stylizer;
    this.stylizer = null;
    this.buffers = undefined;
    void this.currentFrame.finally(() => stylizer?.close?.());
  }
}
