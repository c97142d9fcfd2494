/**
 * Must-show 3: our converter's output for Magenta's arbitrary-style networks against independent references.
 * (1) each op the networks added, converted alone and run in onnxruntime, against a plain JS implementation over
 *     random tensors (incl. int8 per-channel weights and int32 biases dequantized);
 * (2) both whole networks against a plain JS TFLite interpreter (test/support/tflite-reference.ts);
 * (3) end-to-end sanity: determinism, a style picture applied to itself, fp16 vs int8 transfer networks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertTfliteModelToOnnx, convertTfliteToOnnx, readTfliteModel } from '../../models/src/tflite/index.ts';
import { dequantizeAffine, type OpOptions, type TfliteModel, type TfliteTensor } from '../../models/src/tflite/model.ts';
import { TensorType } from '../../models/src/tflite/model.ts';
import { SHARED_DIR, REPO_ROOT } from '../support/paths.ts';
import { refBinary, refConv2d, refMean, refMirrorPad, refResizeNearest, runTfliteReference, type RefTensor } from '../support/tflite-reference.ts';

const MODEL_DIR = join(SHARED_DIR, 'models/arbitrary-style');
const STYLE_DIR = join(SHARED_DIR, 'data/style-images');
const hasModels = existsSync(join(MODEL_DIR, 'style_transfer_f16_384.tflite'));
const sessionOptions: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTensor(shape: number[], seed: number, low = -1, high = 1): RefTensor {
  const next = random(seed);
  return { shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => low + (high - low) * next()) };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// ------------------------------------------------------------------------------------ single-op graphs ---

interface OpCase {
  type: string;
  inputs: { shape: number[]; constant?: Float32Array | Int32Array }[];
  output: number[];
  options?: OpOptions;
}

function singleOpModel(c: OpCase): TfliteModel {
  const tensors: TfliteTensor[] = c.inputs.map((input, index) => ({ index, name: `in${index}`, shape: input.shape, type: 'FLOAT32', data: input.constant }));
  tensors.push({ index: tensors.length, name: 'out', shape: c.output, type: 'FLOAT32', data: undefined });
  return {
    version: 3,
    description: c.type,
    tensors,
    inputs: c.inputs.flatMap((input, index) => (input.constant ? [] : [index])),
    outputs: [tensors.length - 1],
    ops: [{ type: c.type, builtinCode: 0, version: 1, inputs: c.inputs.map((_, i) => i), outputs: [tensors.length - 1], options: c.options ?? { kind: 'none' }, customOptions: undefined }],
    foldedDequantizeOps: 0,
  };
}

/** Converts one op, runs it in onnxruntime on the given graph inputs (NHWC), returns the output. */
async function runOnnx(model: TfliteModel, feeds: RefTensor[], dynamicSpatial = false): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(convertTfliteModelToOnnx(model, { dynamicSpatial }), sessionOptions);
  const inputFeeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => (inputFeeds[name] = new ort.Tensor('float32', Float32Array.from(feeds[i]!.data), feeds[i]!.shape)));
  const result = (await session.run(inputFeeds))[session.outputNames[0]!]!;
  await session.release();
  return { data: result.data as Float32Array, dims: result.dims };
}

/** float32 vs float64 reference: relative to the values' size. */
const OP_TOLERANCE = 1e-5;

