/**
 * The reading half of proto.ts: decodes a serialized ModelProto into the same `OnnxModel` shape that
 * `encodeOnnxModel` writes, so that a tool can load a model, rewrite its graph as plain objects and write it back.
 * Covers the fields proto.ts knows; anything else (metadata_props, training info, sparse initializers, typed
 * repeated tensor fields other than float/int32/int64) is refused or dropped, as stated below, never guessed.
 * Field numbers are those of onnx/onnx.proto3.
 */
import { OnnxDataType, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './proto.ts';

interface WireField {
  number: number;
  wireType: number;
  /** Varint value (wire type 0) as a bigint, so int64 survives. */
  varint?: bigint;
  /** Fixed32 / fixed64 / length-delimited payload. */
  bytes?: Uint8Array;
}

class ProtoReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  done(): boolean {
    return this.offset >= this.bytes.length;
  }

  varint(): bigint {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      if (this.offset >= this.bytes.length) throw new RangeError('onnx decode: truncated varint');
      const byte = this.bytes[this.offset++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7n;
      if (shift > 63n) throw new RangeError('onnx decode: varint too long');
    }
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new RangeError('onnx decode: truncated field');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  field(): WireField {
    const tag = Number(this.varint());
    const number = tag >>> 3;
    const wireType = tag & 7;
    switch (wireType) {
      case 0:
        return { number, wireType, varint: this.varint() };
      case 1:
        return { number, wireType, bytes: this.take(8) };
      case 2:
        return { number, wireType, bytes: this.take(Number(this.varint())) };
      case 5:
        return { number, wireType, bytes: this.take(4) };
      default:
        throw new RangeError(`onnx decode: unsupported wire type ${wireType}`);
    }
  }
}

function fieldsOf(bytes: Uint8Array): WireField[] {
  const reader = new ProtoReader(bytes);
  const fields: WireField[] = [];
  while (!reader.done()) fields.push(reader.field());
  return fields;
}

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes ?? new Uint8Array(0));
const int = (field: WireField): number => Number(BigInt.asIntN(64, field.varint ?? 0n));

/** A repeated int64 field, packed (wire type 2) or not (wire type 0). */
function int64s(field: WireField, into: number[]): void {
  if (field.wireType === 0) {
    into.push(int(field));
    return;
  }
  const reader = new ProtoReader(field.bytes!);
  while (!reader.done()) into.push(Number(BigInt.asIntN(64, reader.varint())));
}

function floats(field: WireField, into: number[]): void {
  const view = new DataView(field.bytes!.buffer, field.bytes!.byteOffset, field.bytes!.byteLength);
  for (let i = 0; i + 4 <= field.bytes!.byteLength; i += 4) into.push(view.getFloat32(i, true));
}

const ELEMENT_BYTES: Record<number, number> = {
  [OnnxDataType.FLOAT]: 4,
  [OnnxDataType.UINT8]: 1,
  [OnnxDataType.INT8]: 1,
  [OnnxDataType.INT32]: 4,
  [OnnxDataType.INT64]: 8,
  [OnnxDataType.BOOL]: 1,
  [OnnxDataType.FLOAT16]: 2,
};

/** TensorProto: dims=1, data_type=2, float_data=4, int32_data=5, int64_data=7, name=8, raw_data=9, data_location=14. */
export function decodeTensor(bytes: Uint8Array): OnnxTensor {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let rawData: Uint8Array | undefined;
  const floatData: number[] = [];
  const intData: number[] = [];
  for (const field of fieldsOf(bytes)) {
    switch (field.number) {
      case 1:
        int64s(field, dims);
        break;
      case 2:
        dataType = int(field);
        break;
      case 4:
        floats(field, floatData); // packed (wire type 2) or one value per field (wire type 5): same bytes
        break;
      case 5:
      case 7:
        int64s(field, intData);
        break;
      case 8:
        name = text(field.bytes);
        break;
      case 9:
        rawData = field.bytes!.slice();
        break;
      case 14:
        if (int(field) !== 0) throw new TypeError(`onnx decode: tensor "${name}" is stored externally, which this reader does not follow`);
        break;
    }
  }
  const count = dims.reduce((n, d) => n * d, 1);
  const size = ELEMENT_BYTES[dataType];
  if (size === undefined) throw new TypeError(`onnx decode: tensor "${name}" has unsupported data type ${dataType}`);
  if (!rawData) {
    // Typed fields: re-encode as little-endian raw bytes so that every decoded tensor has one representation.
    rawData = new Uint8Array(count * size);
    const view = new DataView(rawData.buffer);
    if (dataType === OnnxDataType.FLOAT) floatData.forEach((v, i) => view.setFloat32(i * 4, v, true));
    else if (dataType === OnnxDataType.INT64) intData.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    else if (dataType === OnnxDataType.INT32) intData.forEach((v, i) => view.setInt32(i * 4, v, true));
    else if (dataType === OnnxDataType.UINT8 || dataType === OnnxDataType.INT8 || dataType === OnnxDataType.BOOL) intData.forEach((v, i) => (rawData![i] = v & 0xff));
    else throw new TypeError(`onnx decode: tensor "${name}" of type ${dataType} has no raw_data`);
  }
  if (rawData.length !== count * size) throw new RangeError(`onnx decode: tensor "${name}" has ${rawData.length} bytes, dims [${dims}] need ${count * size}`);
  return { name, dims, dataType, rawData };
}

