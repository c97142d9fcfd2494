/**
 * A deliberately plain TFLite interpreter in JavaScript (NHWC, row-major, nested loops, SAME padding as TensorFlow
 * defines it), used only as the independent reference that converted models are checked against: it executes the
 * TFLite graph op by op as TFLite defines each op, sharing nothing with the ONNX path but the flatbuffer reader.
 * Slow, and meant for small inputs.
 *
 * Precision follows the inputs: Float64Array inputs run the whole graph in float64 (the arbitrary-style checks, where
 * the reference should be more exact than either side), Float32Array inputs store every tensor in float32 as a float
 * TFLite kernel does (the face detector checks). Sums accumulate in a JS number either way.
 *
 * `int8Activations`: fake-quantize every int8 activation (round to its scale and zero point, clamp to -128..127)
 * the way the int8 kernels store them, to estimate how far the float conversion is from int8 execution.
 */
import type { FusedActivation, TfliteModel, TfliteOp } from '../../models/src/tflite/model.ts';

export type RefData = Float32Array | Float64Array;

export interface RefTensor<T extends RefData = RefData> {
  shape: number[];
  data: T;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A zeroed array of `like`'s precision: every kernel's output keeps its (first) input's precision. */
function allocate<T extends RefData>(like: T, length: number): T {
  return (like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length)) as T;
}

function mapData<T extends RefData>(t: RefTensor<T>, f: (v: number) => number): RefTensor<T> {
  const out = allocate(t.data, t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i]!);
  return { shape: t.shape, data: out };
}

function activate(value: number, activation: FusedActivation | string): number {
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
      throw new Error(`reference: activation ${activation}`);
  }
}

/** TensorFlow SAME: out = ceil(in / stride), total padding split with the odd pixel after. Returns [before, out]. */
function padBefore(inSize: number, kernel: number, stride: number, dilation: number, padding: string): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'VALID') return [0, Math.floor((inSize - effective) / stride) + 1];
  const out = Math.ceil(inSize / stride);
  return [Math.floor(Math.max((out - 1) * stride + effective - inSize, 0) / 2), out];
}

/** Regular filters are OHWI [outC, kH, kW, inC]; depthwise ones are [1, kH, kW, inC * multiplier]. */
export function refConv2d<T extends RefData>(
  input: RefTensor<T>,
  filter: RefTensor,
  bias: RefTensor | undefined,
  o: { padding: string; strideH: number; strideW: number; dilationH: number; dilationW: number; activation: string },
  depthwise = false,
): RefTensor<T> {
  const [n = 1, h = 1, w = 1, c = 1] = input.shape;
  const [fo = 1, kh = 1, kw = 1, fi = 1] = filter.shape;
  const outC = depthwise ? filter.shape[3]! : fo;
  const multiplier = depthwise ? outC / c : 1;
  const [top, outH] = padBefore(h, kh, o.strideH, o.dilationH, o.padding);
  const [left, outW] = padBefore(w, kw, o.strideW, o.dilationW, o.padding);
  const out = allocate(input.data, n * outH * outW * outC);
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

export function refMaxPool<T extends RefData>(
  input: RefTensor<T>,
  o: { padding: string; strideH: number; strideW: number; filterH: number; filterW: number; activation: string },
): RefTensor<T> {
  const [n = 1, h = 1, w = 1, c = 1] = input.shape;
  const [top, outH] = padBefore(h, o.filterH, o.strideH, 1, o.padding);
  const [left, outW] = padBefore(w, o.filterW, o.strideW, 1, o.padding);
  const out = allocate(input.data, n * outH * outW * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < outH; y++)
      for (let x = 0; x < outW; x++)
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          for (let ky = 0; ky < o.filterH; ky++) {
            for (let kx = 0; kx < o.filterW; kx++) {
              const iy = y * o.strideH - top + ky;
              const ix = x * o.strideW - left + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue; // padded cells never win
              best = Math.max(best, input.data[((b * h + iy) * w + ix) * c + ch]!);
            }
          }
          out[((b * outH + y) * outW + x) * c + ch] = activate(best, o.activation);
        }
  return { shape: [n, outH, outW, c], data: out };
}

