import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { createMask, type RgbImage } from '../../server/src/pipeline/image.ts';
import { PersonMasker } from '../../server/src/pipeline/person-mask.ts';
import { personPhoto } from '../support/photo.ts';

let context: PhotoContext;
let photo: RgbImage;
let mask: Float32Array;

beforeAll(async () => {
  context = await createPhotoContext({ logger: quietLogger });
  photo = await personPhoto();
  const m = createMask(photo.width, photo.height);
  await (await PersonMasker.create(context.runtime)).mask(photo, m);
  mask = m.data;
});
afterAll(() => context.close());

/** Mean absolute per-channel change over the pixels whose mask value passes `select`, and how many there were. */
function changeWhere(a: RgbImage, b: RgbImage, select: (m: number) => boolean): { mean: number; max: number; n: number } {
  let sum = 0;
  let max = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!select(mask[i]!)) continue;
    n++;
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(a.data[i * 3 + c]! - b.data[i * 3 + c]!);
      sum += d;
      max = Math.max(max, d);
    }
  }
  return { mean: sum / Math.max(1, n * 3), max, n };
}

describe('PhotoEditor', () => {
  it('has the three teacher styles', () => {
    expect(context.catalog.ids()).toEqual(expect.arrayContaining(['candy', 'mosaic', 'udnie']));
  });

  it('target=background leaves the person (mask >= 0.98) bit-exact and changes the background', async () => {
    const { image } = await context.editor.edit(photo, { style: 'mosaic', target: 'background' });
    const person = changeWhere(photo, image, (m) => m >= 0.98);
    const background = changeWhere(photo, image, (m) => m <= 0.02);
    expect(person.n).toBeGreaterThan(1000);
    expect(background.n).toBeGreaterThan(1000);
    expect(person.max).toBe(0);
    expect(background.mean).toBeGreaterThan(20);
  });

  it('target=person is the reverse: background bit-exact, person changed', async () => {
    const { image } = await context.editor.edit(photo, { style: 'mosaic', target: 'person' });
    expect(changeWhere(photo, image, (m) => m <= 0.02).max).toBe(0);
    expect(changeWhere(photo, image, (m) => m >= 0.98).mean).toBeGreaterThan(20);
  });

  it('target=whole changes everything and target=none changes nothing', async () => {
    const whole = await context.editor.edit(photo, { style: 'candy', target: 'whole' });
    expect(changeWhere(photo, whole.image, () => true).mean).toBeGreaterThan(20);
    const none = await context.editor.edit(photo, { style: 'candy', target: 'none' });
    expect(Buffer.compare(Buffer.from(none.image.data), Buffer.from(photo.data))).toBe(0);
  });

  it('different styles give different pictures', async () => {
    const a = await context.editor.edit(photo, { style: 'candy', target: 'whole' }, { styleMaxSide: 160 });
    const b = await context.editor.edit(photo, { style: 'udnie', target: 'whole' }, { styleMaxSide: 160 });
    expect(changeWhere(a.image, b.image, () => true).mean).toBeGreaterThan(10);
  });

  it('rejects an unknown style before doing any work', async () => {
    await expect(context.editor.edit(photo, { style: 'vangogh', target: 'whole' })).rejects.toThrow(/unknown style "vangogh"; available: .*mosaic/);
  });
});
