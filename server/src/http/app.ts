import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { effectFromId, styleIdSchema, styleStrengthSchema, targetSchema, TARGETS, type StyleInfo } from '@deepphoto/shared';
import { parsePeopleField } from './people-field.ts';
import type { PhotoContext } from '../context.ts';
import { DEFAULT_PHOTO_LIMITS, decodePhoto, encodePhoto, formatFor, MIME_TYPES, sniffPhotoFormat, type PhotoLimits } from '../photo/io.ts';
import { authenticate, registerHttpSecurity, type SecurityContext } from '../security/guard.ts';
import { ThumbnailCache } from '../photo/thumbnails.ts';
import { registerEffectRoutes } from './effects-routes.ts';
import { DeepPhotoError } from '../core/errors.ts';
import { styleRoutes } from './style-routes.ts';
import { readImageUpload } from './upload.ts';

export interface HttpAppOptions {
  photo: PhotoContext;
  limits?: PhotoLimits;
  /** Photo edits running or waiting at once; beyond it the server answers 503 busy instead of queueing forever. */
  maxPendingEdits?: number;
  logger?: boolean;
  /** Tokens (photo grant for /api/edit), Origin/Host checks, token and ICE endpoints. Off only in unit tests. */
  security?: SecurityContext;
  https?: { cert: Buffer; key: Buffer };
  /** A request (upload included) must complete within this time; slow-loris uploads are cut (default 60 s). */
  requestTimeoutMs?: number;
}

/**
 * The HTTP face of the product: still-photo editing and the style list. Every failure becomes a JSON body
 * `{error: {code, message}}` with a fitting status; nothing a client sends can take the process down.
 */
export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const limits = options.limits ?? DEFAULT_PHOTO_LIMITS;
  const maxPending = options.maxPendingEdits ?? 4;
  const { catalog, editor } = options.photo;
  const thumbnails = new ThumbnailCache(editor);
  let pendingEdits = 0;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.maxBytes + 1024 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
    connectionTimeout: options.requestTimeoutMs ?? 60_000,
    ...(options.https ? { https: options.https } : {}),
  }) as unknown as FastifyInstance;
  if (options.security) registerHttpSecurity(app, options.security);
  await app.register(multipart, { limits: { fileSize: limits.maxBytes, files: 1, fields: 8, fieldSize: 1024 } });

  app.setErrorHandler((error, _request, reply) => {
    // Every error with a wire code (HTTP checks, photo input, unknown style/person, also from the editor thread).
    if (error instanceof DeepPhotoError) return reply.status(error.status).send(error.toBody());
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE' || status === 413) {
      return reply.status(413).send({ error: { code: 'too_large', message: `upload exceeds ${limits.maxBytes} bytes` } });
    }
    if (status >= 400 && status < 500) {
      return reply.status(status === 406 ? 415 : status).send({ error: { code: 'bad_request', message: (error as Error).message } });
    }
    app.log.error(error);
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error; the server is still running' } });
  });

  app.get('/api/health', async () => ({ ok: true }));

  app.get('/api/styles', async (): Promise<{ styles: StyleInfo[]; targets: readonly string[] }> => ({
    styles: catalog.list().map((look) => ({
      id: look.id,
      title: look.title,
      tier: look.models.live || look.arbitrary ? 'live' : 'quality',
      thumbnailUrl: `/api/styles/${look.id}/thumbnail.jpg`,
      group: look.arbitrary ? (look.arbitrary.group === 'user' ? 'user' : 'art') : 'styles',
    })),
    targets: TARGETS,
  }));

  app.get<{ Params: { id: string } }>('/api/styles/:id/thumbnail.jpg', async (request, reply) => {
    const id = request.params.id;
    if (id !== 'none' && !catalog.has(id)) throw new DeepPhotoError('unknown_style', `unknown style "${id}"`);
    const jpeg = await thumbnails.get(id);
    return reply.type('image/jpeg').header('cache-control', 'public, max-age=3600').send(jpeg);
  });

  registerEffectRoutes(app, { photo: options.photo, thumbnails, limits });
  await app.register(styleRoutes, { photo: options.photo, limits });

  app.post('/api/edit', async (request, reply) => {
    if (options.security && !(await authenticate(options.security, request, reply, 'photo'))) return reply;
    if (!request.isMultipart()) throw new DeepPhotoError('not_an_image', 'send multipart/form-data with fields image, style, target');
    // Busy is decided before a byte of the upload is read: a full server does not buffer 25 MB to say no.
    if (pendingEdits >= maxPending) throw new DeepPhotoError('busy', 'too many photos in progress; try again in a moment');
    pendingEdits++;
    try {
      return await editUpload(request, reply);
    } finally {
      pendingEdits--;
    }
  });

  async function editUpload(request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply) {
    const { bytes: upload, fields } = await readImageUpload(request, 'fields image, style, target');
    if (!sniffPhotoFormat(upload)) throw new DeepPhotoError('not_an_image', 'only JPEG, PNG and WebP photos are accepted (recognised by content)');
    const target = targetSchema.safeParse(fields.target ?? 'whole');
    if (!target.success) throw new DeepPhotoError('unknown_target', `unknown target "${fields.target}"; use one of ${TARGETS.join(', ')}`);
    // `style` is an effect id: a style, `blur-light` / `blur-strong`, `bg-<picture>` (see GET /api/effects).
    const style = fields.style ?? catalog.ids()[0] ?? '';
    if (target.data !== 'none') {
      const effect = styleIdSchema.safeParse(style).success ? effectFromId(style, target.data) : null;
      if (effect && !effect.ok && effect.code === 'unknown_target') throw new DeepPhotoError('unknown_target', effect.message);
      const known =
        effect?.ok === true &&
        (effect.effect.kind === 'style' ? catalog.has(style) : effect.effect.kind === 'image' ? await options.photo.backgrounds.exists(effect.effect.params.image) : true);
      if (!known) throw new DeepPhotoError('unknown_style', `unknown style "${style}"; available: ${catalog.ids().join(', ')} and the effects of GET /api/effects`, { status: 400 });
    }
    const strength = fields.strength === undefined ? undefined : styleStrengthSchema.safeParse(Number(fields.strength));
    if (strength && !strength.success) throw new DeepPhotoError('bad_request', `strength must be a number from 0 to 100, got "${fields.strength}"`);
    const people = parsePeopleField(fields.people, target.data, fields.picks);
    {
      const { image, format } = await decodePhoto(upload, limits);
      const { image: edited, timings, modelId } = await editor.edit(image, { style, target: target.data, ...people, ...(strength ? { strength: strength.data } : {}) });
      const outFormat = formatFor(format);
      const body = await encodePhoto(edited, outFormat);
      return reply
        .type(MIME_TYPES[outFormat])
        .header('content-disposition', `attachment; filename="deepphoto-${style}-${target.data}.${outFormat === 'jpeg' ? 'jpg' : outFormat}"`)
        .header('x-deepphoto-model', modelId ?? 'none')
        .header('x-deepphoto-timings', JSON.stringify(timings))
        .send(body);
    }
  }

  return app;
}
