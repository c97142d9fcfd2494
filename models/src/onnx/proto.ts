/**
 * A minimal protobuf writer for the parts of onnx.proto3 that a converter needs (ModelProto, GraphProto, NodeProto,
 * TensorProto, ValueInfoProto, AttributeProto, OperatorSetIdProto). Hand-written so the project needs no protobuf
 * dependency; field numbers are those of onnx/onnx.proto3.
 */

/** TensorProto.DataType. */
export const OnnxDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Little-endian element bytes (TensorProto.raw_data). */
  rawData: Uint8Array;
}

export type OnnxAttribute =
  | { name: string; kind: 'int'; value: number }
  | { name: string; kind: 'ints'; value: number[] }
  | { name: string; kind: 'float'; value: number }
  | { name: string; kind: 'floats'; value: number[] }
  | { name: string; kind: 'string'; value: string }
  | { name: string; kind: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: OnnxAttribute[];
}

export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** A number is a fixed dimension, a string a symbolic one (dim_param). */
  shape: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo?: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxOperatorSet {
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: OnnxOperatorSet[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph: OnnxGraph;
}

// ------------------------------------------------------------------------------------------- wire encoding ---

const WireType = { VARINT: 0, FIXED64: 1, LENGTH_DELIMITED: 2, FIXED32: 5 } as const;

/** Appends protobuf wire data to a growable byte buffer. */
export class ProtoWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  private pushByte(byte: number): void {
    this.ensure(1);
    this.buffer[this.length++] = byte;
  }

  /**
   * Varints carry int32/int64/enum/bool. Negative values are sign-extended to 64 bits (10 bytes), as protobuf
   * specifies for int32 and int64, so BigInt handles them.
   */
  rawVarint(value: number | bigint): void {
    let remaining = BigInt.asUintN(64, BigInt(value));
    while (remaining >= 0x80n) {
      this.pushByte(Number(remaining & 0x7fn) | 0x80);
      remaining >>= 7n;
    }
    this.pushByte(Number(remaining));
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType);
  }

  rawBytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  varint(field: number, value: number): void {
    this.tag(field, WireType.VARINT);
    this.rawVarint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, WireType.FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.rawBytes(bytes);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WireType.LENGTH_DELIMITED);
    this.rawVarint(value.length);
    this.rawBytes(value);
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, encodeBody: (writer: ProtoWriter) => void): void {
    const body = new ProtoWriter();
    encodeBody(body);
    this.bytes(field, body.finish());
  }

  packedVarints(field: number, values: readonly number[]): void {
    const body = new ProtoWriter();
    for (const value of values) body.rawVarint(value);
    this.bytes(field, body.finish());
  }

  packedFloats(field: number, values: readonly number[]): void {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    values.forEach((value, i) => view.setFloat32(i * 4, value, true));
    this.bytes(field, bytes);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

// -------------------------------------------------------------------------------------------- ONNX messages ---

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

function writeTensor(writer: ProtoWriter, tensor: OnnxTensor): void {
  writer.packedVarints(1, tensor.dims); // dims
  writer.varint(2, tensor.dataType); // data_type
  writer.string(8, tensor.name); // name
  writer.bytes(9, tensor.rawData); // raw_data
}

function writeAttribute(writer: ProtoWriter, attribute: OnnxAttribute): void {
  writer.string(1, attribute.name);
  switch (attribute.kind) {
    case 'float':
      writer.float(2, attribute.value);
      writer.varint(20, AttributeType.FLOAT);
      break;
    case 'int':
      writer.varint(3, attribute.value);
      writer.varint(20, AttributeType.INT);
      break;
    case 'string':
      writer.string(4, attribute.value);
      writer.varint(20, AttributeType.STRING);
      break;
    case 'tensor': {
      const tensor = attribute.value;
      writer.message(5, (body) => writeTensor(body, tensor));
      writer.varint(20, AttributeType.TENSOR);
      break;
    }
    case 'floats':
      writer.packedFloats(7, attribute.value);
      writer.varint(20, AttributeType.FLOATS);
      break;
    case 'ints':
      writer.packedVarints(8, attribute.value);
      writer.varint(20, AttributeType.INTS);
      break;
  }
}

function writeNode(writer: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name !== undefined) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const attribute of node.attributes ?? []) writer.message(5, (body) => writeAttribute(body, attribute));
  if (node.domain !== undefined) writer.string(7, node.domain);
}

/** ValueInfoProto{name=1, type=2} → TypeProto{tensor_type=1} → Tensor{elem_type=1, shape=2} → Dimension{1|2}. */
function writeValueInfo(writer: ProtoWriter, info: OnnxValueInfo): void {
  writer.string(1, info.name);
  writer.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.varint(1, info.elemType);
      tensorType.message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (dimension) => {
            if (typeof dim === 'number') dimension.varint(1, dim);
            else dimension.string(2, dim);
          });
        }
      });
    }),
  );
}

function writeGraph(writer: ProtoWriter, graph: OnnxGraph): void {
  for (const node of graph.nodes) writer.message(1, (body) => writeNode(body, node));
  writer.string(2, graph.name);
  for (const tensor of graph.initializers) writer.message(5, (body) => writeTensor(body, tensor));
  if (graph.docString !== undefined) writer.string(10, graph.docString);
  for (const input of graph.inputs) writer.message(11, (body) => writeValueInfo(body, input));
  for (const output of graph.outputs) writer.message(12, (body) => writeValueInfo(body, output));
  for (const info of graph.valueInfo ?? []) writer.message(13, (body) => writeValueInfo(body, info));
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const writer = new ProtoWriter();
  writer.varint(1, model.irVersion);
  if (model.producerName !== undefined) writer.string(2, model.producerName);
  if (model.producerVersion !== undefined) writer.string(3, model.producerVersion);
  if (model.docString !== undefined) writer.string(6, model.docString);
  writer.message(7, (body) => writeGraph(body, model.graph));
  for (const opset of model.opsetImports) {
    writer.message(8, (body) => {
      body.string(1, opset.domain);
      body.varint(2, opset.version);
    });
  }
  return writer.finish();
}

// ---------------------------------------------------------------------------------------- tensor builders ---

export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return { name, dims, dataType: OnnxDataType.FLOAT, rawData };
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): OnnxTensor {
  const rawData = new Uint8Array(values.length * 8);
  const view = new DataView(rawData.buffer);
  values.forEach((value, i) => view.setBigInt64(i * 8, BigInt(value), true));
  return { name, dims, dataType: OnnxDataType.INT64, rawData };
}

export const attribute = {
  int: (name: string, value: number): OnnxAttribute => ({ name, kind: 'int', value }),
  ints: (name: string, value: number[]): OnnxAttribute => ({ name, kind: 'ints', value }),
  float: (name: string, value: number): OnnxAttribute => ({ name, kind: 'float', value }),
  floats: (name: string, value: number[]): OnnxAttribute => ({ name, kind: 'floats', value }),
  string: (name: string, value: string): OnnxAttribute => ({ name, kind: 'string', value }),
  tensor: (name: string, value: OnnxTensor): OnnxAttribute => ({ name, kind: 'tensor', value }),
};
