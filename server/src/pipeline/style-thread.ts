/**
 * A style network in its own thread, so that on a 2-core machine the style net (the heaviest stage) runs while
 * the calling thread segments, refines and upsamples the mask of the same frame.
 *
 * Frames are exchanged through SharedArrayBuffers: the caller allocates the input (downscaled frame) and output
 * (frame-size styled picture) once per size with `sharedRgbImage`, writes the input, calls `stylize`, may read the
 * input meanwhile, and reads the output only after the promise resolves. One run at a time.
 */
import { Worker } from 'node:worker_threads';
import type { RgbImage } from './image.ts';
import type { Size } from './stylize.ts';

export interface StyleThreadInit {
  modelId: string;
  threads: number;
  /** Arbitrary-style looks: the style vector, strength 0..1, and the prediction net (needed below 100 %). */
  arbitrary?: { vector: Float32Array; strength: number; predictModelId: string | undefined; maxLongSide: number };
}

export type StyleThreadRequest =
  | {
      type: 'run';
      seq: number;
      input: SharedArrayBuffer;
      inputWidth: number;
      inputHeight: number;
      output: SharedArrayBuffer;
      outputWidth: number;
      outputHeight: number;
      maxLongSide: number;
    }
  | { type: 'set-style'; seq: number; vector: Float32Array; strength: number; predictModelId: string | undefined }
  | { type: 'close' }
  /** Fault injection for tests: honoured only with DEEPPHOTO_FAULT_INJECTION=1 in the thread's environment. */
  | { type: 'crash' };

export type StyleThreadReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'done'; seq: number; ms: number }
  | { type: 'style-set'; seq: number; error?: string }
  | { type: 'failed'; seq: number; message: string };

const BOOT_URL = new URL('./style-thread-boot.mjs', import.meta.url);

let runningThreads = 0;
/** Style threads alive in this thread (tests use it to prove none is left behind). */
export function liveStyleThreads(): number {
  return runningThreads;
}

/** An RgbImage whose pixels live in a SharedArrayBuffer, so another thread can read or write them in place. */
export function sharedRgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(new SharedArrayBuffer(width * height * 3)) };
}

function sharedBuffer(image: RgbImage): SharedArrayBuffer {
  if (!(image.data.buffer instanceof SharedArrayBuffer) || image.data.byteOffset !== 0) {
    throw new TypeError('ThreadedStylizer needs images made with sharedRgbImage');
  }
  return image.data.buffer;
}

export class ThreadedStylizer {
  private seq = 0;
  private pending: { seq: number; resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly styleChanges = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private closed = false;

  private constructor(
    /** The network, or for arbitrary-style looks a key naming network, look and strength (tells stages apart). */
    public modelId: string,
    /** The network the thread runs (the manifest id). */
    readonly networkId: string,
    private readonly worker: Worker,
    /** Whether the thread runs an arbitrary-style network, whose look can change in place. */
    readonly arbitrary: boolean,
  ) {
    worker.on('message', (message: StyleThreadReply) => {
      if (message.type === 'style-set') {
        const waiting = this.styleChanges.get(message.seq);
        this.styleChanges.delete(message.seq);
        if (message.error) waiting?.reject(new Error(`style thread: ${message.error}`));
        else waiting?.resolve();
        return;
      }
      const pending = this.pending;
      if (!pending || (message.type !== 'done' && message.type !== 'failed') || message.seq !== pending.seq) return;
      this.pending = undefined;
      if (message.type === 'done') pending.resolve();
      else pending.reject(new Error(`style thread: ${message.message}`));
    });
    // For the thread's whole life: an uncaught error in it must fail this stage, not the process (a Worker
    // 'error' without a listener is rethrown in the parent).
    worker.on('error', (error) => {
      this.closed = true;
      this.pending?.reject(new Error(`style thread crashed: ${error.message}`));
      this.pending = undefined;
    });
    worker.on('exit', () => {
      this.closed = true;
      this.pending?.reject(new Error('style thread exited'));
      this.pending = undefined;
      for (const waiting of this.styleChanges.values()) waiting.reject(new Error('style thread exited'));
      this.styleChanges.clear();
    });
  }

  /** Arbitrary-style threads only: another look (vector, strength) for the next frames, without a new thread. */
  setStyle(style: { vector: Float32Array; strength: number; predictModelId: string | undefined; key: string }): Promise<void> {
    if (this.closed) return Promise.reject(new Error('style thread is closed'));
    if (!this.arbitrary) return Promise.reject(new TypeError('setStyle: not an arbitrary-style thread'));
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      this.styleChanges.set(seq, {
        resolve: () => {
          this.modelId = style.key;
          resolve();
        },
        reject,
      });
      this.worker.postMessage({ type: 'set-style', seq, vector: style.vector, strength: style.strength, predictModelId: style.predictModelId } satisfies StyleThreadRequest);
    });
  }

  /** Starts the thread and resolves once its model is loaded and warmed up. */
  static start(modelId: string, threads = 1, arbitrary?: StyleThreadInit['arbitrary'] & { key: string }): Promise<ThreadedStylizer> {
    const init: StyleThreadInit = { modelId, threads, ...(arbitrary ? { arbitrary: { vector: arbitrary.vector, strength: arbitrary.strength, predictModelId: arbitrary.predictModelId, maxLongSide: arbitrary.maxLongSide } } : {}) };
    const worker = new Worker(BOOT_URL, { workerData: init });
    const stageId = arbitrary?.key ?? modelId;
    runningThreads++;
    worker.once('exit', () => runningThreads--);
    return new Promise((resolve, reject) => {
      const onMessage = (message: StyleThreadReply) => {
        if (message.type === 'ready') {
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(new ThreadedStylizer(stageId, modelId, worker, arbitrary !== undefined));
        } else if (message.type === 'init-error') {
          worker.off('error', onError);
          void worker.terminate();
          reject(new Error(message.message));
        }
      };
      const onError = (error: Error) => {
        void worker.terminate();
        reject(error);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
    });
  }

  stylize(picture: RgbImage, out: RgbImage, maxLongSide: number): Promise<Size> {
    if (this.closed) return Promise.reject(new Error('style thread is closed'));
    if (this.pending) return Promise.reject(new Error('style thread: one run at a time'));
    const seq = ++this.seq;
    const request: StyleThreadRequest = {
      type: 'run',
      seq,
      input: sharedBuffer(picture),
      inputWidth: picture.width,
      inputHeight: picture.height,
      output: sharedBuffer(out),
      outputWidth: out.width,
      outputHeight: out.height,
      maxLongSide,
    };
    return new Promise<Size>((resolve, reject) => {
      this.pending = { seq, resolve: () => resolve({ width: picture.width, height: picture.height }), reject };
      this.worker.postMessage(request);
    });
  }

  /** Test hook: makes the thread throw an uncaught error (only with DEEPPHOTO_FAULT_INJECTION=1). */
  injectCrash(): void {
    this.worker.postMessage({ type: 'crash' } satisfies StyleThreadRequest);
  }

  /** Idempotent. A run in progress is rejected. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker.postMessage({ type: 'close' } satisfies StyleThreadRequest);
    // If the thread does not leave by itself (e.g. stuck in a native call), it is ended.
    setTimeout(() => void this.worker.terminate(), 2000).unref();
  }
}
