/**
 * `PhotoEditing` backed by a worker thread (see editor-worker.ts): the server edits photos there so that inference
 * never blocks its event loop. Pixels go over by transfer (the caller's copy stays untouched), results come back
 * by transfer. One thread: photos are edited one at a time, in order.
 */
import { Worker } from 'node:worker_threads';
import type { Effect } from '@deepphoto/shared';
import type { RgbImage } from '../pipeline/image.ts';
import { UnknownStyleError } from '../styles/catalog.ts';
import { UnknownPersonError } from '../instances/errors.ts';
import type { PhotoEditing, PhotoEditOptions, PhotoEditResult, PhotoEditTimings, PhotoEffect } from './editor.ts';

export type EditorRequest =
  | { type: 'edit'; id: number; pixels: ArrayBuffer; width: number; height: number; effect: PhotoEffect; options: Partial<PhotoEditOptions> }
  | { type: 'close' };

export type EditorReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; pixels: ArrayBuffer; timings: PhotoEditTimings; modelId: string | null }
  | { type: 'failed'; id: number; name: string; message: string; styleId?: string | undefined };

const BOOT_URL = new URL('./editor-worker-boot.mjs', import.meta.url);

export class WorkerPhotoEditor implements PhotoEditing {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: PhotoEditResult) => void; reject: (e: Error) => void; width: number; height: number }>();
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: EditorReply) => {
      if (reply.type === 'ready') return;
      const waiting = this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id);
      if (reply.type === 'done') {
        waiting.resolve({ image: { width: waiting.width, height: waiting.height, data: new Uint8Array(reply.pixels) }, timings: reply.timings, modelId: reply.modelId });
      } else if (reply.name === 'UnknownPersonError') {
        waiting.reject(new UnknownPersonError(reply.message));
      } else if (reply.name === 'UnknownStyleError') {
        waiting.reject(new UnknownStyleError(reply.styleId ?? '', []));
      } else {
        waiting.reject(new Error(reply.message));
      }
    });
    worker.on('exit', () => {
      this.closed = true;
      for (const waiting of this.pending.values()) waiting.reject(new Error('photo editor thread exited'));
      this.pending.clear();
    });
  }

  /** Starts the thread; resolves once its models are found and it listens. */
  static start(): Promise<WorkerPhotoEditor> {
    const worker = new Worker(BOOT_URL);
    return new Promise((resolve, reject) => {
      const onMessage = (reply: EditorReply) => {
        if (reply.type !== 'ready') return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve(new WorkerPhotoEditor(worker));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  edit(photo: RgbImage, effect: PhotoEffect, options: Partial<PhotoEditOptions> = {}): Promise<PhotoEditResult> {
    if (this.closed) return Promise.reject(new Error('photo editor thread is closed'));
    const id = ++this.nextId;
    const pixels = photo.data.slice().buffer; // a copy to transfer: the caller keeps its picture
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, width: photo.width, height: photo.height });
      this.worker.postMessage({ type: 'edit', id, pixels, width: photo.width, height: photo.height, effect, options } satisfies EditorRequest, [pixels]);
    });
  }

  /** Idempotent: asks the thread to release its models and leave; ends it if it does not within 2 s. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies EditorRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 2000);
    await exited;
    clearTimeout(timer);
  }
}
