/**
 * The teacher as a texture probe: the fast-neural-style teacher ONNX, extended so that one run returns, besides
 * its stylized output, the (unnormalised) Gram matrices F Fᵀ of its first three ReLU outputs — the features the
 * "style gap closed" metric compares (models/training/model.py `TeacherNet.features`).
 *
 * The extension is appended to the file's bytes rather than re-encoding it: protobuf merges a repeated occurrence
 * of a singular message field (ModelProto.graph = field 7) into the first, appending its repeated fields, so a
 * second `graph` carrying only extra nodes, initializers and outputs adds them to the teacher's graph. No protobuf
 * parser is needed, and the teacher's own bytes stay untouched.
 */
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { int64Tensor, OnnxDataType, ProtoWriter, type OnnxTensor } from '@deepphoto/models/onnx';
import { clip255, type PlanarImage } from './style-metrics.ts';

/** The teacher's first three ReLU outputs (TransformerNet conv1/conv2/conv3 + IN + ReLU): name, channels, stride. */
export const TEACHER_FEATURES = [
  { tensor: '66', channels: 32, stride: 1 },
  { tensor: '70', channels: 64, stride: 2 },
  { tensor: '74', channels: 128, stride: 4 },
] as const;

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  w.packedVarints(1, t.dims);
  w.varint(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.rawData);
}

/** Returns the teacher's bytes with three more outputs `gram_0..2` ([C, C] = F Fᵀ of feature l). */
export function withGramOutputs(teacherBytes: Uint8Array): Uint8Array {
  const extra = new ProtoWriter();
  extra.message(7, (graph) => {
    TEACHER_FEATURES.forEach((f, l) => {
      const flat = `deepphoto_gram_flat_${l}`;
      const transposed = `deepphoto_gram_t_${l}`;
      graph.message(1, (n) => {
        n.string(1, f.tensor);
        n.string(1, `deepphoto_gram_shape_${l}`);
        n.string(2, flat);
        n.string(4, 'Reshape');
      });
      graph.message(1, (n) => {
        n.string(1, flat);
        n.string(2, transposed);
        n.string(4, 'Transpose');
        n.message(5, (a) => {
          a.string(1, 'perm');
          a.packedVarints(8, [1, 0]);
          a.varint(20, 7); // INTS
        });
      });
      graph.message(1, (n) => {
        n.string(1, flat);
        n.string(1, transposed);
        n.string(2, `gram_${l}`);
        n.string(4, 'MatMul');
      });
      graph.message(5, (t) => writeTensor(t, int64Tensor(`deepphoto_gram_shape_${l}`, [2], [f.channels, -1])));
      graph.message(12, (v) => {
        v.string(1, `gram_${l}`);
        v.message(2, (type) =>
          type.message(1, (tensorType) => {
            tensorType.varint(1, OnnxDataType.FLOAT);
            tensorType.message(2, (shape) => {
              shape.message(1, (d) => d.varint(1, f.channels));
              shape.message(1, (d) => d.varint(1, f.channels));
            });
          }),
        );
      });
    });
  });
  const tail = extra.finish();
  const out = new Uint8Array(teacherBytes.length + tail.length);
  out.set(teacherBytes);
  out.set(tail, teacherBytes.length);
  return out;
}

export interface TeacherRun {
  /** The teacher's stylized picture, clipped to 0..255. */
  output: PlanarImage;
  /** G = F Fᵀ / (H W) of the three features of the picture that went in. */
  grams: Float32Array[];
}

/** One teacher network, run on planar 0..255 RGB (H, W multiples of 4). Owns its session; `close()` is idempotent. */
export class TeacherProbe {
  private closed = false;

  private constructor(private readonly session: ort.InferenceSession) {}

  static async open(teacherPath: string, threads: number): Promise<TeacherProbe> {
    const bytes = withGramOutputs(readFileSync(teacherPath));
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
    });
    return new TeacherProbe(session);
  }

  async run(image: PlanarImage): Promise<TeacherRun> {
    if (this.closed) throw new Error('TeacherProbe is closed');
    const { width, height } = image;
    if (width % 4 || height % 4) throw new RangeError(`teacher input ${width}x${height}: sides must be multiples of 4`);
    const r = await this.session.run({ input1: new ort.Tensor('float32', image.data, [1, 3, height, width]) });
    const output = clip255(new Float32Array(r.output1!.data as Float32Array));
    const grams = TEACHER_FEATURES.map((f, l) => {
      const g = new Float32Array(r[`gram_${l}`]!.data as Float32Array);
      const pixels = (width / f.stride) * (height / f.stride);
      for (let i = 0; i < g.length; i++) g[i]! /= pixels;
      return g;
    });
    return { output: { width, height, channels: 3, data: output }, grams };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}
