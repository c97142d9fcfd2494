import { isPeopleTarget, type EffectSpec, type PickPayload, type Target } from '@deepphoto/shared';
import { UnknownPersonError } from '../instances/errors.ts';
// Loaded on first use of a people target, so that sessions without person selection start as fast as before.
import type { LivePeople, LivePerson } from '../instances/live-people.ts';
import { RemoteModel, type InferenceClient } from '../runtime/inference-client.ts';
import type { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleCatalog, StyleTier } from '../styles/catalog.ts';
import { compositeAlpha8, TARGET_RULES } from './composite.ts';
import { createEffectRenderer, resolveEffect, type BackgroundPictureSource, type EffectRenderer } from './effect-stage.ts';
import { LiveMaskChain } from './live-mask.ts';
import { createAlpha8, createMask, createRgbImage, maskToAlpha8, type Alpha8, type Mask, type RgbImage } from './image.ts';
import { NativeScalerCache } from './native-scale.ts';
import { ResamplerCache } from './resample.ts';
import { Segmenter } from './segment.ts';
import { DEFAULT_SMOOTHING, type SmoothingOptions } from './smooth.ts';
import { sharedRgbImage, ThreadedStylizer } from './style-thread.ts';
import { Stylizer, workingSize } from './stylize.ts';
import { DEFAULT_TEMPORAL, TemporalBlender, type TemporalOptions } from './temporal.ts';
import { ArbitraryStylizer } from './arbitrary-style.ts';
import type { FrameTimings } from './processor.ts';

/** What the live pipeline needs of a style stage: the in-thread Stylizer or the ThreadedStylizer. */
interface StyleStage {
  readonly modelId: string;
  /** Arbitrary-style stages: switch look in place (same network). */
  readonly arbitrary?: boolean;
  readonly networkId?: string;
  setStyle?(style: { vector: Float32Array; strength: number; predictModelId: string | undefined; key: string }): Promise<void>;
  /** False once the stage can no longer run (its thread crashed or was closed); undefined: always usable. */
  readonly alive?: boolean;
  stylize(picture: RgbImage, out: RgbImage, maxLongSide: number): Promise<unknown>;
  close?(): void;
}

/** `Stage -> ms` of one frame (the shared type): peopleMs (person selection) and temporalMs only where they ran. */
export type { FrameTimings };

export interface LivePipelineOptions {
  /** The effect id: a style id (`candy`), `blur-light` / `blur-strong`, `bg-<picture>` or `none`. */
  style: string;
  target: Target;
  /** Arbitrary-style looks only: percent of the picture's style (the rest is the frame's own look). */
  strength?: number;
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
  /**
   * The process's inference owner (GPU tier): the fixed style networks run there, loaded once for all sessions and
   * batched across them, instead of in a style thread of this session. Arbitrary-style looks (two inputs, a style
   * vector per session) keep their own thread. The caller owns the client.
   */
  inference?: InferenceClient;
  /** Blending of the styled picture towards the previous one where the input did not change (temporal.ts). */
  temporal: TemporalOptions;
  /** Where `bg-*` effects find their pictures; without it only styles and blur are available. */
  pictures?: BackgroundPictureSource;
  /**
   * Long side the arbitrary-style transfer network runs at (art looks, your own pictures). It costs ~2.5x a light
   * net at the same size, so it runs smaller than `workingLongSide` to keep the call's frame rate.
   */
  arbitraryLongSide: number;
  /**
   * Keep an arbitrary-style thread loaded and idle beside a fixed-network style (started in the background), so
   * that switching to a picture's style — e.g. one just uploaded — takes a frame, not a thread start and a model
   * load. One extra idle thread per call; the product turns it on, tests of the fixed networks leave it off.
   */
  spareArbitraryStage: boolean;
  /** Selected people (tracking ids) for the `people` / `people-except` targets. */
  people?: number[];
}

/** The per-effect stage: a style network, or a renderer for blur / picture, or neither (`none`). */
interface EffectStages {
  stylizer: StyleStage | null;
  renderer: EffectRenderer | null;
}

/** A live change: style / target / selection, or a one-shot pick (toggle the person at a point). */
export type LiveChange = Partial<Pick<LivePipelineOptions, 'style' | 'target' | 'strength' | 'people'>> & { pick?: PickPayload };

