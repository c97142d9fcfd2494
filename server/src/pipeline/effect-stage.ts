/**
 * The effects that are not neural styles — blur and background picture — as one small interface, looked up by
 * kind (a registry, not a chain of ifs): each renders, at frame size, the picture that replaces the target region;
 * the usual `composite()` then mixes it in through the mask. Both work from the working-size frame and mask the
 * pipeline already has, so they cost a few ms per frame.
 */
import { BLUR_STRENGTHS, effectFromId, type EffectSpec, type Target } from '@deepphoto/shared';
import { UnknownStyleError } from '../styles/catalog.ts';
import { FittedBackground } from './background-image.ts';
import { MaskedBlur, type BlurSource } from './blur.ts';
import { createMask, createRgbImage, type Mask, type RgbImage } from './image.ts';
import { NativeScalerCache } from './native-scale.ts';
import { ResamplerCache } from './resample.ts';

/** An effect id whose kind does not fit the target (e.g. a picture on the person): `unknown_target`. */
export class EffectTargetError extends TypeError {
  override readonly name = 'EffectTargetError';
}

/**
 * The effect object for an effect id and target. Unknown or misapplied ids throw (UnknownStyleError /
 * EffectTargetError) before anything is loaded. Whether a style id exists is the catalog's call, later.
 */
export function resolveEffect(effectId: string, target: Target): EffectSpec {
  const resolved = effectFromId(effectId, target);
  if (resolved.ok) return resolved.effect;
  if (resolved.code === 'unknown_target') throw new EffectTargetError(resolved.message);
  throw new UnknownStyleError(effectId, []);
}

/** Where background pictures come from (built-ins and user uploads); injected, so that this layer does no I/O. */
export interface BackgroundPictureSource {
  /** The picture for a background id; rejects with an `UnknownStyleError` for an unknown id. */
  load(id: string): Promise<RgbImage>;
}

export interface EffectRenderer {
  readonly kind: 'blur' | 'image';
  /** Whether `render` reads the mask (a blur of the whole picture does not). */
  readonly needsMask: boolean;
  /**
   * The picture to composite over the target region, `width` x `height` (the frame). `small` and `maskSmall` are
   * the frame and person mask at working size. The result belongs to the renderer and is reused next frame.
   */
  render(small: RgbImage, maskSmall: Mask | null, width: number, height: number): RgbImage;
  /** Frees native scaling contexts, if any. Idempotent; called after the renderer's last frame. */
  close?(): void;
}

// People targets get a mask that is already the chosen people's (or everyone else's) share: blur inside it.
const BLUR_SOURCE: Readonly<Record<Target, BlurSource | null>> = { background: 'background', person: 'person', whole: 'all', none: null, people: 'person', 'people-except': 'person' };

/**
 * Blur sigma (in pixels of the picture it runs on) up to which the blur runs at the given size; a wider blur runs
 * on a picture shrunk by an integer factor so that its sigma stays about this: a blurred picture has no detail for
 * the extra pixels to carry, and the work drops with the square of the factor.
 */
const BLUR_SIGMA_AT_SIZE = 3;

export class BlurRenderer implements EffectRenderer {
  readonly kind = 'blur';
  readonly needsMask: boolean;
  private readonly blur = new MaskedBlur();
  private readonly shrink = new ResamplerCache();
  private readonly shrinkMask = new ResamplerCache();
  /** The blurred picture to the frame: native (swscale) bilinear, the one full-frame step of this effect. */
  private readonly up = new NativeScalerCache();
  private shrunk: RgbImage = createRgbImage(1, 1);
  private shrunkMask: Mask = createMask(1, 1);
  private blurred: RgbImage = createRgbImage(1, 1);
  private full: RgbImage = createRgbImage(1, 1);
  private readonly source: BlurSource;

  constructor(
    /** Kernel standard deviation as a fraction of the picture's long side. */
    private readonly sigmaFraction: number,
    target: Target,
  ) {
    const source = BLUR_SOURCE[target];
    if (!source) throw new TypeError(`BlurRenderer: nothing to blur for target ${target}`);
    this.source = source;
    this.needsMask = source !== 'all';
  }

  render(small: RgbImage, maskSmall: Mask | null, width: number, height: number): RgbImage {
    if (this.full.width !== width || this.full.height !== height) this.full = createRgbImage(width, height);
    const sigma = this.sigmaFraction * Math.max(small.width, small.height);
    const factor = Math.max(1, Math.floor(sigma / BLUR_SIGMA_AT_SIZE));
    let picture = small;
    let mask = maskSmall;
    if (factor > 1) {
      const w = Math.max(1, Math.round(small.width / factor));
      const h = Math.max(1, Math.round(small.height / factor));
      if (this.shrunk.width !== w || this.shrunk.height !== h) {
        this.shrunk = createRgbImage(w, h);
        this.shrunkMask = createMask(w, h);
      }
      this.shrink.get({ srcWidth: small.width, srcHeight: small.height, dstWidth: w, dstHeight: h, channels: 3 }).resize(small.data, 'HWC', this.shrunk.data, 'HWC');
      picture = this.shrunk;
      if (maskSmall) {
        this.shrinkMask.get({ srcWidth: small.width, srcHeight: small.height, dstWidth: w, dstHeight: h, channels: 1 }).resize(maskSmall.data, 'HWC', this.shrunkMask.data, 'HWC');
        mask = this.shrunkMask;
      }
    }
    if (this.blurred.width !== picture.width || this.blurred.height !== picture.height) this.blurred = createRgbImage(picture.width, picture.height);
    this.blur.blur(picture, mask, this.source, sigma / factor, this.blurred);
    this.up
      .get({ srcWidth: picture.width, srcHeight: picture.height, dstWidth: width, dstHeight: height, format: 'rgb24' })
      .scale(this.blurred.data, this.full.data);
    return this.full;
  }

  close(): void {
    this.up.close();
  }
}

export class PictureRenderer implements EffectRenderer {
  readonly kind = 'image';
  readonly needsMask = true;
  private readonly fitted: FittedBackground;

  constructor(picture: RgbImage) {
    this.fitted = new FittedBackground(picture);
  }

  render(_small: RgbImage, _maskSmall: Mask | null, width: number, height: number): RgbImage {
    return this.fitted.at(width, height);
  }
}

/** The renderer for a blur or image effect (null for styles and `none`, which other stages handle). */
export async function createEffectRenderer(effect: EffectSpec, pictures: BackgroundPictureSource | undefined): Promise<EffectRenderer | null> {
  if (effect.target === 'none') return null;
  switch (effect.kind) {
    case 'blur':
      return new BlurRenderer(BLUR_STRENGTHS[effect.params.strength], effect.target);
    case 'image': {
      if (!pictures) throw new TypeError('background pictures are not available here');
      return new PictureRenderer(await pictures.load(effect.params.image));
    }
    default:
      return null;
  }
}
