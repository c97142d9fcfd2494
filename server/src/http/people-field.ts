import { isPeopleTarget, peopleSelectionSchema, pickSchema, type PickPayload, type Target } from '@deepphoto/shared';
import { DeepPhotoError } from '../core/errors.ts';

/**
 * The `people` form field of `POST /api/edit`: person numbers, left to right from 1, comma-separated ("1" or "1,3").
 * Required by the `people` / `people-except` targets, refused with any other target.
 */
export function parsePeopleField(field: string | undefined, target: Target, picksField?: string): { people?: number[]; picks?: PickPayload[] } {
  if (!isPeopleTarget(target)) {
    if (field !== undefined || picksField !== undefined) throw new DeepPhotoError('bad_request', `"people" / "picks" only go with target people or people-except, not ${target}`);
    return {};
  }
  if (picksField !== undefined && (field === undefined || field.trim() === '')) return { picks: parsePicks(picksField) };
  if (field === undefined || field.trim() === '') throw new DeepPhotoError('bad_request', `target ${target} needs "people" (person numbers left to right, e.g. 1 or 1,3) or "picks"`);
  const numbers = field.split(',').map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN));
  const parsed = peopleSelectionSchema.safeParse(numbers);
  if (!parsed.success) throw new DeepPhotoError('bad_request', `"people" must be person numbers from 1, comma-separated (got "${field}")`);
  return { people: parsed.data };
}

/**
 * The `picks` form field: points clicked on the photo, each "x,y" in 0..1 of the picture, separated by ";" (the
 * page's photo mode sends these; the server finds the person at each point).
 */
function parsePicks(field: string): PickPayload[] {
  const points = field.split(';').filter((p) => p.trim() !== '');
  const picks = points.map((p) => {
    const [x, y, extra] = p.split(',').map((v) => Number(v));
    const parsed = pickSchema.safeParse({ x, y });
    if (!parsed.success || extra !== undefined) throw new DeepPhotoError('bad_request', `"picks" must be x,y points in 0..1 separated by ";" (got "${field}")`);
    return parsed.data;
  });
  if (picks.length === 0 || picks.length > 16) throw new DeepPhotoError('bad_request', '"picks" needs 1 to 16 points');
  return picks;
}
