/**
 * Main-thread handle of a session's frame worker (`frame-worker.ts`), over the server's one worker-thread
 * abstraction (core/worker.ts: start, requests, transfer, crash handling, close).
 */
import { EventEmitter } from 'node:events';
import { WorkerThread } from '../core/worker.ts';
import type { FrameProcessor, UpdateResult } from '../pipeline/processor.ts';
import type { EncodedOutput, FrameWorkerProtocol, WorkerInit } from './worker-messages.ts';

export type { EncodedOutput };

export interface FrameWorkerEvents {
  encoded: [EncodedOutput];
  'frame-error': [string];
  /** The worker died unexpectedly (not through close()). */
  failed: [Error];
}

const NAME = 'frame worker';
const ENTRY = new URL('./frame-worker.ts', import.meta.url);

/** Worker threads alive in this process (for tests and health checks). */
export function liveFrameWorkerCount(): number {
  return WorkerThread.alive(NAME);
}

export class FrameWorker extends EventEmitter<FrameWorkerEvents> {
  private thread!: WorkerThread<FrameWorkerProtocol>;

  private constructor() {
    super();
  }

  /** Starts a worker and resolves once its processor and codecs are ready. */
  static async start(init: WorkerInit, timeoutMs = 30_000): Promise<FrameWorker> {
    const fw = new FrameWorker();
    fw.thread = await WorkerThread.start<FrameWorkerProtocol>({
      name: NAME,
      entry: ENTRY,
      init,
      ...(init.inferencePort ? { initTransfer: [init.inferencePort] } : {}),
      resourceLimits: { maxOldGenerationSizeMb: 512 },
      startTimeoutMs: timeoutMs,
      onEvent: (event) => {
        if (event.type === 'encoded') fw.emit('encoded', { ...event, data: new Uint8Array(event.data) });
        else fw.emit('frame-error', event.message);
      },
      onFailed: (error) => fw.emit('failed', error),
    });
    return fw;
  }

  /** Sends one encoded input frame; the bytes are copied into a buffer that is transferred to the worker. */
  pushFrame(data: Uint8Array, rtpTimestamp: number, timestampMs: number, receivedAt: number, keyframe: boolean): void {
    if (!this.thread.running) return;
    const copy = new ArrayBuffer(data.byteLength);
    new Uint8Array(copy).set(data);
    this.thread.send({ type: 'frame', data: copy, rtpTimestamp, timestampMs, receivedAt, keyframe }, [copy]);
  }

  requestKeyframe(): void {
    this.thread.send({ type: 'keyframe' });
  }

  /** Resolves once the processor inside the worker uses the new options (make-before-break). */
  update(change: Parameters<FrameProcessor['update']>[0]): Promise<UpdateResult | undefined> {
    return this.thread.request({ type: 'update', change });
  }

  /** Asks the worker to release its codecs and processor, then ends it (after 2 s at the latest). Safe to call twice. */
  close(): Promise<void> {
    return this.thread.close();
  }
}
