/**
 * `PhotoEditing` backed by a worker thread (see editor-worker.ts): the server edits photos there so that inference
 * never blocks its event loop. Pixels go over by transfer (the caller's copy stays untouched), results come back
 * by transfer. One thread: photos are edited one at a time, in order.
 */
import { readPathsConfig, readRuntimeConfig } from '../config/config.ts';
import type { PhotoConfig } from '../context.ts';
import { WorkerThread } from '../core/worker.ts';
import type { RgbImage } from '../pipeline/image.ts';
import type { PhotoEditing, PhotoEditOptions, PhotoEditResult, PhotoEditTimings, PhotoEffect } from './editor.ts';

/** What the photo editor's thread speaks over core/worker.ts. */
export interface EditorProtocol {
  init: { config: PhotoConfig };
  request:
    | { type: 'edit'; pixels: ArrayBuffer; width: number; height: number; effect: PhotoEffect; options: Partial<PhotoEditOptions> }
    | { type: 'style-vector'; pixels: ArrayBuffer; width: number; height: number };
  reply: { type: 'edited'; pixels: ArrayBuffer; timings: PhotoEditTimings; modelId: string | null } | { type: 'vector'; vector: Float32Array };
}

const NAME = 'photo editor thread';
const ENTRY = new URL('./editor-worker.ts', import.meta.url);

/** One edit may take this long (a 40 Mpx photo with a teacher style on 2 cores is ~20 s); then it fails. */
export const DEFAULT_EDIT_TIMEOUT_MS = 120_000;

export interface WorkerPhotoEditorOptions {
  /** The thread's settings (ORT, folders); default: every default. */
  config?: PhotoConfig;
  editTimeoutMs?: number;
  log?: (message: string) => void;
  /** Let injectCrash() crash the thread (tests of fault containment). */
  faultInjection?: boolean;
}

/**
 * If the thread dies (uncaught error, native crash, stuck past the timeout), the edits in flight fail and a fresh
 * thread is started for the next photo.
 */
export class WorkerPhotoEditor implements PhotoEditing {
  private thread!: WorkerThread<EditorProtocol>;
  private starting: Promise<void> | undefined;
  private closed = false;
  /** Threads started after a crash (for tests and logs). */
  restarts = 0;
  private readonly editTimeoutMs: number;
  private readonly log: (message: string) => void;

  private constructor(private readonly options: WorkerPhotoEditorOptions) {
    this.editTimeoutMs = options.editTimeoutMs ?? DEFAULT_EDIT_TIMEOUT_MS;
    this.log = options.log ?? ((m) => console.warn(m));
  }

  /** Starts the thread; resolves once its models are found and it listens. */
  static async start(options: WorkerPhotoEditorOptions = {}): Promise<WorkerPhotoEditor> {
    const editor = new WorkerPhotoEditor(options);
    editor.thread = await editor.spawn();
    return editor;
  }

  private spawn(): Promise<WorkerThread<EditorProtocol>> {
    return WorkerThread.start<EditorProtocol>({
      name: NAME,
      entry: ENTRY,
      init: { config: this.options.config ?? { runtime: readRuntimeConfig({}), paths: readPathsConfig({}) } },
      ...(this.options.faultInjection ? { faultInjection: true } : {}),
      onFailed: (error) => this.respawn(error),
    });
  }

  private respawn(error: Error): void {
    if (this.closed) return;
    this.log(`${error.message}; starting a new photo editor thread`);
    this.restarts++;
    const starting = this.spawn().then(
      (thread) => {
        if (this.closed) void thread.close();
        else this.thread = thread;
      },
      (startError: unknown) => this.log(`photo editor thread did not restart: ${(startError as Error).message}`),
    );
    this.starting = starting.finally(() => {
      if (this.starting === starting) this.starting = undefined;
    });
  }

  async edit(photo: RgbImage, effect: PhotoEffect, options: Partial<PhotoEditOptions> = {}): Promise<PhotoEditResult> {
    const pixels = photo.data.slice().buffer; // a copy to transfer: the caller keeps its picture
    const reply = await this.request({ type: 'edit', pixels, width: photo.width, height: photo.height, effect, options }, [pixels]);
    if (reply.type !== 'edited') throw new Error(`photo editor thread answered ${reply.type} to an edit`);
    return { image: { width: photo.width, height: photo.height, data: new Uint8Array(reply.pixels) }, timings: reply.timings, modelId: reply.modelId };
  }

  /** The arbitrary-style vector of a style picture, computed in the thread. */
  async styleVector(picture: RgbImage): Promise<Float32Array> {
    const pixels = picture.data.slice().buffer;
    const reply = await this.request({ type: 'style-vector', pixels, width: picture.width, height: picture.height }, [pixels]);
    if (reply.type !== 'vector') throw new Error(`photo editor thread answered ${reply.type} to a style vector`);
    return reply.vector;
  }

  private async request(body: EditorProtocol['request'], transfer: ArrayBuffer[]): Promise<EditorProtocol['reply']> {
    if (this.closed) throw new Error('photo editor thread is closed');
    if (this.starting) await this.starting;
    // A stuck request ends its thread (it cannot be interrupted otherwise): it fails, the thread is replaced.
    return this.thread.request(body, { transfer, timeoutMs: this.editTimeoutMs });
  }

  /** Test hook: makes the thread throw an uncaught error (only when started with faultInjection). */
  injectCrash(): void {
    this.thread.injectCrash();
  }

  /** Idempotent: asks the thread to release its models and leave; ends it if it does not within 2 s. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.starting;
    await this.thread.close();
  }
}
