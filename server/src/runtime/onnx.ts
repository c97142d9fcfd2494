/**
 * The only module that imports onnxruntime-node. It maps a configured preference list of execution providers to a
 * session (trying each provider on its own, because ORT does not fall back by itself: `['webgpu','cpu']` throws when
 * no adapter exists), creates each model's session once, warms it up, and disposes all sessions on `close()`.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { findModel, resolveModelPath, withSymbolicBatch, type ModelEntry, type ModelTask, type ResolveOptions } from '@deepphoto/models';

import { DEFAULT_THREADS, type ExecutionProvider } from './providers.ts';

export { DEFAULT_THREADS, KNOWN_PROVIDERS, parseProviderList, providersForTask, type ExecutionProvider } from './providers.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(`[onnx] ${m}`),
  warn: (m) => console.warn(`[onnx] ${m}`),
};

/** What a session creator must provide; injectable so that selection logic is testable without a GPU. */
export type SessionFactory = (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => Promise<ort.InferenceSession>;

const realFactory: SessionFactory = (model, options) =>
  typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);

function providerOption(provider: ExecutionProvider): ort.InferenceSession.ExecutionProviderConfig {
  return provider;
}

export interface SessionChoice {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
  /** Why each earlier provider was skipped, in order. */
  skipped: { provider: ExecutionProvider; reason: string }[];
}

/**
 * Providers found missing in this process (no GPU adapter, provider libraries not installed), with the reason.
 * Such a failure does not depend on the model, so later models skip the provider without trying (and without the
 * native library printing its warnings again) and the log says it once.
 */
const missingProviders = new Map<ExecutionProvider, string>();
/** Providers that loaded a model in this process: no need to serialise their use any more. */
const workingProviders = new Set<ExecutionProvider>();
/** The first attempt on a provider runs alone, so that concurrent loads learn from it instead of repeating it. */
const probes = new Map<ExecutionProvider, Promise<unknown>>();

/** For tests: forget what was learnt about providers. */
export function resetProviderProbe(): void {
  missingProviders.clear();
  workingProviders.clear();
  probes.clear();
}

/** A short, human reason from ORT's multi-line native message; `missing` when the provider itself is absent. */
export function describeProviderFailure(provider: ExecutionProvider, error: unknown): { reason: string; missing: boolean } {
  const text = error instanceof Error ? error.message : String(error);
  const adapter = /Failed to get a WebGPU adapter: ([^\n]+)/.exec(text);
  if (adapter) return { reason: `no WebGPU adapter (${adapter[1]!.trim()})`, missing: true };
  if (/Failed to load shared library|libonnxruntime_providers_|cannot open shared object/i.test(text)) {
    return { reason: `${provider} provider libraries are not installed (see README, GPU)`, missing: true };
  }
  return { reason: firstLine(text.replace(/^.*?(?:\] : \d+ : [A-Z_]+ : |was false\. )/s, '')), missing: false };
}

/** Tries providers in order, one at a time; logs one line per skipped provider. */
export async function createSessionWithFallback(
  path: string | Uint8Array,
  providers: readonly ExecutionProvider[],
  options: { threads?: number; logger?: Logger; factory?: SessionFactory; label?: string } = {},
): Promise<SessionChoice> {
  const factory = options.factory ?? realFactory;
  const logger = options.logger ?? consoleLogger;
  const skipped: SessionChoice['skipped'] = [];
  for (const provider of providers) {
    while (!workingProviders.has(provider) && probes.has(provider)) await probes.get(provider)!.catch(() => undefined);
    const known = missingProviders.get(provider);
    if (known) {
      skipped.push({ provider, reason: known });
      continue;
    }
    const attempt = factory(path, {
      executionProviders: [providerOption(provider)],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.threads ?? DEFAULT_THREADS,
      interOpNumThreads: 1,
    });
    if (!workingProviders.has(provider)) {
      const probe = attempt.finally(() => probes.delete(provider));
      probe.catch(() => undefined); // observed below through `attempt`; this copy must not count as unhandled
      probes.set(provider, probe);
    }
    try {
      const session = await attempt;
      workingProviders.add(provider);
      return { session, provider, skipped };
    } catch (error) {
      const { reason, missing } = describeProviderFailure(provider, error);
      if (missing) missingProviders.set(provider, reason);
      skipped.push({ provider, reason });
      logger.warn(`${options.label ?? String(path)}: ${provider} unavailable (${reason}); trying ${providers[providers.indexOf(provider) + 1] ?? 'nothing else'}`);
    }
  }
  const tried = skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ');
  throw new Error(`${options.label ?? String(path)}: no execution provider could load the model (${tried})`);
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim().length > 0) ?? 'unknown error').trim().slice(0, 200);
}

/** A loaded model: its manifest entry, session and the provider it runs on. */
export class LoadedModel {
  readonly inputName: string;
  readonly outputName: string;

  constructor(
    readonly entry: ModelEntry,
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
  ) {
    this.inputName = entry.io.input.name;
    this.outputName = entry.io.output.name;
    if (!session.inputNames.includes(this.inputName) || !session.outputNames.includes(this.outputName)) {
      throw new TypeError(
        `${entry.id}: manifest names input ${this.inputName} / output ${this.outputName}, model has ${session.inputNames.join(',')} / ${session.outputNames.join(',')}`,
      );
    }
  }

