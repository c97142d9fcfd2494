/**
 * Styles from the user's own pictures over HTTP:
 *   POST   /api/styles       multipart `image` (+ optional `title`) -> 201 {style: StyleInfo, ms}; 200 when known
 *   DELETE /api/styles/:id   -> 204; 404 not_found for an unknown user style; 400 for a built-in one
 * The style vector is computed in the photo editor's thread (inference never blocks the event loop) and written to
 * the user style store, where every thread (photos, live sessions) finds it at once.
 */
import type { FastifyInstance } from 'fastify';
import { ModelMissingError } from '@deepphoto/models';
import type { StyleInfo } from '@deepphoto/shared';
import type { PhotoContext } from '../context.ts';
import type { PhotoLimits } from '../photo/io.ts';
import { decodeStylePicture } from '../photo/style-picture.ts';
import { isUserStyleId, titleFromFileName, userStyleId } from '../styles/user-styles.ts';
import { DeepPhotoError } from '../core/errors.ts';
import { readImageUpload } from './upload.ts';

export function userStyleInfo(style: { id: string; title: string }): StyleInfo {
  return { id: style.id, title: style.title, tier: 'live', thumbnailUrl: `/api/styles/${style.id}/thumbnail.jpg`, group: 'user' };
}

export async function styleRoutes(app: FastifyInstance, options: { photo: PhotoContext; limits: PhotoLimits }): Promise<void> {
  const { catalog, editor } = options.photo;

  app.post('/api/styles', async (request, reply) => {
    const started = performance.now();
    const { bytes: upload, fileName, fields } = await readImageUpload(request);
    const title = fields.title;
    if (!catalog.arbitrary?.predictModelId) {
      throw new DeepPhotoError('model_missing', 'styles from your own pictures need the arbitrary-style networks; see the server log');
    }
    // The store doubles as the style-vector cache: the same picture (same sha256) is never predicted twice.
    const known = catalog.userStyles.get(userStyleId(upload));
    if (known) return reply.status(200).send({ style: userStyleInfo(known), ms: Math.round(performance.now() - started), cached: true });
    const image = await decodeStylePicture(upload, options.limits); // 415 not_an_image / 413 too_large
    let vector: Float32Array;
    try {
      vector = await editor.styleVector(image);
    } catch (error) {
      if (error instanceof ModelMissingError || (error as Error).name === 'ModelMissingError') throw new DeepPhotoError('model_missing', (error as Error).message);
      throw error;
    }
    const style = catalog.userStyles.save({ id: userStyleId(upload), title: titleFromFileName(title ?? fileName), vector });
    return reply.status(201).send({ style: userStyleInfo(style), ms: Math.round(performance.now() - started) });
  });

  app.delete<{ Params: { id: string } }>('/api/styles/:id', async (request, reply) => {
    const id = request.params.id;
    if (!isUserStyleId(id)) {
      const why = catalog.has(id) ? `"${id}" is a built-in style and cannot be deleted` : `"${id}" is not a style id of yours`;
      throw new DeepPhotoError(catalog.has(id) ? 'bad_request' : 'not_found', why);
    }
    if (!catalog.userStyles.delete(id)) throw new DeepPhotoError('not_found', `no style "${id}"`);
    return reply.status(204).send();
  });
}
