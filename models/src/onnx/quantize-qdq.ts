/**
 * Static QDQ quantization of a float32 conv net, in the form onnxruntime fuses into integer kernels (its "QDQ
 * format": DequantizeLinear -> Conv -> QuantizeLinear becomes one QLinearConv). Pure graph rewriting over the
 * `OnnxModel` objects of proto.ts / decode.ts; the activation ranges come from the caller (calibration needs a
 * runtime, which this layer does not import).
 *
 * What is quantized, and how:
 * - Conv weights: int8, symmetric (zero point 0), one scale per output channel (axis 0), as MLAS's U8S8 kernels
 *   expect. Bias: int32 with scale = input scale x weight scale, zero point 0, which is what the fusion requires.
 * - Conv inputs and outputs: uint8, asymmetric, one scale per tensor, from calibrated [min, max] (widened to
 *   include 0 so that 0 is exact).
 * - Value-preserving data movement between a tensor and the conv that reads it (reflect/edge Pad, nearest Resize)
 *   runs on the uint8 tensor: the Q is placed before it, so those ops move a quarter of the bytes.
 * Everything else (InstanceNormalization, Relu, residual Add) stays float32 between a DQ and the next Q.
 */
import { floatValues } from './decode.ts';
import { floatTensor, OnnxDataType, type OnnxModel, type OnnxNode, type OnnxTensor } from './proto.ts';

export interface TensorRange {
  min: number;
  max: number;
}

/** Per-tensor uint8 parameters: real = (q - zeroPoint) * scale. */
export interface Uint8Params {
  scale: number;
  zeroPoint: number;
}

/** One conv's quantization points: the float tensor to quantize for its input, and its output. */
export interface ConvQuantPoints {
  /** Index of the Conv in `graph.nodes`, and its name for messages. */
  convIndex: number;
  conv: string;
  /** The float32 tensor whose range sets the input scale (before any Pad/Resize chain). */
  inputSource: string;
  /** Pad/Resize nodes between `inputSource` and the conv (in graph order), run on uint8 after rewriting. */
  passThrough: OnnxNode[];
  output: string;
}

const INT8_MAX = 127;

/** uint8 asymmetric parameters for a calibrated range; the range always includes 0 so that 0 maps exactly. */
export function uint8Params(range: TensorRange): Uint8Params {
  if (!Number.isFinite(range.min) || !Number.isFinite(range.max) || range.min > range.max) {
    throw new RangeError(`calibrated range [${range.min}, ${range.max}] is not a finite interval`);
  }
  const lo = Math.min(0, range.min);
  const hi = Math.max(0, range.max);
  const scale = hi - lo > 0 ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zeroPoint };
}

/** Symmetric int8 per-output-channel weights: scale[c] = max|w[c,...]| / 127. */
export function quantizeWeightsPerChannel(weights: Float32Array, outChannels: number): { values: Int8Array; scales: Float32Array } {
  if (weights.length % outChannels !== 0) throw new RangeError(`weights of ${weights.length} values do not split into ${outChannels} channels`);
  const perChannel = weights.length / outChannels;
  const values = new Int8Array(weights.length);
  const scales = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    let maxAbs = 0;
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) maxAbs = Math.max(maxAbs, Math.abs(weights[i]!));
    // A channel of zeros still needs a positive scale (DequantizeLinear divides nothing, but ORT rejects 0).
    const scale = maxAbs > 0 ? maxAbs / INT8_MAX : 1;
    scales[c] = scale;
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) values[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(weights[i]! / scale)));
  }
  return { values, scales };
}

function isPassThrough(node: OnnxNode): boolean {
  const mode = node.attributes?.find((a) => a.name === 'mode');
  const modeName = mode?.kind === 'string' ? mode.value : undefined;
  // Constant padding would pad with the uint8 value 0, which is not the real 0 unless the zero point is 0: excluded.
  if (node.opType === 'Pad') return modeName === 'reflect' || modeName === 'edge';
  if (node.opType === 'Resize') return modeName === 'nearest';
  return false;
}

export interface QuantizeOptions {
  /**
   * Convs with fewer output channels stay float32. MLAS's int8 conv is several times faster than its float conv
   * for 16..32 channels, but slower for the thin full-resolution layers of the light nets (3->8, 16->8, 8->3),
   * which also carry most of the picture's detail; measured per node in the int8 note (issue 14).
   */
  minOutChannels?: number;
}

/**
 * The convs to quantize (every Conv whose weight is a float32 initializer with at least `minOutChannels` outputs)
 * and, for each, the tensors whose ranges calibration must measure.
 */
