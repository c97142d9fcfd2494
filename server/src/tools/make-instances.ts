/**
 * npm run make:instances -- --from ../shared/data/seg-dev --out DIR [--count 60] [--seed 1]
 *
 * Builds multi-person evaluation pictures from single-person photos with human-drawn masks (seg-dev `eg1800_*`):
 * 2–3 people cut out with their masks, scaled, placed side by side with partial overlap (random depth order) on
 * varied backgrounds (style pictures, gradients, other photos blurred). Writes NAME.jpg + NAME.png where the PNG's
 * value k marks person k (numbered left to right) and 0 the background.
 * The sources may not be redistributed: write DIR outside the repository (or under the ignored var/), never commit it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';

interface Cutout {
  width: number;
  height: number;
  rgb: Uint8Array;
  alpha: Uint8Array;
}

/** mulberry32: small, seedable, good enough for picking layouts reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function cutout(dir: string, name: string, height: number): Promise<Cutout> {
  const photo = sharp(readFileSync(join(dir, `${name}.jpg`))).removeAlpha().toColourspace('srgb').resize({ height });
  const { data: rgb, info } = await photo.raw().toBuffer({ resolveWithObject: true });
  const { data: alpha } = await sharp(readFileSync(join(dir, `${name}.png`))).greyscale().resize(info.width, info.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(rgb), alpha: new Uint8Array(alpha) };
}

async function background(kind: number, width: number, height: number, styleDir: string | undefined, blurSource: string | undefined, random: () => number): Promise<Uint8Array> {
  const styles = styleDir && existsSync(styleDir) ? readdirSync(styleDir).filter((f) => f.endsWith('.jpg')) : [];
  if (kind === 0 && styles.length > 0) {
    const file = styles[Math.floor(random() * styles.length)]!;
    return new Uint8Array(await sharp(join(styleDir!, file)).removeAlpha().resize(width, height, { fit: 'cover' }).raw().toBuffer());
  }
  if (kind === 1 && blurSource) {
    return new Uint8Array(await sharp(blurSource).removeAlpha().resize(width, height, { fit: 'cover' }).blur(12).raw().toBuffer());
  }
  // A two-colour gradient with a little noise (camera-like, so nothing is perfectly flat).
  const a = [random() * 255, random() * 255, random() * 255];
  const b = [random() * 255, random() * 255, random() * 255];
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      for (let c = 0; c < 3; c++) out[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, a[c]! * (1 - t) + b[c]! * t + (random() - 0.5) * 12));
    }
  }
  return out;
}

export interface MakeOptions {
  from: string;
  out: string;
  count: number;
  seed: number;
  styleDir?: string;
}

export async function makeInstancePictures(options: MakeOptions): Promise<string[]> {
  const random = seededRandom(options.seed);
  const people = readdirSync(options.from)
    .filter((f) => f.startsWith('eg1800_') && f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort();
  const scenes = readdirSync(options.from).filter((f) => f.startsWith('hsd_') && f.endsWith('.jpg'));
  if (people.length < 3) throw new Error(`${options.from}: need eg1800_* photos with masks`);
  mkdirSync(options.out, { recursive: true });
  const height = 360;
  const written: string[] = [];
  for (let index = 0; index < options.count; index++) {
    const count = random() < 0.5 ? 2 : 3;
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(people[Math.floor(random() * people.length)]!);
    const cutouts = await Promise.all([...chosen].map((name) => cutout(options.from, name, Math.round(height * (0.75 + random() * 0.25)))));
    // Side by side, each overlapping the previous by 5–30 % of its width.
    const xs: number[] = [0];
    for (let i = 1; i < count; i++) xs.push(xs[i - 1]! + Math.round(cutouts[i - 1]!.width * (1 - (0.05 + random() * 0.25))));
    const margin = 20;
    const width = xs[count - 1]! + cutouts[count - 1]!.width + 2 * margin;
    const rgb = await background(Math.floor(random() * 3), width, height, options.styleDir, scenes.length ? join(options.from, scenes[Math.floor(random() * scenes.length)]!) : undefined, random);
    const labels = new Uint8Array(width * height);
    // Random depth order: later in `order` is in front.
    const order = [...Array(count).keys()].sort(() => random() - 0.5);
    for (const i of order) {
      const c = cutouts[i]!;
      const left = margin + xs[i]!;
      const top = height - c.height; // standing on the bottom edge, as portraits are cropped
      for (let y = 0; y < c.height; y++) {
        for (let x = 0; x < c.width; x++) {
          const a = c.alpha[y * c.width + x]! / 255;
          if (a === 0) continue;
          const p = (top + y) * width + left + x;
          for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = Math.round(rgb[p * 3 + ch]! * (1 - a) + c.rgb[(y * c.width + x) * 3 + ch]! * a);
          if (a >= 0.5) labels[p] = i + 1; // person i+1, numbered left to right by placement
        }
      }
    }
    const name = `comp${count}_${String(index).padStart(3, '0')}`;
    writeFileSync(join(options.out, `${name}.jpg`), await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer());
    writeFileSync(join(options.out, `${name}.png`), await sharp(labels, { raw: { width, height, channels: 1 } }).png().toBuffer());
    written.push(name);
  }
  return written;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      out: { type: 'string' },
      count: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      styles: { type: 'string' },
    },
  });
  if (!values.from || !values.out) {
    console.error('usage: npm run make:instances -- --from ../shared/data/seg-dev --out DIR [--count 60] [--seed 1]');
    process.exit(2);
  }
  const styleDir = values.styles ?? join(values.from, '../style-images');
  const names = await makeInstancePictures({ from: values.from, out: values.out, count: Number(values.count), seed: Number(values.seed), styleDir });
  console.log(`wrote ${names.length} pictures to ${values.out}`);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
