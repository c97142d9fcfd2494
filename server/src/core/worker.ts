/**
 * One worker-thread abstraction for every thread the server starts (a session's frame worker, a pipeline's style
 * thread, the photo editor). The parent side (`WorkerThread`) starts the thread and waits for `ready` or an init
 * error, sends requests with ids and answers them in any order, transfers buffers, keeps `error` and `exit`
 * listeners for the thread's whole life (a crash rejects every pending request with a clear error and is reported
 * once through `onFailed`), ends a thread that does not leave within one grace period, and has an idempotent
 * close(). The thread side (`serveThread`) runs the module's setup and turns its handlers into that protocol.
 *
 * Errors cross the boundary serialized (core/errors.ts): a DeepPhotoError thrown in the thread is a DeepPhotoError
 * with the same code and status in the parent.
 */
import { parentPort, Worker, workerData, type ResourceLimits, type TransferListItem } from 'node:worker_threads';
import { DeepPhotoError, deserializeError, serializeError, type SerializedError } from './errors.ts';

const BOOT_URL = new URL('./worker-boot.mjs', import.meta.url);

/** Threads alive in this process, by name (tests and health checks prove none is left behind). */
const alive = new Map<string, number>();

/** Parent → thread. */
type ToThread<Request, Message> =
  | { kind: 'request'; id: number; body: Request }
  | { kind: 'message'; body: Message }
  | { kind: 'close' }
  | { kind: 'crash' };

/** Thread → parent. */
type FromThread<Reply, Event> =
  | { kind: 'ready' }
  | { kind: 'init-error'; error: SerializedError }
  | { kind: 'reply'; id: number; body: Reply }
  | { kind: 'reply-error'; id: number; error: SerializedError }
  | { kind: 'event'; body: Event }
  | { kind: 'closed' };

/** What every thread receives as workerData. */
interface ThreadData<Init> {
  /** The TypeScript module that calls serveThread (imported by worker-boot.mjs). */
  entry: string;
  name: string;
  init: Init;
  /** Honour `crash` messages (tests of fault containment only). */
  faultInjection: boolean;
}

/** The message types a thread speaks: its init data, requests and their replies, one-way messages, events. */
export interface ThreadProtocol {
  init: unknown;
  request: unknown;
  reply: unknown;
  message?: unknown;
  event?: unknown;
}
type MessageOf<P extends ThreadProtocol> = P extends { message: infer M } ? M : never;
type EventOf<P extends ThreadProtocol> = P extends { event: infer E } ? E : never;

export interface WorkerThreadOptions<P extends ThreadProtocol> {
  /** How errors and logs name the thread ("frame worker", "style thread"). */
  name: string;
  /** The TypeScript module whose top level calls serveThread. */
  entry: URL;
  init: P['init'];
  /** Objects in `init` to move rather than copy (a MessagePort to another thread, buffers). */
  initTransfer?: readonly TransferListItem[];
  resourceLimits?: ResourceLimits;
  /** Start fails (and the thread is ended) when it is not ready by then. Default 120 s: a photo thread loads
   *  several networks, and on a busy 2-core machine that has taken tens of seconds. */
  startTimeoutMs?: number;
  /** close() ends the thread if it has not left by itself within this time. Default 2 s. */
  closeGraceMs?: number;
  /** Let injectCrash() crash the thread (tests only). */
  faultInjection?: boolean;
  /** Events the thread emits on its own (encoded frames, per-frame errors). */
  onEvent?: (event: EventOf<P>) => void;
  /** The thread died without close(): crashed, exited, or was ended after a request timeout. Called once. */
  onFailed?: (error: Error) => void;
}