export function findConvQuantPoints(model: OnnxModel, options: QuantizeOptions = {}): ConvQuantPoints[] {
  const minOutChannels = options.minOutChannels ?? 1;
  const graph = model.graph;
  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, number>();
  for (const node of graph.nodes) {
    for (const output of node.outputs) producer.set(output, node);
    for (const input of node.inputs) if (input) consumers.set(input, (consumers.get(input) ?? 0) + 1);
  }
  const points: ConvQuantPoints[] = [];
  graph.nodes.forEach((node, index) => {
    const weight = initializers.get(node.inputs[1] ?? '');
    if (node.opType !== 'Conv' || weight?.dataType !== OnnxDataType.FLOAT || (weight.dims[0] ?? 0) < minOutChannels) return;
    const passThrough: OnnxNode[] = [];
    let source = node.inputs[0]!;
    for (;;) {
      const before = producer.get(source);
      // Only walk through a node whose output feeds nothing else, so no other reader ever sees uint8.
      if (!before || !isPassThrough(before) || (consumers.get(source) ?? 0) !== 1) break;
      passThrough.unshift(before);
      source = before.inputs[0]!;
    }
    points.push({ convIndex: index, conv: node.name ?? `Conv_${index}`, inputSource: source, passThrough, output: node.outputs[0]! });
  });
  return points;
}

/** The float tensors whose [min, max] a calibration run must report (inputs and outputs of the quantized convs). */
export function calibrationTensors(model: OnnxModel, options: QuantizeOptions = {}): string[] {
  return [...new Set(findConvQuantPoints(model, options).flatMap((p) => [p.inputSource, p.output]))];
}

function scalarTensor(name: string, dataType: number, value: number): OnnxTensor {
  const bytes = dataType === OnnxDataType.FLOAT ? 4 : 1;
  const rawData = new Uint8Array(bytes);
  const view = new DataView(rawData.buffer);
  if (dataType === OnnxDataType.FLOAT) view.setFloat32(0, value, true);
  else if (dataType === OnnxDataType.UINT8) view.setUint8(0, value);
  else view.setInt8(0, value);
  return { name, dims: [], dataType, rawData };
}

/** Orders nodes so that every input is produced before it is read (ONNX requires it; insertion breaks it). */
export function topologicalOrder(nodes: readonly OnnxNode[], available: Iterable<string>): OnnxNode[] {
  const ready = new Set(available);
  const pending = [...nodes];
  const ordered: OnnxNode[] = [];
  while (pending.length > 0) {
    const next = pending.findIndex((n) => n.inputs.every((i) => i === '' || ready.has(i)));
    if (next < 0) throw new Error(`graph has a cycle or a missing input at node ${pending[0]!.name ?? pending[0]!.opType}`);
    const [node] = pending.splice(next, 1);
    ordered.push(node!);
    for (const output of node!.outputs) ready.add(output);
  }
  return ordered;
}

/**
 * Returns a new model with QDQ around every quantizable Conv. `ranges` must hold every tensor that
 * `calibrationTensors(model)` names. The input model is not modified.
 */
