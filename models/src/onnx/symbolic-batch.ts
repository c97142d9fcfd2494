/**
 * Rewrites a serialized ONNX model so that the first dimension of every graph input and output is symbolic
 * (`dim_param`), leaving everything else byte-for-byte as it was. Models exported with a fixed batch of 1 (our
 * converted MediaPipe models, the PyTorch-exported style nets) can then run N frames in one call, which is what
 * lets one inference owner serve several live sessions per GPU run. Only graphs whose ops are batch-agnostic
 * (convolutions, norms, resizes, element-wise) may be rewritten this way: a Reshape to a constant shape would fail
 * at run time, which the caller's equivalence test catches.
 *
 * A protobuf message is a list of (tag, value) fields; this walks only the path ModelProto.graph(7) ->
 * GraphProto.input(11)/output(12) -> ValueInfoProto.type(2) -> TypeProto.tensor_type(1) -> shape(2) -> dim(1)[0],
 * re-encoding the enclosing lengths and copying every other field (initializers included) as raw bytes.
 */

interface Field {
  number: number;
  wireType: number;
  /** The encoded field, tag included. */
  raw: Uint8Array;
  /** For wire type 2: the payload without tag and length. */
  payload?: Uint8Array;
}

function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  let position = offset;
  for (;;) {
    if (position >= bytes.length) throw new RangeError('protobuf: truncated varint');
    const byte = bytes[position++]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, next: position };
    scale *= 128;
    if (scale > 2 ** 63) throw new RangeError('protobuf: varint too long');
  }
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function parseFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    const tag = readVarint(bytes, offset);
    offset = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    let payload: Uint8Array | undefined;
    switch (wireType) {
      case 0:
        offset = readVarint(bytes, offset).next;
        break;
      case 1:
        offset += 8;
        break;
      case 2: {
        const length = readVarint(bytes, offset);
        payload = bytes.subarray(length.next, length.next + length.value);
        offset = length.next + length.value;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        throw new RangeError(`protobuf: unsupported wire type ${wireType}`);
    }
    if (offset > bytes.length) throw new RangeError('protobuf: truncated field');
    fields.push({ number, wireType, raw: bytes.subarray(start, offset), ...(payload ? { payload } : {}) });
  }
  return fields;
}

function lengthDelimited(number: number, payload: Uint8Array): Uint8Array {
  const head = [...encodeVarint(number * 8 + 2), ...encodeVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Rewrites the length-delimited fields numbered `number` of a message with `rewrite`, copying the rest. */
function rewriteFields(message: Uint8Array, rewrite: Record<number, (payload: Uint8Array, index: number) => Uint8Array>): Uint8Array {
  const seen: Record<number, number> = {};
  return concat(
    parseFields(message).map((field) => {
      const edit = rewrite[field.number];
      if (!edit || field.wireType !== 2 || !field.payload) return field.raw;
      const index = (seen[field.number] = (seen[field.number] ?? -1) + 1);
      return lengthDelimited(field.number, edit(field.payload, index));
    }),
  );
}

/** A TensorShapeProto.Dimension holding only `dim_param` (field 2). */
function symbolicDim(name: string): Uint8Array {
  return lengthDelimited(2, new TextEncoder().encode(name));
}

/** The `name` (field `number`, a string) of a message, if any. */
function stringField(message: Uint8Array, number: number): string | undefined {
  const field = parseFields(message).find((f) => f.number === number && f.wireType === 2);
  return field?.payload ? new TextDecoder().decode(field.payload) : undefined;
}

/** ValueInfoProto with its first shape dimension replaced by `dim_param: name`. */
function rewriteValueInfo(valueInfo: Uint8Array, name: string): Uint8Array {
  return rewriteFields(valueInfo, {
    2: (type) =>
      rewriteFields(type, {
        1: (tensorType) =>
          rewriteFields(tensorType, {
            2: (shape) => rewriteFields(shape, { 1: (dim, index) => (index === 0 ? symbolicDim(name) : dim) }),
          }),
      }),
  });
}

export function withSymbolicBatch(model: Uint8Array, name = 'batch'): Uint8Array {
  return rewriteFields(model, {
    7: (graph) => {
      // Older exporters list initializers (TensorProto, name = field 8) among the inputs: those keep their shape.
      const initializers = new Set(
        parseFields(graph)
          .filter((f) => f.number === 5 && f.payload)
          .map((f) => stringField(f.payload!, 8)),
      );
      return rewriteFields(graph, {
        11: (input) => (initializers.has(stringField(input, 1)) ? input : rewriteValueInfo(input, name)),
        12: (output) => rewriteValueInfo(output, name),
      });
    },
  });
}
