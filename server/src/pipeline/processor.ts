/**
 * The frame-processor seam (aiortc's one-method transform): `process(input, timestampMs, output)` writes the
 * transformed picture into `output` and reports its timings; options that change live go through `update()`
 * (make-before-break: it resolves once the new effect is in use). `LivePipeline` implements it.
 *
 * Processors run inside a session's worker thread, so the live layer chooses them by *module*: a module whose
 * `createProcessor` export is a `ProcessorFactory` (`pipeline/live-processor.ts` in the server, `live/builtin-processors.ts` by default).
 */
import type { MessagePort } from 'node:worker_threads';
import { PROCESSOR_STAGES, zeroTimings, type PickPayload, type ProcessorTimings, type Target } from '@deepphoto/shared';
import type { ProcessingConfig } from '../config/config.ts';
import type { RgbImage } from './image.ts';

/** What a processor reports per frame: the shared `Stage -> ms` type (segment, style, smooth, composite, total). */
export type FrameTimings = ProcessorTimings;

export interface ProcessorOptions {
  style: string;
  target: Target;
  /** Arbitrary-style looks: percent of the picture's style (default 100). */
  strength?: number;
  workingWidth?: number;
  /** Selected people (tracking ids) for the `people` / `people-except` targets. */
  people?: number[];
  /** One-shot: toggle the person at this point of the frame (normalised). */
  pick?: PickPayload;
}

/** What an update reports back beyond "done": the person selection after it (person-selection processors). */
export interface UpdateResult {
  people?: number[];
}

export interface FrameProcessor {
  /**
   * `small`, when the processor asked for it through `workingSize`, is the same frame already scaled to that size
   * (the decoder's native scaler does it for free compared with a JavaScript downscale).
   */
  process(input: RgbImage, timestampMs: number, output: RgbImage, small?: RgbImage): FrameTimings | Promise<FrameTimings>;
  /**
   * True while the output would be the input unchanged (target `none`): the frame worker then re-encodes the
   * decoded picture directly, without RGB conversions, and does not call `process`.
   */
  passesThrough?(): boolean;
  /** The scaled-down copy of each frame this processor wants besides the frame itself, if any. */
  workingSize?(width: number, height: number): { width: number; height: number } | undefined;
  update(change: Partial<ProcessorOptions>): Promise<void | UpdateResult>;
  close(): void;
}

/** What the main thread shares with a session's processor besides settings. */
export interface ProcessorResources {
  /**
   * The session's port to the process's inference owner (runtime/inference-owner.ts), given when the style
   * providers name a GPU: the processor then runs its GPU style network there, batched with other sessions'
   * frames, instead of loading its own copy. The processor owns the port (closes it on close()).
   */
  inferencePort?: MessagePort;
}

/** `config`: the server's settings for processing (ORT, live path, folders), read once in the main thread. */
export type ProcessorFactory = (options: ProcessorOptions, config?: ProcessingConfig, resources?: ProcessorResources) => Promise<FrameProcessor>;

/**
 * The module sessions load by default: the real pipeline (segmentation, styles, effects). A URL only, so that naming
 * it loads nothing here; tests and demos pass the toy module of `live/builtin-processors.ts` instead.
 */
export const PIPELINE_PROCESSOR_MODULE = new URL('./live-processor.ts', import.meta.url).href;

/** What a processor module must export. */
export interface ProcessorModule {
  createProcessor: ProcessorFactory;
}

export const ZERO_TIMINGS: Readonly<FrameTimings> = Object.freeze(zeroTimings(PROCESSOR_STAGES));
