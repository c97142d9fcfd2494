import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { convertTfliteToOnnx, readTfliteModel } from '../../models/src/tflite/index.ts';
import { findModel } from '../../models/src/manifest.ts';
import { sha256Hex } from '../../models/src/resolve.ts';
import { hasSegDev, SEG_DEV_DIR } from '../support/paths.ts';
import { refConcat, refPad, runTfliteReference, type RefTensor } from '../support/tflite-reference.ts';

const require = createRequire(import.meta.url);
const PACKAGE_DIR = join(require.resolve('@mediapipe/face_detection/package.json'), '..');

const cases = [
  { id: 'face-short', file: 'face_detection_short_range.tflite', size: 128 },
  { id: 'face-full', file: 'face_detection_full_range.tflite', size: 192 },
] as const;

/** Stretch to the model input, normalised to [-1, 1] as MediaPipe feeds BlazeFace. */
async function modelInput(photo: string, size: number): Promise<Float32Array> {
  const { data } = await sharp(photo).removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data, (v) => (v / 255) * 2 - 1);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('reference ops (the independent side of the comparison)', () => {
  it('PAD pads channels with zeros after the data, in NHWC order', () => {
    const x: RefTensor<Float32Array> = { shape: [1, 1, 2, 2], data: Float32Array.of(1, 2, 3, 4) };
    const padded = refPad(x, [0, 0, 0, 0, 0, 0, 0, 2]);
    expect(padded.shape).toEqual([1, 1, 2, 4]);
    expect(Array.from(padded.data)).toEqual([1, 2, 0, 0, 3, 4, 0, 0]);
  });

  it('CONCATENATION joins along the middle axis per outer index', () => {
    const a: RefTensor<Float32Array> = { shape: [1, 2, 1], data: Float32Array.of(1, 2) };
    const b: RefTensor<Float32Array> = { shape: [1, 1, 1], data: Float32Array.of(9) };
    expect(Array.from(refConcat([a, b], 1).data)).toEqual([1, 2, 9]);
  });
});

describe.each(cases)('$id converted by our converter', ({ id, file, size }) => {
  const tflite = new Uint8Array(readFileSync(join(PACKAGE_DIR, file)));
  const entry = findModel(id)!;

  it('comes from the pinned package file and converts deterministically to the manifest sha256', () => {
    expect(sha256Hex(tflite)).toBe(entry.source.kind === 'npm-tflite' ? entry.source.sha256 : '');
    expect(sha256Hex(convertTfliteToOnnx(tflite))).toBe(entry.sha256);
  });

  it.skipIf(!hasSegDev)('matches the naive NHWC reference interpreter end to end on seg-dev photos', async () => {
    const model = readTfliteModel(tflite);
    const session = await ort.InferenceSession.create(Buffer.from(convertTfliteToOnnx(tflite)), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    try {
      const boxesName = entry.io.output.name;
      const scoresName = entry.io.extraOutputs![0]!.name;
      // Graph output positions, by tensor name.
      const boxesAt = model.outputs.findIndex((i) => model.tensors[i]!.name === boxesName);
      const scoresAt = model.outputs.findIndex((i) => model.tensors[i]!.name === scoresName);
      expect(boxesAt).toBeGreaterThanOrEqual(0);
      expect(scoresAt).toBeGreaterThanOrEqual(0);
      for (const photo of ['eg1800_00904', 'hsd_0258']) {
        const input = await modelInput(join(SEG_DEV_DIR, `${photo}.jpg`), size);
        const reference = runTfliteReference(model, [{ shape: [1, size, size, 3], data: input }]);
        const onnx = await session.run({ input: new ort.Tensor('float32', input, [1, size, size, 3]) });
        const boxes = onnx[boxesName]!.data as Float32Array;
        const scores = onnx[scoresName]!.data as Float32Array;
        // Box offsets are in input pixels (up to ~±size); float32 summation order differs between the two.
        const boxDiff = maxAbsDiff(boxes, reference[boxesAt]!.data);
        const scoreDiff = maxAbsDiff(scores, reference[scoresAt]!.data);
        console.info(`${id} ${photo}: max |onnx - reference| boxes ${boxDiff.toExponential(2)}, scores ${scoreDiff.toExponential(2)}`);
        expect(boxDiff).toBeLessThan(2e-3);
        expect(scoreDiff).toBeLessThan(2e-3);
        // And the comparison is not vacuous: the photos do contain faces the detector accepts.
        expect(Math.max(...scores)).toBeGreaterThan(0.5); // logit; sigmoid 0.62, above both detection thresholds
      }
    } finally {
      await session.release();
    }
  }, 300_000);
});
