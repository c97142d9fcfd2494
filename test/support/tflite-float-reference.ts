/**
 * A deliberately naive TFLite interpreter for float models, written from TFLite's kernel semantics (NHWC, row-major,
 * SAME padding as TensorFlow defines it), sharing nothing with the ONNX converter but the flatbuffer reader. It is
 * slow (plain loops, no layout tricks) and exists only as the independent reference that converted models are
 * checked against, op by op and end to end.
 */
import type { FusedActivation, TfliteModel, TfliteOp } from '../../models/src/tflite/model.ts';

export interface NdArray {
  shape: number[];
  data: Float32Array;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function activate(value: number, activation: FusedActivation): number {
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

/** TensorFlow SAME: out = ceil(in / stride), total padding split with the odd pixel after. */
function padBefore(inSize: number, outSize: number, kernel: number, stride: number, dilation: number, padding: string): number {
  if (padding === 'VALID') return 0;
  const effective = (kernel - 1) * dilation + 1;
  return Math.floor(Math.max((outSize - 1) * stride + effective - inSize, 0) / 2);
}

export function referenceConv2d(
  x: NdArray,
  filter: NdArray,
  bias: Float32Array | undefined,
  outShape: number[],
  o: { strideH: number; strideW: number; dilationH: number; dilationW: number; padding: string; activation: FusedActivation },
  depthwise: boolean,
): NdArray {
  const [, inH = 1, inW = 1, inC = 1] = x.shape;
  const [, outH = 1, outW = 1, outC = 1] = outShape;
  // Regular filters are [outC, kH, kW, inC]; depthwise ones are [1, kH, kW, inC * multiplier].
  const kH = filter.shape[1]!;
  const kW = filter.shape[2]!;
  const top = padBefore(inH, outH, kH, o.strideH, o.dilationH, o.padding);
  const left = padBefore(inW, outW, kW, o.strideW, o.dilationW, o.padding);
  const multiplier = depthwise ? outC / inC : 1;
  const out = new Float32Array(size(outShape));
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let oc = 0; oc < outC; oc++) {
        let sum = bias?.[oc] ?? 0;
        for (let ky = 0; ky < kH; ky++) {
          const iy = oy * o.strideH - top + ky * o.dilationH;
          if (iy < 0 || iy >= inH) continue;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ox * o.strideW - left + kx * o.dilationW;
            if (ix < 0 || ix >= inW) continue;
            const pixel = (iy * inW + ix) * inC;
            if (depthwise) {
              const ic = Math.floor(oc / multiplier);
              sum += x.data[pixel + ic]! * filter.data[(ky * kW + kx) * outC + oc]!;
            } else {
              const base = ((oc * kH + ky) * kW + kx) * inC;
              for (let ic = 0; ic < inC; ic++) sum += x.data[pixel + ic]! * filter.data[base + ic]!;
            }
          }
        }
        out[(oy * outW + ox) * outC + oc] = activate(sum, o.activation);
      }
    }
  }
  return { shape: outShape, data: out };
}

export function referenceMaxPool(x: NdArray, outShape: number[], o: { strideH: number; strideW: number; filterH: number; filterW: number; padding: string; activation: FusedActivation }): NdArray {
  const [, inH = 1, inW = 1, c = 1] = x.shape;
  const [, outH = 1, outW = 1] = outShape;
  const top = padBefore(inH, outH, o.filterH, o.strideH, 1, o.padding);
  const left = padBefore(inW, outW, o.filterW, o.strideW, 1, o.padding);
  const out = new Float32Array(size(outShape));
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ch = 0; ch < c; ch++) {
        let best = -Infinity;
        for (let ky = 0; ky < o.filterH; ky++) {
          for (let kx = 0; kx < o.filterW; kx++) {
            const iy = oy * o.strideH - top + ky;
            const ix = ox * o.strideW - left + kx;
            if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue; // padded cells never win
            best = Math.max(best, x.data[(iy * inW + ix) * c + ch]!);
          }
        }
        out[(oy * outW + ox) * c + ch] = activate(best, o.activation);
      }
    }
  }
  return { shape: outShape, data: out };
}

/** Zero padding over every axis of a row-major array. */
export function referencePad(x: NdArray, paddings: number[]): NdArray {
  const rank = x.shape.length;
  const outShape = x.shape.map((n, axis) => n + paddings[axis * 2]! + paddings[axis * 2 + 1]!);
  const out = new Float32Array(size(outShape));
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < x.data.length; flat++) {
    let target = 0;
    for (let axis = 0; axis < rank; axis++) target = target * outShape[axis]! + index[axis]! + paddings[axis * 2]!;
    out[target] = x.data[flat]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      if (++index[axis]! < x.shape[axis]!) break;
      index[axis] = 0;
    }
  }
  return { shape: outShape, data: out };
}

