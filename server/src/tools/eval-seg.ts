/**
 * npm run eval:seg -- --data DIR [--json] [--model selfie-general] [--no-flip] [--upsampling bilinear|guided]
 *                     [--radius N] [--epsilon E]
 * DIR holds NAME.jpg + NAME.png (255 = person). Prints per-subset mIoU (subset = file-name prefix before `_`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mean, meanIoU } from '../eval/metrics.ts';
import { createMask } from '../pipeline/image.ts';
import { DEFAULT_PERSON_MASK, PersonMasker } from '../pipeline/person-mask.ts';
import { decodeMask, decodePhoto } from '../photo/io.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { readRuntimeConfig } from '../config/config.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    json: { type: 'boolean', default: false },
    model: { type: 'string', default: DEFAULT_PERSON_MASK.modelId },
    'no-flip': { type: 'boolean', default: false },
    upsampling: { type: 'string', default: DEFAULT_PERSON_MASK.upsampling },
    radius: { type: 'string' },
    epsilon: { type: 'string' },
    threshold: { type: 'string', default: '0.5' },
  },
});

if (!values.data) {
  console.error('usage: npm run eval:seg -- --data DIR [--json]');
  process.exit(2);
}
const upsampling = values.upsampling === 'bilinear' ? 'bilinear' : 'guided';
const dataDir = values.data;
const names = readdirSync(dataDir)
  .filter((f) => f.endsWith('.jpg'))
  .map((f) => f.slice(0, -4))
  .sort();
if (names.length === 0) {
  console.error(`no NAME.jpg + NAME.png pairs in ${dataDir}`);
  process.exit(2);
}

const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: { info: () => {}, warn: (m) => console.error(m) } });
const masker = await PersonMasker.create(runtime, {
  modelId: values.model,
  flipAverage: !values['no-flip'],
  upsampling,
  refine: {
    ...(values.radius ? { radius: Number(values.radius) } : {}),
    ...(values.epsilon ? { epsilon: Number(values.epsilon) } : {}),
  },
});

const perSubset = new Map<string, number[]>();
const times: number[] = [];
for (const name of names) {
  const { image } = await decodePhoto(readFileSync(join(dataDir, `${name}.jpg`)));
  const truth = await decodeMask(readFileSync(join(dataDir, `${name}.png`)));
  if (truth.width !== image.width || truth.height !== image.height) throw new Error(`${name}: mask size differs from photo`);
  const mask = createMask(image.width, image.height);
  const started = performance.now();
  await masker.mask(image, mask);
  times.push(performance.now() - started);
  const subset = name.includes('_') ? name.slice(0, name.indexOf('_')) : 'all';
  const list = perSubset.get(subset) ?? [];
  list.push(meanIoU(mask.data, truth.data, Number(values.threshold)));
  perSubset.set(subset, list);
}
await runtime.close();

// The first image pays for warm caches; report the median-free mean of the rest plus the overall mean.
const result = {
  model: masker.modelId,
  pipeline: { flipAverage: masker.options.flipAverage, upsampling: masker.options.upsampling, refine: masker.options.refine },
  subsets: Object.fromEntries([...perSubset].map(([k, v]) => [k, { mIoU: Number(mean(v).toFixed(4)), n: v.length }])),
  n: names.length,
  msPerImage: Number(mean(times.slice(1)).toFixed(2)),
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  for (const [k, v] of Object.entries(result.subsets)) console.log(`${k.padEnd(10)} mIoU ${v.mIoU.toFixed(4)}  (n=${v.n})`);
  console.log(`${result.model}, ${result.msPerImage} ms per image`);
}