interface Pending {
  resolve: (reply: never) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class WorkerThread<P extends ThreadProtocol> {
  readonly name: string;
  /** Resolves with the exit code once the thread has ended (for any reason). */
  readonly exited: Promise<number>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private started = false;
  /** Why the thread is gone, when it died rather than being closed. */
  private death: Error | undefined;
  private readonly options: WorkerThreadOptions<P>;
  /** Set while start() waits for `ready`. */
  private onStart: ((error?: Error) => void) | undefined;

  private constructor(options: WorkerThreadOptions<P>) {
    this.options = options;
    this.name = options.name;
    const data: ThreadData<P['init']> = { entry: options.entry.href, name: options.name, init: options.init, faultInjection: options.faultInjection ?? false };
    this.worker = new Worker(BOOT_URL, {
      workerData: data,
      ...(options.initTransfer ? { transferList: [...options.initTransfer] } : {}),
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    alive.set(this.name, (alive.get(this.name) ?? 0) + 1);
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        alive.set(this.name, alive.get(this.name)! - 1);
        resolve(code);
      }),
    );
    // For the thread's whole life: an uncaught error in it must fail its requests, not the process (a Worker
    // 'error' without a listener is rethrown in the parent).
    this.worker.on('error', (error) => this.die(new DeepPhotoError('internal', `${this.name} crashed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => this.die(new DeepPhotoError('internal', `${this.name} exited with code ${code}`)));
    this.worker.on('message', (message: FromThread<P['reply'], EventOf<P>>) => this.onMessage(message));
  }

  /** How many threads of this name are alive in this process. */
  static alive(name: string): number {
    return alive.get(name) ?? 0;
  }

  /** Starts the thread; resolves once its setup is done, rejects with the setup's error (thread ended). */
  static async start<P extends ThreadProtocol>(options: WorkerThreadOptions<P>): Promise<WorkerThread<P>> {
    const thread = new WorkerThread<P>(options);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new DeepPhotoError('timeout', `${thread.name} did not start within ${timeoutMs} ms`)), timeoutMs);
        thread.onStart = (error) => {
          clearTimeout(timer);
          thread.onStart = undefined;
          if (error) reject(error);
          else resolve();
        };
      });
    } catch (error) {
      thread.closing = true;
      await thread.worker.terminate();
      throw error;
    }
    thread.started = true;
    return thread;
  }

  /** Whether requests can still be sent (not closed, not dead). */
  get running(): boolean {
    return !this.closing && this.death === undefined;
  }

  /**
   * One request, answered by the thread's `request` handler. `transfer`: buffers moved to the thread (unusable
   * here afterwards). `timeoutMs`: a thread stuck in a native call cannot be interrupted, so past it the thread is
   * ended; this request fails with `timeout`, the others as after any crash.
   */
  request(body: P['request'], options: { transfer?: readonly TransferListItem[]; timeoutMs?: number } = {}): Promise<P['reply']> {
    if (this.death) return Promise.reject(this.death);
    if (this.closing) return Promise.reject(new DeepPhotoError('invalid_state', `${this.name} is closed`));
    const id = this.nextId++;
    return new Promise<P['reply']>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs !== undefined) {
        const timeoutMs = options.timeoutMs;
        timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new DeepPhotoError('timeout', `${this.name} did not answer within ${timeoutMs} ms; the thread was ended`));
          void this.worker.terminate();
        }, timeoutMs);
        timer.unref();
      }
      this.pending.set(id, { resolve: resolve as (reply: never) => void, reject, timer });
      this.post({ kind: 'request', id, body }, options.transfer);
    });
  }

  /** A one-way message to the thread's `message` handler; dropped once the thread is closed or dead. */
  send(body: MessageOf<P>, transfer?: readonly TransferListItem[]): void {
    if (this.running) this.post({ kind: 'message', body }, transfer);
  }

  /** Test hook: makes the thread throw an uncaught error (only when started with faultInjection). */
  injectCrash(): void {
    if (this.running) this.post({ kind: 'crash' });
  }

  /**
   * Idempotent: asks the thread to run its `close` handler and leave; ends it if it has not left within the
   * grace period. Pending requests are rejected when the thread exits.
   */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      if (this.death === undefined) {
        this.post({ kind: 'close' });
        const timer = setTimeout(() => void this.worker.terminate(), this.options.closeGraceMs ?? 2000);
        await this.exited;
        clearTimeout(timer);
      }
    }
    await this.exited;
  }

  private post(message: ToThread<P['request'], MessageOf<P>>, transfer?: readonly TransferListItem[]): void {
    this.worker.postMessage(message, transfer);
  }

  private die(error: Error): void {
    if (this.onStart) return this.onStart(error);
    const first = this.death === undefined;
    const reason = this.closing ? new DeepPhotoError('invalid_state', `${this.name} is closed`) : error;
    this.death ??= reason;
    for (const waiting of this.pending.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(reason);
    }
    this.pending.clear();
    if (first && !this.closing && this.started) this.options.onFailed?.(error);
  }

  private onMessage(message: FromThread<P['reply'], EventOf<P>>): void {
    switch (message.kind) {
      case 'ready':
        this.onStart?.();
        break;
      case 'init-error':
        this.onStart?.(deserializeError(message.error));
        break;
      case 'reply':
      case 'reply-error': {
        const waiting = this.pending.get(message.id);
        if (!waiting) return; // timed out meanwhile
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.kind === 'reply') waiting.resolve(message.body as never);
        else waiting.reject(deserializeError(message.error));
        break;
      }
      case 'event':
        this.options.onEvent?.(message.body);
        break;
      case 'closed':
        // The close handler has released everything; native handles may still keep the event loop alive.
        void this.worker.terminate();
        break;
    }
  }
}

// ---- thread side ------------------------------------------------------------------------------------------------

/** A reply or event with buffers to transfer rather than copy. */
export class Transfer<T> {
  constructor(
    readonly value: T,
    readonly list: readonly TransferListItem[],
  ) {}
}

export interface ThreadContext<P extends ThreadProtocol> {
  readonly init: P['init'];
  /** Sends an event to the parent's onEvent. */
  emit(event: EventOf<P>, transfer?: readonly TransferListItem[]): void;
}

export interface ThreadHandlers<P extends ThreadProtocol> {
  request?(body: P['request']): P['reply'] | Transfer<P['reply']> | Promise<P['reply'] | Transfer<P['reply']>>;
  message?(body: MessageOf<P>): void;
  /** Releases the thread's resources; the thread is ended afterwards. */
  close?(): void | Promise<void>;
}

/**
 * The top level of a thread module: runs `setup` with the init data, answers `ready` (or `init-error` with the
 * setup's error), then serves requests until `close`.
 */
export async function serveThread<P extends ThreadProtocol>(setup: (context: ThreadContext<P>) => Promise<ThreadHandlers<P>> | ThreadHandlers<P>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveThread must run in a worker thread');
  const data = workerData as ThreadData<P['init']>;
  const post = (message: FromThread<P['reply'], EventOf<P>>, transfer?: readonly TransferListItem[]): void => port.postMessage(message, transfer);
  const context: ThreadContext<P> = { init: data.init, emit: (body, transfer) => post({ kind: 'event', body }, transfer) };
  let handlers: ThreadHandlers<P>;
  try {
    handlers = await setup(context);
  } catch (error) {
    post({ kind: 'init-error', error: serializeError(error) });
    return; // the parent ends the thread
  }
  let closing = false;
  port.on('message', (message: ToThread<P['request'], MessageOf<P>>) => {
    switch (message.kind) {
      case 'request':
        if (!handlers.request) {
          post({ kind: 'reply-error', id: message.id, error: serializeError(new TypeError(`${data.name} takes no requests`)) });
          return;
        }
        Promise.resolve()
          .then(() => handlers.request!(message.body))
          .then(
            (reply) => (reply instanceof Transfer ? post({ kind: 'reply', id: message.id, body: reply.value }, reply.list) : post({ kind: 'reply', id: message.id, body: reply })),
            (error: unknown) => post({ kind: 'reply-error', id: message.id, error: serializeError(error) }),
          );
        return;
      case 'message':
        if (!closing) handlers.message?.(message.body);
        return;
      case 'crash':
        if (data.faultInjection) {
          setImmediate(() => {
            throw new Error(`injected ${data.name} crash`);
          });
        }
        return;
      case 'close':
        if (closing) return;
        closing = true;
        Promise.resolve()
          .then(() => handlers.close?.())
          .catch((error: unknown) => console.warn(`[${data.name}] close: ${(error as Error).message}`))
          .finally(() => {
            post({ kind: 'closed' });
            port.close();
          });
        return;
    }
  });
  post({ kind: 'ready' });
}