describe('converter ops for the arbitrary-style networks, each against a JS reference over random tensors', () => {
  it('MIRROR_PAD (REFLECT) → Pad reflect, NHWC paddings re-laid for NCHW', async () => {
    const x = randomTensor([1, 5, 6, 3], 1);
    const paddings = [0, 0, 2, 1, 1, 2, 0, 0];
    const model = singleOpModel({ type: 'MIRROR_PAD', inputs: [{ shape: x.shape }, { shape: [4, 2], constant: Int32Array.from(paddings) }], output: [1, 8, 9, 3], options: { kind: 'mirrorPad', mode: 'REFLECT' } });
    const got = await runOnnx(model, [x]);
    const want = refMirrorPad(x, paddings);
    expect(got.dims).toEqual(want.shape);
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(OP_TOLERANCE);
  });

  it('MIRROR_PAD SYMMETRIC is refused with a clear error rather than converted wrongly', () => {
    const model = singleOpModel({ type: 'MIRROR_PAD', inputs: [{ shape: [1, 4, 4, 1] }, { shape: [4, 2], constant: Int32Array.from([0, 0, 1, 1, 1, 1, 0, 0]) }], output: [1, 6, 6, 1], options: { kind: 'mirrorPad', mode: 'SYMMETRIC' } });
    expect(() => convertTfliteModelToOnnx(model)).toThrow(/SYMMETRIC/);
  });

  it('SQUARED_DIFFERENCE with NHWC broadcasting of a per-channel mean', async () => {
    const x = randomTensor([1, 4, 5, 3], 2);
    const mean = randomTensor([1, 1, 1, 3], 3);
    const model = singleOpModel({ type: 'SQUARED_DIFFERENCE', inputs: [{ shape: x.shape }, { shape: mean.shape }], output: x.shape });
    const got = await runOnnx(model, [x, mean]);
    expect(maxAbsDiff(got.data, refBinary(x, mean, (a, b) => (a - b) ** 2).data)).toBeLessThan(OP_TOLERANCE);
  });

  it('RSQRT over positive values', async () => {
    const x = randomTensor([1, 1, 1, 16], 4, 1e-3, 4);
    const got = await runOnnx(singleOpModel({ type: 'RSQRT', inputs: [{ shape: x.shape }], output: x.shape }), [x]);
    const want = x.data.map((v) => 1 / Math.sqrt(v));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got.data[i]! - want[i]!) / want[i]!).toBeLessThan(OP_TOLERANCE);
  });

  it('RESIZE_NEAREST_NEIGHBOR (TF default sampling) at the declared size and, with dynamic H/W, at another size', async () => {
    const model = singleOpModel({ type: 'RESIZE_NEAREST_NEIGHBOR', inputs: [{ shape: [1, 3, 4, 2] }, { shape: [2], constant: Int32Array.from([6, 8]) }], output: [1, 6, 8, 2], options: { kind: 'resizeNearest', alignCorners: false, halfPixelCenters: false } });
    const x = randomTensor([1, 3, 4, 2], 5);
    expect(maxAbsDiff((await runOnnx(model, [x])).data, refResizeNearest(x, 6, 8).data)).toBeLessThan(OP_TOLERANCE);
    const other = randomTensor([1, 5, 7, 2], 6);
    const got = await runOnnx(model, [other], true);
    expect(got.dims).toEqual([1, 10, 14, 2]);
    expect(maxAbsDiff(got.data, refResizeNearest(other, 10, 14).data)).toBeLessThan(OP_TOLERANCE);
  });

  it('MEAN over H and W with keep_dims (instance-norm moments)', async () => {
    const x = randomTensor([1, 6, 7, 4], 7);
    const model = singleOpModel({ type: 'MEAN', inputs: [{ shape: x.shape }, { shape: [2], constant: Int32Array.from([1, 2]) }], output: [1, 1, 1, 4], options: { kind: 'reducer', keepDims: true } });
    expect(maxAbsDiff((await runOnnx(model, [x])).data, refMean(x, [1, 2], true).data)).toBeLessThan(OP_TOLERANCE);
  });

  it('LOGISTIC, QUANTIZE and DEQUANTIZE (identity in the float graph)', async () => {
    const x = randomTensor([1, 3, 3, 3], 8, -6, 6);
    const logistic = await runOnnx(singleOpModel({ type: 'LOGISTIC', inputs: [{ shape: x.shape }], output: x.shape }), [x]);
    expect(maxAbsDiff(logistic.data, x.data.map((v) => 1 / (1 + Math.exp(-v))))).toBeLessThan(OP_TOLERANCE);
    for (const type of ['QUANTIZE', 'DEQUANTIZE']) {
      expect(maxAbsDiff((await runOnnx(singleOpModel({ type, inputs: [{ shape: x.shape }], output: x.shape }), [x])).data, x.data)).toBeLessThan(OP_TOLERANCE);
    }
  });

  it('dequantizes int8 per-channel weights (OHWI on axis 0, depthwise on axis 3) and int32 biases like TFLite', async () => {
    const next = random(9);
    const q = Int32Array.from({ length: 4 * 3 * 3 * 2 }, () => Math.round(next() * 254) - 127);
    const scales = [0.01, 0.02, 0.005, 0.1];
    const raw = (shape: number[], type: number, scale: number[], zeroPoint: number[], quantizedDimension: number) => ({ shape, type, buffer: 0, name: 'w', quantization: { scale, zeroPoint, quantizedDimension } });
    const weights = dequantizeAffine(raw([4, 3, 3, 2], TensorType.INT8, scales, [0, 0, 0, 0], 0), q);
    for (let i = 0; i < q.length; i++) expect(weights[i]).toBe(Math.fround(q[i]! * scales[Math.floor(i / 18)]!));
    const depthwise = dequantizeAffine(raw([1, 3, 3, 4], TensorType.INT8, scales, [0, 0, 0, 0], 3), q.subarray(0, 36));
    for (let i = 0; i < 36; i++) expect(depthwise[i]).toBe(Math.fround(q[i]! * scales[i % 4]!));
    const asymmetric = dequantizeAffine(raw([4], TensorType.INT8, [0.5], [-3], 0), Int32Array.from([-128, 0, 5, 127]));
    expect(Array.from(asymmetric)).toEqual([-62.5, 1.5, 4, 65]);
    const biasQ = Int32Array.from([1000, -2000, 30, 0]);
    const biasScales = scales.map((s) => s * 0.02); // input scale x weight scale, as TFLite stores it
    const bias = dequantizeAffine(raw([4], TensorType.INT32, biasScales, [0, 0, 0, 0], 0), biasQ);

    // The dequantized weights inside a converted conv: against the reference conv on q x scale.
    const x = randomTensor([1, 7, 6, 2], 10);
    const model = singleOpModel({
      type: 'CONV_2D',
      inputs: [{ shape: x.shape }, { shape: [4, 3, 3, 2], constant: weights }, { shape: [4], constant: bias }],
      output: [1, 4, 3, 4],
      options: { kind: 'conv2d', padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU6' },
    });
    const want = refConv2d(
      x,
      { shape: [4, 3, 3, 2], data: Float64Array.from(q, (v, i) => v * scales[Math.floor(i / 18)]!) },
      { shape: [4], data: Float64Array.from(biasQ, (v, i) => v * biasScales[i]!) },
      { padding: 'SAME', strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, activation: 'RELU6' },
    );
    const got = await runOnnx(model, [x]);
    expect(got.dims).toEqual(want.shape);
    expect(maxAbsDiff(got.data, want.data)).toBeLessThan(OP_TOLERANCE);
  });
});

