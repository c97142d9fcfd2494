/**
 * A deliberately plain TFLite interpreter in JavaScript (NHWC, nested loops, float64 accumulation), used only as
 * an independent reference for the converter: it executes the TFLite graph op by op as TFLite defines each op,
 * sharing nothing with the ONNX path but the file reader. Slow, and meant for small inputs.
 *
 * `int8Activations`: fake-quantize every int8 activation (round to its scale and zero point, clamp to -128..127)
 * the way the int8 kernels store them, to estimate how far the float conversion is from int8 execution.
 */
import type { TfliteModel, TfliteOp } from '../../models/src/tflite/model.ts';

export interface RefTensor {
  shape: number[];
  data: Float64Array;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function activate(value: number, activation: string): number {
  switch (activation) {
    case 'NONE':
      return value;
    case 'RELU':
      return Math.max(0, value);
    case 'RELU6':
      return Math.min(6, Math.max(0, value));
    case 'RELU_N1_TO_1':
      return Math.min(1, Math.max(-1, value));
    case 'TANH':
      return Math.tanh(value);
    default:
      throw new Error(`activation ${activation}`);
  }
}

/** TF SAME padding (odd pixel at the end). */
function padBefore(inSize: number, kernel: number, stride: number, dilation: number, padding: string): [number, number] {
  if (padding === 'VALID') return [0, Math.floor((inSize - ((kernel - 1) * dilation + 1)) / stride) + 1];
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - inSize, 0);
  return [Math.floor(total / 2), out];
}

export function refConv2d(
  input: RefTensor,
  filter: RefTensor, // OHWI
  bias: RefTensor | undefined,
  o: { padding: string; strideH: number; strideW: number; dilationH: number; dilationW: number; activation: string },
  depthwise = false,
): RefTensor {
  const [n = 1, h = 1, w = 1, c = 1] = input.shape;
  const [fo = 1, kh = 1, kw = 1, fi = 1] = filter.shape;
  const outC = depthwise ? filter.shape[3]! : fo;
  const multiplier = depthwise ? outC / c : 1;
  const [top, outH] = padBefore(h, kh, o.strideH, o.dilationH, o.padding);
  const [left, outW] = padBefore(w, kw, o.strideW, o.dilationW, o.padding);
  const out = new Float64Array(n * outH * outW * outC);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < outH; y++)
      for (let x = 0; x < outW; x++)
        for (let oc = 0; oc < outC; oc++) {
          let sum = bias ? bias.data[oc]! : 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y * o.strideH - top + ky * o.dilationH;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x * o.strideW - left + kx * o.dilationW;
              if (ix < 0 || ix >= w) continue;
              const base = ((b * h + iy) * w + ix) * c;
              if (depthwise) {
                const ic = Math.floor(oc / multiplier);
                sum += input.data[base + ic]! * filter.data[(ky * kw + kx) * outC + oc]!;
              } else {
                for (let ic = 0; ic < fi; ic++) sum += input.data[base + ic]! * filter.data[((oc * kh + ky) * kw + kx) * fi + ic]!;
              }
            }
          }
          out[((b * outH + y) * outW + x) * outC + oc] = activate(sum, o.activation);
        }
  return { shape: [n, outH, outW, outC], data: out };
}

/** NumPy-style broadcasting of two tensors of rank <= 4 (right-aligned). */
export function refBinary(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number): RefTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s];
  const as = pad(a.shape);
  const bs = pad(b.shape);
  const shape = as.map((d, i) => Math.max(d, bs[i]!));
  const out = new Float64Array(size(shape));
  const index = new Array<number>(rank).fill(0);
  const offset = (s: number[], idx: number[]) => idx.reduce((acc, v, i) => acc * s[i]! + (s[i] === 1 ? 0 : v), 0);
  for (let flat = 0; flat < out.length; flat++) {
    let rest = flat;
    for (let i = rank - 1; i >= 0; i--) {
      index[i] = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
    }
    out[flat] = f(a.data[offset(as, index)]!, b.data[offset(bs, index)]!);
  }
  return { shape, data: out };
}

export function refMean(input: RefTensor, axes: number[], keepDims: boolean): RefTensor {
  const rank = input.shape.length;
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  const outShapeKeep = input.shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const out = new Float64Array(size(outShapeKeep));
  const count = size(input.shape) / out.length;
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < input.data.length; flat++) {
    let rest = flat;
    for (let i = rank - 1; i >= 0; i--) {
      index[i] = rest % input.shape[i]!;
      rest = Math.floor(rest / input.shape[i]!);
    }
    const target = index.reduce((acc, v, i) => acc * outShapeKeep[i]! + (norm.includes(i) ? 0 : v), 0);
    out[target]! += input.data[flat]! / count;
  }
  return { shape: keepDims ? outShapeKeep : input.shape.filter((_, i) => !norm.includes(i)), data: out };
}

/** TF MirrorPad REFLECT (edge not repeated) over a 4-D NHWC tensor. */
export function refMirrorPad(input: RefTensor, paddings: number[]): RefTensor {
  const shape = input.shape.map((d, i) => d + paddings[i * 2]! + paddings[i * 2 + 1]!);
  const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const out = new Float64Array(size(shape));
  let k = 0;
  for (let b = 0; b < shape[0]!; b++)
    for (let y = 0; y < shape[1]!; y++)
      for (let x = 0; x < shape[2]!; x++)
        for (let ch = 0; ch < shape[3]!; ch++) {
          const sb = reflect(b - paddings[0]!, n);
          const sy = reflect(y - paddings[2]!, h);
          const sx = reflect(x - paddings[4]!, w);
          const sc = reflect(ch - paddings[6]!, c);
          out[k++] = input.data[((sb * h + sy) * w + sx) * c + sc]!;
        }
  return { shape, data: out };
}

