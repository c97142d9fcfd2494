/**
 * TFLite → ONNX conversion for the op set that MediaPipe's selfie segmentation models use.
 *
 * Layout: the ONNX graph keeps TFLite's NHWC at its inputs and outputs, so the converted model is a drop-in
 * replacement, but works in NCHW inside (ONNX Conv, pooling and Resize are NCHW): one Transpose after each 4-D
 * input and one before each 4-D output. Every other 4-D activation is NCHW; constants are re-laid-out at
 * conversion time, so no Transpose runs per inference apart from those two.
 */
import { readTfliteModel } from './model.ts';
import type {
  ConvOptions,
  DepthwiseConvOptions,
  FusedActivation,
  OpOptions,
  PoolOptions,
  TfliteModel,
  TfliteOp,
  TfliteTensor,
} from './model.ts';
import { magentaOpConverters } from './ops-magenta.ts';
import { attribute, encodeOnnxModel, floatTensor, int64Tensor, OnnxDataType } from '../onnx/proto.ts';
import type { OnnxNode, OnnxTensor, OnnxValueInfo } from '../onnx/proto.ts';

export interface ConvertOptions {
  producerName?: string;
  /**
   * Declare the height and width of 4-D graph inputs and outputs as symbolic (`height`, `width`) instead of the
   * file's fixed size. Only valid for graphs whose ops do not depend on the size (VALID convs after explicit pads,
   * global means, integral nearest upsampling): Magenta's transfer network is one.
   */
  dynamicSpatial?: boolean;
}

/** Opset 14 is the first with HardSwish, which TFLite's HARD_SWISH maps onto exactly (x * relu6(x + 3) / 6). */
const OPSET_VERSION = 14;
/** IR version 7 is the one that shipped with opset 14 (ONNX 1.9). */
const IR_VERSION = 7;

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

// --------------------------------------------------------------------------------------------- geometry ---

export interface Pads {
  before: number;
  after: number;
}

/** TensorFlow SAME padding: the output covers ceil(in / stride) windows; an odd total puts the extra pixel at the end. */
export function samePadding(inSize: number, kernel: number, stride: number, dilation = 1): Pads {
  const outSize = Math.ceil(inSize / stride);
  const effectiveKernel = (kernel - 1) * dilation + 1;
  const total = Math.max((outSize - 1) * stride + effectiveKernel - inSize, 0);
  const before = Math.floor(total / 2);
  return { before, after: total - before };
}

/**
 * A transposed conv is the gradient of a conv from the (large) output to the (small) input, so TFLite pads it as
 * that conv would be padded: total = (in - 1) * stride + kernel - out, the odd pixel again at the end.
 */
export function transposeConvPadding(inSize: number, outSize: number, kernel: number, stride: number): Pads {
  const total = (inSize - 1) * stride + kernel - outSize;
  if (total < 0) throw new Error(`transpose conv: output ${outSize} needs output_padding, unsupported`);
  const before = Math.floor(total / 2);
  return { before, after: total - before };
}

/** ONNX pads list for 2-D ops: [top, left, bottom, right]. */
function onnxPads(height: Pads, width: Pads): number[] {
  return [height.before, width.before, height.after, width.after];
}

// ------------------------------------------------------------------------------------ weight re-layouts ---

