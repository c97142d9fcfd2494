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
  | { type: 'close' }
  /** Fault injection for tests: honoured only with DEEPPHOTO_FAULT_INJECTION=1 in the thread's environment. */
  | { type: 'crash' };

export type StyleThreadReply =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | { type: 'done'; seq: number; ms: number }
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
  private closed = false;

  private constructor(
    readonly modelId: string,
    private readonly worker: Worker,
  ) {
    worker.on('message', (message: StyleThreadReply) => {
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
    });
  }

  /** Starts the thread and resolves once its model is loaded and warmed up. */
  static start(modelId: string, threads = 1): Promise<ThreadedStylizer> {
    const worker = new Worker(BOOT_URL, { workerData: { modelId, threads } satisfies StyleThreadInit });
    runningThreads++;
    worker.once('exit', () => runningThreads--);
    return new Promise((resolve, reject) => {
      const onMessage = (message: StyleThreadReply) => {
        if (message.type === 'ready') {
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(new ThreadedStylizer(modelId, worker));
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
