/**
 * A minimal, read-only FlatBuffers reader plus the slice of the TFLite schema (tensorflow/lite/schema/schema.fbs)
 * that our converter needs. Written by hand so the project needs no flatbuffers dependency.
 *
 * FlatBuffers layout in brief: every table starts with an int32 soffset to its vtable (vtable = table - soffset);
 * the vtable holds uint16 [vtableSize, tableSize, fieldOffset0, fieldOffset1, ...]; a field offset of 0 means
 * "absent, use the default". References to strings, vectors and sub-tables are uint32 offsets relative to the
 * position where the reference itself is stored. A union field occupies two ids: `<name>_type` (uint8) then the value.
 */

export class FlatTable {
  constructor(
    private readonly view: DataView,
    readonly position: number,
  ) {}

  /** Absolute byte position of a field, or 0 when the field is absent. */
  private fieldPosition(fieldId: number): number {
    const vtable = this.position - this.view.getInt32(this.position, true);
    const vtableSize = this.view.getUint16(vtable, true);
    const entry = 4 + fieldId * 2;
    if (entry >= vtableSize) return 0; // Field added to the schema after this file was written.
    const offset = this.view.getUint16(vtable + entry, true);
    return offset === 0 ? 0 : this.position + offset;
  }

  has(fieldId: number): boolean {
    return this.fieldPosition(fieldId) !== 0;
  }

  int8(fieldId: number, fallback = 0): number {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? fallback : this.view.getInt8(at);
  }

  uint8(fieldId: number, fallback = 0): number {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? fallback : this.view.getUint8(at);
  }

  bool(fieldId: number, fallback = false): boolean {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? fallback : this.view.getUint8(at) !== 0;
  }

  int32(fieldId: number, fallback = 0): number {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? fallback : this.view.getInt32(at, true);
  }

  uint32(fieldId: number, fallback = 0): number {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? fallback : this.view.getUint32(at, true);
  }

  /** uint64 as a JS number: exact for anything below 2^53, which covers every file size we could load. */
  uint64(fieldId: number, fallback = 0): number {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? fallback : Number(this.view.getBigUint64(at, true));
  }

  private referencedPosition(fieldId: number): number {
    const at = this.fieldPosition(fieldId);
    return at === 0 ? 0 : at + this.view.getUint32(at, true);
  }

  table(fieldId: number): FlatTable | undefined {
    const target = this.referencedPosition(fieldId);
    return target === 0 ? undefined : new FlatTable(this.view, target);
  }

  string(fieldId: number): string | undefined {
    const bytes = this.byteVector(fieldId);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }

  /** A view (not a copy) of a [ubyte] / [byte] vector or the bytes of a string. */
  byteVector(fieldId: number): Uint8Array | undefined {
    const vector = this.referencedPosition(fieldId);
    if (vector === 0) return undefined;
    const length = this.view.getUint32(vector, true);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + vector + 4, length);
  }

  /** [int] vectors are copied through the DataView because their alignment inside the file is not guaranteed. */
  int32Vector(fieldId: number): number[] | undefined {
    const vector = this.referencedPosition(fieldId);
    if (vector === 0) return undefined;
    const length = this.view.getUint32(vector, true);
    return Array.from({ length }, (_, i) => this.view.getInt32(vector + 4 + i * 4, true));
  }

  float32Vector(fieldId: number): number[] | undefined {
    const vector = this.referencedPosition(fieldId);
    if (vector === 0) return undefined;
    const length = this.view.getUint32(vector, true);
    return Array.from({ length }, (_, i) => this.view.getFloat32(vector + 4 + i * 4, true));
  }

  int64Vector(fieldId: number): number[] | undefined {
    const vector = this.referencedPosition(fieldId);
    if (vector === 0) return undefined;
    const length = this.view.getUint32(vector, true);
    return Array.from({ length }, (_, i) => Number(this.view.getBigInt64(vector + 4 + i * 8, true)));
  }

  tableVector(fieldId: number): FlatTable[] {
    const vector = this.referencedPosition(fieldId);
    if (vector === 0) return [];
    const length = this.view.getUint32(vector, true);
    return Array.from({ length }, (_, i) => {
      const slot = vector + 4 + i * 4;
      return new FlatTable(this.view, slot + this.view.getUint32(slot, true));
    });
  }
}

export function readRootTable(bytes: Uint8Array): FlatTable {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new FlatTable(view, view.getUint32(0, true));
}

/** The 4-byte file identifier that follows the root offset ("TFL3" for TFLite), or '' when there is none. */
export function fileIdentifier(bytes: Uint8Array): string {
  return bytes.length < 8 ? '' : String.fromCharCode(...bytes.subarray(4, 8));
}

// ---------------------------------------------------------------------------------------------------------------
// TFLite schema: field ids (declaration order in schema.fbs; a union takes two ids) and raw, undecoded records.
// ---------------------------------------------------------------------------------------------------------------

