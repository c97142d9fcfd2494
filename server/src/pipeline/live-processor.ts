/**
 * The live path's frame processor: what each session's worker thread loads (see `server/src/pipeline/processor.ts`).
 * It owns one ModelRuntime per worker — sessions never share ORT state across threads — and a LivePipeline.
 */
import { providersForTask, ModelRuntime, type Logger } from '../runtime/onnx.ts';
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
 * Which network and working size a live session uses. On a GPU the teachers run at full frame size (quality);
 * on CPU the distilled light nets at 256 px long side (real time: `bench:live` on 2 cores with the browser beside it
 * gave 24.0 fps at 256 against 19.9 fps at 320, with hardly a visible difference once upsampled to 640x480).
 * `DEEPPHOTO_LIVE_TIER` and `DEEPPHOTO_LIVE_WORKING_SIZE` override. The GPU case is decided by the provider the
 * style model really got, not by what was asked for.
 */
export async function chooseLiveTier(
  runtime: ModelRuntime,
  catalog: StyleCatalog,
  style: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Pick<LivePipelineOptions, 'tier' | 'workingLongSide'>> {
  const tierOverride = env.DEEPPHOTO_LIVE_TIER === 'quality' || env.DEEPPHOTO_LIVE_TIER === 'live' ? (env.DEEPPHOTO_LIVE_TIER as StyleTier) : undefined;
  const sizeOverride = Number(env.DEEPPHOTO_LIVE_WORKING_SIZE) > 0 ? Number(env.DEEPPHOTO_LIVE_WORKING_SIZE) : undefined;
  let tier: StyleTier = tierOverride ?? 'live';
  // Blur and picture effects run no network: probe the GPU with the first style instead (a switch may come).
  const probe = catalog.has(style) ? style : catalog.ids()[0];
  if (!tierOverride && probe !== undefined && providersForTask('style', env)[0] !== 'cpu') {
    const quality = await runtime.load(catalog.modelFor(probe, 'quality'));
    if (quality.provider !== 'cpu') tier = 'quality';
  }
  return { tier, workingLongSide: sizeOverride ?? (tier === 'quality' ? 640 : CPU_LIVE_WORKING_SIZE) };
}

class PipelineProcessor implements FrameProcessor {
  private closed = false;

  constructor(
    private readonly pipeline: LivePipeline,
    private readonly runtime: ModelRuntime,
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
  }
}

export const createProcessor: ProcessorFactory = async (options) => {
  // ORT intra-op threads: the session worker runs segmentation, the style thread the style net, side by side; one
  // thread each fills two cores (DEEPPHOTO_LIVE_THREADS / DEEPPHOTO_STYLE_THREADS override).
  const envThreads = (name: string) => (Number(process.env[name]) > 0 ? Number(process.env[name]) : 1);
  const runtime = new ModelRuntime({ logger: workerLogger, threads: envThreads('DEEPPHOTO_LIVE_THREADS') });
  try {
    const catalog = await StyleCatalog.discover({}, workerLogger.warn);
    const tier = await chooseLiveTier(runtime, catalog, options.style);
    const pipeline = await LivePipeline.create(runtime, catalog, {
      style: options.style,
      target: options.target,
      ...(options.strength !== undefined ? { strength: options.strength } : {}),
      ...(options.people ? { people: options.people } : {}),
      ...tier,
      styleThread: process.env.DEEPPHOTO_STYLE_THREAD !== '0',
      styleThreads: envThreads('DEEPPHOTO_STYLE_THREADS'),
      pictures: new BackgroundLibrary(),
      spareArbitraryStage: process.env.DEEPPHOTO_ARBITRARY_SPARE !== '0',
      ...(Number(process.env.DEEPPHOTO_ARBITRARY_WORKING_SIZE) > 0 ? { arbitraryLongSide: Number(process.env.DEEPPHOTO_ARBITRARY_WORKING_SIZE) } : {}),
      ...(options.workingWidth ? { workingLongSide: options.workingWidth } : {}),
    });
    return new PipelineProcessor(pipeline, runtime);
  } catch (error) {
    await runtime.close();
    throw error;
  }
};