export function referenceConcat(inputs: NdArray[], axis: number): NdArray {
  const rank = inputs[0]!.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  const outer = size(inputs[0]!.shape.slice(0, a));
  const outShape = [...inputs[0]!.shape];
  outShape[a] = inputs.reduce((sum, t) => sum + t.shape[a]!, 0);
  const out = new Float32Array(size(outShape));
  let offset = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of inputs) {
      const chunk = size(t.shape.slice(a));
      out.set(t.data.subarray(o * chunk, (o + 1) * chunk), offset);
      offset += chunk;
    }
  }
  return { shape: outShape, data: out };
}

/** TF ResizeBilinear, half_pixel_centers or legacy asymmetric (align_corners unsupported here). */
export function referenceResizeBilinear(x: NdArray, outH: number, outW: number, halfPixel: boolean): NdArray {
  const [, inH = 1, inW = 1, c = 1] = x.shape;
  const out = new Float32Array(outH * outW * c);
  const sy = inH / outH;
  const sx = inW / outW;
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
        const v00 = x.data[(y0 * inW + x0) * c + ch]!;
        const v01 = x.data[(y0 * inW + x1) * c + ch]!;
        const v10 = x.data[(y1 * inW + x0) * c + ch]!;
        const v11 = x.data[(y1 * inW + x1) * c + ch]!;
        out[(oy * outW + ox) * c + ch] = (v00 * (1 - wx) + v01 * wx) * (1 - wy) + (v10 * (1 - wx) + v11 * wx) * wy;
      }
    }
  }
  return { shape: [1, outH, outW, c], data: out };
}

/** Runs every op of `model` on `input` (NHWC float); returns every tensor computed, by TFLite tensor index. */
export function runReference(model: TfliteModel, input: NdArray, opFilter?: (op: TfliteOp) => boolean): Map<number, NdArray> {
  const values = new Map<number, NdArray>();
  values.set(model.inputs[0]!, input);
  const get = (index: number | undefined): NdArray => {
    const known = values.get(index ?? -1);
    if (known) return known;
    const tensor = model.tensors[index ?? -1];
    if (tensor?.data === undefined) throw new Error(`reference: tensor ${index} not computed`);
    return { shape: [...tensor.shape], data: Float32Array.from(tensor.data) };
  };
  for (const op of model.ops) {
    if (opFilter && !opFilter(op)) break;
    const outIndex = op.outputs[0]!;
    const outShape = [...model.tensors[outIndex]!.shape];
    const o = op.options;
    let result: NdArray;
    switch (op.type) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D':
        if (o.kind !== 'conv2d' && o.kind !== 'depthwiseConv2d') throw new Error('options');
        result = referenceConv2d(get(op.inputs[0]), get(op.inputs[1]), op.inputs[2] !== undefined && op.inputs[2] >= 0 ? get(op.inputs[2]).data : undefined, outShape, o, op.type === 'DEPTHWISE_CONV_2D');
        break;
      case 'MAX_POOL_2D':
        if (o.kind !== 'pool2d') throw new Error('options');
        result = referenceMaxPool(get(op.inputs[0]), outShape, o);
        break;
      case 'ADD': {
        const a = get(op.inputs[0]);
        const b = get(op.inputs[1]);
        if (a.data.length !== b.data.length) throw new Error('reference ADD: broadcasting not implemented');
        const activation = o.kind === 'elementwise' ? o.activation : 'NONE';
        result = { shape: outShape, data: a.data.map((v, i) => activate(v + b.data[i]!, activation)) };
        break;
      }
      case 'RELU':
        result = { shape: outShape, data: get(op.inputs[0]).data.map((v) => Math.max(0, v)) };
        break;
      case 'PAD':
        result = referencePad(get(op.inputs[0]), Array.from(model.tensors[op.inputs[1]!]!.data ?? []));
        break;
      case 'RESHAPE':
        result = { shape: outShape, data: get(op.inputs[0]).data };
        break;
      case 'CONCATENATION':
        if (o.kind !== 'concatenation') throw new Error('options');
        result = referenceConcat(op.inputs.map(get), o.axis);
        break;
      case 'RESIZE_BILINEAR':
        if (o.kind !== 'resizeBilinear' || o.alignCorners) throw new Error('reference: align_corners not implemented');
        result = referenceResizeBilinear(get(op.inputs[0]), outShape[1]!, outShape[2]!, o.halfPixelCenters);
        break;
      default:
        throw new Error(`reference: op ${op.type} not implemented`);
    }
    if (size(result.shape) !== size(outShape)) throw new Error(`reference: ${op.type} produced ${result.shape} for ${outShape}`);
    values.set(outIndex, result);
  }
  return values;
}
