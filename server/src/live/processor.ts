/**
 * Which processor module each session's worker loads. The processor interface itself lives with the pipeline
 * (`pipeline/processor.ts`); it is re-exported here for the live layer's callers.
 */
export type { FrameProcessor, FrameTimings, ProcessorFactory, ProcessorModule, ProcessorOptions, UpdateResult } from '../pipeline/processor.ts';
export { ZERO_TIMINGS } from '../pipeline/processor.ts';

/**
 * The module each session's worker loads its processor from when none is given. To plug in the real pipeline, point
 * the `processorModule` option of `attachSignaling` at a module exporting a `createProcessor: ProcessorFactory`
 * (the server does: `pipeline/live-processor.ts`).
 */
export const DEFAULT_PROCESSOR_MODULE = new URL('./builtin-processors.ts', import.meta.url).href;
