import type { EncoderOptions } from './codec/types.ts';
import type { FrameTimings, ProcessorOptions, UpdateResult } from './processor.ts';

export interface WorkerInit {
  processorModule: string;
  processor: ProcessorOptions;
  encoder: Partial<EncoderOptions>;
}

export type ToWorker =
  | { type: 'frame'; data: ArrayBuffer; rtpTimestamp: number; timestampMs: number; receivedAt: number; keyframe: boolean }
  | { type: 'keyframe' }
  | { type: 'update'; id: number; change: Partial<ProcessorOptions> }
  | { type: 'close' };

export interface StageTimings extends FrameTimings {
  decodeMs: number;
  processMs: number;
  encodeMs: number;
}

/** One processed, encoded frame as the session receives it. */
export interface EncodedOutput {
  data: Uint8Array;
  keyframe: boolean;
  rtpTimestamp: number;
  receivedAt: number;
  width: number;
  height: number;
  timings: StageTimings;
  dropped: number;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | ({ type: 'encoded'; data: ArrayBuffer } & Omit<EncodedOutput, 'data'>)
  | { type: 'updated'; id: number; error?: string; code?: string; result?: UpdateResult }
  | { type: 'frame-error'; message: string }
  | { type: 'closed' };