export const DEFAULT_LIVE_OPTIONS: Omit<LivePipelineOptions, 'style' | 'target'> = {
  workingLongSide: 256,
  tier: 'live',
  smoothing: DEFAULT_SMOOTHING,
  segmentationModel: 'selfie-general',
  styleThread: true,
  styleThreads: 1,
  temporal: DEFAULT_TEMPORAL,
  arbitraryLongSide: 160,
  spareArbitraryStage: false,
};

/**
 * The per-size buffers of one stream; rebuilt only when the camera's resolution changes. Everything up to the
 * composite happens at the working size; only the two native upsamples (styled picture, mask) and the composite
 * touch the full frame.
 */
interface FrameBuffers {
  width: number;
  height: number;
  small: RgbImage;
  maskSmall: Mask;
  alphaSmall: Alpha8;
  alphaFull: Alpha8;
  styledSmall: RgbImage;
  styledFull: RgbImage;
}

function allocate(width: number, height: number, longSide: number): FrameBuffers {
  const s = workingSize({ width, height }, longSide, 4);
  // small and styledSmall are shared with the style thread (SharedArrayBuffer): no copies across threads.
  return {
    width,
    height,
    small: sharedRgbImage(s.width, s.height),
    maskSmall: createMask(s.width, s.height),
    alphaSmall: createAlpha8(s.width, s.height),
    alphaFull: createAlpha8(width, height),
    styledSmall: sharedRgbImage(s.width, s.height),
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
  private stylizer: StyleStage | null;
  private renderer: EffectRenderer | null;
  /** The frame being processed, so that a replaced style stage is closed only after that frame is done. */
  private currentFrame: Promise<unknown> = Promise.resolve();
  /** Called when a frame is done: `update()` returns once a frame shows the new effect. */
  private frameDoneWaiters: (() => void)[] = [];
  private framesInProgress = 0;
  private framesDone = 0;
  private readonly mask: LiveMaskChain;
  private readonly temporal: TemporalBlender;
  private readonly downscale = new ResamplerCache();
  private readonly upMask = new NativeScalerCache();
  private readonly upStyled = new NativeScalerCache();
  private buffers: FrameBuffers | undefined;
  private closed = false;
  /** An idle arbitrary-style stage (see `spareArbitraryStage`). */
  private spare: Promise<StyleStage | undefined> | undefined;
  /**
   * The fixed-network style thread retired by the last switch, kept loaded (one, idle: a thread and a model, no
   * CPU), so that switching back — the usual way people compare two looks — takes a frame instead of a thread start
   * and a model load. `free` resolves once the retired stage's last frame is done.
   */
  private retired: { stage: StyleStage; free: Promise<unknown> } | undefined;
  /** Person selection stage, created the first time a people target is asked for. */
  private livePeople: LivePeople | null = null;
  private livePeopleLoading: Promise<LivePeople> | null = null;

  private constructor(
    private readonly runtime: ModelRuntime,
    private readonly catalog: StyleCatalog,
    segmenter: Segmenter,
    stages: EffectStages,
    options: LivePipelineOptions,
  ) {
    this.options = options;
    this.stylizer = stages.stylizer;
    this.renderer = stages.renderer;
    this.mask = new LiveMaskChain(segmenter, options.smoothing);
    this.temporal = new TemporalBlender(options.temporal);
  }

  static async create(
    runtime: ModelRuntime,
    catalog: StyleCatalog,
    options: Pick<LivePipelineOptions, 'style' | 'target'> & Partial<LivePipelineOptions>,
  ): Promise<LivePipeline> {
    const resolved: LivePipelineOptions = { ...DEFAULT_LIVE_OPTIONS, ...options };
    const effect = resolveEffect(resolved.style, resolved.target);
    if (effect.kind === 'style') catalog.modelFor(resolved.style, resolved.tier); // throws UnknownStyleError first
    const [segmentation, stages] = await Promise.all([runtime.load(resolved.segmentationModel), LivePipeline.stagesFor(runtime, catalog, effect, resolved)]);
    const pipeline = new LivePipeline(runtime, catalog, new Segmenter(segmentation), stages, resolved);
    if (!stages.stylizer?.arbitrary) pipeline.startSpare();
    if (isPeopleTarget(resolved.target)) await pipeline.ensureLivePeople();
    return pipeline;
  }

  /** The stages for `effect` (a style network, or a renderer for blur / picture). */
  private static async stagesFor(runtime: ModelRuntime, catalog: StyleCatalog, effect: EffectSpec, options: LivePipelineOptions): Promise<EffectStages> {
    if (effect.kind === 'style') return { stylizer: await LivePipeline.styleStage(runtime, catalog, options), renderer: null };
    return { stylizer: null, renderer: await createEffectRenderer(effect, options.pictures) };
  }

  /** Starts the idle arbitrary-style stage in the background, if wanted and possible; failures only mean no spare. */
  private startSpare(): void {
    const transferModelId = this.catalog.arbitrary?.transferModelId;
    if (!this.options.spareArbitraryStage || !this.options.styleThread || !transferModelId || this.spare) return;
    const placeholder = { vector: new Float32Array(100), strength: 1, predictModelId: this.catalog.arbitrary?.predictModelId, key: 'spare', maxLongSide: this.options.arbitraryLongSide };
    this.spare = ThreadedStylizer.start(transferModelId, { threads: this.options.styleThreads, providers: this.runtime.providers }, placeholder).catch(() => undefined);
  }

  /** The spare stage if it runs `networkId` (it is handed over: the pipeline no longer holds it as a spare). */
  private async takeSpare(networkId: string): Promise<StyleStage | undefined> {
    const spare = await this.spare;
    this.spare = undefined;
    if (spare?.arbitrary && spare.networkId === networkId) return spare;
    spare?.close?.();
    return undefined;
  }

  /** Keeps `stage` as the retired fixed-network stage (closing the one kept before it). */
  private retire(stage: StyleStage): void {
    const older = this.retired;
    if (older) void older.free.finally(() => older.stage.close?.());
    this.retired = { stage, free: this.currentFrame };
  }

  /** The retired stage if it runs `key` (handed over: no longer kept as retired), once its last frame is done. */
  private async takeRetired(key: string): Promise<StyleStage | undefined> {
    const retired = this.retired;
    if (retired?.stage.modelId !== key) return undefined;
    this.retired = undefined;
    await retired.free;
    if (retired.stage.alive === false) {
      retired.stage.close?.();
      return undefined;
    }
    return retired.stage;
  }

  /** What tells one style stage from another: the network, plus look and strength for arbitrary-style looks. */
  private static stageKey(catalog: StyleCatalog, options: Pick<LivePipelineOptions, 'style' | 'tier' | 'strength'>): string {
    const modelId = catalog.modelFor(options.style, options.tier);
    return catalog.styleVectorFor(options.style) ? `${modelId}:${options.style}@${options.strength ?? 100}` : modelId;
  }

  private static async styleStage(runtime: ModelRuntime, catalog: StyleCatalog, options: LivePipelineOptions): Promise<StyleStage> {
    const modelId = catalog.modelFor(options.style, options.tier);
    const vector = catalog.styleVectorFor(options.style);
    if (vector) {
      const strength = (options.strength ?? 100) / 100;
      const predictModelId = catalog.arbitrary?.predictModelId;
      const key = LivePipeline.stageKey(catalog, options);
      const maxLongSide = options.arbitraryLongSide;
      if (options.styleThread) return ThreadedStylizer.start(modelId, { threads: options.styleThreads, providers: runtime.providers }, { vector, strength, predictModelId, key, maxLongSide });
      const predict = strength < 1 && predictModelId ? await runtime.load(predictModelId) : undefined;
      const stage = new ArbitraryStylizer(await runtime.load(modelId), vector, predict, { strength: predict ? strength : 1, maxLongSide }, key);
      return {
        get modelId() {
          return stage.modelId;
        },
        arbitrary: true,
        networkId: stage.networkId,
        stylize: (picture, out, longSide) => stage.stylize(picture, out, longSide),
        setStyle: async (next) => {
          const nextPredict = next.strength < 1 && next.predictModelId ? await runtime.load(next.predictModelId) : undefined;
          stage.setStyle(next.vector, nextPredict ? next.strength : 1, nextPredict, next.key);
        },
      };
    }
    // In the owner's thread the network overlaps this thread's mask work just as in a style thread of our own.
    if (options.inference) return new Stylizer(await RemoteModel.load(options.inference, modelId));
    if (options.styleThread) return ThreadedStylizer.start(modelId, { threads: options.styleThreads, providers: runtime.providers });
    return new Stylizer(await runtime.load(modelId));
  }

  get effect(): { style: string; target: Target; modelId: string | null; kind: EffectSpec['kind']; people: number[] } {
    return { style: this.options.style, target: this.options.target, modelId: this.stylizer?.modelId ?? null, kind: resolveEffect(this.options.style, this.options.target).kind, people: [...(this.options.people ?? [])] };
  }

  /** People in view (tracking ids, face boxes normalised to the frame) while a people target is on. */
  get people(): LivePerson[] {
    return this.livePeople?.people ?? [];
  }

  /**
   * Changes the effect (style, target, strength) and/or the person selection (people, pick). Overlapping calls: one
   * stage load at a time, and changes that arrive while one loads are merged and applied next, so the last call wins
   * and no loaded stage is left behind. With a selection it resolves to the selection after it; unknown people
   * throw UnknownPersonError (code unknown_person) and unknown styles UnknownStyleError, before anything changes.
   */
  update(change: LiveChange): Promise<{ people: number[] } | undefined> {
    if (this.closed) return Promise.reject(new Error('LivePipeline is closed'));
    try {
      const style = change.style ?? this.options.style;
      if (change.style !== undefined && resolveEffect(style, change.target ?? this.options.target).kind === 'style') this.catalog.modelFor(style, this.options.tier);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    this.pendingChange = { ...this.pendingChange, ...change };
    const run = this.updating.then(() => this.applyPendingChange());
    this.updating = run.catch(() => undefined);
    return run;
  }

  private pendingChange: LiveChange | undefined;
  private updating: Promise<unknown> = Promise.resolve();
  /** What the last applied change resolved to: the answer for a call that was merged into it. */
  private lastUpdateResult: { people: number[] } | undefined;

  private async applyPendingChange(): Promise<{ people: number[] } | undefined> {
    const change = this.pendingChange;
    this.pendingChange = undefined;
    if (!change) return this.lastUpdateResult; // merged into the run before this one, which already applied it
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
    const current = this.stylizer;
    const style = change.style ?? this.options.style;
    let next = current;
    let renderer = this.renderer;
    const target = change.target ?? this.options.target;
    const strength = change.strength ?? this.options.strength;
    const effect = resolveEffect(style, target);
    if (effect.kind !== 'style') {
      // Blur, picture or none: a renderer (or nothing) instead of a network.
      ({ stylizer: next, renderer } = await LivePipeline.stagesFor(this.runtime, this.catalog, effect, this.options));
    } else if (change.style !== undefined || change.strength !== undefined || !current) {
      renderer = null;
      const wanted = { ...this.options, style, strength };
      const key = LivePipeline.stageKey(this.catalog, wanted);
      const vector = this.catalog.styleVectorFor(style);
      if (key === current?.modelId) {
        // nothing to change in the style stage
      } else if (vector && current?.arbitrary && current.setStyle && current.networkId === this.catalog.modelFor(style, this.options.tier)) {
        // Another arbitrary-style look: same network, new vector, no new thread or session (fast switch).
        await current.setStyle({ vector, strength: (strength ?? 100) / 100, predictModelId: this.catalog.arbitrary?.predictModelId, key });
      } else {
        const spare = vector ? await this.takeSpare(this.catalog.modelFor(style, this.options.tier)) : undefined;
        if (spare?.setStyle && vector) {
          await spare.setStyle({ vector, strength: (strength ?? 100) / 100, predictModelId: this.catalog.arbitrary?.predictModelId, key });
          next = spare;
        } else next = (vector ? undefined : await this.takeRetired(key)) ?? (await LivePipeline.styleStage(this.runtime, this.catalog, wanted));
      }
    }
    // Read the stage to retire only now, after the await: it is whatever frames use at the moment of the swap.
    const previous = this.stylizer;
    if (this.closed) {
      if (next !== previous) next?.close?.();
      throw new Error('LivePipeline is closed');
    }
    // Swap all in one step, after the new stage is ready; retire the old stage once its last frame is done.
    this.stylizer = next;
    const previousRenderer = this.renderer;
    this.renderer = renderer;
    if (previousRenderer && previousRenderer !== renderer) void this.currentFrame.finally(() => previousRenderer.close?.());
    this.options = { ...this.options, style, strength, target, people };
    if (previous && previous !== next) {
      // A replaced arbitrary-style stage becomes the spare (still loaded) instead of being closed.
      if (previous.arbitrary && !next?.arbitrary && this.options.spareArbitraryStage && !this.spare) this.spare = this.currentFrame.then(() => previous);
      else if (!previous.arbitrary && previous.close) this.retire(previous);
      else void this.currentFrame.finally(() => previous.close?.());
    }
    if (next && !next.arbitrary) this.startSpare();
    // A pass-through effect is not processed at all (the frame worker re-encodes decoded frames): nothing to wait for.
    if (!this.passesThrough) await this.firstFrameWithCurrentEffect();
    this.lastUpdateResult = change.people !== undefined || change.pick !== undefined ? { people: [...people] } : undefined;
    return this.lastUpdateResult;
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

  /** Whether frames come out unchanged now (target `none`, or the `none` effect): nothing to process. */
  get passesThrough(): boolean {
    const rule = TARGET_RULES[this.options.target];
    return !rule.needsStyle || (!this.stylizer && !this.renderer);
  }

  /** The size the networks see for frames of this size (the frame worker's decoder can produce it directly). */
  workingSize(width: number, height: number): { width: number; height: number } {
    return workingSize({ width, height }, this.options.workingLongSide, 4);
  }

  /**
   * Writes the processed `input` into `output` (same size). `timestampMs` must increase. `small`, when given at
   * `workingSize()`, is the frame already scaled down (by the decoder's native scaler): no JavaScript downscale.
   */
  process(input: RgbImage, timestampMs: number, output: RgbImage, small?: RgbImage): Promise<FrameTimings> {
    this.framesInProgress++;
    const frame = this.processFrame(input, timestampMs, output, small);
    this.currentFrame = frame.catch(() => undefined);
    void this.currentFrame.then(() => {
      this.framesInProgress--;
      this.framesDone++;
      for (const waiter of this.frameDoneWaiters.splice(0)) waiter();
    });
    return frame;
  }

  private async processFrame(input: RgbImage, timestampMs: number, output: RgbImage, small: RgbImage | undefined): Promise<FrameTimings> {
    const started = performance.now();
    const timings: FrameTimings = { segmentMs: 0, styleMs: 0, smoothMs: 0, compositeMs: 0, totalMs: 0 };
    const { target } = this.options;
    const rule = TARGET_RULES[target];
    const stylizer = this.stylizer;
    const renderer = this.renderer;
    if (renderer && rule.needsStyle) return this.processRendered(input, small, timestampMs, output, renderer, timings, started);
    if (!rule.needsStyle || !stylizer) {
      output.data.set(input.data);
      timings.totalMs = performance.now() - started;
      return timings;
    }
    const b = this.downscaled(input, small);

    // The style network starts first: in its own thread it runs while this thread does the temporal stillness and
    // the mask work below (both only read `small`; in-thread, onnxruntime-node's synchronous run makes them
    // sequential anyway). Its output stays at the working size for the temporal blend, then one native upsample
    // takes it to the frame.
    const styleStarted = performance.now();
    let styleEnded = styleStarted;
    const styled = stylizer.stylize(b.small, b.styledSmall, Math.max(b.small.width, b.small.height)).then(() => {
      styleEnded = performance.now();
    });
    styled.catch(() => undefined); // awaited below; not an unhandled rejection while the mask work runs
    this.temporal.prepareInput(b.small, stylizer.modelId, timestampMs);
    if (rule.needsMask) await this.personMask(b, timestampMs, timings);
    await styled;
    timings.styleMs = styleEnded - styleStarted;
    if (this.temporal.enabled) {
      const blendStarted = performance.now();
      this.temporal.blendOutput(b.styledSmall);
      timings.temporalMs = performance.now() - blendStarted;
    }

    const t = performance.now();
    this.upStyled
      .get({ srcWidth: b.small.width, srcHeight: b.small.height, dstWidth: b.width, dstHeight: b.height, format: 'rgb24' })
      .scale(b.styledSmall.data, b.styledFull.data);
    compositeAlpha8(input, b.styledFull, rule.needsMask ? b.alphaFull : null, target, output);
    timings.compositeMs = performance.now() - t;
    timings.totalMs = performance.now() - started;
    return timings;
  }

  /** The frame at working size, in buffers (re)allocated when the camera's size changes. */
  private downscaled(input: RgbImage, small: RgbImage | undefined): FrameBuffers {
    if (this.buffers?.width !== input.width || this.buffers.height !== input.height) {
      this.buffers = allocate(input.width, input.height, this.options.workingLongSide);
      this.mask.reset();
      this.livePeople?.reset();
    }
    const b = this.buffers;
    if (small && small.width === b.small.width && small.height === b.small.height) {
      // Scaled by the decoder; copied (147 kB) into the buffer the style thread shares.
      b.small.data.set(small.data);
      return b;
    }
    this.downscale
      .get({ srcWidth: input.width, srcHeight: input.height, dstWidth: b.small.width, dstHeight: b.small.height, channels: 3 })
      .resize(input.data, 'HWC', b.small.data, 'HWC');
    return b;
  }

  /** Segment, smooth over time and refine at working size (into `maskSmall`), then upsample (into `maskFull`). */
  private async personMask(b: FrameBuffers, timestampMs: number, timings: FrameTimings): Promise<void> {
    let t = performance.now();
    timings.segmentMs = (await this.mask.run(b.small, timestampMs, b.maskSmall)).segmentMs;
    t += timings.segmentMs; // smoothMs: smoothing, refining, person selection and upsampling, as before
    const { target } = this.options;
    if (isPeopleTarget(target) && this.livePeople) {
      const p = await this.livePeople.apply(b.small, b.maskSmall, timestampMs, this.options.people ?? [], target === 'people-except');
      timings.peopleMs = p.detectMs + p.trackMs + p.splitMs;
    }
    maskToAlpha8(b.maskSmall, b.alphaSmall);
    this.upMask
      .get({ srcWidth: b.small.width, srcHeight: b.small.height, dstWidth: b.width, dstHeight: b.height, format: 'gray8' })
      .scale(b.alphaSmall.data, b.alphaFull.data);
    timings.smoothMs = performance.now() - t;
  }

  /**
   * Blur and background picture: the same mask work as a style, then the renderer's picture instead of a network's
   * (its time is reported as `styleMs`), composited through the mask.
   */
  private async processRendered(input: RgbImage, small: RgbImage | undefined, timestampMs: number, output: RgbImage, renderer: EffectRenderer, timings: FrameTimings, started: number): Promise<FrameTimings> {
    const { target } = this.options;
    const b = this.downscaled(input, small);
    if (renderer.needsMask) await this.personMask(b, timestampMs, timings);
    let t = performance.now();
    const picture = renderer.render(b.small, renderer.needsMask ? b.maskSmall : null, input.width, input.height);
    timings.styleMs = performance.now() - t;
    t = performance.now();
    compositeAlpha8(input, picture, renderer.needsMask ? b.alphaFull : null, target, output);
    timings.compositeMs = performance.now() - t;
    timings.totalMs = performance.now() - started;
    return timings;
  }

  /** Model sessions belong to the runtime; the style thread (if any) is ended after the frame in progress. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const stylizer = this.stylizer;
    const renderer = this.renderer;
    this.stylizer = null;
    this.renderer = null;
    this.buffers = undefined;
    void this.currentFrame.finally(() => {
      stylizer?.close?.();
      renderer?.close?.();
      this.mask.close();
      this.upMask.close();
      this.upStyled.close();
    });
    // A spare still starting is closed once it is up.
    void this.spare?.then((spare) => spare?.close?.());
    this.spare = undefined;
    const retired = this.retired;
    this.retired = undefined;
    if (retired) void retired.free.finally(() => retired.stage.close?.());
  }
}
