import type { MessagePort } from 'node:worker_threads';
import type { SessionTimings } from '@deepphoto/shared';
import type { ProcessingConfig } from '../config/config.ts';
import type { EncoderOptions } from './codec/types.ts';
import type { ProcessorOptions, UpdateResult } from '../pipeline/processor.ts';

export interface WorkerInit {
  processorModule: string;
  processor: ProcessorOptions;
  encoder: Partial<EncoderOptions>;
  /** Handed to the processor module's createProcessor (the worker never reads the environment). */
  config?: ProcessingConfig;
  /** The session's port to the inference owner (GPU style providers only); transferred, owned by the processor. */
  inferencePort?: MessagePort;
}

/** One processed, encoded frame as the session receives it. */
export interface EncodedOutput {
  data: Uint8Array;
  keyframe: boolean;
  rtpTimestamp: number;
  receivedAt: number;
  width: number;
  height: number;
  /** The processor's stages plus decode, process and encode in the worker. */
  timings: SessionTimings;
  dropped: number;
}

/** What the session's frame worker speaks over core/worker.ts. */
export interface FrameWorkerProtocol {
  init: WorkerInit;
  /** Resolves once the processor uses the new options (make-before-break). */
  request: { type: 'update'; change: Partial<ProcessorOptions> };
  reply: UpdateResult | undefined;
  message:
    | { type: 'frame'; data: ArrayBuffer; rtpTimestamp: number; timestampMs: number; receivedAt: number; keyframe: boolean }
    | { type: 'keyframe' };
  event: ({ type: 'encoded'; data: ArrayBuffer } & Omit<EncodedOutput, 'data'>) | { type: 'frame-error'; message: string };
}
