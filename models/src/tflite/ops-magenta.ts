/**
 * The ops Magenta's arbitrary image stylization networks (Ghiasi et al. 2017, TF Lite files) add to the ones the
 * MediaPipe segmenters use: reflect padding, instance norm spelled out (MEAN, SQUARED_DIFFERENCE, RSQRT), nearest
 * upsampling, and the QUANTIZE / DEQUANTIZE pairs around int8 layers.
 *
 * Kept in their own module (only a type import of the builder) so that other op sets can be added beside them.
 * Activations stay NCHW, as everywhere in the converter.
 */
import type { GraphBuilder, OpConverter } from './convert.ts';
import type { TfliteOp } from './model.ts';
import { attribute } from '../onnx/proto.ts';

const NHWC_TO_NCHW = [0, 3, 1, 2];

function constantInts(builder: GraphBuilder, index: number | undefined, role: string): number[] {
  const tensor = builder.tensor(index);
  if (tensor.data === undefined) throw new Error(`${role} ${tensor.name} must be constant`);
  return Array.from(tensor.data);
}

/**
 * MIRROR_PAD(x, paddings[rank][2]) → Pad(mode=reflect). TF's REFLECT excludes the edge pixel, as ONNX's reflect
 * does; SYMMETRIC (edge repeated) has no ONNX Pad mode.
 */
export function convertMirrorPad(builder: GraphBuilder, op: TfliteOp): void {
  const mode = op.options.kind === 'mirrorPad' ? op.options.mode : 'REFLECT';
  if (mode !== 'REFLECT') throw new Error(`MIRROR_PAD ${mode}: only REFLECT is supported`);
  const input = builder.tensor(op.inputs[0]);
  const paddings = constantInts(builder, op.inputs[1], 'MIRROR_PAD paddings');
  const rank = input.shape.length;
  const axisOrder = rank === 4 ? NHWC_TO_NCHW : [...Array(rank).keys()];
  // ONNX pads: all "begin" values in axis order, then all "end" values.
  const begins = axisOrder.map((axis) => paddings[axis * 2] ?? 0);
  const ends = axisOrder.map((axis) => paddings[axis * 2 + 1] ?? 0);
  const pads = builder.addInt64Constant(`${builder.tensor(op.inputs[1]).name}__onnx`, [...begins, ...ends]);
  builder.addNode({
    opType: 'Pad',
    inputs: [builder.value(input.index), pads],
    outputs: [builder.output(op.outputs[0])],
    attributes: [attribute.string('mode', 'reflect')],
  });
}

/** SQUARED_DIFFERENCE(a, b) = (a - b)²: Sub then Mul by itself (ONNX has no fused op). */
export function convertSquaredDifference(builder: GraphBuilder, op: TfliteOp): void {
  const outputIndex = op.outputs[0] ?? -1;
  const difference = builder.uniqueName(`${builder.tensor(outputIndex).name}__diff`);
  builder.addNode({ opType: 'Sub', inputs: [builder.value(op.inputs[0]), builder.value(op.inputs[1])], outputs: [difference] });
  builder.addNode({ opType: 'Mul', inputs: [difference, difference], outputs: [builder.output(outputIndex)] });
}

/** RSQRT(x) = 1 / sqrt(x). */
export function convertRsqrt(builder: GraphBuilder, op: TfliteOp): void {
  const outputIndex = op.outputs[0] ?? -1;
  const root = builder.uniqueName(`${builder.tensor(outputIndex).name}__sqrt`);
  builder.addNode({ opType: 'Sqrt', inputs: [builder.value(op.inputs[0])], outputs: [root] });
  builder.addNode({ opType: 'Reciprocal', inputs: [root], outputs: [builder.output(outputIndex)] });
}

/**
 * RESIZE_NEAREST_NEIGHBOR(x, size[2]) with TF's default sampling (no align_corners, no half-pixel centers):
 * source = floor(dst * in / out), i.e. ONNX Resize nearest, `asymmetric`, `floor`. Emitted with scales rather than
 * sizes so that a graph converted with dynamic height and width upsamples whatever size it is given.
 */
export function convertResizeNearest(builder: GraphBuilder, op: TfliteOp): void {
  const options = op.options.kind === 'resizeNearest' ? op.options : { alignCorners: false, halfPixelCenters: false };
  if (options.alignCorners || options.halfPixelCenters) {
    throw new Error('RESIZE_NEAREST_NEIGHBOR with align_corners or half_pixel_centers is not supported');
  }
  const input = builder.tensor(op.inputs[0]);
  const [newHeight = 1, newWidth = 1] = constantInts(builder, op.inputs[1], 'RESIZE_NEAREST_NEIGHBOR size');
  const [, inHeight = 1, inWidth = 1] = input.shape;
  const scales = builder.addInitializer(
    `${builder.tensor(op.inputs[1]).name}__scales`,
    [4],
    Float32Array.of(1, 1, newHeight / inHeight, newWidth / inWidth),
  );
  builder.addNode({
    opType: 'Resize',
    inputs: [builder.value(input.index), '', scales],
    outputs: [builder.output(op.outputs[0])],
    attributes: [
      attribute.string('mode', 'nearest'),
      attribute.string('coordinate_transformation_mode', 'asymmetric'),
      attribute.string('nearest_mode', 'floor'),
    ],
  });
}

/**
 * QUANTIZE / DEQUANTIZE of an activation: the converted graph computes in float32 with the dequantized weights, so
 * both are the identity (the int8 rounding of activations is what the float graph deliberately does not copy).
 * The value is aliased rather than copied, except where the op produces a graph output, which must exist under its
 * own name.
 */
export function convertQuantizeIdentity(builder: GraphBuilder, op: TfliteOp): void {
  const outputIndex = op.outputs[0] ?? -1;
  if (!builder.model.outputs.includes(outputIndex)) {
    builder.bindValue(outputIndex, builder.value(op.inputs[0]));
    return;
  }
  builder.addNode({ opType: 'Identity', inputs: [builder.value(op.inputs[0])], outputs: [builder.output(outputIndex)] });
}

export const magentaOpConverters: Record<string, OpConverter> = {
  MIRROR_PAD: convertMirrorPad,
  SQUARED_DIFFERENCE: convertSquaredDifference,
  RSQRT: convertRsqrt,
  RESIZE_NEAREST_NEIGHBOR: convertResizeNearest,
  QUANTIZE: convertQuantizeIdentity,
  DEQUANTIZE: convertQuantizeIdentity,
};
