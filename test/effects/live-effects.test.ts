import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { createMask, createRgbImage, type Mask, type RgbImage } from '../../server/src/pipeline/image.ts';
import { LivePipeline } from '../../server/src/pipeline/live-pipeline.ts';
import { PersonMasker } from '../../server/src/pipeline/person-mask.ts';
import { liveStyleThreads } from '../../server/src/pipeline/style-thread.ts';
import { BackgroundLibrary } from '../../server/src/styles/backgrounds.ts';
import { personPhoto } from '../support/photo.ts';

let context: PhotoContext;
let frame: RgbImage;
let reference: Mask;
const pictures = new BackgroundLibrary();

beforeAll(async () => {
  context = await createPhotoContext({ logger: quietLogger });
  frame = await personPhoto();
  reference = createMask(frame.width, frame.height);
  await (await PersonMasker.create(context.runtime)).mask(frame, reference);
});
afterAll(() => context.close());

/** Mean abs difference (R+G) to the input inside the person and in the background, by the reference mask. */
function diffs(out: RgbImage): { person: number; background: number } {
  let person = 0;
  let personN = 0;
  let background = 0;
  let backgroundN = 0;
  for (let i = 0; i < reference.data.length; i++) {
    const d = Math.abs(frame.data[i * 3]! - out.data[i * 3]!) + Math.abs(frame.data[i * 3 + 1]! - out.data[i * 3 + 1]!);
    if (reference.data[i]! > 0.99) (person += d), personN++;
    else if (reference.data[i]! < 0.01) (background += d), backgroundN++;
  }
  return { person: person / personN, background: background / backgroundN };
}

const options = { workingLongSide: 256, pictures, styleThread: false };

describe('LivePipeline blur and background picture', () => {
  it('blur changes the background, leaves the person, and reports its time as the style stage', async () => {
    const pipeline = await LivePipeline.create(context.runtime, context.catalog, { ...options, style: 'blur-strong', target: 'background' });
    const out = createRgbImage(frame.width, frame.height);
    const timings = await pipeline.process(frame, 0, out);
    const d = diffs(out);
    expect(d.person).toBeLessThan(1);
    expect(d.background).toBeGreaterThan(4);
    expect(timings.segmentMs).toBeGreaterThan(0);
    expect(timings.styleMs).toBeGreaterThan(0);
    expect(pipeline.effect).toMatchObject({ kind: 'blur', modelId: null });
    pipeline.close();
  });

  it('the stronger blur changes the background more; a person blur changes the person', async () => {
    const pipeline = await LivePipeline.create(context.runtime, context.catalog, { ...options, style: 'blur-light', target: 'background' });
    const light = createRgbImage(frame.width, frame.height);
    await pipeline.process(frame, 0, light);
    await pipeline.update({ style: 'blur-strong' });
    const strong = createRgbImage(frame.width, frame.height);
    await pipeline.process(frame, 33, strong);
    expect(diffs(strong).background).toBeGreaterThan(diffs(light).background);
    await pipeline.update({ target: 'person' });
    const person = createRgbImage(frame.width, frame.height);
    await pipeline.process(frame, 66, person);
    expect(diffs(person).person).toBeGreaterThan(2);
    pipeline.close();
  });

  it('switches mid-stream style -> picture -> style, and refuses a picture on the person keeping the effect', async () => {
    const before = liveStyleThreads();
    const pipeline = await LivePipeline.create(context.runtime, context.catalog, { ...options, styleThread: true, style: 'mosaic', target: 'background' });
    const out = createRgbImage(frame.width, frame.height);
    await pipeline.process(frame, 0, out);
    await pipeline.update({ style: 'bg-dawn' });
    expect(pipeline.effect).toMatchObject({ kind: 'image', modelId: null });
    await pipeline.process(frame, 33, out);
    const d = diffs(out);
    expect(d.person).toBeLessThan(1);
    expect(d.background).toBeGreaterThan(30);
    await expect(pipeline.update({ target: 'person' })).rejects.toThrow(/target/);
    await expect(pipeline.update({ style: 'bg-nowhere' })).rejects.toThrow(/unknown style/);
    expect(pipeline.effect.style).toBe('bg-dawn');
    await pipeline.update({ style: 'candy' });
    expect(pipeline.effect.kind).toBe('style');
    pipeline.close();
    for (let i = 0; i < 50 && liveStyleThreads() > before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(liveStyleThreads()).toBe(before);
  });
});