/** Permutes a dense row-major array; `perm[i]` is the source axis of destination axis i (numpy semantics). */
export function transposeData(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((axis) => shape[axis] ?? 1);
  const sourceStrides = new Array<number>(rank).fill(1);
  for (let axis = rank - 2; axis >= 0; axis--) sourceStrides[axis] = (sourceStrides[axis + 1] ?? 1) * (shape[axis + 1] ?? 1);
  const stridesInOutOrder = perm.map((axis) => sourceStrides[axis] ?? 0);
  const result = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < data.length; flat++) {
    let source = 0;
    for (let axis = 0; axis < rank; axis++) source += (index[axis] ?? 0) * (stridesInOutOrder[axis] ?? 0);
    result[flat] = data[source] ?? 0;
    for (let axis = rank - 1; axis >= 0; axis--) {
      const next = (index[axis] ?? 0) + 1;
      if (next < (outShape[axis] ?? 1)) {
        index[axis] = next;
        break;
      }
      index[axis] = 0;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------- graph builder ---

/** Accumulates ONNX nodes and initializers, and names each TFLite tensor's ONNX value. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly valueNames = new Map<number, string>();
  private readonly usedNames = new Set<string>();
  private readonly sharedConstants = new Map<string, string>();

  constructor(
    readonly model: TfliteModel,
    readonly options: ConvertOptions = {},
  ) {}

  uniqueName(base: string): string {
    let name = base;
    for (let suffix = 1; this.usedNames.has(name); suffix++) name = `${base}__${suffix}`;
    this.usedNames.add(name);
    return name;
  }

  tensor(index: number | undefined): TfliteTensor {
    const tensor = this.model.tensors[index ?? -1];
    if (tensor === undefined) throw new Error(`missing tensor ${index}`);
    return tensor;
  }

  bindValue(index: number, name: string): void {
    this.valueNames.set(index, name);
  }

  /** The ONNX value for a TFLite activation, or for a constant, an initializer laid out for NCHW broadcasting. */
  value(index: number | undefined): string {
    const tensor = this.tensor(index);
    const bound = this.valueNames.get(tensor.index);
    if (bound !== undefined) return bound;
    if (tensor.data === undefined) throw new Error(`tensor ${tensor.name} is used before it is produced`);
    const name = this.addInitializer(tensor.name, ...constantInNchw(tensor));
    this.valueNames.set(tensor.index, name);
    return name;
  }

  /**
   * Names the output of an op after its TFLite tensor. Graph outputs keep their public (reserved) name, except 4-D
   * ones: those are produced in NCHW and the final Transpose takes the public name.
   */
  output(index: number | undefined): string {
    const tensor = this.tensor(index);
    const isGraphOutput = this.model.outputs.includes(tensor.index);
    let name: string;
    if (!isGraphOutput) name = this.uniqueName(tensor.name);
    else if (tensor.shape.length === 4) name = this.uniqueName(`${tensor.name}__nchw`);
    else name = tensor.name;
    this.valueNames.set(tensor.index, name);
    return name;
  }

  addInitializer(baseName: string, dims: number[], values: Float32Array): string {
    const name = this.uniqueName(baseName);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  /** int64 constants (Resize sizes) and scalars (Clip bounds) are shared by value. */
  addInt64Constant(baseName: string, values: number[]): string {
    const key = `i64:${values.join(',')}`;
    const known = this.sharedConstants.get(key);
    if (known !== undefined) return known;
    const name = this.uniqueName(baseName);
    this.initializers.push(int64Tensor(name, [values.length], values));
    this.sharedConstants.set(key, name);
    return name;
  }

  addFloatScalar(value: number): string {
    const key = `f32:${value}`;
    const known = this.sharedConstants.get(key);
    if (known !== undefined) return known;
    const name = this.addInitializer(`const_${value}`, [], Float32Array.of(value));
    this.sharedConstants.set(key, name);
    return name;
  }

  addNode(node: OnnxNode): void {
    this.nodes.push({ ...node, name: node.name ?? node.outputs[0] });
  }
}

/** Constants broadcast against NCHW activations: 4-D NHWC → NCHW, per-channel [C] → [C,1,1], lower ranks as is. */
function constantInNchw(tensor: TfliteTensor): [number[], Float32Array] {
  const data = Float32Array.from(tensor.data ?? []);
  const shape = tensor.shape;
  if (shape.length === 4) return [NHWC_TO_NCHW.map((axis) => shape[axis] ?? 1), transposeData(data, shape, NHWC_TO_NCHW)];
  if (shape.length === 1 && (shape[0] ?? 1) > 1) return [[shape[0] ?? 1, 1, 1], data];
  return [shape, data];
}

// ---------------------------------------------------------------------------------------------- op rules ---

function constantData(builder: GraphBuilder, index: number | undefined, role: string): Float32Array {
  const tensor = builder.tensor(index);
  if (tensor.data === undefined) throw new Error(`${role} ${tensor.name} must be constant`);
  return Float32Array.from(tensor.data);
}

/** Emits the op for a fused activation and returns the value to bind to the TFLite output. */
function emitFusedActivation(builder: GraphBuilder, activation: FusedActivation, input: string, outputIndex: number): void {
  if (activation === 'NONE') return;
  const output = builder.output(outputIndex);
  builder.addNode(activationNode(builder, activation, input, output));
}

function activationNode(builder: GraphBuilder, activation: FusedActivation, input: string, output: string): OnnxNode {
  switch (activation) {
    case 'RELU':
      return { opType: 'Relu', inputs: [input], outputs: [output] };
    case 'RELU6':
      return { opType: 'Clip', inputs: [input, builder.addFloatScalar(0), builder.addFloatScalar(6)], outputs: [output] };
    case 'RELU_N1_TO_1':
      return { opType: 'Clip', inputs: [input, builder.addFloatScalar(-1), builder.addFloatScalar(1)], outputs: [output] };
    case 'TANH':
      return { opType: 'Tanh', inputs: [input], outputs: [output] };
    default:
      throw new Error(`fused activation ${activation} is not supported`);
  }
}

/** Output name for an op that may be followed by a fused activation: a temporary name in that case. */
function preActivationName(builder: GraphBuilder, activation: FusedActivation, outputIndex: number): string {
  if (activation === 'NONE') return builder.output(outputIndex);
  return builder.uniqueName(`${builder.tensor(outputIndex).name}__preact`);
}

function requireOptions<K extends OpOptions['kind']>(op: TfliteOp, kind: K): Extract<OpOptions, { kind: K }> {
  if (op.options.kind !== kind) throw new Error(`${op.type}: expected ${kind} options, got ${op.options.kind}`);
  return op.options as Extract<OpOptions, { kind: K }>;
}

function convPads(options: ConvOptions | DepthwiseConvOptions, input: TfliteTensor, kernelH: number, kernelW: number): number[] {
  if (options.padding === 'VALID') return [0, 0, 0, 0];
  const [, inH = 1, inW = 1] = input.shape;
  return onnxPads(
    samePadding(inH, kernelH, options.strideH, options.dilationH),
    samePadding(inW, kernelW, options.strideW, options.dilationW),
  );
}

function convertConv2d(builder: GraphBuilder, op: TfliteOp): void {
  const options = requireOptions(op, 'conv2d');
  const input = builder.tensor(op.inputs[0]);
  const filter = builder.tensor(op.inputs[1]);
  const [outChannels = 1, kernelH = 1, kernelW = 1, inChannels = 1] = filter.shape;
  // TFLite filters are OHWI; ONNX wants OIHW.
  const weights = builder.addInitializer(
    filter.name,
    [outChannels, inChannels, kernelH, kernelW],
    transposeData(constantData(builder, op.inputs[1], 'conv filter'), filter.shape, [0, 3, 1, 2]),
  );
  emitConv(builder, op, options, { weights, kernelH, kernelW, group: 1, input });
}

function convertDepthwiseConv2d(builder: GraphBuilder, op: TfliteOp): void {
  const options = requireOptions(op, 'depthwiseConv2d');
  const input = builder.tensor(op.inputs[0]);
  const filter = builder.tensor(op.inputs[1]);
  const [, kernelH = 1, kernelW = 1, outChannels = 1] = filter.shape;
  const inChannels = input.shape[3] ?? 1;
  // TFLite depthwise filters are [1, H, W, C*M]; ONNX grouped conv wants [C*M, 1, H, W] with group = C.
  const weights = builder.addInitializer(
    filter.name,
    [outChannels, 1, kernelH, kernelW],
    transposeData(constantData(builder, op.inputs[1], 'depthwise filter'), filter.shape, [3, 0, 1, 2]),
  );
  emitConv(builder, op, options, { weights, kernelH, kernelW, group: inChannels, input });
}

interface ConvWeights {
  weights: string;
  kernelH: number;
  kernelW: number;
  group: number;
  input: TfliteTensor;
}

function emitConv(builder: GraphBuilder, op: TfliteOp, options: ConvOptions | DepthwiseConvOptions, conv: ConvWeights): void {
  const outputIndex = op.outputs[0] ?? -1;
  const inputs = [builder.value(op.inputs[0]), conv.weights];
  const biasIndex = op.inputs[2];
  if (biasIndex !== undefined && biasIndex >= 0) {
    const bias = builder.tensor(biasIndex);
    inputs.push(builder.addInitializer(bias.name, [bias.shape[0] ?? 1], constantData(builder, biasIndex, 'bias')));
  }
  const output = preActivationName(builder, options.activation, outputIndex);
  builder.addNode({
    opType: 'Conv',
    inputs,
    outputs: [output],
    attributes: [
      attribute.ints('kernel_shape', [conv.kernelH, conv.kernelW]),
      attribute.ints('strides', [options.strideH, options.strideW]),
      attribute.ints('dilations', [options.dilationH, options.dilationW]),
      attribute.ints('pads', convPads(options, conv.input, conv.kernelH, conv.kernelW)),
      attribute.int('group', conv.group),
    ],
  });
  emitFusedActivation(builder, options.activation, output, outputIndex);
}

/** MediaPipe's Convolution2DTransposeBias(input, filter OHWI, bias): a transposed conv with bias. */
function convertTransposeConvBias(builder: GraphBuilder, op: TfliteOp): void {
  const options = requireOptions(op, 'transposeConv');
  const input = builder.tensor(op.inputs[0]);
  const filter = builder.tensor(op.inputs[1]);
  const output = builder.tensor(op.outputs[0]);
  const [outChannels = 1, kernelH = 1, kernelW = 1, inChannels = 1] = filter.shape;
  // ONNX ConvTranspose wants [C_in, C_out, H, W].
  const weights = builder.addInitializer(
    filter.name,
    [inChannels, outChannels, kernelH, kernelW],
    transposeData(constantData(builder, op.inputs[1], 'transpose conv filter'), filter.shape, [3, 0, 1, 2]),
  );
  const inputs = [builder.value(input.index), weights];
  const biasIndex = op.inputs[2];
  if (biasIndex !== undefined && biasIndex >= 0) {
    const bias = builder.tensor(biasIndex);
    inputs.push(builder.addInitializer(bias.name, [outChannels], constantData(builder, biasIndex, 'bias')));
  }
  const pads = onnxPads(
    transposeConvPadding(input.shape[1] ?? 1, output.shape[1] ?? 1, kernelH, options.strideH),
    transposeConvPadding(input.shape[2] ?? 1, output.shape[2] ?? 1, kernelW, options.strideW),
  );
  builder.addNode({
    opType: 'ConvTranspose',
    inputs,
    outputs: [builder.output(output.index)],
    attributes: [
      attribute.ints('kernel_shape', [kernelH, kernelW]),
      attribute.ints('strides', [options.strideH, options.strideW]),
      attribute.ints('pads', pads),
    ],
  });
}

function isGlobalPool(options: PoolOptions, input: TfliteTensor, output: TfliteTensor): boolean {
  const [, inH, inW] = input.shape;
  const [, outH, outW] = output.shape;
  return outH === 1 && outW === 1 && options.padding === 'VALID' && options.filterH === inH && options.filterW === inW;
}

function convertPool(builder: GraphBuilder, op: TfliteOp, kind: 'Average' | 'Max'): void {
  const options = requireOptions(op, 'pool2d');
  const input = builder.tensor(op.inputs[0]);
  const outputIndex = op.outputs[0] ?? -1;
  const output = preActivationName(builder, options.activation, outputIndex);
  if (isGlobalPool(options, input, builder.tensor(outputIndex))) {
    builder.addNode({ opType: `Global${kind}Pool`, inputs: [builder.value(input.index)], outputs: [output] });
  } else {
    const [, inH = 1, inW = 1] = input.shape;
    const pads =
      options.padding === 'VALID'
        ? [0, 0, 0, 0]
        : onnxPads(samePadding(inH, options.filterH, options.strideH), samePadding(inW, options.filterW, options.strideW));
    // TFLite averages only over real pixels; ONNX AveragePool's default count_include_pad=0 matches.
    builder.addNode({
      opType: `${kind}Pool`,
      inputs: [builder.value(input.index)],
      outputs: [output],
      attributes: [
        attribute.ints('kernel_shape', [options.filterH, options.filterW]),
        attribute.ints('strides', [options.strideH, options.strideW]),
        attribute.ints('pads', pads),
      ],
    });
  }
  emitFusedActivation(builder, options.activation, output, outputIndex);
}

/** MEAN over the spatial axes with keep_dims is Keras' GlobalAveragePooling2D. */
function convertMean(builder: GraphBuilder, op: TfliteOp): void {
  const options = requireOptions(op, 'reducer');
  const input = builder.tensor(op.inputs[0]);
  const axes = Array.from(builder.tensor(op.inputs[1]).data ?? []).map((axis) => (axis < 0 ? axis + input.shape.length : axis));
  const output = builder.output(op.outputs[0]);
  const isSpatial = input.shape.length === 4 && axes.length === 2 && axes.includes(1) && axes.includes(2);
  if (isSpatial && options.keepDims) {
    builder.addNode({ opType: 'GlobalAveragePool', inputs: [builder.value(input.index)], outputs: [output] });
    return;
  }
  if (input.shape.length === 4 && !options.keepDims) throw new Error('MEAN without keep_dims on 4-D input: unsupported');
  const onnxAxes = input.shape.length === 4 ? axes.map((axis) => NHWC_TO_NCHW.indexOf(axis)) : axes;
  builder.addNode({
    opType: 'ReduceMean',
    inputs: [builder.value(input.index)],
    outputs: [output],
    attributes: [attribute.ints('axes', onnxAxes), attribute.int('keepdims', options.keepDims ? 1 : 0)],
  });
}

function convertBinary(builder: GraphBuilder, op: TfliteOp, opType: 'Add' | 'Mul' | 'Sub' | 'Div'): void {
  const activation = op.options.kind === 'elementwise' ? op.options.activation : 'NONE';
  const outputIndex = op.outputs[0] ?? -1;
  const output = preActivationName(builder, activation, outputIndex);
  builder.addNode({ opType, inputs: [builder.value(op.inputs[0]), builder.value(op.inputs[1])], outputs: [output] });
  emitFusedActivation(builder, activation, output, outputIndex);
}

function convertUnary(builder: GraphBuilder, op: TfliteOp, opType: string): void {
  builder.addNode({ opType, inputs: [builder.value(op.inputs[0])], outputs: [builder.output(op.outputs[0])] });
}

function convertActivation(builder: GraphBuilder, op: TfliteOp, activation: FusedActivation): void {
  builder.addNode(activationNode(builder, activation, builder.value(op.inputs[0]), builder.output(op.outputs[0])));
}

/** TF's three sampling conventions map one-to-one onto ONNX Resize's coordinate_transformation_mode. */
export function resizeCoordinateMode(alignCorners: boolean, halfPixelCenters: boolean): string {
  if (alignCorners) return 'align_corners';
  return halfPixelCenters ? 'half_pixel' : 'asymmetric';
}

function convertResizeBilinear(builder: GraphBuilder, op: TfliteOp): void {
  const options = requireOptions(op, 'resizeBilinear');
  const input = builder.tensor(op.inputs[0]);
  const [newHeight = 1, newWidth = 1] = Array.from(builder.tensor(op.inputs[1]).data ?? []);
  const [batch = 1, , , channels = 1] = input.shape;
  const sizes = builder.addInt64Constant(`${builder.tensor(op.inputs[1]).name}__nchw`, [batch, channels, newHeight, newWidth]);
  builder.addNode({
    opType: 'Resize',
    inputs: [builder.value(input.index), '', '', sizes],
    outputs: [builder.output(op.outputs[0])],
    attributes: [
      attribute.string('mode', 'linear'),
      attribute.string('coordinate_transformation_mode', resizeCoordinateMode(options.alignCorners, options.halfPixelCenters)),
    ],
  });
}

// ------------------------------------------------------- ops of MediaPipe's face detector (BlazeFace) ---
// BlazeFace pads channels for its residual shortcuts (PAD), flattens its per-anchor heads (RESHAPE) and joins the
// heads of two feature-map sizes (CONCATENATION). Kept together so other converter extensions merge cleanly.

/** PAD with constant zeros; TFLite's paddings are [rank x 2] (before, after) per NHWC axis. */
function convertPad(builder: GraphBuilder, op: TfliteOp): void {
  const input = builder.tensor(op.inputs[0]);
  const paddings = Array.from(builder.tensor(op.inputs[1]).data ?? []);
  const rank = input.shape.length;
  if (paddings.length !== rank * 2) throw new Error(`PAD: expected ${rank}x2 paddings, got ${paddings.length}`);
  // ONNX wants [all befores..., all afters...] in the ONNX value's axis order (NCHW for 4-D activations).
  const order = rank === 4 ? NHWC_TO_NCHW : [...Array(rank).keys()];
  const before = order.map((axis) => paddings[axis * 2] ?? 0);
  const after = order.map((axis) => paddings[axis * 2 + 1] ?? 0);
  const pads = builder.addInt64Constant(`${builder.tensor(op.inputs[1]).name}__onnx`, [...before, ...after]);
  builder.addNode({ opType: 'Pad', inputs: [builder.value(input.index), pads], outputs: [builder.output(op.outputs[0])] });
}

/**
 * RESHAPE follows TFLite's row-major NHWC element order, so a 4-D (NCHW inside) input goes back to NHWC first, and
 * a 4-D output is moved to NCHW after. The target shape is the output tensor's static shape.
 */
function convertReshape(builder: GraphBuilder, op: TfliteOp): void {
  const input = builder.tensor(op.inputs[0]);
  const output = builder.tensor(op.outputs[0]);
  let source = builder.value(input.index);
  if (input.shape.length === 4) {
    const nhwc = builder.uniqueName(`${input.name}__nhwc`);
    builder.addNode({ opType: 'Transpose', inputs: [source], outputs: [nhwc], attributes: [attribute.ints('perm', NCHW_TO_NHWC)] });
    source = nhwc;
  }
  const shape = builder.addInt64Constant(`${output.name}__shape`, [...output.shape]);
  if (output.shape.length !== 4) {
    builder.addNode({ opType: 'Reshape', inputs: [source, shape], outputs: [builder.output(output.index)] });
    return;
  }
  const reshaped = builder.uniqueName(`${output.name}__nhwc`);
  builder.addNode({ opType: 'Reshape', inputs: [source, shape], outputs: [reshaped] });
  builder.addNode({ opType: 'Transpose', inputs: [reshaped], outputs: [builder.output(output.index)], attributes: [attribute.ints('perm', NHWC_TO_NCHW)] });
}

function convertConcatenation(builder: GraphBuilder, op: TfliteOp): void {
  const options = requireOptions(op, 'concatenation');
  const rank = builder.tensor(op.inputs[0]).shape.length;
  const axis = options.axis < 0 ? options.axis + rank : options.axis;
  const onnxAxis = rank === 4 ? NHWC_TO_NCHW.indexOf(axis) : axis;
  const outputIndex = op.outputs[0] ?? -1;
  const output = preActivationName(builder, options.activation, outputIndex);
  builder.addNode({
    opType: 'Concat',
    inputs: op.inputs.map((index) => builder.value(index)),
    outputs: [output],
    attributes: [attribute.int('axis', onnxAxis)],
  });
  emitFusedActivation(builder, options.activation, output, outputIndex);
}

export type OpConverter = (builder: GraphBuilder, op: TfliteOp) => void;

const converters: Record<string, OpConverter> = {
  CONV_2D: convertConv2d,
  DEPTHWISE_CONV_2D: convertDepthwiseConv2d,
  Convolution2DTransposeBias: convertTransposeConvBias,
  AVERAGE_POOL_2D: (builder, op) => convertPool(builder, op, 'Average'),
  MAX_POOL_2D: (builder, op) => convertPool(builder, op, 'Max'),
  MEAN: convertMean,
  ADD: (builder, op) => convertBinary(builder, op, 'Add'),
  MUL: (builder, op) => convertBinary(builder, op, 'Mul'),
  SUB: (builder, op) => convertBinary(builder, op, 'Sub'),
  DIV: (builder, op) => convertBinary(builder, op, 'Div'),
  HARD_SWISH: (builder, op) => convertUnary(builder, op, 'HardSwish'),
  LOGISTIC: (builder, op) => convertUnary(builder, op, 'Sigmoid'),
  TANH: (builder, op) => convertUnary(builder, op, 'Tanh'),
  RELU: (builder, op) => convertActivation(builder, op, 'RELU'),
  RELU6: (builder, op) => convertActivation(builder, op, 'RELU6'),
  RESIZE_BILINEAR: convertResizeBilinear,
  ...magentaOpConverters,
  PAD: convertPad,
  RESHAPE: convertReshape,
  CONCATENATION: convertConcatenation,
};

export const supportedTfliteOps: readonly string[] = Object.keys(converters);

// ------------------------------------------------------------------------------------------- graph edges ---

function valueInfo(tensor: TfliteTensor, options: ConvertOptions): OnnxValueInfo {
  const spatial = options.dynamicSpatial === true && tensor.shape.length === 4 && (tensor.shape[1] ?? 1) > 1;
  const shape: (number | string)[] = spatial ? [tensor.shape[0] ?? 1, 'height', 'width', tensor.shape[3] ?? 1] : [...tensor.shape];
  return { name: tensor.name, elemType: OnnxDataType.FLOAT, shape };
}

function emitGraphInput(builder: GraphBuilder, tensor: TfliteTensor): void {
  builder.uniqueName(tensor.name);
  if (tensor.shape.length !== 4) {
    builder.bindValue(tensor.index, tensor.name);
    return;
  }
  const nchw = builder.uniqueName(`${tensor.name}__nchw`);
  builder.addNode({ opType: 'Transpose', inputs: [tensor.name], outputs: [nchw], attributes: [attribute.ints('perm', NHWC_TO_NCHW)] });
  builder.bindValue(tensor.index, nchw);
}

function emitGraphOutput(builder: GraphBuilder, tensor: TfliteTensor): void {
  if (tensor.shape.length !== 4) return; // Already produced under its own name.
  const nchw = builder.value(tensor.index);
  builder.addNode({ opType: 'Transpose', inputs: [nchw], outputs: [tensor.name], attributes: [attribute.ints('perm', NCHW_TO_NHWC)] });
}

function assertFloatGraphEdges(model: TfliteModel): void {
  for (const index of [...model.inputs, ...model.outputs]) {
    const tensor = model.tensors[index];
    if (tensor?.type !== 'FLOAT32') throw new Error(`graph edge ${tensor?.name} is ${tensor?.type}; only FLOAT32 is supported`);
  }
}

export function convertTfliteModelToOnnx(model: TfliteModel, options: ConvertOptions = {}): Uint8Array {
  assertFloatGraphEdges(model);
  const unsupported = [...new Set(model.ops.map((op) => op.type))].filter((type) => converters[type] === undefined);
  if (unsupported.length > 0) throw new Error(`unsupported TFLite ops: ${unsupported.join(', ')}`);

  const builder = new GraphBuilder(model, options);
  const inputs = model.inputs.map((index) => builder.tensor(index));
  const outputs = model.outputs.map((index) => builder.tensor(index));
  for (const output of outputs) builder.uniqueName(output.name); // Reserve the public names.
  for (const input of inputs) emitGraphInput(builder, input);
  for (const op of model.ops) converters[op.type]?.(builder, op);
  for (const output of outputs) emitGraphOutput(builder, output);

  return encodeOnnxModel({
    irVersion: IR_VERSION,
    opsetImports: [{ domain: '', version: OPSET_VERSION }],
    producerName: options.producerName ?? 'deepphoto-tflite2onnx',
    producerVersion: '1',
    docString: model.description,
    graph: {
      name: model.description || 'tflite',
      nodes: builder.nodes,
      initializers: builder.initializers,
      inputs: inputs.map((tensor) => valueInfo(tensor, options)),
      outputs: outputs.map((tensor) => valueInfo(tensor, options)),
    },
  });
}

export function convertTfliteToOnnx(tflite: Uint8Array, options: ConvertOptions = {}): Uint8Array {
  return convertTfliteModelToOnnx(readTfliteModel(tflite), options);
}
