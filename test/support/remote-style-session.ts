/**
 * A stand-in for a session's frame worker in the inference-owner tests: a thread of its own that receives its port
 * to the owner in its init (as the frame worker does) and stylizes pictures with the pipeline's own Stylizer over a
 * RemoteModel, exactly the style stage a GPU session runs. Started with core/worker.ts like every product thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { serveThread, Transfer } from '../../server/src/core/worker.ts';
import { InferenceClient, RemoteModel } from '../../server/src/runtime/inference-client.ts';
import { Stylizer } from '../../server/src/pipeline/stylize.ts';

export interface RemoteStyleSessionProtocol {
  init: { port: MessagePort; modelId: string };
  /** Stylize `frames` times the picture (at its own size); reply with each output and its batch size. */
  request: { picture: Uint8Array; width: number; height: number; frames: number };
  reply: { outputs: Uint8Array[]; batches: number[] };
}

await serveThread<RemoteStyleSessionProtocol>(async ({ init }) => {
  const client = new InferenceClient(init.port);
  const stylizer = new Stylizer(await RemoteModel.load(client, init.modelId));
  const model = stylizer.model as RemoteModel;
  return {
    async request({ picture, width, height, frames }) {
      const outputs: Uint8Array[] = [];
      const batches: number[] = [];
      for (let f = 0; f < frames; f++) {
        const out = { width, height, data: new Uint8Array(width * height * 3) };
        await stylizer.stylize({ width, height, data: picture }, out, Math.max(width, height));
        outputs.push(out.data);
        batches.push(model.lastBatch);
      }
      return new Transfer({ outputs, batches }, outputs.map((o) => o.buffer as ArrayBuffer));
    },
    close: () => client.close(),
  };
});
