/**
 * The live path's frame processor: what each session's worker thread loads (see `server/src/pipeline/processor.ts`).
 * It owns one ModelRuntime per worker — sessions never share ORT state across threads — and a LivePipeline.
 */
import { readProcessingConfig, type ProcessingConfig } from '../config/config.ts';
import { InferenceClient } from '../runtime/inference-client.ts';
import { ModelRuntime, type Logger } from '../runtime/onnx.ts';
import { BackgroundLibrary } from '../styles/backgrounds.ts';
import { StyleCatalog, type StyleTier } from '../styles/catalog.ts';
import type { FrameProcessor, ProcessorFactory, ProcessorOptions, UpdateResult } from './processor.ts';
import { LivePipeline, type LivePipelineOptions } from './live-pipeline.ts';

/** Long side the light nets run at for a live session on CPU. */
export const CPU_LIVE_WORKING_SIZE = 256;

const workerLogger: Logger = {
  info: (m) => console.log(`[live] ${m}`),
  warn: (m) => console.warn(`[live] ${m}`),
};

/**
 * The light nets' int8 copies (where they exist; the float net otherwise) are the CPU default: ~1.4x (mosaic,
 * udnie) and ~1.8x (candy) faster than float32 at 256x192 on this AVX-512 VNNI CPU, which took two sessions from 39
 * to 45 fps (mosaic) and from 27 to 37 fps (candy) in `bench --live`, for 0.05-0.1 dB PSNR at 1/4 scale
 * (`eval:style`: 22.19 / 22.23 / 25.05 dB) and temporal ratios 1.39 / 0.99 / 0.55 (`eval:temporal --tier live-int8`).
 * `DEEPPHOTO_LIVE_TIER=live` runs the float32 nets.
 */
export const CPU_LIVE_TIER: StyleTier = 'live-int8';

/**
 * Which network and working size a live session uses, and where its style network runs. On a GPU the teachers run at full frame size (quality);
 * on CPU the distilled light nets at 256 px long side (real time: `bench:live` on 2 cores with the browser beside it
 * gave 24.0 fps at 256 against 19.9 fps at 320, with hardly a visible difference once upsampled to 640x480).
 * `config.live.tier` and `config.live.workingSize` (DEEPPHOTO_LIVE_TIER, DEEPPHOTO_LIVE_WORKING_SIZE) override. The
 * GPU case is decided by the provider the style model really got, not by what was asked for.
 *
 * With `inference` (the session's client of the process's inference owner, given when the style providers name a
 * GPU), the probe asks the owner: the quality net then runs there, shared and batched with the other sessions, and
 * is returned as the pipeline's `inference`. When the owner cannot load it on a GPU, the session takes the CPU tier
 * with its own style thread, and the client is closed.
 */
export async function chooseLiveTier(
  runtime: ModelRuntime,
  catalog: StyleCatalog,
  style: string,
  config: Pick<ProcessingConfig, 'runtime' | 'live'>,
  inference?: InferenceClient,
): Promise<Pick<LivePipelineOptions, 'tier' | 'workingLongSide' | 'inference'>> {
  const tierOverride: StyleTier | undefined = config.live.tier;
  const sizeOverride = config.live.workingSize;
  let tier: StyleTier = tierOverride ?? CPU_LIVE_TIER;
  let shared: InferenceClient | undefined;
  // Blur and picture effects run no network: probe the GPU with the first style instead (a switch may come).
  const probe = catalog.has(style) ? style : catalog.ids()[0];
  if (inference && probe !== undefined && (tierOverride ?? 'quality') === 'quality') {
    try {
      await inference.load(catalog.modelFor(probe, 'quality')); // the owner runs on GPU providers only
      tier = 'quality';
      shared = inference;
    } catch (error) {
      workerLogger.warn(`the inference owner cannot run ${probe} on a GPU (${(error as Error).message}); this session styles on CPU`);
    }
  } else if (!tierOverride && probe !== undefined && config.runtime.providers.style[0] !== 'cpu') {
    const quality = await runtime.load(catalog.modelFor(probe, 'quality'));
    if (quality.provider !== 'cpu') tier = 'quality';
  }
  if (inference && !shared) inference.close();
  return { tier, workingLongSide: sizeOverride ?? (tier === 'quality' ? 640 : CPU_LIVE_WORKING_SIZE), ...(shared ? { inference: shared } : {}) };
}

class PipelineProcessor implements FrameProcessor {
  private closed = false;

  constructor(
    private readonly pipeline: LivePipeline,
    private readonly runtime: ModelRuntime,
    private readonly inference: InferenceClient | undefined,
  ) {}

  process: FrameProcessor['process'] = (input, timestampMs, output, small) => this.pipeline.process(input, timestampMs, output, small);

  passesThrough(): boolean {
    return this.pipeline.passesThrough;
  }

  workingSize(width: number, height: number): { width: number; height: number } {
    return this.pipeline.workingSize(width, height);
  }

  update(change: Partial<ProcessorOptions>): Promise<UpdateResult | undefined> {
    return this.pipeline.update({
      ...(change.style ? { style: change.style } : {}),
      ...(change.target ? { target: change.target } : {}),
      ...(change.strength !== undefined ? { strength: change.strength } : {}),
      ...(change.people ? { people: change.people } : {}),
      ...(change.pick ? { pick: change.pick } : {}),
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pipeline.close();
    void this.runtime.close();
    // The frame worker closes its processor once no frame is in flight: nothing waits on the owner any more.
    this.inference?.close();
  }
}

/** The settings a processor uses when the live layer hands it none: every default, nothing from the environment. */
const DEFAULT_PROCESSING_CONFIG: ProcessingConfig = readProcessingConfig({});

/** `config`: read once in the main thread (config/config.ts) and handed over as the frame worker's workerData. */
export const createProcessor: ProcessorFactory = async (options, config = DEFAULT_PROCESSING_CONFIG, resources = {}) => {
  const runtime = new ModelRuntime({ logger: workerLogger, threads: config.live.threads, providers: config.runtime.providers });
  const inference = resources.inferencePort ? new InferenceClient(resources.inferencePort) : undefined;
  try {
    const catalog = await StyleCatalog.discover({ userStylesDir: config.paths.stylesDir }, workerLogger.warn);
    const tier = await chooseLiveTier(runtime, catalog, options.style, config, inference);
    const pipeline = await LivePipeline.create(runtime, catalog, {
      style: options.style,
      target: options.target,
      ...(options.strength !== undefined ? { strength: options.strength } : {}),
      ...(options.people ? { people: options.people } : {}),
      ...tier,
      styleThread: config.live.styleThread,
      styleThreads: config.live.styleThreads,
      pictures: new BackgroundLibrary({ dir: config.paths.backgroundsDir }),
      spareArbitraryStage: config.live.arbitrarySpare,
      ...(config.live.arbitraryWorkingSize ? { arbitraryLongSide: config.live.arbitraryWorkingSize } : {}),
      ...(options.workingWidth ? { workingLongSide: options.workingWidth } : {}),
    });
    return new PipelineProcessor(pipeline, runtime, tier.inference);
  } catch (error) {
    inference?.close();
    await runtime.close();
    throw error;
  }
};
