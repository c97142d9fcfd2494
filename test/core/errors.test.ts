import { ERROR_CODES } from '@deepphoto/shared';
import { describe, expect, it } from 'vitest';
import { DeepPhotoError, deserializeError, HTTP_STATUS_OF, serializeError } from '../../server/src/core/errors.ts';
import { UnknownPersonError } from '../../server/src/instances/errors.ts';
import { PhotoInputError } from '../../server/src/photo/io.ts';
import { UnknownStyleError } from '../../server/src/styles/catalog.ts';

describe('DeepPhotoError', () => {
  it('every wire code has an HTTP status; the thrower may choose another', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS_OF[code]).toBeGreaterThanOrEqual(400);
    expect(new DeepPhotoError('busy', 'full').status).toBe(503);
    expect(new DeepPhotoError('unknown_style', 'x', { status: 400 }).status).toBe(400);
    expect(new DeepPhotoError('not_found', 'gone').toBody()).toEqual({ error: { code: 'not_found', message: 'gone' } });
  });

  it('the domain errors are DeepPhotoErrors with their codes and statuses', () => {
    expect(new UnknownPersonError('no person 3')).toMatchObject({ code: 'unknown_person', status: 400, name: 'UnknownPersonError' });
    expect(new UnknownStyleError('vangogh', ['mosaic'])).toMatchObject({ code: 'unknown_style', status: 404, styleId: 'vangogh' });
    expect(new PhotoInputError('too_large', 'big')).toMatchObject({ code: 'too_large', status: 413 });
    expect(new PhotoInputError('not_an_image', 'text')).toBeInstanceOf(DeepPhotoError);
  });

  it('from() keeps a wire code found on any error and calls everything else internal', () => {
    expect(DeepPhotoError.from(Object.assign(new Error('who'), { code: 'unknown_person' })).code).toBe('unknown_person');
    expect(DeepPhotoError.from(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toMatchObject({ code: 'internal', status: 500, message: 'fs' });
    expect(DeepPhotoError.from('plain string').message).toBe('plain string');
  });

  it('a serialized error comes back with its code, status, name and message after a structured clone', () => {
    const original = new UnknownStyleError('vangogh', ['mosaic']);
    const back = deserializeError(structuredClone(serializeError(original)));
    expect(back).toBeInstanceOf(DeepPhotoError);
    expect(back).toMatchObject({ code: 'unknown_style', status: 404, name: 'UnknownStyleError', message: original.message });
    const plain = deserializeError(structuredClone(serializeError(new RangeError('out of range'))));
    expect(plain).not.toBeInstanceOf(DeepPhotoError);
    expect(plain).toMatchObject({ name: 'RangeError', message: 'out of range' });
  });
});