const ModelField = { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 } as const;
const SubGraphField = { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 } as const;
const TensorField = { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4 } as const;
const QuantizationField = { min: 0, max: 1, scale: 2, zeroPoint: 3, quantizedDimension: 6 } as const;
const OperatorField = {
  opcodeIndex: 0,
  inputs: 1,
  outputs: 2,
  builtinOptionsType: 3,
  builtinOptions: 4,
  customOptions: 5,
} as const;
const OperatorCodeField = { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 } as const;
const BufferField = { data: 0, offset: 1, size: 2 } as const;

export interface RawQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface RawTensor {
  shape: number[];
  /** TensorType enum: FLOAT32=0, FLOAT16=1, INT32=2, UINT8=3, INT64=4, ..., INT8=9. */
  type: number;
  buffer: number;
  name: string;
  quantization: RawQuantization | undefined;
}

export interface RawOperator {
  opcodeIndex: number;
  /** -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union tag (0 = NONE) and its table, decoded by the model layer. */
  builtinOptionsType: number;
  builtinOptions: FlatTable | undefined;
  customOptions: Uint8Array | undefined;
}

export interface RawOperatorCode {
  /** max(deprecated_builtin_code, builtin_code): old files only fill the int8 field, new ones may fill both. */
  builtinCode: number;
  customCode: string | undefined;
  version: number;
}

export interface RawSubGraph {
  tensors: RawTensor[];
  inputs: number[];
  outputs: number[];
  operators: RawOperator[];
  name: string;
}

export interface RawTfliteModel {
  version: number;
  description: string;
  operatorCodes: RawOperatorCode[];
  subgraphs: RawSubGraph[];
  /** Buffer contents; buffer 0 is by convention the empty sentinel. */
  buffers: Uint8Array[];
}

function readQuantization(table: FlatTable | undefined): RawQuantization | undefined {
  if (table === undefined) return undefined;
  const scale = table.float32Vector(QuantizationField.scale) ?? [];
  if (scale.length === 0) return undefined; // Present but empty is common for float tensors.
  return {
    scale,
    zeroPoint: table.int64Vector(QuantizationField.zeroPoint) ?? [],
    quantizedDimension: table.int32(QuantizationField.quantizedDimension),
  };
}

function readTensor(table: FlatTable): RawTensor {
  return {
    shape: table.int32Vector(TensorField.shape) ?? [],
    type: table.int8(TensorField.type),
    buffer: table.uint32(TensorField.buffer),
    name: table.string(TensorField.name) ?? '',
    quantization: readQuantization(table.table(TensorField.quantization)),
  };
}

function readOperator(table: FlatTable): RawOperator {
  return {
    opcodeIndex: table.uint32(OperatorField.opcodeIndex),
    inputs: table.int32Vector(OperatorField.inputs) ?? [],
    outputs: table.int32Vector(OperatorField.outputs) ?? [],
    builtinOptionsType: table.uint8(OperatorField.builtinOptionsType),
    builtinOptions: table.table(OperatorField.builtinOptions),
    customOptions: table.byteVector(OperatorField.customOptions),
  };
}

function readOperatorCode(table: FlatTable): RawOperatorCode {
  return {
    builtinCode: Math.max(
      table.int8(OperatorCodeField.deprecatedBuiltinCode),
      table.int32(OperatorCodeField.builtinCode),
    ),
    customCode: table.string(OperatorCodeField.customCode),
    version: table.int32(OperatorCodeField.version, 1),
  };
}

function readSubGraph(table: FlatTable): RawSubGraph {
  return {
    tensors: table.tableVector(SubGraphField.tensors).map(readTensor),
    inputs: table.int32Vector(SubGraphField.inputs) ?? [],
    outputs: table.int32Vector(SubGraphField.outputs) ?? [],
    operators: table.tableVector(SubGraphField.operators).map(readOperator),
    name: table.string(SubGraphField.name) ?? '',
  };
}

/** Buffers over 2 GB are stored after the flatbuffer and addressed by (offset, size) from the file start. */
function readBuffer(table: FlatTable, file: Uint8Array): Uint8Array {
  const inline = table.byteVector(BufferField.data);
  if (inline !== undefined) return inline;
  const offset = table.uint64(BufferField.offset);
  const size = table.uint64(BufferField.size);
  return offset > 1 ? file.subarray(offset, offset + size) : new Uint8Array(0);
}

export function readRawTfliteModel(bytes: Uint8Array): RawTfliteModel {
  const identifier = fileIdentifier(bytes);
  if (identifier !== 'TFL3') throw new Error(`not a TFLite flatbuffer (file identifier "${identifier}")`);
  const root = readRootTable(bytes);
  return {
    version: root.uint32(ModelField.version),
    description: root.string(ModelField.description) ?? '',
    operatorCodes: root.tableVector(ModelField.operatorCodes).map(readOperatorCode),
    subgraphs: root.tableVector(ModelField.subgraphs).map(readSubGraph),
    buffers: root.tableVector(ModelField.buffers).map((buffer) => readBuffer(buffer, bytes)),
  };
}
