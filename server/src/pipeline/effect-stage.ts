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
import { createRgbImage, type Mask, type RgbImage } from './image.ts';
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
}

const BLUR_SOURCE: Readonly<Record<Target, BlurSource | null>> = { background: 'background', person: 'person', whole: 'all', none: null };

export class BlurRenderer implements EffectRenderer {
  readonly kind = 'blur';
  readonly needsMask: boolean;
  private readonly blur = new MaskedBlur();
  private readonly up = new ResamplerCache();
  private blurredSmall: RgbImage = createRgbImage(1, 1);
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
    if (this.blurredSmall.width !== small.width || this.blurredSmall.height !== small.height) this.blurredSmall = createRgbImage(small.width, small.height);
    if (this.full.width !== width || this.full.height !== height) this.full = createRgbImage(width, height);
    const sigma = this.sigmaFraction * Math.max(small.width, small.height);
    this.blur.blur(small, maskSmall, this.source, sigma, this.blurredSmall);
    this.up
      .get({ srcWidth: small.width, srcHeight: small.height, dstWidth: width, dstHeight: height, channels: 3 })
      .resize(this.blurredSmall.data, 'HWC', this.full.data, 'HWC');
    return this.full;
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
