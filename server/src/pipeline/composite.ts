import type { Target } from '@deepphoto/shared';
import { assertSameSize, type Alpha8, type Mask, type RgbImage } from './image.ts';

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
    blendPixel(o, s, d, j, invert ? 1 - person : person);
  }
}

/**
 * One pixel of `d` = `o` + w·(`s` − `o`): sure pixels (w 0 or 1) are copied bit-exact from one side, the band
 * between is blended and rounded (Uint8Array assignment truncates; +0.5 rounds). Small enough for V8 to inline into
 * both composite loops.
 */
function blendPixel(o: Uint8Array, s: Uint8Array, d: Uint8Array, j: number, w: number): void {
  if (w === 0) {
    d[j] = o[j]!;
    d[j + 1] = o[j + 1]!;
    d[j + 2] = o[j + 2]!;
  } else if (w === 1) {
    d[j] = s[j]!;
    d[j + 1] = s[j + 1]!;
    d[j + 2] = s[j + 2]!;
  } else {
    d[j] = o[j]! + w * (s[j]! - o[j]!) + 0.5;
    d[j + 1] = o[j + 1]! + w * (s[j + 1]! - o[j + 1]!) + 0.5;
    d[j + 2] = o[j + 2]! + w * (s[j + 2]! - o[j + 2]!) + 0.5;
  }
}

/** Style weight per 8-bit mask value for a target (the same ramp as `composite`), cached per rule. */
const weightTables = new Map<TargetRule['styleWeight'], Float32Array>();
function weightTable(styleWeight: TargetRule['styleWeight']): Float32Array {
  let table = weightTables.get(styleWeight);
  if (!table) {
    table = new Float32Array(256);
    const span = MASK_HIGH - MASK_LOW;
    for (let v = 0; v < 256; v++) {
      const m = v / 255;
      const person = m <= MASK_LOW ? 0 : m >= MASK_HIGH ? 1 : (m - MASK_LOW) / span;
      table[v] = styleWeight === 'inverse' ? 1 - person : styleWeight === 'mask' ? person : styleWeight === 'all' ? 1 : 0;
    }
    weightTables.set(styleWeight, table);
  }
  return table;
}

/**
 * `composite` with an 8-bit mask (the live path's): the weight of each pixel is a table lookup instead of the ramp's
 * arithmetic. Sure pixels are copied bit-exact from one side, as in `composite`.
 */
export function compositeAlpha8(original: RgbImage, styled: RgbImage | null, mask: Alpha8 | null, target: Target, out: RgbImage): void {
  const rule = TARGET_RULES[target];
  if (rule.styleWeight === 'nothing' || rule.styleWeight === 'all') {
    composite(original, styled, null, target, out);
    return;
  }
  assertSameSize(original, out, 'composite');
  if (!styled) throw new TypeError(`composite: target ${target} needs a styled picture`);
  if (!mask) throw new TypeError(`composite: target ${target} needs a mask`);
  assertSameSize(original, styled, 'composite');
  assertSameSize(original, mask, 'composite');
  const weights = weightTable(rule.styleWeight);
  const o = original.data;
  const s = styled.data;
  const d = out.data;
  const m = mask.data;
  for (let i = 0, j = 0; i < m.length; i++, j += 3) blendPixel(o, s, d, j, weights[m[i]!]!);
}
