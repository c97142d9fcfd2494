/**
 * Main-thread handle of a session's frame worker (`frame-worker.ts`). Spawning runs the worker's TypeScript
 * through tsx, which works the same under `tsx`, vitest and `npm start`.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { DeepPhotoError, isErrorCode } from '../core/errors.ts';
import type { FrameProcessor, UpdateResult } from './processor.ts';

import type { EncodedOutput, FromWorker, ToWorker, WorkerInit } from './worker-messages.ts';

export type { EncodedOutput };

export interface FrameWorkerEvents {
  encoded: [EncodedOutput];
  'frame-error': [string];
  /** The worker died unexpectedly (not through close()). */
  failed: [Error];
}

const WORKER_URL = new URL('./frame-worker-boot.mjs', import.meta.url);
let liveWorkers = 0;

/** Worker threads alive in this process (for tests and health checks). */
export function liveFrameWorkerCount(): number {
  return liveWorkers;
}

export class FrameWorker extends EventEmitter<FrameWorkerEvents> {
  private readonly worker: Worker;
  private nextUpdateId = 1;
  private readonly updates = new Map<number, { resolve: (result: UpdateResult | undefined) => void; reject: (e: Error) => void }>();
  private closed = false;
  private exited: Promise<void>;
  private constructor(init: WorkerInit) {
    super();
    this.worker = new Worker(WORKER_URL, {
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    });
    liveWorkers++;
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', () => {
        liveWorkers--;
        for (const u of this.updates.values()) u.reject(new Error('frame worker exited'));
        this.updates.clear();
        resolve();
      });
    });
    this.worker.on('error', (error) => {
      if (!this.closed) this.emit('failed', error);
    });
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
  }

  /** Starts a worker and resolves once its processor and codecs are ready. */
  static async start(init: WorkerInit, timeoutMs = 30_000): Promise<FrameWorker> {
    const fw = new FrameWorker(init);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('frame worker did not start in time')), timeoutMs);
        const onMessage = (m: FromWorker): void => {
          if (m.type === 'ready') done(), resolve();
          else if (m.type === 'init-error') done(), reject(new Error(m.message));
        };
        const onExit = (code: number): void => {
          done();
          reject(new Error(`frame worker exited with ${code} while starting`));
        };
        const onError = (error: Error): void => {
          done();
          reject(error);
        };
        const done = (): void => {
          clearTimeout(timer);
          fw.worker.off('message', onMessage);
          fw.worker.off('exit', onExit);
          fw.worker.off('error', onError);
        };
        fw.worker.on('message', onMessage);
        fw.worker.on('exit', onExit);
        fw.worker.on('error', onError);
      });
    } catch (error) {
      await fw.close();
      throw error;
    }
    return fw;
  }

  /** Sends one encoded input frame; the bytes are copied into a buffer that is transferred to the worker. */
  pushFrame(data: Uint8Array, rtpTimestamp: number, timestampMs: number, receivedAt: number, keyframe: boolean): void {
    if (this.closed) return;
    const copy = new ArrayBuffer(data.byteLength);
    new Uint8Array(copy).set(data);
    this.post({ type: 'frame', data: copy, rtpTimestamp, timestampMs, receivedAt, keyframe }, [copy]);
  }

  requestKeyframe(): void {
    if (!this.closed) this.post({ type: 'keyframe' });
  }

  /** Resolves once the processor inside the worker uses the new options (make-before-break). */
  update(change: Parameters<FrameProcessor['update']>[0]): Promise<UpdateResult | undefined> {
    if (this.closed) return Promise.reject(new Error('frame worker closed'));
    const id = this.nextUpdateId++;
    return new Promise((resolve, reject) => {
      this.updates.set(id, { resolve, reject });
      this.post({ type: 'update', id, change });
    });
  }

  /** Asks the worker to release its codecs and processor, then terminates it. Safe to call twice. */
  async close(graceMs = 2000): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.post({ type: 'close' });
      const timer = setTimeout(() => void this.worker.terminate(), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  private post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    this.worker.postMessage(message, transfer);
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'encoded':
        this.emit('encoded', { ...message, data: new Uint8Array(message.data) });
        break;
      case 'updated': {
        const u = this.updates.get(message.id);
        this.updates.delete(message.id);
        if (message.error) u?.reject(message.code && isErrorCode(message.code) ? new DeepPhotoError(message.code, message.error) : new Error(message.error));
        else u?.resolve(message.result);
        break;
      }
      case 'frame-error':
        this.emit('frame-error', message.message);
        break;
      case 'closed':
        void this.worker.terminate();
        break;
      default:
        break;
    }
  }
}
