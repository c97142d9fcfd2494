export * from './manifest.ts';
export * from './resolve.ts';
export { withSymbolicBatch } from './onnx/symbolic-batch.ts';
