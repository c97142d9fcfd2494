/**
 * The photo editor's thread: its own runtime, catalog and PhotoEditor. onnxruntime-node runs inference as a
 * synchronous native call, so editing a photo here keeps the server's event loop (HTTP, socket.io, RTP of every
 * live call) free.
 */
import { createPhotoContext } from '../context.ts';
import { serveThread, Transfer } from '../core/worker.ts';
import type { EditorProtocol } from './worker-editor.ts';

await serveThread<EditorProtocol>(async ({ init }) => {
  const context = await createPhotoContext({ logger: { info: () => {}, warn: () => {} }, config: init.config });
  // Loaded up front so that a style made from an uploaded picture is ready within a second, not after a model load.
  const arbitrary = context.catalog.arbitrary;
  if (arbitrary) {
    await Promise.all([arbitrary.predictModelId, arbitrary.transferModelId].map((id) => (id ? context.runtime.load(id).catch(() => undefined) : undefined)));
  }
  return {
    async request(message) {
      const photo = { width: message.width, height: message.height, data: new Uint8Array(message.pixels) };
      if (message.type === 'style-vector') return { type: 'vector', vector: await context.editor.styleVector(photo) };
      const { image, timings, modelId } = await context.editor.edit(photo, message.effect, message.options);
      const pixels = image.data.buffer as ArrayBuffer;
      return new Transfer({ type: 'edited', pixels, timings, modelId }, [pixels]);
    },
    close: () => context.close(),
  };
});
