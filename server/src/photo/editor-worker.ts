/**
 * The photo editor's thread: its own runtime, catalog and PhotoEditor. onnxruntime-node runs inference as a
 * synchronous native call, so editing a photo here keeps the server's event loop (HTTP, socket.io, RTP of every
 * live call) free.
 */
import { parentPort } from 'node:worker_threads';
import { createPhotoContext } from '../context.ts';
import type { EditorReply, EditorRequest } from './worker-editor.ts';

const port = parentPort!;
const context = await createPhotoContext({ logger: { info: () => {}, warn: () => {} } });
// Loaded up front so that a style made from an uploaded picture is ready within a second, not after a model load.
const arbitrary = context.catalog.arbitrary;
if (arbitrary) {
  await Promise.all([arbitrary.predictModelId, arbitrary.transferModelId].map((id) => (id ? context.runtime.load(id).catch(() => undefined) : undefined)));
}

port.on('message', (message: EditorRequest) => {
  if (message.type === 'close') {
    void context.close().finally(() => port.close());
    return;
  }
  if (message.type === 'crash') {
    if (process.env.DEEPPHOTO_FAULT_INJECTION === '1') setImmediate(() => { throw new Error('injected photo thread crash'); });
    return;
  }
  const photo = { width: message.width, height: message.height, data: new Uint8Array(message.pixels) };
  if (message.type === 'style-vector') {
    context.editor.styleVector(photo).then(
      (vector) => port.postMessage({ type: 'vector', id: message.id, vector } satisfies EditorReply),
      (error: unknown) => {
        const e = error as Error;
        port.postMessage({ type: 'failed', id: message.id, name: e.name, message: e.message } satisfies EditorReply);
      },
    );
    return;
  }
  context.editor.edit(photo, message.effect, message.options).then(
    ({ image, timings, modelId }) => {
      const pixels = image.data.buffer as ArrayBuffer;
      port.postMessage({ type: 'done', id: message.id, pixels, timings, modelId } satisfies EditorReply, [pixels]);
    },
    (error: unknown) => {
      const e = error as Error;
      port.postMessage({ type: 'failed', id: message.id, name: e.name, message: e.message, styleId: (e as { styleId?: string }).styleId } satisfies EditorReply);
    },
  );
});
port.postMessage({ type: 'ready' } satisfies EditorReply);
