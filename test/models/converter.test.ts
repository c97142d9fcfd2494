import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { attribute, encodeOnnxModel, floatTensor, OnnxDataType, ProtoWriter } from '../../models/src/onnx/proto.ts';
import { readRawTfliteModel } from '../../models/src/tflite/flatbuffer.ts';
import { convertTfliteToOnnx, readTfliteModel } from '../../models/src/tflite/index.ts';
import { samePadding, transposeConvPadding, transposeData } from '../../models/src/tflite/convert.ts';
import { decodeTransposeConvParams, float16ToFloat32 } from '../../models/src/tflite/model.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MEDIAPIPE_DIR = join(REPO_ROOT, 'node_modules/@mediapipe/selfie_segmentation');
const SHARED_DIR = join(REPO_ROOT, '../shared');
const REFERENCE_DIR = join(SHARED_DIR, 'models/segmentation');
const PHOTO_DIR = join(SHARED_DIR, 'data/seg-dev');
const hasSharedMirror = existsSync(REFERENCE_DIR) && existsSync(PHOTO_DIR);
const MAX_ABS_DIFF = 1e-4;

const sessionOptions: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  // The machine is shared; one thread keeps the test from starving other work and changes no result.
  intraOpNumThreads: 1,
};

interface ModelCase {
  tflite: string;
  reference: string;
  height: number;
  width: number;
  inputName: string;
  outputName: string;
}

const modelCases: ModelCase[] = [
  {
    tflite: 'selfie_segmentation_landscape.tflite',
    reference: 'mediapipe_selfie_landscape_144x256.onnx',
    height: 144,
    width: 256,
    inputName: 'input_1',
    outputName: 'segment_back',
  },
  {
    tflite: 'selfie_segmentation.tflite',
    reference: 'mediapipe_selfie_general_256x256.onnx',
    height: 256,
    width: 256,
    inputName: 'input_1',
    outputName: 'activation_10',
  },
];

function readTflite(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(MEDIAPIPE_DIR, file)));
}

