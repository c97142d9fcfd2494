import { z } from 'zod';

/**
 * Person selection ("pick a person"): the effect on chosen people only (`people`), or on everyone but them
 * (`people-except`). Live, people are addressed by their tracking id (stable while they stay in view); in photos by
 * their number left to right (1 = leftmost face).
 */
export const PEOPLE_TARGETS = ['people', 'people-except'] as const;
export type PeopleTarget = (typeof PEOPLE_TARGETS)[number];

export function isPeopleTarget(target: string): target is PeopleTarget {
  return (PEOPLE_TARGETS as readonly string[]).includes(target);
}

export const personIdSchema = z.number().int().min(1).max(65535);
/** The selected people; at most 16 (the split labels up to 254 people, nobody selects that many by hand). */
export const peopleSelectionSchema = z.array(personIdSchema).max(16);

/** A click or tap on the video, normalised to its picture (0..1 from the left / top). Toggles the person there. */
export const pickSchema = z.object({ x: z.number().min(0).max(1), y: z.number().min(0).max(1) }).strict();
export type PickPayload = z.infer<typeof pickSchema>;