/** AttributeProto: name=1, f=2, i=3, s=4, t=5, floats=7, ints=8, type=20. */
function decodeAttribute(bytes: Uint8Array): OnnxAttribute {
  let name = '';
  let type = 0;
  let f = 0;
  let i = 0;
  let s = '';
  let t: OnnxTensor | undefined;
  const fs: number[] = [];
  const is: number[] = [];
  for (const field of fieldsOf(bytes)) {
    switch (field.number) {
      case 1:
        name = text(field.bytes);
        break;
      case 2:
        f = new DataView(field.bytes!.buffer, field.bytes!.byteOffset, 4).getFloat32(0, true);
        break;
      case 3:
        i = int(field);
        break;
      case 4:
        s = text(field.bytes);
        break;
      case 5:
        t = decodeTensor(field.bytes!);
        break;
      case 7:
        floats(field, fs);
        break;
      case 8:
        int64s(field, is);
        break;
      case 20:
        type = int(field);
        break;
    }
  }
  switch (type) {
    case 1:
      return { name, kind: 'float', value: f };
    case 2:
      return { name, kind: 'int', value: i };
    case 3:
      return { name, kind: 'string', value: s };
    case 4:
      return { name, kind: 'tensor', value: t! };
    case 6:
      return { name, kind: 'floats', value: fs };
    case 7:
      return { name, kind: 'ints', value: is };
    default:
      throw new TypeError(`onnx decode: attribute "${name}" has unsupported type ${type}`);
  }
}

/** NodeProto: input=1, output=2, name=3, op_type=4, attribute=5, domain=7. */
function decodeNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', inputs: [], outputs: [], attributes: [] };
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1) node.inputs.push(text(field.bytes));
    else if (field.number === 2) node.outputs.push(text(field.bytes));
    else if (field.number === 3) node.name = text(field.bytes);
    else if (field.number === 4) node.opType = text(field.bytes);
    else if (field.number === 5) node.attributes!.push(decodeAttribute(field.bytes!));
    else if (field.number === 7) node.domain = text(field.bytes);
  }
  return node;
}

/** ValueInfoProto{name=1, type=2} -> TypeProto{tensor_type=1} -> {elem_type=1, shape=2} -> dim=1 {dim_value=1 | dim_param=2}. */
function decodeValueInfo(bytes: Uint8Array): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, shape: [] };
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1) info.name = text(field.bytes);
    if (field.number !== 2) continue;
    for (const typeField of fieldsOf(field.bytes!)) {
      if (typeField.number !== 1) continue;
      for (const tensorField of fieldsOf(typeField.bytes!)) {
        if (tensorField.number === 1) info.elemType = int(tensorField);
        if (tensorField.number !== 2) continue;
        for (const dim of fieldsOf(tensorField.bytes!)) {
          if (dim.number !== 1) continue;
          const parts = fieldsOf(dim.bytes!);
          const value = parts.find((p) => p.number === 1);
          const param = parts.find((p) => p.number === 2);
          info.shape.push(value ? int(value) : param ? text(param.bytes) : '?');
        }
      }
    }
  }
  return info;
}

/** GraphProto: node=1, name=2, initializer=5, doc_string=10, input=11, output=12, value_info=13. */
function decodeGraph(bytes: Uint8Array): OnnxGraph {
  const graph: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1) graph.nodes.push(decodeNode(field.bytes!));
    else if (field.number === 2) graph.name = text(field.bytes);
    else if (field.number === 5) graph.initializers.push(decodeTensor(field.bytes!));
    else if (field.number === 10) graph.docString = text(field.bytes);
    else if (field.number === 11) graph.inputs.push(decodeValueInfo(field.bytes!));
    else if (field.number === 12) graph.outputs.push(decodeValueInfo(field.bytes!));
    else if (field.number === 13) graph.valueInfo!.push(decodeValueInfo(field.bytes!));
  }
  // Older exporters list initializers among the graph inputs; the encoder would write them back as inputs that a
  // caller must feed, so drop them here (ONNX IR >= 4 does not need them listed).
  const initializerNames = new Set(graph.initializers.map((t) => t.name));
  graph.inputs = graph.inputs.filter((i) => !initializerNames.has(i.name));
  return graph;
}

/** ModelProto: ir_version=1, producer_name=2, producer_version=3, doc_string=6, graph=7, opset_import=8. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const model: OnnxModel = { irVersion: 0, opsetImports: [], graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [] } };
  let sawGraph = false;
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1) model.irVersion = int(field);
    else if (field.number === 2) model.producerName = text(field.bytes);
    else if (field.number === 3) model.producerVersion = text(field.bytes);
    else if (field.number === 6) model.docString = text(field.bytes);
    else if (field.number === 7) {
      model.graph = decodeGraph(field.bytes!);
      sawGraph = true;
    } else if (field.number === 8) {
      const parts = fieldsOf(field.bytes!);
      const domain = parts.find((p) => p.number === 1);
      const version = parts.find((p) => p.number === 2);
      model.opsetImports.push({ domain: text(domain?.bytes), version: version ? int(version) : 0 });
    }
  }
  if (!sawGraph) throw new TypeError('onnx decode: the bytes hold no graph (not an ONNX model?)');
  return model;
}

/** The float32 values of an initializer. */
export function floatValues(tensor: OnnxTensor): Float32Array {
  if (tensor.dataType !== OnnxDataType.FLOAT) throw new TypeError(`tensor "${tensor.name}" is not float32 (type ${tensor.dataType})`);
  const out = new Float32Array(tensor.rawData.length / 4);
  const view = new DataView(tensor.rawData.buffer, tensor.rawData.byteOffset, tensor.rawData.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
