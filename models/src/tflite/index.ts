export { convertTfliteModelToOnnx, convertTfliteToOnnx, supportedTfliteOps } from './convert.ts';
export type { ConvertOptions } from './convert.ts';
export { readTfliteModel, builtinOperatorName, BuiltinOperator, TensorType } from './model.ts';
export type { TfliteModel, TfliteOp, TfliteTensor, OpOptions } from './model.ts';
export { readRawTfliteModel } from './flatbuffer.ts';
