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
