/**
 * The effect gallery and background pictures over HTTP:
 *  - `GET /api/effects` — every effect the gallery offers, grouped (Backgrounds, Styles, Your styles, None), with
 *    the caller's own uploaded pictures among the Backgrounds;
 *  - `GET /api/effects/:id/thumbnail.jpg` — one small picture per effect;
 *  - `POST /api/backgrounds` (multipart `image`) — upload a background picture: 201 with its gallery entry;
 *    415 `not_an_image`, 413 `too_large`, 400 `bad_request`;
 *  - `GET /api/backgrounds`, `DELETE /api/backgrounds/:id` — the caller's uploads.
 * The caller's identity is the `x-deepphoto-identity` header (or `?identity=`): an opaque token the page keeps
 * until accounts exist.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BACKGROUND_ID_PREFIX, BLUR_ID_PREFIX, BLUR_STRENGTHS, effectFromId, type EffectInfo, type Target } from '@deepphoto/shared';
import type { PhotoContext } from '../context.ts';
import { decodePhoto, encodePhoto, type PhotoLimits } from '../photo/io.ts';
import { coverFit } from '../pipeline/background-image.ts';
import { createRgbImage } from '../pipeline/image.ts';
import { BackgroundLibrary, BUILTIN_BACKGROUNDS, identitySchema, type UserBackground } from '../styles/backgrounds.ts';
import type { ThumbnailCache } from '../photo/thumbnails.ts';
import { DeepPhotoError } from '../core/errors.ts';
import { readImageUpload } from './upload.ts';

export interface EffectRoutesOptions {
  photo: PhotoContext;
  thumbnails: ThumbnailCache;
  limits: PhotoLimits;
}

const THUMB = { width: 160, height: 120 };
const ALL_TARGETS: Target[] = ['background', 'whole', 'person'];

function titleCase(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The identity a request speaks for, or null when it gave none; a malformed one is a 400. */
export function requestIdentity(request: FastifyRequest): string | null {
  const header = request.headers['x-deepphoto-identity'];
  const query = (request.query as Record<string, unknown> | undefined)?.identity;
  const raw = typeof header === 'string' ? header : typeof query === 'string' ? query : undefined;
  if (raw === undefined) return null;
  const parsed = identitySchema.safeParse(raw);
  if (!parsed.success) throw new DeepPhotoError('bad_request', parsed.error.issues[0]?.message ?? 'bad identity');
  return parsed.data;
}

function userEntry(b: UserBackground): EffectInfo {
  const id = `${BACKGROUND_ID_PREFIX}${b.id}`;
  return { id, kind: 'image', group: 'backgrounds', title: b.title, targets: ['background'], thumbnailUrl: `/api/effects/${id}/thumbnail.jpg`, deletable: true };
}

/** The gallery: backgrounds (blurs, built-in pictures, the caller's uploads), styles, the caller's styles, none. */
export async function listEffects(photo: PhotoContext, identity: string | null): Promise<EffectInfo[]> {
  const effects: EffectInfo[] = [];
  for (const strength of Object.keys(BLUR_STRENGTHS)) {
    const id = `${BLUR_ID_PREFIX}${strength}`;
    effects.push({ id, kind: 'blur', group: 'backgrounds', title: `Blur (${strength})`, targets: ALL_TARGETS, thumbnailUrl: `/api/effects/${id}/thumbnail.jpg` });
  }
  for (const b of BUILTIN_BACKGROUNDS) {
    const id = `${BACKGROUND_ID_PREFIX}${b.id}`;
    effects.push({ id, kind: 'image', group: 'backgrounds', title: b.title, targets: ['background'], thumbnailUrl: `/api/effects/${id}/thumbnail.jpg` });
  }
  if (identity) effects.push(...(await photo.backgrounds.list(identity)).map(userEntry));
  for (const look of photo.catalog.list()) {
    // A user's own styles (from the styles work) are marked by the catalog; plain looks are `styles`.
    const own = (look as { group?: string }).group === 'your-styles' || look.id.startsWith('u-');
    effects.push({ id: look.id, kind: 'style', group: own ? 'your-styles' : 'styles', title: look.title, targets: ALL_TARGETS, thumbnailUrl: `/api/styles/${look.id}/thumbnail.jpg` });
  }
  effects.push({ id: 'none', kind: 'none', group: 'none', title: 'None', targets: ['none'], thumbnailUrl: '/api/styles/none/thumbnail.jpg' });
  return effects;
}