/**
 * NumPy-style broadcasting of two tensors (right-aligned), the fused activation applied before the result is stored
 * (so a float32 result is rounded once, as in TFLite's float kernels).
 */
export function refBinary<T extends RefData>(a: RefTensor<T>, b: RefTensor, f: (x: number, y: number) => number, activation = 'NONE'): RefTensor<T> {
  if (a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i])) {
    const out = allocate(a.data, a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = activate(f(a.data[i]!, b.data[i]!), activation);
    return { shape: a.shape, data: out };
  }
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...Array<number>(rank - s.length).fill(1), ...s];
  const as = pad(a.shape);
  const bs = pad(b.shape);
  const shape = as.map((d, i) => Math.max(d, bs[i]!));
  const out = allocate(a.data, size(shape));
  const index = new Array<number>(rank).fill(0);
  const offset = (s: number[], idx: number[]) => idx.reduce((acc, v, i) => acc * s[i]! + (s[i] === 1 ? 0 : v), 0);
  for (let flat = 0; flat < out.length; flat++) {
    let rest = flat;
    for (let i = rank - 1; i >= 0; i--) {
      index[i] = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
    }
    out[flat] = activate(f(a.data[offset(as, index)]!, b.data[offset(bs, index)]!), activation);
  }
  return { shape, data: out };
}

export function refMean<T extends RefData>(input: RefTensor<T>, axes: number[], keepDims: boolean): RefTensor<T> {
  const rank = input.shape.length;
  const norm = axes.map((a) => (a < 0 ? a + rank : a));
  const outShapeKeep = input.shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const out = allocate(input.data, size(outShapeKeep));
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

/** Zero padding over every axis of a row-major tensor (TFLite PAD). */
export function refPad<T extends RefData>(input: RefTensor<T>, paddings: number[]): RefTensor<T> {
  const rank = input.shape.length;
  const shape = input.shape.map((d, axis) => d + paddings[axis * 2]! + paddings[axis * 2 + 1]!);
  const out = allocate(input.data, size(shape));
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < input.data.length; flat++) {
    let target = 0;
    for (let axis = 0; axis < rank; axis++) target = target * shape[axis]! + index[axis]! + paddings[axis * 2]!;
    out[target] = input.data[flat]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++index[axis]! < input.shape[axis]!) break;
      index[axis] = 0;
    }
  }
  return { shape, data: out };
}

/** TF MirrorPad REFLECT (edge not repeated) over a 4-D NHWC tensor. */
export function refMirrorPad<T extends RefData>(input: RefTensor<T>, paddings: number[]): RefTensor<T> {
  const shape = input.shape.map((d, i) => d + paddings[i * 2]! + paddings[i * 2 + 1]!);
  const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const out = allocate(input.data, size(shape));
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

export function refConcat<T extends RefData>(inputs: RefTensor<T>[], axis: number): RefTensor<T> {
  const rank = inputs[0]!.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const outer = size(inputs[0]!.shape.slice(0, a));
  const shape = [...inputs[0]!.shape];
  shape[a] = inputs.reduce((sum, t) => sum + t.shape[a]!, 0);
  const out = allocate(inputs[0]!.data, size(shape));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of inputs) {
      const chunk = size(t.shape.slice(a));
      out.set(t.data.subarray(o * chunk, (o + 1) * chunk), offset);
      offset += chunk;
    }
  }
  return { shape, data: out };
}

