import { isPeopleTarget, type Effect, type PickPayload } from '@deepphoto/shared';
import { UnknownPersonError } from '../instances/errors.ts';
// Person selection (detector, split) is imported on first use: most edits never need it, and the photo thread
// should start as fast as before.
import type { PeopleFinder } from '../instances/people.ts';
import { composite, TARGET_RULES } from '../pipeline/composite.ts';
import { createEffectRenderer, resolveEffect, type BackgroundPictureSource, type EffectRenderer } from '../pipeline/effect-stage.ts';
import { createMask, createRgbImage, type Mask, type RgbImage } from '../pipeline/image.ts';
import { Resampler } from '../pipeline/resample.ts';
import { workingSize } from '../pipeline/stylize.ts';
import { PersonMasker, type PersonMaskOptions } from '../pipeline/person-mask.ts';
import { ModelMissingError } from '@deepphoto/models';
import { ArbitraryStylizer, predictStyleVector } from '../pipeline/arbitrary-style.ts';
import { Stylizer } from '../pipeline/stylize.ts';
import type { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleCatalog, StyleTier } from '../styles/catalog.ts';

export interface PhotoEditOptions {
  /** Long side, in pixels, the style network runs at (the result is resampled back to the photo's size). */
  styleMaxSide: number;
  tier: StyleTier;
  /** Long side blur runs at (the blurred picture is upsampled: blur has no detail to lose). */
  effectMaxSide: number;
}

export const DEFAULT_PHOTO_EDIT: PhotoEditOptions = { styleMaxSide: 1024, tier: 'quality', effectMaxSide: 1024 };

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
  /** The arbitrary-style vector of a style picture (prediction network); throws ModelMissingError without it. */
  styleVector(picture: RgbImage): Promise<Float32Array>;
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
    /** Pictures for `bg-*` effects; without it only styles and blur are available. */
    private readonly pictures?: BackgroundPictureSource,
  ) {}

  private async stylizerFor(modelId: string): Promise<Stylizer> {
    let stylizer = this.stylizers.get(modelId);
    if (!stylizer) {
      stylizer = new Stylizer(await this.runtime.load(modelId));
      this.stylizers.set(modelId, stylizer);
    }
    return stylizer;
  }

  async styleVector(picture: RgbImage): Promise<Float32Array> {
    const predictId = this.catalog.arbitrary?.predictModelId;
    if (!predictId) {
      throw new ModelMissingError('arbitrary-predict', 'the arbitrary-style networks are not installed: set DEEPPHOTO_MODELS_MIRROR (e.g. ../shared/models) and run `npm run models:prepare`');
    }
    return predictStyleVector(await this.runtime.load(predictId), picture);
  }

  /** Arbitrary-style looks: the transfer network with the look's vector (blended with the photo's own below 100 %). */
  private async arbitraryStylizerFor(modelId: string, vector: Float32Array, strengthPercent: number): Promise<ArbitraryStylizer> {
    const strength = strengthPercent / 100;
    const predictId = this.catalog.arbitrary?.predictModelId;
    const predict = strength < 1 && predictId ? await this.runtime.load(predictId) : undefined;
    return new ArbitraryStylizer(await this.runtime.load(modelId), vector, predict, { strength: predict ? strength : 1 });
  }

  /** `effect.style` is an effect id: a style id, `blur-light` / `blur-strong`, `bg-<picture>` or `none`. */
  async edit(photo: RgbImage, effect: PhotoEffect, options: Partial<PhotoEditOptions> = {}): Promise<PhotoEditResult> {
    const { styleMaxSide, tier, effectMaxSide } = { ...DEFAULT_PHOTO_EDIT, ...options };
    const rule = TARGET_RULES[effect.target];
    const spec = resolveEffect(effect.style, effect.target);
    if (spec.kind === 'none' || (rule.needsStyle && spec.kind !== 'style')) {
      // Unknown picture ids fail here, before any work.
      const renderer = await createEffectRenderer(spec, this.pictures);
      if (renderer) return this.editRendered(photo, effect, renderer, effectMaxSide);
      const out = createRgbImage(photo.width, photo.height);
      out.data.set(photo.data);
      return { image: out, timings: { maskMs: 0, styleMs: 0, compositeMs: 0 }, modelId: null };
    }
    // Resolve the style first so that an unknown style fails before any work is done.
    const modelId = rule.needsStyle ? this.catalog.modelFor(effect.style, tier) : null;
    const timings: PhotoEditTimings = { maskMs: 0, styleMs: 0, compositeMs: 0 };

    const styledPromise = (async () => {
      if (!modelId) return null;
      const started = performance.now();
      const styled = createRgbImage(photo.width, photo.height);
      const vector = this.catalog.styleVectorFor(effect.style);
      const stylizer = vector ? await this.arbitraryStylizerFor(modelId, vector, effect.strength ?? 100) : await this.stylizerFor(modelId);
      await stylizer.stylize(photo, styled, styleMaxSide);
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

  /** Blur or background picture: person mask at full size, the renderer at `maxSide`, composite at full size. */
  private async editRendered(photo: RgbImage, effect: Effect, renderer: EffectRenderer, maxSide: number): Promise<PhotoEditResult> {
    const timings: PhotoEditTimings = { maskMs: 0, styleMs: 0, compositeMs: 0 };
    let started = performance.now();
    let mask: Mask | null = null;
    if (renderer.needsMask) {
      this.masker ??= await PersonMasker.create(this.runtime, this.maskOptions);
      mask = createMask(photo.width, photo.height);
      await this.masker.mask(photo, mask);
    }
    timings.maskMs = performance.now() - started;
    started = performance.now();
    const size = workingSize(photo, Math.min(maxSide, Math.max(photo.width, photo.height)), 1);
    const small = createRgbImage(size.width, size.height);
    new Resampler({ srcWidth: photo.width, srcHeight: photo.height, dstWidth: size.width, dstHeight: size.height, channels: 3 }).resize(photo.data, 'HWC', small.data, 'HWC');
    let maskSmall: Mask | null = null;
    if (mask) {
      maskSmall = createMask(size.width, size.height);
      new Resampler({ srcWidth: photo.width, srcHeight: photo.height, dstWidth: size.width, dstHeight: size.height, channels: 1 }).resize(mask.data, 'HWC', maskSmall.data, 'HWC');
    }
    const picture = renderer.render(small, maskSmall, photo.width, photo.height);
    timings.styleMs = performance.now() - started;
    started = performance.now();
    const out = createRgbImage(photo.width, photo.height);
    composite(photo, picture, mask, effect.target, out);
    timings.compositeMs = performance.now() - started;
    return { image: out, timings, modelId: null };
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