/** Stretch-resize to the model input and scale to RGB 0..1 NHWC, as the app's pipeline feeds the model. */
async function preprocessPhoto(path: string, width: number, height: number): Promise<Float32Array> {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .toColourspace('srgb')
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${path}: expected 3 channels, got ${info.channels}`);
  return Float32Array.from(data, (value) => value / 255);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

async function runSingle(session: ort.InferenceSession, input: Float32Array, dims: number[]): Promise<ort.Tensor> {
  const inputName = session.inputNames[0] ?? '';
  const outputName = session.outputNames[0] ?? '';
  const result = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) });
  const output = result[outputName];
  if (output === undefined) throw new Error(`no output ${outputName}`);
  return output;
}

describe('ONNX protobuf writer', () => {
  it('encodes an Add graph of two inputs that onnxruntime loads and runs correctly', async () => {
    const model = encodeOnnxModel({
      irVersion: 7,
      opsetImports: [{ domain: '', version: 14 }],
      producerName: 'test',
      graph: {
        name: 'add',
        nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['sum'] }],
        initializers: [],
        inputs: [
          { name: 'a', elemType: OnnxDataType.FLOAT, shape: [2, 3] },
          { name: 'b', elemType: OnnxDataType.FLOAT, shape: [2, 3] },
        ],
        outputs: [{ name: 'sum', elemType: OnnxDataType.FLOAT, shape: [2, 3] }],
      },
    });
    const session = await ort.InferenceSession.create(model, sessionOptions);
    const a = new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    const b = new ort.Tensor('float32', Float32Array.of(10, 20, 30, 40, 50, 60), [2, 3]);
    const { sum } = await session.run({ a, b });
    expect(Array.from(sum?.data as Float32Array)).toEqual([11, 22, 33, 44, 55, 66]);
    expect(sum?.dims).toEqual([2, 3]);
  });

  it('encodes initializers, attributes and symbolic dimensions that onnxruntime honours', async () => {
    const model = encodeOnnxModel({
      irVersion: 7,
      opsetImports: [{ domain: '', version: 14 }],
      graph: {
        name: 'scale_then_transpose',
        nodes: [
          { opType: 'Mul', inputs: ['x', 'scale'], outputs: ['scaled'] },
          { opType: 'Transpose', inputs: ['scaled'], outputs: ['y'], attributes: [attribute.ints('perm', [1, 0])] },
          { opType: 'LeakyRelu', inputs: ['y'], outputs: ['z'], attributes: [attribute.float('alpha', 0.5)] },
        ],
        initializers: [floatTensor('scale', [2], Float32Array.of(2, -3))],
        inputs: [{ name: 'x', elemType: OnnxDataType.FLOAT, shape: ['rows', 2] }],
        outputs: [{ name: 'z', elemType: OnnxDataType.FLOAT, shape: [2, 'rows'] }],
      },
    });
    const session = await ort.InferenceSession.create(model, sessionOptions);
    const { z } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 2, 2, 3, 3), [3, 2]) });
    // x*scale = [[2,-3],[4,-6],[6,-9]] → transposed → LeakyRelu halves the negatives.
    expect(Array.from(z?.data as Float32Array)).toEqual([2, 4, 6, -1.5, -3, -4.5]);
    expect(z?.dims).toEqual([2, 3]);
  });

  it('writes varints in base-128 and sign-extends negative int64 to ten bytes', () => {
    const writer = new ProtoWriter();
    writer.rawVarint(300);
    expect(Array.from(writer.finish())).toEqual([0xac, 0x02]);
    const negative = new ProtoWriter();
    negative.rawVarint(-1);
    expect(Array.from(negative.finish())).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});

describe('TFLite flatbuffer reader', () => {
  it('finds the builtin and custom op codes of the landscape model', () => {
    const raw = readRawTfliteModel(readTflite('selfie_segmentation_landscape.tflite'));
    const builtinCodes = raw.operatorCodes.map((code) => code.builtinCode).sort((a, b) => a - b);
    // ADD, CONV_2D, DEPTHWISE_CONV_2D, DEQUANTIZE, LOGISTIC, MUL, RELU, RESIZE_BILINEAR, CUSTOM, MEAN, HARD_SWISH
    expect(builtinCodes).toEqual([0, 3, 4, 6, 14, 18, 19, 23, 32, 40, 117]);
    expect(raw.operatorCodes.map((code) => code.customCode).filter(Boolean)).toEqual(['Convolution2DTransposeBias']);
    expect(raw.subgraphs).toHaveLength(1);
  });

  it('reads the input and output tensors with their names and shapes', () => {
    for (const modelCase of modelCases) {
      const model = readTfliteModel(readTflite(modelCase.tflite));
      const input = model.tensors[model.inputs[0] ?? -1];
      const output = model.tensors[model.outputs[0] ?? -1];
      expect(input?.name).toBe(modelCase.inputName);
      expect(input?.shape).toEqual([1, modelCase.height, modelCase.width, 3]);
      expect(output?.name).toBe(modelCase.outputName);
      expect(output?.shape).toEqual([1, modelCase.height, modelCase.width, 1]);
    }
  });

  it('folds the float16 DEQUANTIZE ops into float32 weights', () => {
    const model = readTfliteModel(readTflite('selfie_segmentation.tflite'));
    expect(model.foldedDequantizeOps).toBe(110);
    expect(model.ops.some((op) => op.type === 'DEQUANTIZE')).toBe(false);
    const firstConv = model.ops.find((op) => op.type === 'CONV_2D');
    const filter = model.tensors[firstConv?.inputs[1] ?? -1];
    expect(filter?.data).toBeInstanceOf(Float32Array);
    expect(filter?.data?.length).toBe(16 * 3 * 3 * 3);
  });

  it('decodes the options of the ops the converter depends on', () => {
    const model = readTfliteModel(readTflite('selfie_segmentation.tflite'));
    const transposeConv = model.ops.find((op) => op.type === 'Convolution2DTransposeBias');
    expect(transposeConv?.options).toEqual({ kind: 'transposeConv', padding: 'SAME', strideH: 2, strideW: 2 });
    const resize = model.ops.find((op) => op.type === 'RESIZE_BILINEAR');
    expect(resize?.options).toEqual({ kind: 'resizeBilinear', alignCorners: false, halfPixelCenters: true });
    const pool = model.ops.find((op) => op.type === 'AVERAGE_POOL_2D');
    expect(pool?.options).toMatchObject({ kind: 'pool2d', padding: 'VALID', filterH: 64, filterW: 64 });
  });

  it('decodes half floats, including subnormals and infinities', () => {
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0xc000)).toBe(-2);
    expect(float16ToFloat32(0x3555)).toBeCloseTo(0.33325195, 8);
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x7c00)).toBe(Infinity);
  });

  it('decodes TfLiteTransposeConvParams as padding, stride_width, stride_height', () => {
    const bytes = new Uint8Array(new Int32Array([2, 3, 4]).buffer);
    expect(decodeTransposeConvParams(bytes)).toEqual({ kind: 'transposeConv', padding: 'VALID', strideW: 3, strideH: 4 });
  });
});

describe('TFLite → ONNX geometry helpers', () => {
  it('pads SAME like TensorFlow, with the odd pixel at the end', () => {
    expect(samePadding(144, 3, 2)).toEqual({ before: 0, after: 1 });
    expect(samePadding(9, 5, 2)).toEqual({ before: 2, after: 2 });
    expect(samePadding(16, 3, 1)).toEqual({ before: 1, after: 1 });
    expect(samePadding(8, 1, 1)).toEqual({ before: 0, after: 0 });
  });

  it('pads transposed convolutions so the output has the size TFLite declares', () => {
    expect(transposeConvPadding(128, 256, 2, 2)).toEqual({ before: 0, after: 0 });
    expect(transposeConvPadding(8, 16, 3, 2)).toEqual({ before: 0, after: 1 });
    expect(transposeConvPadding(8, 16, 4, 2)).toEqual({ before: 1, after: 1 });
  });

  it('transposes OHWI weights to OIHW', () => {
    // Shape [O=2, H=1, W=2, I=3]; value = 100*o + 10*w + i.
    const ohwi = Float32Array.of(0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112);
    const oihw = transposeData(ohwi, [2, 1, 2, 3], [0, 3, 1, 2]);
    expect(Array.from(oihw)).toEqual([0, 10, 1, 11, 2, 12, 100, 110, 101, 111, 102, 112]);
  });
});

describe.skipIf(!hasSharedMirror)(
  `TFLite → ONNX conversion matches the reference models${hasSharedMirror ? '' : ` (skipped: no shared mirror at ${SHARED_DIR})`}`,
  () => {
    const photos = hasSharedMirror
      ? readdirSync(PHOTO_DIR)
          .filter((name) => name.endsWith('.jpg'))
          .sort()
          .map((name) => join(PHOTO_DIR, name))
      : [];

    it('finds development photos to compare on', () => {
      expect(photos.length).toBeGreaterThanOrEqual(20);
    });

    for (const modelCase of modelCases) {
      describe(modelCase.tflite, () => {
        let converted: ort.InferenceSession;
        let reference: ort.InferenceSession;

        beforeAll(async () => {
          const started = performance.now();
          const onnx = convertTfliteToOnnx(readTflite(modelCase.tflite), { producerName: 'converter.test' });
          console.info(`${modelCase.tflite}: converted in ${(performance.now() - started).toFixed(0)} ms, ${onnx.length} bytes`);
          converted = await ort.InferenceSession.create(onnx, sessionOptions);
          reference = await ort.InferenceSession.create(join(REFERENCE_DIR, modelCase.reference), sessionOptions);
        });

        it('has the same input and output names, types and shapes as the reference', () => {
          expect(converted.inputNames).toEqual([modelCase.inputName]);
          expect(converted.outputNames).toEqual([modelCase.outputName]);
          expect(converted.inputNames).toEqual(reference.inputNames);
          expect(converted.outputNames).toEqual(reference.outputNames);
          expect(converted.inputMetadata).toEqual(reference.inputMetadata);
          expect(converted.outputMetadata).toEqual(reference.outputMetadata);
          expect(converted.inputMetadata[0]).toMatchObject({ shape: [1, modelCase.height, modelCase.width, 3] });
          expect(converted.outputMetadata[0]).toMatchObject({ shape: [1, modelCase.height, modelCase.width, 1] });
        });

        it('produces the reference masks on every development photo', async () => {
          const dims = [1, modelCase.height, modelCase.width, 3];
          let worst = 0;
          for (const photo of photos) {
            const input = await preprocessPhoto(photo, modelCase.width, modelCase.height);
            const ours = await runSingle(converted, input, dims);
            const theirs = await runSingle(reference, input, dims);
            expect(ours.dims).toEqual(theirs.dims);
            const difference = maxAbsDifference(ours.data as Float32Array, theirs.data as Float32Array);
            worst = Math.max(worst, difference);
            expect(difference, photo).toBeLessThanOrEqual(MAX_ABS_DIFF);
          }
          console.info(`${modelCase.tflite}: max abs diff ${worst} over ${photos.length} photos`);
        });
      });
    }
  },
);
