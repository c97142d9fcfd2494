export * from './manifest.ts';
export * from './resolve.ts';
export { withSymbolicBatch } from './onnx/symbolic-batch.ts';
export { decodeOnnxModel } from './onnx/decode.ts';
export { calibrationTensors, quantizeQdq, type QuantizeOptions, type TensorRange } from './onnx/quantize-qdq.ts';