// ------------------------------------------------------------------------------------- whole networks ---

async function pictureTensor(path: string, width: number, height: number): Promise<RefTensor> {
  const { data } = await sharp(readFileSync(path)).resize(width, height, { fit: 'cover' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { shape: [1, height, width, 3], data: Float64Array.from(data, (v) => v / 255) };
}

describe.runIf(hasModels)('converted Magenta networks against the plain JS TFLite interpreter', () => {
  const tflite = (file: string) => new Uint8Array(readFileSync(join(MODEL_DIR, file)));
  let predict: ort.InferenceSession;
  let transfer: Record<'f16' | 'int8', ort.InferenceSession>;
  let styleVector: RefTensor;
  const sample = join(REPO_ROOT, 'server/assets/sample.svg');

  beforeAll(async () => {
    predict = await ort.InferenceSession.create(convertTfliteToOnnx(tflite('style_predict_quantized_256.tflite')), sessionOptions);
    transfer = {
      f16: await ort.InferenceSession.create(convertTfliteToOnnx(tflite('style_transfer_f16_384.tflite'), { dynamicSpatial: true }), sessionOptions),
      int8: await ort.InferenceSession.create(convertTfliteToOnnx(tflite('style_transfer_quantized_384.tflite'), { dynamicSpatial: true }), sessionOptions),
    };
  });

  async function predictOnnx(picture: RefTensor): Promise<Float32Array> {
    const out = await predict.run({ style_image: new ort.Tensor('float32', Float32Array.from(picture.data), picture.shape) });
    return Float32Array.from(out[predict.outputNames[0]!]!.data as Float32Array);
  }

  async function transferOnnx(which: 'f16' | 'int8', content: RefTensor, vector: ArrayLike<number>): Promise<Float32Array> {
    const session = transfer[which];
    const out = await session.run({
      content_image: new ort.Tensor('float32', Float32Array.from(content.data), content.shape),
      'mobilenet_conv/Conv/BiasAdd': new ort.Tensor('float32', Float32Array.from(vector), [1, 1, 1, 100]),
    });
    return out[session.outputNames[0]!]!.data as Float32Array;
  }

  it('prediction (int8 weights): the style vector matches the reference interpreter', async () => {
    const picture = await pictureTensor(join(STYLE_DIR, 'munch-scream.jpg'), 256, 256);
    const model = readTfliteModel(tflite('style_predict_quantized_256.tflite'));
    const [reference] = runTfliteReference(model, [picture]);
    const got = await predictOnnx(picture);
    const diff = maxAbsDiff(got, reference!.data);
    const scale = Math.max(...reference!.data.map(Math.abs));
    // Same maths with the int8 activations rounded as TFLite's int8 kernels store them: how far int8 execution is.
    const [int8] = runTfliteReference(model, [picture], { int8Activations: true });
    const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! ** 2), (bb += b[i]! ** 2);
      return ab / Math.sqrt(aa * bb);
    };
    console.log(`predict: max |onnx - reference| = ${diff.toExponential(2)} (vector max |v| ${scale.toFixed(2)}); cosine(float, int8-activation emulation) = ${cosine(got, int8!.data).toFixed(4)}`);
    expect(diff).toBeLessThan(1e-3 * scale);
    expect(cosine(got, int8!.data)).toBeGreaterThan(0.95);
    styleVector = { shape: [1, 1, 1, 100], data: Float64Array.from(got) };
  }, 120_000);

  for (const [which, file] of [['f16', 'style_transfer_f16_384.tflite'], ['int8', 'style_transfer_quantized_384.tflite']] as const) {
    it(`transfer (${which} weights) at 64x48, a size the file does not declare: matches the reference interpreter`, async () => {
      const content = await pictureTensor(sample, 64, 48);
      const [reference] = runTfliteReference(readTfliteModel(tflite(file)), [content, styleVector]);
      const got = await transferOnnx(which, content, styleVector.data);
      const diff = maxAbsDiff(got, reference!.data);
      console.log(`transfer ${which}: max |onnx - reference| = ${diff.toExponential(2)} (output 0..1)`);
      expect(reference!.shape).toEqual([1, 48, 64, 3]);
      expect(diff).toBeLessThan(1e-4);
    }, 120_000);
  }

  it('end to end: deterministic, a style picture applied to itself stays close to it, fp16 and int8 agree', async () => {
    const scream = await pictureTensor(join(STYLE_DIR, 'munch-scream.jpg'), 256, 256);
    const rain = await pictureTensor(join(STYLE_DIR, 'rain-princess.jpg'), 256, 256);
    const [first, second] = [await predictOnnx(scream), await predictOnnx(scream)];
    expect(maxAbsDiff(first, second)).toBe(0);

    const meanAbs255 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let sum = 0;
      for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
      return (sum / a.length) * 255;
    };
    const self = meanAbs255(await transferOnnx('f16', scream, first), scream.data);
    const other = meanAbs255(await transferOnnx('f16', scream, await predictOnnx(rain)), scream.data);
    const content = await pictureTensor(sample, 320, 240);
    const f16vsInt8 = meanAbs255(await transferOnnx('f16', content, first), await transferOnnx('int8', content, first));
    const styleChange = meanAbs255(await transferOnnx('f16', content, first), content.data);
    console.log(
      `self-stylization mean |out - picture| = ${self.toFixed(1)}/255 (with another picture's style: ${other.toFixed(1)}); f16 vs int8 transfer on the sample scene: ${f16vsInt8.toFixed(2)}/255 (the style itself changes it by ${styleChange.toFixed(1)})`,
    );
    expect(self).toBeLessThan(other);
    expect(f16vsInt8).toBeLessThan(styleChange / 5);
  }, 120_000);
});
