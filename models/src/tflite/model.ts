/**
 * A typed view of a TFLite model: named ops with decoded options, and tensors whose constant data is decoded to
 * Float32Array / Int32Array. Constant DEQUANTIZE ops (float16 or int8 weights) are folded away here, so consumers
 * only ever see float32 weights.
 */
import { readRawTfliteModel } from './flatbuffer.ts';
import type { FlatTable, RawOperator, RawTensor, RawTfliteModel } from './flatbuffer.ts';

/** The BuiltinOperator codes this project cares about (schema.fbs enum BuiltinOperator). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  RESIZE_BILINEAR: 23,
  SOFTMAX: 25,
  TANH: 28,
  CUSTOM: 32,
  PAD: 34,
  TRANSPOSE: 39,
  MEAN: 40,
  SUB: 41,
  DIV: 42,
  // Magenta arbitrary style transfer (style_predict / style_transfer .tflite).
  RSQRT: 76,
  RESIZE_NEAREST_NEIGHBOR: 97,
  SQUARED_DIFFERENCE: 99,
  MIRROR_PAD: 100,
  QUANTIZE: 114,
  HARD_SWISH: 117,
} as const;

const builtinOperatorNames = new Map<number, string>(Object.entries(BuiltinOperator).map(([name, code]) => [code, name]));

export function builtinOperatorName(code: number): string {
  return builtinOperatorNames.get(code) ?? `BUILTIN_${code}`;
}

/** schema.fbs enum TensorType. */
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, BOOL: 6, INT16: 7, INT8: 9 } as const;

const tensorTypeNames = new Map<number, string>(Object.entries(TensorType).map(([name, code]) => [code, name]));

export type Padding = 'SAME' | 'VALID';
export type FusedActivation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH' | 'SIGN_BIT';

const fusedActivations: readonly FusedActivation[] = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'];

export interface ConvOptions {
  kind: 'conv2d';
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: FusedActivation;
}

export interface DepthwiseConvOptions extends Omit<ConvOptions, 'kind'> {
  kind: 'depthwiseConv2d';
  depthMultiplier: number;
}

export interface PoolOptions {
  kind: 'pool2d';
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: FusedActivation;
}

export interface ElementwiseOptions {
  kind: 'elementwise';
  activation: FusedActivation;
}

