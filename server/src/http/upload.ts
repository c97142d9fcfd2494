/**
 * The one way the HTTP API reads an uploaded picture: a multipart body with exactly one file field, `image`,
 * and a few short text fields (the multipart plugin bounds their number and size, and the file's bytes: 413).
 */
import type { FastifyRequest } from 'fastify';
import { DeepPhotoError } from '../core/errors.ts';

export interface ImageUpload {
  bytes: Buffer;
  /** The file name the browser gave, '' when none. */
  fileName: string;
  /** Text fields by name (the last one wins). */
  fields: Record<string, string>;
}

/** `expected` completes "send multipart/form-data with …" when the body is not multipart (415 not_an_image). */
export async function readImageUpload(request: FastifyRequest, expected = 'a file field "image"'): Promise<ImageUpload> {
  if (!request.isMultipart()) throw new DeepPhotoError('not_an_image', `send multipart/form-data with ${expected}`);
  const fields: Record<string, string> = {};
  let bytes: Buffer | undefined;
  let fileName = '';
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image') {
        part.file.resume();
        throw new DeepPhotoError('bad_request', `unexpected file field "${part.fieldname}"; use "image"`);
      }
      fileName = part.filename ?? '';
      bytes = await part.toBuffer(); // throws FST_REQ_FILE_TOO_LARGE past the limit -> 413 too_large
    } else fields[part.fieldname] = String(part.value);
  }
  if (!bytes) throw new DeepPhotoError('bad_request', 'missing file field "image"');
  return { bytes, fileName, fields };
}
