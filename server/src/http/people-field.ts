import { isPeopleTarget, peopleSelectionSchema, type Target } from '@deepphoto/shared';
import { HttpError } from './errors.ts';

/**
 * The `people` form field of `POST /api/edit`: person numbers, left to right from 1, comma-separated ("1" or "1,3").
 * Required by the `people` / `people-except` targets, refused with any other target.
 */
export function parsePeopleField(field: string | undefined, target: Target): { people?: number[] } {
  if (!isPeopleTarget(target)) {
    if (field !== undefined) throw new HttpError(400, 'bad_request', `"people" only goes with target people or people-except, not ${target}`);
    return {};
  }
  if (field === undefined || field.trim() === '') throw new HttpError(400, 'bad_request', `target ${target} needs "people": person numbers left to right, e.g. 1 or 1,3`);
  const numbers = field.split(',').map((s) => (/^\s*\d+\s*$/.test(s) ? Number(s) : Number.NaN));
  const parsed = peopleSelectionSchema.safeParse(numbers);
  if (!parsed.success) throw new HttpError(400, 'bad_request', `"people" must be person numbers from 1, comma-separated (got "${field}")`);
  return { people: parsed.data };
}