export interface ResizeBilinearOptions {
  kind: 'resizeBilinear';
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

export interface ReshapeOptions {
  kind: 'reshape';
  newShape: number[] | undefined;
}

/** CONCATENATION: the axis in TFLite's (NHWC) numbering, negative counted from the end. */
export interface ConcatenationOptions {
  kind: 'concatenation';
  axis: number;
  activation: FusedActivation;
}

export interface ReducerOptions {
  kind: 'reducer';
  keepDims: boolean;
}

/** MediaPipe's Convolution2DTransposeBias: custom_options is a raw TfLiteTransposeConvParams C struct. */
export interface TransposeConvOptions {
  kind: 'transposeConv';
  padding: Padding;
  strideH: number;
  strideW: number;
}

export interface ResizeNearestOptions {
  kind: 'resizeNearest';
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

export interface MirrorPadOptions {
  kind: 'mirrorPad';
  mode: 'REFLECT' | 'SYMMETRIC';
}

export interface NoOptions {
  kind: 'none';
}

export type OpOptions =
  | ConvOptions
  | ConcatenationOptions
  | DepthwiseConvOptions
  | PoolOptions
  | ElementwiseOptions
  | ResizeBilinearOptions
  | ReshapeOptions
  | ReducerOptions
  | TransposeConvOptions
  | ResizeNearestOptions
  | MirrorPadOptions
  | NoOptions;

export interface TfliteTensor {
  index: number;
  name: string;
  shape: number[];
  /** TensorType name of the tensor as stored (a folded dequantized tensor reports FLOAT32). */
  type: string;
  /**
   * Constant data, decoded; undefined for activations and graph inputs. Quantized constants (int8 weights, int32
   * biases with scales) are dequantized to float32 here, so the converter only ever sees real values.
   */
  data: Float32Array | Int32Array | undefined;
  /** Affine quantization of an int8 activation (real = scale * (q - zeroPoint)); the converter computes in float. */
  quantization?: { scale: number[]; zeroPoint: number[]; quantizedDimension: number } | undefined;
}

export interface TfliteOp {
  /** Builtin name (e.g. CONV_2D) or, for custom ops, the custom code (e.g. Convolution2DTransposeBias). */
  type: string;
  builtinCode: number;
  version: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  options: OpOptions;
  customOptions: Uint8Array | undefined;
}

export interface TfliteModel {
  version: number;
  description: string;
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  ops: TfliteOp[];
  /** How many constant DEQUANTIZE ops were folded into float32 tensors. */
  foldedDequantizeOps: number;
}

// ------------------------------------------------------------------------------------------------ tensor data ---

/** IEEE 754 half → single. Written out because Float16Array is not in Node 20. */
export function float16ToFloat32(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function decodeFloat16(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.byteLength / 2 }, (_, i) => float16ToFloat32(view.getUint16(i * 2, true)));
}

function decodeTensorData(tensor: RawTensor, bytes: Uint8Array): Float32Array | Int32Array | undefined {
  if (bytes.byteLength === 0) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (tensor.type) {
    case TensorType.FLOAT32:
      return Float32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    case TensorType.FLOAT16:
      return decodeFloat16(bytes);
    case TensorType.INT32:
      return Int32Array.from({ length: bytes.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
    case TensorType.INT64:
      return Int32Array.from({ length: bytes.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    case TensorType.INT8:
      return Int32Array.from({ length: bytes.byteLength }, (_, i) => view.getInt8(i));
    case TensorType.INT16:
      return Int32Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getInt16(i * 2, true));
    case TensorType.UINT8:
      return Int32Array.from(bytes);
    default:
      throw new Error(`tensor ${tensor.name}: unsupported constant type ${tensor.type}`);
  }
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Affine dequantization (real = scale * (q - zeroPoint)), per tensor or per channel along quantizedDimension. */
export function dequantizeAffine(tensor: RawTensor, quantized: Int32Array): Float32Array {
  const quantization = tensor.quantization;
  if (quantization === undefined) throw new Error(`tensor ${tensor.name}: DEQUANTIZE input without scales`);
  const { scale, zeroPoint, quantizedDimension } = quantization;
  const innerSize = elementCount(tensor.shape.slice(quantizedDimension + 1));
  return Float32Array.from(quantized, (value, i) => {
    const channel = scale.length === 1 ? 0 : Math.floor(i / innerSize) % scale.length;
    return (scale[channel] ?? 1) * (value - (zeroPoint[channel] ?? 0));
  });
}

// ---------------------------------------------------------------------------------------------------- options ---

function paddingOf(code: number): Padding {
  return code === 1 ? 'VALID' : 'SAME';
}

function activationOf(code: number): FusedActivation {
  const activation = fusedActivations[code];
  if (activation === undefined) throw new Error(`unknown fused activation ${code}`);
  return activation;
}

/** BuiltinOptions union tags (schema.fbs union BuiltinOptions, 1-based). */
const BuiltinOptionsType = {
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ResizeBilinearOptions: 15,
  ReshapeOptions: 17,
  MulOptions: 21,
  ReducerOptions: 27,
  SubOptions: 28,
  DivOptions: 29,
  ResizeNearestNeighborOptions: 74,
  MirrorPadOptions: 77,
} as const;

function decodeConv(table: FlatTable): ConvOptions {
  return {
    kind: 'conv2d',
    padding: paddingOf(table.int8(0)),
    strideW: table.int32(1),
    strideH: table.int32(2),
    activation: activationOf(table.int8(3)),
    dilationW: table.int32(4, 1),
    dilationH: table.int32(5, 1),
  };
}

function decodeDepthwiseConv(table: FlatTable): DepthwiseConvOptions {
  return {
    kind: 'depthwiseConv2d',
    padding: paddingOf(table.int8(0)),
    strideW: table.int32(1),
    strideH: table.int32(2),
    depthMultiplier: table.int32(3),
    activation: activationOf(table.int8(4)),
    dilationW: table.int32(5, 1),
    dilationH: table.int32(6, 1),
  };
}

function decodePool(table: FlatTable): PoolOptions {
  return {
    kind: 'pool2d',
    padding: paddingOf(table.int8(0)),
    strideW: table.int32(1),
    strideH: table.int32(2),
    filterW: table.int32(3),
    filterH: table.int32(4),
    activation: activationOf(table.int8(5)),
  };
}

function decodeBuiltinOptions(type: number, table: FlatTable | undefined): OpOptions {
  if (table === undefined) return { kind: 'none' };
  switch (type) {
    case BuiltinOptionsType.Conv2DOptions:
      return decodeConv(table);
    case BuiltinOptionsType.DepthwiseConv2DOptions:
      return decodeDepthwiseConv(table);
    case BuiltinOptionsType.Pool2DOptions:
      return decodePool(table);
    case BuiltinOptionsType.AddOptions:
    case BuiltinOptionsType.MulOptions:
    case BuiltinOptionsType.SubOptions:
    case BuiltinOptionsType.DivOptions:
      return { kind: 'elementwise', activation: activationOf(table.int8(0)) };
    case BuiltinOptionsType.ResizeBilinearOptions:
      // Fields 0 and 1 (new_height, new_width) are deprecated; the size comes from the second input.
      return { kind: 'resizeBilinear', alignCorners: table.bool(2), halfPixelCenters: table.bool(3) };
    case BuiltinOptionsType.ReshapeOptions:
      return { kind: 'reshape', newShape: table.int32Vector(0) };
    case BuiltinOptionsType.ConcatenationOptions:
      return { kind: 'concatenation', axis: table.int32(0), activation: activationOf(table.int8(1)) };
    case BuiltinOptionsType.ReducerOptions:
      return { kind: 'reducer', keepDims: table.bool(0) };
    case BuiltinOptionsType.ResizeNearestNeighborOptions:
      return { kind: 'resizeNearest', alignCorners: table.bool(0), halfPixelCenters: table.bool(1) };
    case BuiltinOptionsType.MirrorPadOptions:
      return { kind: 'mirrorPad', mode: table.int8(0) === 1 ? 'SYMMETRIC' : 'REFLECT' };
    default:
      return { kind: 'none' };
  }
}

/**
 * TfLiteTransposeConvParams { TfLitePadding padding; int stride_width; int stride_height; } as three little-endian
 * int32s, where TfLitePadding is kTfLitePaddingUnknown=0, kTfLitePaddingSame=1, kTfLitePaddingValid=2.
 */
export function decodeTransposeConvParams(bytes: Uint8Array): TransposeConvOptions {
  if (bytes.byteLength < 12) throw new Error(`TransposeConv params: expected 12 bytes, got ${bytes.byteLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const padding = view.getInt32(0, true);
  if (padding !== 1 && padding !== 2) throw new Error(`TransposeConv params: unknown padding ${padding}`);
  return {
    kind: 'transposeConv',
    padding: padding === 1 ? 'SAME' : 'VALID',
    strideW: view.getInt32(4, true),
    strideH: view.getInt32(8, true),
  };
}

function decodeCustomOptions(customCode: string, bytes: Uint8Array | undefined): OpOptions {
  if (customCode === 'Convolution2DTransposeBias' && bytes !== undefined) return decodeTransposeConvParams(bytes);
  return { kind: 'none' };
}

// ------------------------------------------------------------------------------------------------------ model ---

function decodeOp(raw: RawOperator, model: RawTfliteModel): TfliteOp {
  const code = model.operatorCodes[raw.opcodeIndex];
  if (code === undefined) throw new Error(`operator refers to missing opcode ${raw.opcodeIndex}`);
  const isCustom = code.builtinCode === BuiltinOperator.CUSTOM;
  const customCode = code.customCode ?? '';
  return {
    type: isCustom ? customCode : builtinOperatorName(code.builtinCode),
    builtinCode: code.builtinCode,
    version: code.version,
    inputs: raw.inputs,
    outputs: raw.outputs,
    options: isCustom
      ? decodeCustomOptions(customCode, raw.customOptions)
      : decodeBuiltinOptions(raw.builtinOptionsType, raw.builtinOptions),
    customOptions: raw.customOptions,
  };
}

/** Integer storage that carries scales is a quantized real tensor (int8 weights, int32 biases), not indices. */
function isQuantizedInteger(raw: RawTensor): boolean {
  const integerTypes: number[] = [TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32];
  return raw.quantization !== undefined && integerTypes.includes(raw.type);
}

function decodeTensor(raw: RawTensor, index: number, model: RawTfliteModel): TfliteTensor {
  let data = decodeTensorData(raw, model.buffers[raw.buffer] ?? new Uint8Array(0));
  let type = tensorTypeNames.get(raw.type) ?? `TYPE_${raw.type}`;
  if (data instanceof Int32Array && isQuantizedInteger(raw)) {
    data = dequantizeAffine(raw, data);
    type = 'FLOAT32';
  }
  return {
    index,
    name: raw.name,
    shape: raw.shape,
    type,
    data,
    quantization: data === undefined ? raw.quantization : undefined,
  };
}

/** DEQUANTIZE of a constant is just a storage format for weights: compute it once and drop the op. */
function foldConstantDequantize(op: TfliteOp, tensors: TfliteTensor[], rawTensors: RawTensor[]): boolean {
  if (op.builtinCode !== BuiltinOperator.DEQUANTIZE) return false;
  const source = tensors[op.inputs[0] ?? -1];
  const target = tensors[op.outputs[0] ?? -1];
  const rawSource = rawTensors[op.inputs[0] ?? -1];
  if (source?.data === undefined || target === undefined || rawSource === undefined) return false;
  const data =
    source.data instanceof Float32Array ? source.data : dequantizeAffine(rawSource, source.data);
  tensors[target.index] = { ...target, type: 'FLOAT32', data };
  return true;
}

export function readTfliteModel(bytes: Uint8Array): TfliteModel {
  const raw = readRawTfliteModel(bytes);
  if (raw.subgraphs.length !== 1) throw new Error(`expected one subgraph, found ${raw.subgraphs.length}`);
  const graph = raw.subgraphs[0]!;
  const tensors = graph.tensors.map((tensor, index) => decodeTensor(tensor, index, raw));
  const ops: TfliteOp[] = [];
  let foldedDequantizeOps = 0;
  for (const rawOp of graph.operators) {
    const op = decodeOp(rawOp, raw);
    if (foldConstantDequantize(op, tensors, graph.tensors)) foldedDequantizeOps++;
    else ops.push(op);
  }
  return {
    version: raw.version,
    description: raw.description,
    tensors,
    inputs: graph.inputs,
    outputs: graph.outputs,
    ops,
    foldedDequantizeOps,
  };
}
