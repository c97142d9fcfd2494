/** What the effect gallery selects: an effect id (or none) and where on the picture it goes. */
export type PlaceTarget = 'whole' | 'background' | 'person';
export const PLACE_TARGETS: readonly { id: PlaceTarget; label: string; hint: string }[] = [
  { id: 'whole', label: 'Whole', hint: 'the whole picture' },
  { id: 'background', label: 'Background', hint: 'everything but the person' },
  { id: 'person', label: 'Person', hint: 'only the person' },
];

/** `style: null` is "none": the picture passes through unchanged (target `none` on the wire). */
export interface Selection {
  style: string | null;
  target: PlaceTarget;
}
