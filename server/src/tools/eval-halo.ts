/**
 * npm run eval:halo -- [--data DIR] [--strength light|strong] [--limit N] [--json]
 *
 * How much of the person's colour bleeds into the blurred background: ours (normalised blur over background
 * pixels only) against a plain blur composited under the same mask. DIR holds NAME.jpg + NAME.png (255 = person;
 * default ../shared/data/seg-dev beside the repository).
 *
 * The measure (design-independent, needs no "true" background): blur each photo twice, once as it is and once with
 * the person's pixels (by the ground truth) colour-inverted. Whatever changes in the ground-truth background of
 * the output came from the person: bleed = mean |out(I) − out(I')| over the background pixels within the kernel's
 * reach of the person (the ring where a halo can appear), in 8-bit levels. Both methods use the same segmentation
 * mask (our default person-mask pipeline), so mask errors count against both alike. Reported: bleed per method
 * pooled over all photos, and the reduction 1 − ours / plain (overall, per subset, median per photo).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BLUR_STRENGTHS, blurStrengthSchema } from '@deepphoto/shared';
import { MaskedBlur } from '../pipeline/blur.ts';
import { BlurRenderer } from '../pipeline/effect-stage.ts';
import { composite } from '../pipeline/composite.ts';
import { createMask, createRgbImage, type Mask, type RgbImage } from '../pipeline/image.ts';
import { PersonMasker } from '../pipeline/person-mask.ts';
import { decodeMask, decodePhoto } from '../photo/io.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { readRuntimeConfig } from '../config/config.ts';

const DEFAULT_DATA = fileURLToPath(new URL('../../../../shared/data/seg-dev', import.meta.url));

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA },
    strength: { type: 'string', default: 'strong' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const strength = blurStrengthSchema.safeParse(values.strength);
if (!strength.success) {
  console.error(`--strength: one of ${Object.keys(BLUR_STRENGTHS).join(', ')}`);
  process.exit(2);
}
const dataDir = values.data;
if (!existsSync(dataDir)) {
  console.error(`no data folder ${dataDir}; give --data DIR with NAME.jpg + NAME.png pairs`);
  process.exit(2);
}
let names = readdirSync(dataDir)
  .filter((f) => f.endsWith('.jpg') && existsSync(join(dataDir, `${f.slice(0, -4)}.png`)))
  .map((f) => f.slice(0, -4))
  .sort();
if (values.limit) names = names.slice(0, Number(values.limit));
if (names.length === 0) {
  console.error(`no NAME.jpg + NAME.png pairs in ${dataDir}`);
  process.exit(2);
}

const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: { info: () => {}, warn: (m) => console.error(m) } });
const masker = await PersonMasker.create(runtime);
const blur = new MaskedBlur();

/**
 * Background blurred and composited: `normalised` is the product's blur stage (BlurRenderer on the photo at full
 * size, as the photo editor runs it up to 1024 px); the plain blur is the same stage blurring every pixel.
 */
function blurBackground(image: RgbImage, mask: Mask, normalised: boolean): RgbImage {
  const renderer = new BlurRenderer(BLUR_STRENGTHS[strength.data!], normalised ? 'background' : 'whole');
  const blurred = renderer.render(image, normalised ? mask : null, image.width, image.height);
  const out = createRgbImage(image.width, image.height);
  composite(image, blurred, mask, 'background', out);
  return out;
}

interface PhotoResult {
  name: string;
  ringPixels: number;
  ours: number;
  plain: number;
}
const results: PhotoResult[] = [];
for (const name of names) {
  const { image } = await decodePhoto(readFileSync(join(dataDir, `${name}.jpg`)));
  const truth = await decodeMask(readFileSync(join(dataDir, `${name}.png`)));
  if (truth.width !== image.width || truth.height !== image.height) throw new Error(`${name}: mask size differs from photo`);
  const mask = createMask(image.width, image.height);
  await masker.mask(image, mask);
  const sigma = BLUR_STRENGTHS[strength.data] * Math.max(image.width, image.height);

  const swapped = createRgbImage(image.width, image.height);
  swapped.data.set(image.data);
  const truthMask = createMask(image.width, image.height);
  for (let i = 0; i < truth.data.length; i++) {
    const person = truth.data[i]! >= 128;
    truthMask.data[i] = person ? 1 : 0;
    if (person) for (let c = 0; c < 3; c++) swapped.data[i * 3 + c] = 255 - image.data[i * 3 + c]!;
  }
  // The ring: ground-truth background within reach of the blur kernel from the person (a halo can only be there).
  const truthImage = createRgbImage(image.width, image.height);
  for (let i = 0; i < truthMask.data.length; i++) truthImage.data[i * 3] = truthMask.data[i]! * 255;
  const reach = createRgbImage(image.width, image.height);
  blur.blur(truthImage, null, 'all', sigma, reach);

  const bleed = (normalised: boolean) => {
    const a = blurBackground(image, mask, normalised);
    const b = blurBackground(swapped, mask, normalised);
    let sum = 0;
    let n = 0;
    for (let i = 0; i < truthMask.data.length; i++) {
      if (truthMask.data[i] === 1 || reach.data[i * 3]! < 2) continue;
      n++;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i * 3 + c]! - b.data[i * 3 + c]!);
    }
    return { sum: sum / 3, n };
  };
  const ours = bleed(true);
  const plain = bleed(false);
  results.push({ name, ringPixels: ours.n, ours: ours.sum, plain: plain.sum });
}
await runtime.close();

const round = (v: number, d = 4) => Number(v.toFixed(d));
function summary(list: PhotoResult[]) {
  const pixels = list.reduce((s, r) => s + r.ringPixels, 0);
  const ours = list.reduce((s, r) => s + r.ours, 0) / Math.max(1, pixels);
  const plain = list.reduce((s, r) => s + r.plain, 0) / Math.max(1, pixels);
  const perPhoto = list.filter((r) => r.plain > 0).map((r) => 1 - r.ours / r.plain).sort((a, b) => a - b);
  return {
    n: list.length,
    bleedOurs: round(ours),
    bleedPlain: round(plain),
    reduction: round(plain > 0 ? 1 - ours / plain : 0),
    medianPhotoReduction: round(perPhoto[Math.floor(perPhoto.length / 2)] ?? 0),
    worstPhotoReduction: round(perPhoto[0] ?? 0),
  };
}
const subsets = new Map<string, PhotoResult[]>();
for (const r of results) {
  const subset = r.name.includes('_') ? r.name.slice(0, r.name.indexOf('_')) : 'all';
  subsets.set(subset, [...(subsets.get(subset) ?? []), r]);
}
const result = {
  strength: strength.data,
  sigmaFraction: BLUR_STRENGTHS[strength.data],
  unit: 'mean |out(I) - out(I with the person colour-inverted)| over ground-truth background pixels within the kernel reach, 8-bit levels',
  ...summary(results),
  subsets: Object.fromEntries([...subsets].map(([k, v]) => [k, summary(v)])),
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`halo (colour bleed of the person into the blurred background), blur ${result.strength}, ${result.n} photos`);
  console.log(`  plain blur under the mask: ${result.bleedPlain} levels; ours (normalised, background only): ${result.bleedOurs} levels`);
  console.log(`  reduction ${(result.reduction * 100).toFixed(1)} % (median photo ${(result.medianPhotoReduction * 100).toFixed(1)} %, worst ${(result.worstPhotoReduction * 100).toFixed(1)} %)`);
  for (const [k, v] of Object.entries(result.subsets)) console.log(`  ${k.padEnd(8)} n=${v.n} reduction ${(v.reduction * 100).toFixed(1)} %`);
}
