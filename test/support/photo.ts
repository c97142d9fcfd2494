import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../server/src/pipeline/image.ts';
import { decodePhoto } from '../../server/src/photo/io.ts';
import { SEG_DEV_DIR, hasSegDev, REPO_ROOT } from './paths.ts';

/**
 * A photo of a person for tests: a seg-dev portrait when the shared data is present, else the product's own
 * sample scene (a drawn person), so that the tests still mean something on a machine without ../shared.
 */
export async function personPhoto(name = 'eg1800_00904'): Promise<RgbImage> {
  if (hasSegDev) return (await decodePhoto(readFileSync(join(SEG_DEV_DIR, `${name}.jpg`)))).image;
  const { data, info } = await sharp(readFileSync(join(REPO_ROOT, 'server/assets/sample.svg'))).resize(320, 240).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

export async function personPhotoJpeg(name = 'eg1800_00904'): Promise<Buffer> {
  const image = await personPhoto(name);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}
