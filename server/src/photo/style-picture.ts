import sharp from 'sharp';
import { STYLE_IMAGE_SIDE } from '../pipeline/arbitrary-style.ts';
import type { RgbImage } from '../pipeline/image.ts';
import { checkPicture, DEFAULT_PHOTO_LIMITS, PhotoInputError, type PhotoLimits } from './io.ts';

/**
 * A style picture straight to what the prediction network sees: its centred square at 256x256. Decoding at that
 * size (JPEG shrink-on-load) instead of full resolution is what keeps "upload -> style" well under a second for a
 * 12-megapixel photo. Same limits and error codes as photos (413 too_large, 415 not_an_image).
 */
export async function decodeStylePicture(bytes: Uint8Array, limits: PhotoLimits = DEFAULT_PHOTO_LIMITS): Promise<RgbImage> {
  await checkPicture(bytes, limits, 'picture');
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels })
      .rotate()
      .resize(STYLE_IMAGE_SIDE, STYLE_IMAGE_SIDE, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw new PhotoInputError('not_an_image', `the picture could not be decoded (${(error as Error).message.split('\n')[0]})`);
  }
}
