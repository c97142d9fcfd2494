import sharp from 'sharp';
import type { RgbImage } from '../pipeline/image.ts';
import { DeepPhotoError } from '../core/errors.ts';

/** Limits on what a still photo may be; both bytes and pixels are bounded (a small PNG can decode to gigapixels). */
export interface PhotoLimits {
  maxBytes: number;
  maxPixels: number;
}

export const DEFAULT_PHOTO_LIMITS: PhotoLimits = {
  maxBytes: 25 * 1024 * 1024,
  maxPixels: 40_000_000,
};

export type PhotoErrorCode = 'too_large' | 'not_an_image';

/** A photo we refuse, with the HTTP-visible reason. */
export class PhotoInputError extends DeepPhotoError {
  constructor(
    override readonly code: PhotoErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'PhotoInputError';
  }
}

export type OutputFormat = 'jpeg' | 'png' | 'webp';

export interface DecodedPhoto {
  image: RgbImage;
  /** The format the photo came in, so that the result can go back the same way. */
  format: string;
}

/**
 * The checks every uploaded picture passes before it is decoded: byte size, readable header, dimensions, pixel
 * count (read from the header alone, so a decompression bomb is refused before it is expanded). `noun` names the
 * upload in messages ("photo", "picture").
 */
export async function checkPicture(bytes: Uint8Array, limits: PhotoLimits, noun: string): Promise<sharp.Metadata & { format: keyof sharp.FormatEnum }> {
  if (bytes.length > limits.maxBytes) throw new PhotoInputError('too_large', `${noun} is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new PhotoInputError('not_an_image', 'not an image sharp can read (JPEG, PNG, WebP, GIF, TIFF, AVIF)');
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (!metadata.format || width <= 0 || height <= 0) throw new PhotoInputError('not_an_image', 'not an image: no dimensions');
  if (width * height > limits.maxPixels) {
    throw new PhotoInputError('too_large', `${noun} is ${width}x${height} = ${width * height} pixels; the limit is ${limits.maxPixels}`);
  }
  return metadata as sharp.Metadata & { format: keyof sharp.FormatEnum };
}

/** Decodes any format sharp reads to RGB, applying EXIF orientation and flattening alpha onto white. */
export async function decodePhoto(bytes: Uint8Array, limits: PhotoLimits = DEFAULT_PHOTO_LIMITS): Promise<DecodedPhoto> {
  const metadata = await checkPicture(bytes, limits, 'photo');
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, format: metadata.format };
  } catch (error) {
    throw new PhotoInputError('not_an_image', `the image could not be decoded (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Formats the HTTP API accepts: recognised by their leading bytes, never by name or declared type. */
export type UploadFormat = 'jpeg' | 'png' | 'webp';

/** JPEG (FF D8 FF), PNG (89 50 4E 47 0D 0A 1A 0A) or WebP (RIFF....WEBP); undefined for anything else. */
export function sniffPhotoFormat(bytes: Uint8Array): UploadFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'png';
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return undefined;
}

export function formatForPath(path: string): OutputFormat {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'png') return 'png';
  if (ext === 'webp') return 'webp';
  return 'jpeg';
}

/** Output format for a result: PNG stays PNG, WebP stays WebP, everything else becomes JPEG. */
export function formatFor(inputFormat: string): OutputFormat {
  return inputFormat === 'png' ? 'png' : inputFormat === 'webp' ? 'webp' : 'jpeg';
}

export const MIME_TYPES: Record<OutputFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

export async function encodePhoto(image: RgbImage, format: OutputFormat, quality = 92): Promise<Buffer> {
  const pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
  if (format === 'png') return pipeline.png().toBuffer();
  if (format === 'webp') return pipeline.webp({ quality }).toBuffer();
  return pipeline.jpeg({ quality, mozjpeg: true }).toBuffer();
}

/** Reads a single-channel mask image (e.g. a ground-truth PNG) resized to the given size. */
export async function decodeMask(bytes: Uint8Array): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { data, info } = await sharp(bytes).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