/** TF ResizeNearestNeighbor, align_corners=false, half_pixel_centers=false: src = floor(dst * in / out). */
export function refResizeNearest<T extends RefData>(input: RefTensor<T>, outH: number, outW: number): RefTensor<T> {
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const out = allocate(input.data, n * outH * outW * c);
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

/** TF ResizeBilinear, half_pixel_centers or legacy asymmetric (align_corners unsupported here). */
export function refResizeBilinear<T extends RefData>(input: RefTensor<T>, outH: number, outW: number, halfPixel: boolean): RefTensor<T> {
  const [n = 1, inH = 1, inW = 1, c = 1] = input.shape;
  const out = allocate(input.data, n * outH * outW * c);
  const sy = inH / outH;
  const sx = inW / outW;
  for (let b = 0; b < n; b++) {
    const at = (y: number, x: number, ch: number) => input.data[((b * inH + y) * inW + x) * c + ch]!;
    for (let oy = 0; oy < outH; oy++) {
      const fy = halfPixel ? Math.max(0, (oy + 0.5) * sy - 0.5) : oy * sy;
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, inH - 1);
      const wy = fy - y0;
      for (let ox = 0; ox < outW; ox++) {
        const fx = halfPixel ? Math.max(0, (ox + 0.5) * sx - 0.5) : ox * sx;
        const x0 = Math.floor(fx);
        const x1 = Math.min(x0 + 1, inW - 1);
        const wx = fx - x0;
        for (let ch = 0; ch < c; ch++) {
          const top = at(y0, x0, ch) * (1 - wx) + at(y0, x1, ch) * wx;
          const bottom = at(y1, x0, ch) * (1 - wx) + at(y1, x1, ch) * wx;
          out[((b * outH + oy) * outW + ox) * c + ch] = top * (1 - wy) + bottom * wy;
        }
      }
    }
  }
  return { shape: [n, outH, outW, c], data: out };
}

function fakeQuantize<T extends RefData>(t: RefTensor<T>, scale: number, zeroPoint: number): RefTensor<T> {
  return mapData(t, (v) => (Math.min(127, Math.max(-128, Math.round(v / scale) + zeroPoint)) - zeroPoint) * scale);
}

/**
 * Runs the graph on the given inputs (by input position, all of one precision) and returns the graph outputs.
 * Inputs may have other spatial sizes than the file declares (as a dynamic graph would run); when every input has
 * its declared shape, every op's result is also checked against its declared output shape.
 */
export function runTfliteReference<T extends RefData>(model: TfliteModel, inputs: RefTensor<T>[], options: { int8Activations?: boolean } = {}): RefTensor<T>[] {
  if (inputs.length !== model.inputs.length) throw new Error(`reference: ${inputs.length} inputs for a graph of ${model.inputs.length}`);
  const like = inputs[0]!.data;
  if (inputs.some((t) => t.data instanceof Float32Array !== like instanceof Float32Array)) throw new Error('reference: inputs of mixed precision');
  const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const declaredSizes = inputs.every((t, i) => sameShape(t.shape, model.tensors[model.inputs[i]!]!.shape));

  const values = new Map<number, RefTensor<T>>();
  model.inputs.forEach((index, i) => values.set(index, inputs[i]!));
  const get = (index: number | undefined): RefTensor<T> => {
    const known = values.get(index ?? -1);
    if (known) return known;
    const tensor = model.tensors[index ?? -1];
    if (!tensor?.data) throw new Error(`reference: tensor ${index} not computed`);
    const data = allocate(like, tensor.data.length);
    data.set(tensor.data);
    const constant = { shape: [...tensor.shape], data };
    values.set(tensor.index, constant);
    return constant;
  };
  for (const op of model.ops) {
    let out = evaluate(op, get, model);
    const outTensor = model.tensors[op.outputs[0]!]!;
    if (declaredSizes && !sameShape(out.shape, outTensor.shape)) throw new Error(`reference: ${op.type} produced [${out.shape}] for [${outTensor.shape}]`);
    if (options.int8Activations && outTensor.type === 'INT8' && outTensor.quantization) {
      out = fakeQuantize(out, outTensor.quantization.scale[0]!, outTensor.quantization.zeroPoint[0] ?? 0);
    }
    values.set(op.outputs[0]!, out);
  }
  return model.outputs.map((index) => get(index));
}