export function registerEffectRoutes(app: FastifyInstance, options: EffectRoutesOptions): void {
  const { photo, thumbnails, limits } = options;
  const pictureThumbs = new Map<string, Promise<Buffer>>();

  app.get('/api/effects', async (request) => ({ effects: await listEffects(photo, requestIdentity(request)) }));

  app.get<{ Params: { id: string } }>('/api/effects/:id/thumbnail.jpg', async (request, reply) => {
    const id = request.params.id;
    const resolved = effectFromId(id, id.startsWith(BACKGROUND_ID_PREFIX) ? 'background' : 'whole');
    if (!resolved.ok) throw new DeepPhotoError('unknown_style', resolved.message);
    const effect = resolved.effect;
    let jpeg: Buffer;
    if (effect.kind === 'image') {
      const image = effect.params.image;
      if (!(await photo.backgrounds.exists(image))) throw new DeepPhotoError('unknown_style', `unknown background picture "${image}"`);
      let pending = pictureThumbs.get(image);
      if (!pending) {
        pending = photo.backgrounds.load(image).then((picture) => {
          const thumb = createRgbImage(THUMB.width, THUMB.height);
          coverFit(picture, thumb);
          return encodePhoto(thumb, 'jpeg', 85);
        });
        pictureThumbs.set(image, pending);
        pending.catch(() => pictureThumbs.delete(image));
      }
      jpeg = await pending;
    } else if (effect.kind === 'blur') {
      jpeg = await thumbnails.get(id, 'background');
    } else {
      if (effect.kind === 'style' && !photo.catalog.has(id)) throw new DeepPhotoError('unknown_style', `unknown style "${id}"`);
      jpeg = await thumbnails.get(id);
    }
    return reply.type('image/jpeg').header('cache-control', 'public, max-age=3600').send(jpeg);
  });

  function needIdentity(request: FastifyRequest): string {
    const identity = requestIdentity(request);
    if (!identity) throw new DeepPhotoError('bad_request', 'send your identity in the x-deepphoto-identity header');
    return identity;
  }

  app.post('/api/backgrounds', async (request, reply) => {
    const identity = needIdentity(request);
    const { bytes: upload, fileName: filename } = await readImageUpload(request);
    const { image } = await decodePhoto(upload, limits); // 415 not_an_image / 413 too_large
    const title = filename.replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N} _-]/gu, '').trim().slice(0, 40) || 'My picture';
    const saved = await photo.backgrounds.add(identity, image, title);
    return reply.status(201).send({ effect: userEntry(saved) });
  });

  app.get('/api/backgrounds', async (request) => ({ effects: (await photo.backgrounds.list(needIdentity(request))).map(userEntry) }));

  app.delete<{ Params: { id: string } }>('/api/backgrounds/:id', async (request, reply) => {
    const identity = needIdentity(request);
    const id = request.params.id.startsWith(BACKGROUND_ID_PREFIX) ? request.params.id.slice(BACKGROUND_ID_PREFIX.length) : request.params.id;
    if (!BackgroundLibrary.isUserId(id)) throw new DeepPhotoError('bad_request', `"${request.params.id}" is not an uploaded picture id`);
    if (!(await photo.backgrounds.remove(identity, id))) throw new DeepPhotoError('not_found', `no uploaded picture "${id}" of yours`);
    pictureThumbs.delete(id);
    return reply.status(204).send();
  });
}

