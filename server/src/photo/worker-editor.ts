/**
 * `PhotoEditing` backed by a worker thread (see editor-worker.ts): the server edits photos there so that inference
 * never blocks its event loop. Pixels go over by transfer (the caller's copy stays untouched), results come back
 * by transfer. One thread: photos are edited one at a time, in order.
 */
import { Worker } from 'node:worker_threads';
import { UnknownPersonError } from '../instances/errors.ts';
import type { RgbImage } from '../pipeline/image.ts';
import { UnknownStyleError } from '../styles/catalog.ts';
import type { PhotoEditing, PhotoEditOptions, PhotoEditResult, PhotoEditTimings, PhotoEffect } from './editor.ts';

export type EditorRequest =
  | { type: 'edit'; id: number; pixels: ArrayBuffer; width: number; height: number; effect: PhotoEffect; options: Partial<PhotoEditOptions> }
  | { type: 'style-vector'; id: number; pixels: ArrayBuffer; width: number; height: number }
  | { type: 'close' }
  /** Fault injection for tests: honoured only with DEEPPHOTO_FAULT_INJECTION=1 in the thread's environment. */
  | { type: 'crash' };

export type EditorReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; pixels: ArrayBuffer; timings: PhotoEditTimings; modelId: string | null }
  | { type: 'vector'; id: number; vector: Float32Array }
  | { type: 'failed'; id: number; name: string; message: string; styleId?: string | undefined };

const BOOT_URL = new URL('./editor-worker-boot.mjs', import.meta.url);

/** A request in flight: an edit (picture size known) or a style vector. */
type Waiting = { resolve: (reply: EditorReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** One edit may take this long (a 40 Mpx photo with a teacher style on 2 cores is ~20 s); then it fails. */
export const DEFAULT_EDIT_TIMEOUT_MS = 120_000;

/**
 * The thread keeps `error` and `exit` listeners for its whole life. If it dies (uncaught error, native crash,
 * stuck past the timeout), the edits in flight fail and a fresh thread is started for the next photo.
 */
export class WorkerPhotoEditor implements PhotoEditing {
  private nextId = 0;
  private readonly pending = new Map<number, Waiting>();
  private closed = false;
  private worker: Worker;
  private starting: Promise<Worker> | undefined;
  /** Threads started after a crash (for tests and logs). */
  restarts = 0;

  private constructor(
    worker: Worker,
    private readonly editTimeoutMs: number,
    private readonly log: (message: string) => void,
  ) {
    this.worker = worker;
    this.adopt(worker);
  }

  private adopt(worker: Worker): void {
    worker.on('message', (reply: EditorReply) => {
      if (reply.type === 'ready') return;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      clearTimeout(waiting.timer);
      if (reply.type === 'done' || reply.type === 'vector') {
        waiting.resolve(reply);
      } else if (reply.name === 'UnknownStyleError') {
        waiting.reject(new UnknownStyleError(reply.styleId ?? '', []));
      } else if (reply.name === 'UnknownPersonError') {
        waiting.reject(new UnknownPersonError(reply.message));
      } else {
        waiting.reject(new Error(reply.message));
      }
    });
    worker.on('error', (error) => {
      if (!this.closed) this.log(`photo editor thread crashed: ${error.message}; starting a new one`);
    });
    worker.once('exit', () => {
      if (this.worker !== worker) return;
      for (const waiting of this.pending.values()) {
        clearTimeout(waiting.timer);
        waiting.reject(new Error('photo editor thread exited; try again'));
      }
      this.pending.clear();
      if (!this.closed) this.respawn();
    });
  }

  private respawn(): void {
    this.restarts++;
    const starting = WorkerPhotoEditor.spawn().then((worker) => {
      if (this.closed) {
        void worker.terminate();
      } else {
        this.worker = worker;
        this.adopt(worker);
      }
      return worker;
    });
    this.starting = starting;
    starting.then(
      () => {
        if (this.starting === starting) this.starting = undefined;
      },
      (error: unknown) => {
        this.log(`photo editor thread did not restart: ${(error as Error).message}`);
        if (this.starting === starting) this.starting = undefined;
      },
    );
  }

  private static spawn(): Promise<Worker> {
    const worker = new Worker(BOOT_URL);
    return new Promise((resolve, reject) => {
      const onMessage = (reply: EditorReply) => {
        if (reply.type !== 'ready') return;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(worker);
      };
      const onError = (error: Error) => {
        worker.off('exit', onExit);
        reject(error);
      };
      const onExit = (code: number) => reject(new Error(`photo editor thread exited with ${code} while starting`));
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
  }

  /** Starts the thread; resolves once its models are found and it listens. */
  static async start(options: { editTimeoutMs?: number; log?: (message: string) => void } = {}): Promise<WorkerPhotoEditor> {
    return new WorkerPhotoEditor(await WorkerPhotoEditor.spawn(), options.editTimeoutMs ?? DEFAULT_EDIT_TIMEOUT_MS, options.log ?? ((m) => console.warn(m)));
  }

  async edit(photo: RgbImage, effect: PhotoEffect, options: Partial<PhotoEditOptions> = {}): Promise<PhotoEditResult> {
    const pixels = photo.data.slice().buffer; // a copy to transfer: the caller keeps its picture
    const reply = await this.request((id) => ({ type: 'edit', id, pixels, width: photo.width, height: photo.height, effect, options }), [pixels], `photo edit`);
    if (reply.type !== 'done') throw new Error(`photo editor thread answered ${reply.type} to an edit`);
    return { image: { width: photo.width, height: photo.height, data: new Uint8Array(reply.pixels) }, timings: reply.timings, modelId: reply.modelId };
  }

  /** The arbitrary-style vector of a style picture, computed in the thread. */
  async styleVector(picture: RgbImage): Promise<Float32Array> {
    const pixels = picture.data.slice().buffer;
    const reply = await this.request((id) => ({ type: 'style-vector', id, pixels, width: picture.width, height: picture.height }), [pixels], 'style vector');
    if (reply.type !== 'vector') throw new Error(`photo editor thread answered ${reply.type} to a style vector`);
    return reply.vector;
  }

  private async request(message: (id: number) => EditorRequest, transfer: ArrayBuffer[], what: string): Promise<EditorReply> {
    if (this.closed) throw new Error('photo editor thread is closed');
    if (this.starting) await this.starting;
    const id = ++this.nextId;
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      // A stuck request ends its thread (it cannot be interrupted otherwise); the exit handler fails it and respawns.
      const timer = setTimeout(() => {
        this.log(`${what} ${id} exceeded ${this.editTimeoutMs} ms; restarting the editor thread`);
        void worker.terminate();
      }, this.editTimeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      worker.postMessage(message(id), transfer);
    });
  }

  /** Test hook: makes the thread throw an uncaught error (only with DEEPPHOTO_FAULT_INJECTION=1). */
  injectCrash(): void {
    this.worker.postMessage({ type: 'crash' } satisfies EditorRequest);
  }

  /** Idempotent: asks the thread to release its models and leave; ends it if it does not within 2 s. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.starting?.catch(() => undefined);
    const worker = this.worker;
    if (worker.threadId === -1) return; // already gone (crashed, no restart)
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies EditorRequest);
    const timer = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
