import { isPeopleTarget, type Effect, type PickPayload } from '@deepphoto/shared';
import { UnknownPersonError } from '../instances/errors.ts';
// Person selection (detector, split) is imported on first use: most edits never need it, and the photo thread
// should start as fast as before.
import type { PeopleFinder } from '../instances/people.ts';
import { composite, TARGET_RULES } from '../pipeline/composite.ts';
import { createMask, createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { PersonMasker, type PersonMaskOptions } from '../pipeline/person-mask.ts';
import { Stylizer } from '../pipeline/stylize.ts';
import type { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleCatalog, StyleTier } from '../styles/catalog.ts';

export interface PhotoEditOptions {
  /** Long side, in pixels, the style network runs at (the result is resampled back to the photo's size). */
  styleMaxSide: number;
  tier: StyleTier;
}

export const DEFAULT_PHOTO_EDIT: PhotoEditOptions = { styleMaxSide: 1024, tier: 'quality' };

export interface PhotoEditTimings {
  maskMs: number;
  styleMs: number;
  compositeMs: number;
}

export interface PhotoEditResult {
  image: RgbImage;
  timings: PhotoEditTimings;
  modelId: string | null;
}

/** What the HTTP API and thumbnails need: the in-thread PhotoEditor, or WorkerPhotoEditor in the server. */
export interface PhotoEditing {
  edit(photo: RgbImage, effect: PhotoEffect, options?: Partial<PhotoEditOptions>): Promise<PhotoEditResult>;
}

/** For the `people` / `people-except` targets: the chosen people, numbered left to right from 1. */
export type PhotoEffect = Effect & { people?: readonly number[]; picks?: readonly PickPayload[] };

/**
 * The still-photo flow of the original study: segment, stylize, composite onto whole / background / person.
 * Stateless between photos apart from the model sessions (held by the runtime) and stage objects.
 */
export class PhotoEditor implements PhotoEditing {
  private masker: PersonMasker | undefined;
  private peopleFinder: PeopleFinder | undefined;
  private readonly stylizers = new Map<string, Stylizer>();

  constructor(
    private readonly runtime: ModelRuntime,
    readonly catalog: StyleCatalog,
    private readonly maskOptions: Partial<PersonMaskOptions> = {},
  ) {}

  private async stylizerFor(modelId: string): Promise<Stylizer> {
    let stylizer = this.stylizers.get(modelId);
    if (!stylizer) {
      stylizer = new Stylizer(await this.runtime.load(modelId));
      this.stylizers.set(modelId, stylizer);
    }
    return stylizer;
  }

  async edit(photo: RgbImage, effect: PhotoEffect, options: Partial<PhotoEditOptions> = {}): Promise<PhotoEditResult> {
    const { styleMaxSide, tier } = { ...DEFAULT_PHOTO_EDIT, ...options };
    const rule = TARGET_RULES[effect.target];
    // Resolve the style first so that an unknown style fails before any work is done.
    const modelId = rule.needsStyle ? this.catalog.modelFor(effect.style, tier) : null;
    const timings: PhotoEditTimings = { maskMs: 0, styleMs: 0, compositeMs: 0 };

    const styledPromise = (async () => {
      if (!modelId) return null;
      const started = performance.now();
      const styled = createRgbImage(photo.width, photo.height);
      await (await this.stylizerFor(modelId)).stylize(photo, styled, styleMaxSide);
      timings.styleMs = performance.now() - started;
      return styled;
    })();
    const maskPromise = (async () => {
      if (!rule.needsMask) return null;
      const started = performance.now();
      if (isPeopleTarget(effect.target)) {
        const mask = await this.selectedPeopleMask(photo, effect.people ?? [], effect.picks ?? [], effect.target === 'people-except');
        timings.maskMs = performance.now() - started;
        return mask;
      }
      this.masker ??= await PersonMasker.create(this.runtime, this.maskOptions);
      const mask = createMask(photo.width, photo.height);
      await this.masker.mask(photo, mask);
      timings.maskMs = performance.now() - started;
      return mask;
    })();
    // allSettled: an unknown person must not leave the style run as an unhandled rejection (or vice versa).
    const [styledResult, maskResult] = await Promise.allSettled([styledPromise, maskPromise]);
    if (maskResult.status === 'rejected') throw maskResult.reason;
    if (styledResult.status === 'rejected') throw styledResult.reason;
    const styled = styledResult.value;
    const mask = maskResult.value;

    const started = performance.now();
    const out = createRgbImage(photo.width, photo.height);
    composite(photo, styled, mask, effect.target, out);
    timings.compositeMs = performance.now() - started;
    return { image: out, timings, modelId };
  }

  /** The soft mask of the chosen people (or of everyone else); UnknownPersonError if a number is not in the photo. */
  private async selectedPeopleMask(photo: RgbImage, numbers: readonly number[], picks: readonly PickPayload[], invert: boolean) {
    const [{ PeopleFinder }, { selectionMask }] = await Promise.all([import('../instances/people.ts'), import('../instances/split.ts')]);
    this.peopleFinder ??= await PeopleFinder.create(this.runtime, { mask: this.maskOptions });
    const found = await this.peopleFinder.find(photo);
    const people = [...numbers];
    for (const pick of picks) {
      const x = Math.min(photo.width - 1, Math.floor(pick.x * photo.width));
      const y = Math.min(photo.height - 1, Math.floor(pick.y * photo.height));
      const label = found.labels[y * photo.width + x]!;
      if (label === 0 || found.mask.data[y * photo.width + x]! < 0.5) throw new UnknownPersonError(`nobody at (${pick.x.toFixed(2)}, ${pick.y.toFixed(2)}) in this photo`);
      people.push(label);
    }
    const missing = people.filter((n) => n > found.faces.length);
    if (missing.length > 0) {
      throw new UnknownPersonError(`no person ${missing.join(', ')} in this photo: ${found.faces.length} found, numbered 1..${found.faces.length} left to right`);
    }
    const selected = new Uint8Array(256);
    for (const n of people) selected[n] = 1;
    selectionMask(found.mask, found.labels, selected, invert, found.mask);
    return found.mask;
  }
}
