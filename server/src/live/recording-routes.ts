/**
 * `GET /api/recordings/:id` — download a finished recording. A fastify plugin:
 * `await app.register(recordingRoutes, { store })`.
 */
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { RecordingStore } from './recording-store.ts';

export interface RecordingRoutesOptions {
  store: RecordingStore;
}

export const recordingRoutes: FastifyPluginAsync<RecordingRoutesOptions> = async (app, options) => {
  const { store } = options;
  app.get<{ Params: { id: string } }>('/api/recordings/:id', async (request, reply) => {
    const id = request.params.id.replace(/\.webm$/, '');
    if (!RecordingStore.isValidId(id)) {
      return reply.status(400).send({ error: { code: 'bad_request', message: 'malformed recording id' } });
    }
    const size = await store.size(id);
    if (size === undefined) {
      return reply.status(404).send({ error: { code: 'not_found', message: `no recording "${id}" (finished recordings are kept until the disk quota needs the space)` } });
    }
    return reply
      .type('video/webm')
      .header('content-length', size)
      .header('content-disposition', `attachment; filename="deepphoto-${id}.webm"`)
      .send(createReadStream(store.webmPath(id)));
  });
};
