import type { EncoderOptions } from './codec/types.ts';
import type { FrameTimings, ProcessorOptions } from './processor.ts';

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

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; message: string }
  | {
      type: 'encoded';
      data: ArrayBuffer;
      keyframe: boolean;
      rtpTimestamp: number;
      receivedAt: number;
      width: number;
      height: number;
      timings: StageTimings;
      dropped: number;
    }
  | { type: 'updated'; id: number; error?: string }
  | { type: 'frame-error'; message: string }
  | { type: 'closed' };