export function quantizeQdq(model: OnnxModel, ranges: ReadonlyMap<string, TensorRange>, options: QuantizeOptions = {}): OnnxModel {
  const graph = model.graph;
  const points = findConvQuantPoints(model, options);
  if (points.length === 0) throw new Error('the model has no Conv with float32 weights to quantize');
  const missing = calibrationTensors(model, options).filter((name) => !ranges.has(name));
  if (missing.length > 0) throw new Error(`no calibrated range for ${missing.join(', ')}`);

  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const replacedInitializers = new Set<string>();
  const added: OnnxTensor[] = [];
  const nodes: OnnxNode[] = graph.nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs] }));
  const copyOf = new Map(nodes.map((n, i) => [graph.nodes[i]!, n]));
  const extra: OnnxNode[] = [];
  /** uint8 params and the quantized tensor name of each float tensor quantized so far (one Q per tensor). */
  const quantized = new Map<string, { params: Uint8Params; name: string }>();

  const qParamsTensors = (base: string, params: Uint8Params): [string, string] => {
    const scale = `${base}_scale`;
    const zero = `${base}_zero_point`;
    if (!added.some((t) => t.name === scale)) {
      added.push(scalarTensor(scale, OnnxDataType.FLOAT, params.scale), scalarTensor(zero, OnnxDataType.UINT8, params.zeroPoint));
    }
    return [scale, zero];
  };

  const quantizeTensor = (name: string): { params: Uint8Params; name: string } => {
    const known = quantized.get(name);
    if (known) return known;
    const params = uint8Params(ranges.get(name)!);
    const [scale, zero] = qParamsTensors(name, params);
    const out = `${name}_quantized`;
    extra.push({ opType: 'QuantizeLinear', name: `${name}_QuantizeLinear`, inputs: [name, scale, zero], outputs: [out] });
    const entry = { params, name: out };
    quantized.set(name, entry);
    return entry;
  };

  const dequantize = (quantizedName: string, floatName: string, base: string, params: Uint8Params): void => {
    const [scale, zero] = qParamsTensors(base, params);
    extra.push({ opType: 'DequantizeLinear', name: `${floatName}_DequantizeLinear`, inputs: [quantizedName, scale, zero], outputs: [floatName] });
  };

  for (const point of points) {
    const conv = nodes[point.convIndex]!;
    // Input: Q at the source, the pass-through chain on uint8, DQ right before the conv.
    const source = quantizeTensor(point.inputSource);
    let current = source.name;
    for (const original of point.passThrough) {
      const node = copyOf.get(original)!;
      node.inputs[0] = current;
      node.outputs[0] = `${node.outputs[0]}_uint8`;
      current = node.outputs[0];
    }
    const convInput = `${point.conv}_input_dequantized`;
    dequantize(current, convInput, point.inputSource, source.params);
    conv.inputs[0] = convInput;

    // Weights: int8 per output channel, DequantizeLinear along axis 0.
    const weightName = conv.inputs[1]!;
    const weight = initializers.get(weightName)!;
    const outChannels = weight.dims[0]!;
    const { values, scales } = quantizeWeightsPerChannel(floatValues(weight), outChannels);
    const weightQ = `${weightName}_quantized`;
    added.push(
      { name: weightQ, dims: weight.dims, dataType: OnnxDataType.INT8, rawData: new Uint8Array(values.buffer) },
      floatTensor(`${weightName}_scale`, [outChannels], scales),
      { name: `${weightName}_zero_point`, dims: [outChannels], dataType: OnnxDataType.INT8, rawData: new Uint8Array(outChannels) },
    );
    replacedInitializers.add(weightName);
    extra.push({
      opType: 'DequantizeLinear',
      name: `${weightName}_DequantizeLinear`,
      inputs: [weightQ, `${weightName}_scale`, `${weightName}_zero_point`],
      outputs: [`${weightName}_dequantized`],
      attributes: [{ name: 'axis', kind: 'int', value: 0 }],
    });
    conv.inputs[1] = `${weightName}_dequantized`;

    // Bias: int32 at scale input x weight, the only form the QLinearConv fusion accepts.
    const biasName = conv.inputs[2];
    if (biasName) {
      const bias = floatValues(initializers.get(biasName)!);
      const biasScales = scales.map((s) => s * source.params.scale);
      const biasQ = new Int32Array(bias.length);
      bias.forEach((b, c) => (biasQ[c] = Math.round(b / biasScales[c]!)));
      added.push(
        { name: `${biasName}_quantized`, dims: [bias.length], dataType: OnnxDataType.INT32, rawData: new Uint8Array(biasQ.buffer) },
        floatTensor(`${biasName}_scale`, [bias.length], biasScales),
        { name: `${biasName}_zero_point`, dims: [bias.length], dataType: OnnxDataType.INT32, rawData: new Uint8Array(bias.length * 4) },
      );
      replacedInitializers.add(biasName);
      extra.push({
        opType: 'DequantizeLinear',
        name: `${biasName}_DequantizeLinear`,
        inputs: [`${biasName}_quantized`, `${biasName}_scale`, `${biasName}_zero_point`],
        outputs: [`${biasName}_dequantized`],
        attributes: [{ name: 'axis', kind: 'int', value: 0 }],
      });
      conv.inputs[2] = `${biasName}_dequantized`;
    }

    // Output: the conv writes a new name; Q -> DQ restores the old name for its readers (and graph outputs).
    const raw = `${point.output}_before_quantize`;
    conv.outputs[0] = raw;
    const outParams = uint8Params(ranges.get(point.output)!);
    const [scale, zero] = qParamsTensors(point.output, outParams);
    extra.push({ opType: 'QuantizeLinear', name: `${point.output}_QuantizeLinear`, inputs: [raw, scale, zero], outputs: [`${point.output}_quantized`] });
    dequantize(`${point.output}_quantized`, point.output, point.output, outParams);
  }

  const keptInitializers = graph.initializers.filter((t) => !replacedInitializers.has(t.name) || nodes.some((n) => n.inputs.includes(t.name)));
  const allInitializers = [...keptInitializers, ...added];
  const available = [...graph.inputs.map((i) => i.name), ...allInitializers.map((t) => t.name)];
  return {
    ...model,
    producerName: 'deepphoto-quantize-qdq',
    graph: {
      ...graph,
      nodes: topologicalOrder([...nodes, ...extra], available),
      initializers: allInitializers,
      // Shapes inferred for the float graph would now be wrong for the uint8 pass-through tensors; ORT infers its own.
      valueInfo: [],
    },
  };
}
