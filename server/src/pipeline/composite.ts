import type { Target } from '@deepphoto/shared';
import { assertSameSize, type Mask, type RgbImage } from './image.ts';

/**
 * How each target mixes the styled picture into the original. A registry, not a chain of ifs on a string:
 * adding a target is one line here.
 *  - `styleWeight: 'mask'`: weight = person ramp, `'inverse'`: 1 - ramp, `'all'`: 1, `'nothing'`: 0.
 */
export interface TargetRule {
  needsStyle: boolean;
  needsMask: boolean;
  styleWeight: 'all' | 'nothing' | 'mask' | 'inverse';
}

export const TARGET_RULES: Readonly<Record<Target, TargetRule>> = {
  whole: { needsStyle: true, needsMask: false, styleWeight: 'all' },
  background: { needsStyle: true, needsMask: true, styleWeight: 'inverse' },
  person: { needsStyle: true, needsMask: true, styleWeight: 'mask' },
  none: { needsStyle: false, needsMask: false, styleWeight: 'nothing' },
  // The mask these get is already the selected people's (or everyone else's) share: see instances/live-people.ts.
  people: { needsStyle: true, needsMask: true, styleWeight: 'mask' },
  'people-except': { needsStyle: true, needsMask: true, styleWeight: 'mask' },
};

/**
 * Mask values at or below LOW count as surely background, at or above HIGH as surely person: pixels there are
 * copied bit-exact from one side, and only the band in between is blended. This keeps a face untouched under
 * `background` even though the soft mask is 0.99, not 1.
 */
export const MASK_LOW = 0.02;
export const MASK_HIGH = 0.98;

/** Writes the composite into `out` (which may alias neither input). */
export function composite(original: RgbImage, styled: RgbImage | null, mask: Mask | null, target: Target, out: RgbImage): void {
  assertSameSize(original, out, 'composite');
  const rule = TARGET_RULES[target];
  const o = original.data;
  const d = out.data;
  if (rule.styleWeight === 'nothing') {
    d.set(o);
    return;
  }
  if (!styled) throw new TypeError(`composite: target ${target} needs a styled picture`);
  assertSameSize(original, styled, 'composite');
  const s = styled.data;
  if (rule.styleWeight === 'all') {
    d.set(s);
    return;
  }
  if (!mask) throw new TypeError(`composite: target ${target} needs a mask`);
  assertSameSize(original, mask, 'composite');
  const m = mask.data;
  const invert = rule.styleWeight === 'inverse';
  const span = MASK_HIGH - MASK_LOW;
  for (let i = 0, j = 0; i < m.length; i++, j += 3) {
    const v = m[i]!;
    const person = v <= MASK_LOW ? 0 : v >= MASK_HIGH ? 1 : (v - MASK_LOW) / span;
    const w = invert ? 1 - person : person;
    if (w === 0) {
      d[j] = o[j]!;
      d[j + 1] = o[j + 1]!;
      d[j + 2] = o[j + 2]!;
    } else if (w === 1) {
      d[j] = s[j]!;
      d[j + 1] = s[j + 1]!;
      d[j + 2] = s[j + 2]!;
    } else {
      // Uint8Array assignment truncates; +0.5 rounds.
      d[j] = o[j]! + w * (s[j]! - o[j]!) + 0.5;
      d[j + 1] = o[j + 1]! + w * (s[j + 1]! - o[j + 1]!) + 0.5;
      d[j + 2] = o[j + 2]! + w * (s[j + 2]! - o[j + 2]!) + 0.5;
    }
  }
}
