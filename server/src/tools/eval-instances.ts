/**
 * npm run eval:instances -- --data DIR [--json] [--face-model face-full|face-short] [--make N]
 *
 * DIR holds NAME.jpg + NAME.png, the PNG's value k (1, 2, ...) marking person k and 0 the background (build such
 * pictures with `npm run make:instances`; `--make N` builds N of them from ../shared/data/seg-dev into DIR first).
 * Per picture: find people (person mask + faces + split), binarise each person's soft mask at 0.5, match predicted
 * to labelled people by IoU (greedy, best pair first, a match needs IoU >= 0.5). Prints the mean matched
 * per-instance IoU, missed and spurious people, and ms per picture.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { mean } from '../eval/metrics.ts';
import { decodePhoto } from '../photo/io.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { DEFAULT_PEOPLE, PeopleFinder } from '../instances/people.ts';
import { DEFAULT_SPLIT } from '../instances/split.ts';
import { makeInstancePictures } from './make-instances.ts';
import { readRuntimeConfig } from '../config/config.ts';

export interface InstanceMatch {
  truth: number;
  predicted: number;
  iou: number;
}

/**
 * IoU of every (truth k, predicted j) pair from label maps, then greedy one-to-one matching. `predicted` has label
 * j where person j's soft mask is >= 0.5 (0 elsewhere).
 */
export function matchInstances(truth: Uint8Array, predicted: Uint8Array, minIoU = 0.5): { matches: InstanceMatch[]; truthCount: number; predictedCount: number } {
  let truthCount = 0;
  let predictedCount = 0;
  for (let i = 0; i < truth.length; i++) {
    truthCount = Math.max(truthCount, truth[i]!);
    predictedCount = Math.max(predictedCount, predicted[i]!);
  }
  const stride = predictedCount + 1;
  const joint = new Float64Array((truthCount + 1) * stride);
  for (let i = 0; i < truth.length; i++) joint[truth[i]! * stride + predicted[i]!]!++;
  const truthArea = (k: number) => joint.subarray(k * stride, (k + 1) * stride).reduce((a, b) => a + b, 0);
  const predArea = (j: number) => {
    let sum = 0;
    for (let k = 0; k <= truthCount; k++) sum += joint[k * stride + j]!;
    return sum;
  };
  const pairs: InstanceMatch[] = [];
  for (let k = 1; k <= truthCount; k++) {
    for (let j = 1; j <= predictedCount; j++) {
      const intersection = joint[k * stride + j]!;
      const union = truthArea(k) + predArea(j) - intersection;
      if (union > 0 && intersection > 0) pairs.push({ truth: k, predicted: j, iou: intersection / union });
    }
  }
  pairs.sort((a, b) => b.iou - a.iou);
  const usedTruth = new Set<number>();
  const usedPredicted = new Set<number>();
  const matches: InstanceMatch[] = [];
  for (const pair of pairs) {
    if (pair.iou < minIoU || usedTruth.has(pair.truth) || usedPredicted.has(pair.predicted)) continue;
    usedTruth.add(pair.truth);
    usedPredicted.add(pair.predicted);
    matches.push(pair);
  }
  return { matches, truthCount, predictedCount };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      json: { type: 'boolean', default: false },
      'face-model': { type: 'string', default: DEFAULT_PEOPLE.faceModel },
      make: { type: 'string' },
      from: { type: 'string', default: join(process.cwd(), '../shared/data/seg-dev') },
      'vertical-below': { type: 'string' },
      'split-size': { type: 'string' },
    },
  });
  if (!values.data) {
    console.error('usage: npm run eval:instances -- --data DIR [--json] [--make N]');
    process.exit(2);
  }
  const dataDir = values.data;
  if (values.make) await makeInstancePictures({ from: values.from, out: dataDir, count: Number(values.make), seed: 1, styleDir: join(values.from, '../style-images') });
  const names = readdirSync(dataDir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort();
  if (names.length === 0) {
    console.error(`no NAME.jpg + NAME.png pairs in ${dataDir}`);
    process.exit(2);
  }
  const faceModel = values['face-model'] === 'face-short' ? 'face-short' : 'face-full';
  const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: { info: () => {}, warn: (m) => console.error(m) } });
  const split = { ...DEFAULT_SPLIT, ...(values['vertical-below'] ? { verticalBelowFace: Number(values['vertical-below']) } : {}) };
  const splitLongSide = values['split-size'] ? Number(values['split-size']) : DEFAULT_PEOPLE.splitLongSide;
  const finder = await PeopleFinder.create(runtime, { faceModel, split, splitLongSide });
  const ious: number[] = [];
  const times: number[] = [];
  const perPicture: { name: string; people: number; found: number; ious: number[] }[] = [];
  let missed = 0;
  let spurious = 0;
  let people = 0;
  for (const name of names) {
    const { image } = await decodePhoto(readFileSync(join(dataDir, `${name}.jpg`)));
    const truth = new Uint8Array(await sharp(readFileSync(join(dataDir, `${name}.png`))).greyscale().raw().toBuffer());
    if (truth.length !== image.width * image.height) throw new Error(`${name}: label size differs from photo`);
    const started = performance.now();
    const found = await finder.find(image);
    times.push(performance.now() - started);
    const predicted = new Uint8Array(truth.length);
    for (let i = 0; i < predicted.length; i++) predicted[i] = found.mask.data[i]! >= 0.5 ? found.labels[i]! : 0;
    const { matches, truthCount, predictedCount } = matchInstances(truth, predicted);
    people += truthCount;
    missed += truthCount - matches.length;
    spurious += predictedCount - matches.length;
    for (const m of matches) ious.push(m.iou);
    perPicture.push({ name, people: truthCount, found: predictedCount, ious: matches.map((m) => Number(m.iou.toFixed(3))) });
  }
  await runtime.close();
  const sorted = [...ious].sort((a, b) => a - b);
  const result = {
    faceModel,
    split: finder.options.split,
    splitLongSide: finder.options.splitLongSide,
    pictures: names.length,
    people,
    meanInstanceIoU: Number(mean(ious).toFixed(4)),
    minInstanceIoU: Number((sorted[0] ?? 0).toFixed(4)),
    instancesBelow085: ious.filter((v) => v < 0.85).length,
    missed,
    spurious,
    // The first picture pays for warm caches.
    msPerPicture: Number(mean(times.slice(1)).toFixed(1)),
    worst: [...perPicture].sort((a, b) => Math.min(1, ...a.ious) - Math.min(1, ...b.ious)).slice(0, 5),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(`mean instance IoU ${result.meanInstanceIoU} over ${ious.length} people (${missed} missed, ${spurious} spurious), ${result.msPerPicture} ms per picture`);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