  /**
   * Runs the model on a float32 tensor that the caller owns (wrapped, not copied) and returns the output data,
   * which ORT allocated for this run.
   */
  async run(input: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const feeds = { [this.inputName]: new ort.Tensor('float32', input, dims) };
    const results = await this.session.run(feeds);
    const output = results[this.outputName];
    if (!output || output.type !== 'float32') throw new Error(`${this.entry.id}: missing float32 output ${this.outputName}`);
    return { data: output.data as Float32Array, dims: output.dims };
  }

  /** Runs a model with several named float32 inputs (the arbitrary-style transfer takes a picture and a vector). */
  async runWith(inputs: Record<string, { data: Float32Array; dims: readonly number[] }>): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, { data, dims }] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', data, dims);
    const results = await this.session.run(feeds);
    const output = results[this.outputName];
    if (!output || output.type !== 'float32') throw new Error(`${this.entry.id}: missing float32 output ${this.outputName}`);
    return { data: output.data as Float32Array, dims: output.dims };
  }

  /** Like `run`, for models with several outputs (detectors): every float32 output by name. */
  async runAll(input: Float32Array, dims: readonly number[]): Promise<Record<string, Float32Array>> {
    const results = await this.session.run({ [this.inputName]: new ort.Tensor('float32', input, dims) });
    const outputs: Record<string, Float32Array> = {};
    for (const [name, tensor] of Object.entries(results)) {
      if (tensor.type === 'float32') outputs[name] = tensor.data as Float32Array;
    }
    return outputs;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export interface ModelRuntimeOptions {
  /** Per task (config: DEEPPHOTO_EP, DEEPPHOTO_EP_<TASK>); default cpu. */
  providers?: Partial<Record<ModelTask, readonly ExecutionProvider[]>>;
  /** ORT intra-op threads (config: DEEPPHOTO_THREADS); default DEFAULT_THREADS. */
  threads?: number;
  logger?: Logger;
  factory?: SessionFactory;
  resolve?: ResolveOptions;
}

/**
 * Owns every inference session of one thread. Sessions are created on first `load` (concurrent loads of the same
 * model share one promise) and live until `close()`.
 */
export class ModelRuntime {
  private readonly loading = new Map<string, Promise<LoadedModel>>();
  private closed = false;

  constructor(private readonly options: ModelRuntimeOptions = {}) {}

  /** The providers this runtime was given (a style thread started beside it gets the same). */
  get providers(): ModelRuntimeOptions['providers'] {
    return this.options.providers;
  }

  load(id: string): Promise<LoadedModel> {
    return this.loadOnce(id, false);
  }

  /**
   * The same model with a symbolic batch dimension (see `withSymbolicBatch`), for an `InferenceBatcher` that runs
   * several sessions' frames at once. Only for models whose ops are batch-agnostic (the style nets; the converted
   * segmentation models resize to constant sizes, batch included, so they stay one frame per run).
   */
  loadBatched(id: string): Promise<LoadedModel> {
    return this.loadOnce(id, true);
  }

  private loadOnce(id: string, batched: boolean): Promise<LoadedModel> {
    if (this.closed) return Promise.reject(new Error('ModelRuntime is closed'));
    const key = batched ? `${id}#batched` : id;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.create(id, batched);
      this.loading.set(key, pending);
      // A failed load must not be cached: a later call (e.g. after models:prepare) may succeed.
      pending.catch(() => this.loading.delete(key));
    }
    return pending;
  }

  private async create(id: string, batched: boolean): Promise<LoadedModel> {
    const entry = findModel(id);
    if (!entry) throw new TypeError(`unknown model "${id}"`);
    const path = await resolveModelPath(entry, this.options.resolve);
    const source = batched ? withSymbolicBatch(await readFile(path)) : path;
    const providers = this.options.providers?.[entry.task] ?? ['cpu'];
    const logger = this.options.logger ?? consoleLogger;
    const { session, provider } = await createSessionWithFallback(source, providers, {
      threads: this.options.threads,
      logger,
      factory: this.options.factory,
      label: entry.id,
    });
    const model = new LoadedModel(entry, session, provider);
    await warmUp(model);
    logger.info(`${entry.id} ready on ${provider}`);
    return model;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.loading.values()];
    this.loading.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.dispose()));
  }
}

/** One run at a small size so that the first real frame does not pay for kernel selection and allocation. */
async function warmUp(model: LoadedModel): Promise<void> {
  const { shape, layout } = model.entry.io.input;
  const isSpatial = (i: number) => (layout === 'NCHW' ? i >= 2 : i === 1 || i === 2);
  const dims = shape.map((d, i) => (d > 0 ? d : isSpatial(i) ? 64 : 1));
  const styleInput = model.entry.io.styleInput;
  if (styleInput) {
    const styleDims = styleInput.shape.map((d) => Math.max(1, d));
    await model.runWith({
      [model.inputName]: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims },
      [styleInput.name]: { data: new Float32Array(styleDims.reduce((a, b) => a * b, 1)), dims: styleDims },
    });
    return;
  }
  const size = dims.reduce((a, b) => a * b, 1);
  await model.run(new Float32Array(size), dims);
}