/** TF ResizeNearestNeighbor, align_corners=false, half_pixel_centers=false: src = floor(dst * in / out). */
export function refResizeNearest(input: RefTensor, outH: number, outW: number): RefTensor {
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const out = new Float64Array(n * outH * outW * c);
  let k = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < outH; y++)
      for (let x = 0; x < outW; x++) {
        const sy = Math.min(h - 1, Math.floor((y * h) / outH));
        const sx = Math.min(w - 1, Math.floor((x * w) / outW));
        for (let ch = 0; ch < c; ch++) out[k++] = input.data[((b * h + sy) * w + sx) * c + ch]!;
      }
  return { shape: [n, outH, outW, c], data: out };
}

function fakeQuantize(t: RefTensor, scale: number, zeroPoint: number): RefTensor {
  const data = t.data.map((v) => (Math.min(127, Math.max(-128, Math.round(v / scale) + zeroPoint)) - zeroPoint) * scale);
  return { shape: t.shape, data };
}

/** Runs the graph on the given inputs (by input position) and returns the graph outputs. */
export function runTfliteReference(model: TfliteModel, inputs: RefTensor[], options: { int8Activations?: boolean } = {}): RefTensor[] {
  const values = new Map<number, RefTensor>();
  model.inputs.forEach((index, i) => values.set(index, inputs[i]!));
  const get = (index: number | undefined): RefTensor => {
    const known = values.get(index ?? -1);
    if (known) return known;
    const tensor = model.tensors[index ?? -1];
    if (!tensor?.data) throw new Error(`reference: tensor ${index} not computed`);
    const constant = { shape: tensor.shape, data: Float64Array.from(tensor.data) };
    values.set(tensor.index, constant);
    return constant;
  };
  const constInts = (index: number | undefined) => Array.from(model.tensors[index ?? -1]?.data ?? []);
  for (const op of model.ops) {
    let out = evaluate(op, get, constInts, model);
    const outTensor = model.tensors[op.outputs[0]!]!;
    if (options.int8Activations && outTensor.type === 'INT8' && outTensor.quantization) {
      out = fakeQuantize(out, outTensor.quantization.scale[0]!, outTensor.quantization.zeroPoint[0] ?? 0);
    }
    values.set(op.outputs[0]!, out);
  }
  return model.outputs.map((index) => get(index));
}

function evaluate(op: TfliteOp, get: (i: number | undefined) => RefTensor, constInts: (i: number | undefined) => number[], model: TfliteModel): RefTensor {
  const o = op.options;
  const activation = 'activation' in o ? (o.activation as string) : 'NONE';
  const bias = (i: number | undefined) => (i !== undefined && i >= 0 ? get(i) : undefined);
  switch (op.type) {
    case 'CONV_2D':
      if (o.kind !== 'conv2d') throw new Error('conv options');
      return refConv2d(get(op.inputs[0]), get(op.inputs[1]), bias(op.inputs[2]), o);
    case 'DEPTHWISE_CONV_2D':
      if (o.kind !== 'depthwiseConv2d') throw new Error('depthwise options');
      return refConv2d(get(op.inputs[0]), get(op.inputs[1]), bias(op.inputs[2]), o, true);
    case 'ADD':
      return mapActivation(refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => a + b), activation);
    case 'SUB':
      return mapActivation(refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => a - b), activation);
    case 'MUL':
      return mapActivation(refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => a * b), activation);
    case 'SQUARED_DIFFERENCE':
      return refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => (a - b) * (a - b));
    case 'RSQRT':
      return { shape: get(op.inputs[0]).shape, data: get(op.inputs[0]).data.map((v) => 1 / Math.sqrt(v)) };
    case 'LOGISTIC':
      return { shape: get(op.inputs[0]).shape, data: get(op.inputs[0]).data.map((v) => 1 / (1 + Math.exp(-v))) };
    case 'MEAN':
      return refMean(get(op.inputs[0]), constInts(op.inputs[1]), o.kind === 'reducer' ? o.keepDims : false);
    case 'MIRROR_PAD':
      return refMirrorPad(get(op.inputs[0]), constInts(op.inputs[1]));
    case 'RESIZE_NEAREST_NEIGHBOR': {
      // The size constant is the file's (384-based); scale it with the actual input, as a dynamic graph would.
      const input = get(op.inputs[0]);
      const declared = model.tensors[op.inputs[0]!]!.shape;
      const [sh = 1, sw = 1] = constInts(op.inputs[1]);
      return refResizeNearest(input, (sh / declared[1]!) * input.shape[1]!, (sw / declared[2]!) * input.shape[2]!);
    }
    case 'QUANTIZE':
    case 'DEQUANTIZE':
      return get(op.inputs[0]);
    default:
      throw new Error(`reference: op ${op.type} not implemented`);
  }
}

function mapActivation(t: RefTensor, activation: string): RefTensor {
  return activation === 'NONE' ? t : { shape: t.shape, data: t.data.map((v) => activate(v, activation)) };
}
