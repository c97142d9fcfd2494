/**
 * `GET /api/recordings/:id` — download a finished recording. A fastify plugin:
 * `await app.register(recordingRoutes, { store, security })`. With `security`, the request needs a token with the
 * `record` grant whose identity owns the recording (`Authorization: Bearer` or `?access_token=` for links).
 */
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { authenticate, type SecurityContext } from '../security/guard.ts';
import { RecordingStore } from './recording-store.ts';

export interface RecordingRoutesOptions {
  store: RecordingStore;
  security?: SecurityContext;
}

export const recordingRoutes: FastifyPluginAsync<RecordingRoutesOptions> = async (app, options) => {
  const { store, security } = options;
  app.get<{ Params: { id: string } }>('/api/recordings/:id', async (request, reply) => {
    const id = request.params.id.replace(/\.webm$/, '');
    if (!RecordingStore.isValidId(id)) {
      return reply.status(400).send({ error: { code: 'bad_request', message: 'malformed recording id' } });
    }
    const notFound = () =>
      reply.status(404).send({ error: { code: 'not_found', message: `no recording "${id}" of yours (finished recordings are kept until your disk quota needs the space)` } });
    if (security) {
      const auth = await authenticate(security, request, reply, 'record');
      if (!auth) return reply;
      // Someone else's recording looks exactly like a missing one: ids are not confirmed to strangers.
      if ((await store.owner(id)) !== auth.identity) return notFound();
    }
    const size = await store.size(id);
    if (size === undefined) return notFound();
    return reply
      .type('video/webm')
      .header('content-length', size)
      .header('content-disposition', `attachment; filename="deepphoto-${id}.webm"`)
      .send(createReadStream(store.webmPath(id)));
  });
};
