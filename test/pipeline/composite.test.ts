import { describe, expect, it } from 'vitest';
import { composite, MASK_HIGH, MASK_LOW, TARGET_RULES } from '../../server/src/pipeline/composite.ts';
import { createMask, createRgbImage } from '../../server/src/pipeline/image.ts';

const size = 4;
const original = createRgbImage(size, 1);
original.data.set([10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30]);
const styled = createRgbImage(size, 1);
styled.data.fill(200);
const mask = createMask(size, 1);
mask.data.set([0, MASK_LOW, 0.5, MASK_HIGH]); // background, background, edge, person

function run(target: 'whole' | 'background' | 'person' | 'none') {
  const out = createRgbImage(size, 1);
  composite(original, styled, mask, target, out);
  return [...out.data];
}

describe('composite', () => {
  it('whole copies the styled picture, none copies the original', () => {
    expect(run('whole')).toEqual([...styled.data]);
    expect(run('none')).toEqual([...original.data]);
  });

  it('background styles background pixels and leaves sure-person pixels bit-exact', () => {
    const out = run('background');
    expect(out.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(out.slice(9, 12)).toEqual([10, 20, 30]);
    expect(out[6]).toBe(105); // half way: 10 + 0.5 * 190
  });

  it('person is the mirror image of background', () => {
    const out = run('person');
    expect(out.slice(0, 6)).toEqual([10, 20, 30, 10, 20, 30]);
    expect(out.slice(9, 12)).toEqual([200, 200, 200]);
    expect(out[6]).toBe(105);
  });

  it('says which inputs each target needs', () => {
    expect(TARGET_RULES.whole).toMatchObject({ needsStyle: true, needsMask: false });
    expect(TARGET_RULES.none).toMatchObject({ needsStyle: false, needsMask: false });
    expect(() => composite(original, null, mask, 'person', createRgbImage(size, 1))).toThrow(/needs a styled/);
    expect(() => composite(original, styled, null, 'background', createRgbImage(size, 1))).toThrow(/needs a mask/);
  });
});
