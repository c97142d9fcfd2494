/**
 * One inference owner per process (per GPU): the thread that holds each style network once on the GPU and serves
 * every live session's frames through an InferenceBatcher (frames that arrive while the GPU is busy run as one
 * batch). The main thread owns this handle; each session's frame worker gets its own MessagePort to the owner
 * (`connect()`, handed over in the worker's init) and talks to it through an InferenceClient.
 *
 * The thread starts on the first `connect()` (a server on CPU never starts it) and loads a network when the first
 * session asks for it. Its provider list never contains `cpu`: a network that cannot load on the GPU fails to load
 * here, and the session keeps its own CPU style thread instead (per-session threads measure best on CPU).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WorkerThread } from '../core/worker.ts';
import type { BatcherStats } from './batcher.ts';
import type { ExecutionProvider } from './providers.ts';

export interface InferenceOwnerInit {
  /** GPU providers in order of preference (cpu is removed: see above). */
  providers: ExecutionProvider[];
  /** ORT intra-op threads (CPU-side work of a GPU session). */
  threads: number;
  /** Most frames in one run. */
  maxBatch: number;
}

export interface InferenceOwnerStats {
  /** Networks loaded (each once, however many sessions use it). */
  loads: number;
  /** Sessions that connected since start, and those connected now. */
  sessionsServed: number;
  sessionsConnected: number;
  models: Record<string, BatcherStats & { provider: ExecutionProvider }>;
}

/** What the owner thread speaks over core/worker.ts (the sessions speak inference-protocol.ts over their ports). */
export interface InferenceOwnerProtocol {
  init: InferenceOwnerInit;
  message: { type: 'connect'; port: MessagePort };
  request: { type: 'stats' };
  reply: InferenceOwnerStats;
}

const NAME = 'inference owner';
const ENTRY = new URL('./inference-owner-thread.ts', import.meta.url);

/** Owner threads alive in this process (tests prove none is left after the server closes). */
export function liveInferenceOwners(): number {
  return WorkerThread.alive(NAME);
}

/** Whether a style provider list asks for a GPU, i.e. whether sessions should be offered the owner. */
export function wantsInferenceOwner(styleProviders: readonly ExecutionProvider[]): boolean {
  return styleProviders.some((p) => p !== 'cpu');
}

export class InferenceOwner {
  private thread: Promise<WorkerThread<InferenceOwnerProtocol>> | undefined;
  private closed = false;
  private readonly init: InferenceOwnerInit;
  private readonly faultInjection: boolean;

  /** `faultInjection`: let injectCrash() crash the thread (tests of fault containment only). */
  constructor(options: { providers: readonly ExecutionProvider[]; threads?: number; maxBatch?: number; faultInjection?: boolean }) {
    const providers = options.providers.filter((p) => p !== 'cpu');
    if (providers.length === 0) throw new TypeError('InferenceOwner: no GPU provider given (the owner never runs on cpu)');
    this.init = { providers, threads: options.threads ?? 1, maxBatch: options.maxBatch ?? 8 };
    this.faultInjection = options.faultInjection ?? false;
  }

  private started(): Promise<WorkerThread<InferenceOwnerProtocol>> {
    if (!this.thread) {
      this.thread = WorkerThread.start<InferenceOwnerProtocol>({
        name: NAME,
        entry: ENTRY,
        init: this.init,
        faultInjection: this.faultInjection,
        onFailed: (error) => console.warn(`[inference owner] ${error.message}; GPU sessions' style frames pass through`),
      });
      // A failed start is seen by the sessions (their ports close unanswered) and by stats(); not unhandled here.
      this.thread.catch((error: unknown) => console.warn(`[inference owner] did not start: ${(error as Error).message}`));
    }
    return this.thread;
  }

  /**
   * A new session's port to the owner (transfer it to the session's thread). Synchronous: messages sent before the
   * owner has started wait in the channel. Undefined once the owner is closed.
   */
  connect(): MessagePort | undefined {
    if (this.closed) return undefined;
    const { port1, port2 } = new MessageChannel();
    this.started().then(
      (thread) => (thread.running ? thread.send({ type: 'connect', port: port1 }, [port1]) : port1.close()),
      () => port1.close(), // the session's client sees the port close and fails its requests
    );
    return port2;
  }

  /** Whether the owner thread has been started (by a first connect). */
  get running(): boolean {
    return this.thread !== undefined && !this.closed;
  }

  /** Test hook: crashes the owner thread (only when constructed with faultInjection). */
  async injectCrash(): Promise<void> {
    (await this.thread)?.injectCrash();
  }

  async stats(): Promise<InferenceOwnerStats> {
    if (!this.thread) return { loads: 0, sessionsServed: 0, sessionsConnected: 0, models: {} };
    return (await this.thread).request({ type: 'stats' });
  }

  /** Idempotent: closes every session's port, releases the models and ends the thread. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = await this.thread?.catch(() => undefined);
    await thread?.close();
  }
}
