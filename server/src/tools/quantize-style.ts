/**
 * npm run models:quantize -- [--models light-mosaic,light-candy,light-udnie] [--images 32] [--shared DIR]
 *                            [--out models/style] [--min-out-channels 16] [--json]
 *
 * Writes a static int8 QDQ copy of each light style net (`light_<style>_int8.onnx` beside the float file):
 * weights int8 per channel, activations uint8 per tensor with ranges calibrated here by running the float model on
 * real pictures — seg-dev photos that are NOT in the held-out set (models/training/heldout.json), so the fidelity
 * figures are measured on pictures the calibration never saw — resized (cover) to the live size 256x192.
 * Deterministic: same photos, same float model -> same bytes; the sha256 of each output is printed for the manifest.
 * The photos are read from the shared folder at run time and never copied anywhere.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { calibrationTensors, decodeOnnxModel, findModel, MODELS_DIR, quantizeQdq, type QuantizeOptions, type TensorRange } from '@deepphoto/models';
import { encodeOnnxModel, OnnxDataType, type OnnxModel } from '@deepphoto/models/onnx';
import { loadHeldoutSpec } from '../eval/heldout.ts';

export const LIVE_WIDTH = 256;
export const LIVE_HEIGHT = 192;
const DEFAULT_MODELS = ['light-mosaic', 'light-candy', 'light-udnie'];
/**
 * Only the 16- and 32-channel convs go int8: per node at 256x192 (ORT profile, 1 thread) those ran 2-4x faster
 * int8, while the thin full-resolution convs (3->8, 16->8, 8->3) ran 1.2-3x slower, so they stay float32.
 */
export const DEFAULT_QUANTIZE_OPTIONS: QuantizeOptions = { minOutChannels: 16 };

/** Photos for calibration: seg-dev JPEGs outside the held-out list, `count` of them spread evenly over the sorted names. */
export function calibrationPhotoPaths(sharedDir: string, count: number): string[] {
  const spec = loadHeldoutSpec();
  const dir = join(sharedDir, spec.photoDir);
  if (!existsSync(dir)) throw new Error(`calibration photos not found: ${dir} (pass --shared DIR)`);
  const heldout = new Set(spec.photos);
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg') && !heldout.has(basename(f, '.jpg')))
    .sort();
  if (names.length < count) throw new Error(`${dir} has ${names.length} calibration photos, ${count} wanted`);
  const step = names.length / count;
  return Array.from({ length: count }, (_, i) => join(dir, names[Math.floor(i * step)]!));
}

/** A photo as the live path feeds the net: RGB 0..255 float, NCHW, cover-resized to width x height. */
export async function planarPicture(path: string, width = LIVE_WIDTH, height = LIVE_HEIGHT): Promise<Float32Array> {
  const { data } = await sharp(readFileSync(path)).removeAlpha().toColourspace('srgb').resize(width, height, { fit: 'cover' }).raw().toBuffer({ resolveWithObject: true });
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = data[i * 3]!;
    out[plane + i] = data[i * 3 + 1]!;
    out[2 * plane + i] = data[i * 3 + 2]!;
  }
  return out;
}

/** The float model with every tensor to calibrate added as a graph output. */
function withCalibrationOutputs(model: OnnxModel, tensors: readonly string[]): Uint8Array {
  const existing = new Set(model.graph.outputs.map((o) => o.name));
  const extra = tensors.filter((t) => !existing.has(t)).map((name) => ({ name, elemType: OnnxDataType.FLOAT, shape: ['n', 'c', 'h', 'w'] }));
  return encodeOnnxModel({ ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] } });
}

/** [min, max] of each calibration tensor over all pictures. */
export async function calibrate(model: OnnxModel, inputName: string, pictures: readonly Float32Array[], options: QuantizeOptions = DEFAULT_QUANTIZE_OPTIONS): Promise<Map<string, TensorRange>> {
  const tensors = calibrationTensors(model, options);
  const session = await ort.InferenceSession.create(withCalibrationOutputs(model, tensors), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'basic' });
  const ranges = new Map<string, TensorRange>(tensors.map((t) => [t, { min: Infinity, max: -Infinity }]));
  try {
    for (const picture of pictures) {
      const outputs = await session.run({ [inputName]: new ort.Tensor('float32', picture, [1, 3, LIVE_HEIGHT, LIVE_WIDTH]) }, tensors);
      for (const name of tensors) {
        const data = outputs[name]!.data as Float32Array;
        const range = ranges.get(name)!;
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v < range.min) range.min = v;
          if (v > range.max) range.max = v;
        }
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}

export function int8FileName(floatFile: string): string {
  return floatFile.replace(/\.onnx$/, '_int8.onnx');
}

/** Quantizes one float model file with the given calibration pictures; returns the int8 model bytes. */
export async function quantizeStyleNet(floatBytes: Uint8Array, inputName: string, pictures: readonly Float32Array[], options = DEFAULT_QUANTIZE_OPTIONS): Promise<Uint8Array> {
  const model = decodeOnnxModel(floatBytes);
  const ranges = await calibrate(model, inputName, pictures, options);
  return encodeOnnxModel(quantizeQdq(model, ranges, options));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string' },
      images: { type: 'string', default: '32' },
      shared: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      'min-out-channels': { type: 'string', default: String(DEFAULT_QUANTIZE_OPTIONS.minOutChannels) },
    },
  });
  const sharedDir = resolve(values.shared ?? process.env.DEEPPHOTO_SHARED ?? join(MODELS_DIR, '../../shared'));
  const count = Number(values.images);
  if (!(Number.isInteger(count) && count > 0)) throw new Error(`--images must be a positive integer, got ${values.images}`);
  const ids = values.models?.split(',').map((s) => s.trim()).filter(Boolean) ?? DEFAULT_MODELS;
  const minOutChannels = Number(values['min-out-channels']);
  if (!(Number.isInteger(minOutChannels) && minOutChannels > 0)) throw new Error(`--min-out-channels must be a positive integer, got ${values['min-out-channels']}`);
  const options: QuantizeOptions = { minOutChannels };
  const outDir = resolve(values.out ?? join(MODELS_DIR, 'style'));

  const paths = calibrationPhotoPaths(sharedDir, count);
  const pictures = await Promise.all(paths.map((p) => planarPicture(p)));
  const results: Record<string, { file: string; sha256: string; bytes: number }> = {};
  for (const id of ids) {
    const entry = findModel(id);
    if (!entry || entry.task !== 'style' || entry.source.kind !== 'repo') throw new Error(`"${id}" is not a style net committed in the repository (models/manifest.json)`);
    const floatBytes = readFileSync(join(MODELS_DIR, entry.source.path));
    const int8 = await quantizeStyleNet(floatBytes, entry.io.input.name, pictures, options);
    const file = int8FileName(entry.file);
    writeFileSync(join(outDir, file), int8);
    results[id] = { file: join(outDir, file), sha256: createHash('sha256').update(int8).digest('hex'), bytes: int8.length };
    if (!values.json) console.error(`${id}: ${file} (${int8.length} bytes) sha256 ${results[id]!.sha256}`);
  }
  const report = { calibration: { photos: paths.map((p) => basename(p)), size: [LIVE_WIDTH, LIVE_HEIGHT] }, options, models: results };
  if (values.json) console.log(JSON.stringify(report, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await main();