function evaluate<T extends RefData>(op: TfliteOp, get: (i: number | undefined) => RefTensor<T>, model: TfliteModel): RefTensor<T> {
  const o = op.options;
  const activation = 'activation' in o ? (o.activation as string) : 'NONE';
  const bias = (i: number | undefined) => (i !== undefined && i >= 0 ? get(i) : undefined);
  const constInts = (index: number | undefined) => Array.from(model.tensors[index ?? -1]?.data ?? []);
  /** A size constant is the file's; scale it with the actual input, as a dynamic graph would (384-based style nets). */
  const scaledSize = (): [number, number] => {
    const input = get(op.inputs[0]);
    const declared = model.tensors[op.inputs[0]!]!.shape;
    const [sh = 1, sw = 1] = constInts(op.inputs[1]);
    const outH = (sh * input.shape[1]!) / declared[1]!;
    const outW = (sw * input.shape[2]!) / declared[2]!;
    if (!Number.isInteger(outH) || !Number.isInteger(outW)) throw new Error(`reference: ${op.type} to ${outH}x${outW} is not a whole size`);
    return [outH, outW];
  };
  switch (op.type) {
    case 'CONV_2D':
      if (o.kind !== 'conv2d') throw new Error('reference: conv options');
      return refConv2d(get(op.inputs[0]), get(op.inputs[1]), bias(op.inputs[2]), o);
    case 'DEPTHWISE_CONV_2D':
      if (o.kind !== 'depthwiseConv2d') throw new Error('reference: depthwise options');
      return refConv2d(get(op.inputs[0]), get(op.inputs[1]), bias(op.inputs[2]), o, true);
    case 'MAX_POOL_2D':
      if (o.kind !== 'pool2d') throw new Error('reference: pool options');
      return refMaxPool(get(op.inputs[0]), o);
    case 'ADD':
      return refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => a + b, activation);
    case 'SUB':
      return refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => a - b, activation);
    case 'MUL':
      return refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => a * b, activation);
    case 'SQUARED_DIFFERENCE':
      return refBinary(get(op.inputs[0]), get(op.inputs[1]), (a, b) => (a - b) * (a - b));
    case 'RELU':
      return mapData(get(op.inputs[0]), (v) => Math.max(0, v));
    case 'RSQRT':
      return mapData(get(op.inputs[0]), (v) => 1 / Math.sqrt(v));
    case 'LOGISTIC':
      return mapData(get(op.inputs[0]), (v) => 1 / (1 + Math.exp(-v)));
    case 'MEAN':
      return refMean(get(op.inputs[0]), constInts(op.inputs[1]), o.kind === 'reducer' ? o.keepDims : false);
    case 'PAD':
      return refPad(get(op.inputs[0]), constInts(op.inputs[1]));
    case 'MIRROR_PAD':
      return refMirrorPad(get(op.inputs[0]), constInts(op.inputs[1]));
    case 'RESHAPE': {
      // Only static reshapes: the declared output shape is the target.
      const input = get(op.inputs[0]);
      const shape = [...model.tensors[op.outputs[0]!]!.shape];
      if (size(shape) !== input.data.length) throw new Error(`reference: RESHAPE of [${input.shape}] to [${shape}]`);
      return { shape, data: input.data };
    }
    case 'CONCATENATION': {
      if (o.kind !== 'concatenation') throw new Error('reference: concatenation options');
      const joined = refConcat(op.inputs.map(get), o.axis);
      return o.activation === 'NONE' ? joined : mapData(joined, (v) => activate(v, o.activation));
    }
    case 'RESIZE_BILINEAR': {
      if (o.kind !== 'resizeBilinear' || o.alignCorners) throw new Error('reference: RESIZE_BILINEAR align_corners not implemented');
      const [outH, outW] = scaledSize();
      return refResizeBilinear(get(op.inputs[0]), outH, outW, o.halfPixelCenters);
    }
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const [outH, outW] = scaledSize();
      return refResizeNearest(get(op.inputs[0]), outH, outW);
    }
    case 'QUANTIZE':
    case 'DEQUANTIZE':
      return get(op.inputs[0]);
    default:
      throw new Error(`reference: op ${op.type} not implemented`);
  }
}
