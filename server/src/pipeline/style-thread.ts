/**
 * A style network in its own thread, so that on a 2-core machine the style net (the heaviest stage) runs while
 * the calling thread segments, refines and upsamples the mask of the same frame.
 *
 * Frames are exchanged through SharedArrayBuffers: the caller allocates the input (downscaled frame) and output
 * (frame-size styled picture) once per size with `sharedRgbImage`, writes the input, calls `stylize`, may read the
 * input meanwhile, and reads the output only after the promise resolves. One run at a time.
 */
import { WorkerThread } from '../core/worker.ts';
import type { ModelRuntimeOptions } from '../runtime/onnx.ts';
import type { RgbImage } from './image.ts';
import type { Size } from './stylize.ts';

/** The ORT settings of a style thread: its threads, and the providers of the runtime that starts it. */
export interface StyleThreadRuntime {
  threads: number;
  providers?: ModelRuntimeOptions['providers'];
}

export interface StyleThreadInit extends StyleThreadRuntime {
  modelId: string;
  /** Arbitrary-style looks: the style vector, strength 0..1, and the prediction net (needed below 100 %). */
  arbitrary?: { vector: Float32Array; strength: number; predictModelId: string | undefined; maxLongSide: number };
}

/** What the style thread speaks over core/worker.ts. */
export interface StyleThreadProtocol {
  init: StyleThreadInit;
  request:
    | {
        type: 'run';
        input: SharedArrayBuffer;
        inputWidth: number;
        inputHeight: number;
        output: SharedArrayBuffer;
        outputWidth: number;
        outputHeight: number;
        maxLongSide: number;
      }
    | { type: 'set-style'; vector: Float32Array; strength: number; predictModelId: string | undefined };
  /** `run`: the network's time in ms; `set-style`: null. */
  reply: number | null;
}

const NAME = 'style thread';
const ENTRY = new URL('./style-thread-worker.ts', import.meta.url);

/** Style threads alive in this thread (tests use it to prove none is left behind). */
export function liveStyleThreads(): number {
  return WorkerThread.alive(NAME);
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
  /** A run is in flight (one at a time: the shared output buffer is written by it). */
  private running = false;

  private constructor(
    /** The network, or for arbitrary-style looks a key naming network, look and strength (tells stages apart). */
    public modelId: string,
    /** The network the thread runs (the manifest id). */
    readonly networkId: string,
    private readonly thread: WorkerThread<StyleThreadProtocol>,
    /** Whether the thread runs an arbitrary-style network, whose look can change in place. */
    readonly arbitrary: boolean,
  ) {}

  /** Arbitrary-style threads only: another look (vector, strength) for the next frames, without a new thread. */
  async setStyle(style: { vector: Float32Array; strength: number; predictModelId: string | undefined; key: string }): Promise<void> {
    if (!this.arbitrary) throw new TypeError('setStyle: not an arbitrary-style thread');
    await this.thread.request({ type: 'set-style', vector: style.vector, strength: style.strength, predictModelId: style.predictModelId });
    this.modelId = style.key;
  }

  /**
   * Starts the thread and resolves once its model is loaded and warmed up. `faultInjection`: let injectCrash()
   * crash it (tests of fault containment).
   */
  static async start(
    modelId: string,
    runtime: StyleThreadRuntime = { threads: 1 },
    arbitrary?: StyleThreadInit['arbitrary'] & { key: string },
    options: { faultInjection?: boolean } = {},
  ): Promise<ThreadedStylizer> {
    const init: StyleThreadInit = { modelId, threads: runtime.threads, ...(runtime.providers ? { providers: runtime.providers } : {}), ...(arbitrary ? { arbitrary: { vector: arbitrary.vector, strength: arbitrary.strength, predictModelId: arbitrary.predictModelId, maxLongSide: arbitrary.maxLongSide } } : {}) };
    const thread = await WorkerThread.start<StyleThreadProtocol>({ name: NAME, entry: ENTRY, init, ...(options.faultInjection ? { faultInjection: true } : {}) });
    return new ThreadedStylizer(arbitrary?.key ?? modelId, modelId, thread, arbitrary !== undefined);
  }

  async stylize(picture: RgbImage, out: RgbImage, maxLongSide: number): Promise<Size> {
    if (this.running) throw new Error('style thread: one run at a time');
    const request: StyleThreadProtocol['request'] = {
      type: 'run',
      input: sharedBuffer(picture),
      inputWidth: picture.width,
      inputHeight: picture.height,
      output: sharedBuffer(out),
      outputWidth: out.width,
      outputHeight: out.height,
      maxLongSide,
    };
    this.running = true;
    try {
      await this.thread.request(request);
    } finally {
      this.running = false;
    }
    return { width: picture.width, height: picture.height };
  }

  /** Whether the thread still takes frames (not closed, not crashed): a kept-aside stage is reused only then. */
  get alive(): boolean {
    return this.thread.running;
  }

  /** Test hook: makes the thread throw an uncaught error (only when started with faultInjection). */
  injectCrash(): void {
    this.thread.injectCrash();
  }

  /** Idempotent. A run in progress is rejected; the thread is ended if it does not leave within 2 s. */
  close(): void {
    void this.thread.close();
  }
}
