/**
 * The inference owner thread: one ModelRuntime holding each style network once (its batched copy), one
 * InferenceBatcher per network, and a MessagePort per session. Frames that arrive from any session while the GPU
 * runs a batch are run together as the next batch. Tensors are read from and written to the sessions'
 * SharedArrayBuffers in place; a session that goes away (port closed, thread crashed) only loses its own answers.
 */
import type { MessagePort } from 'node:worker_threads';
import { serializeError } from '../core/errors.ts';
import { serveThread } from '../core/worker.ts';
import { InferenceBatcher } from './batcher.ts';
import { invalidClientMessage, type ClientMessage, type OwnerMessage } from './inference-protocol.ts';
import type { InferenceOwnerProtocol, InferenceOwnerStats } from './inference-owner.ts';
import { ModelRuntime, type ExecutionProvider } from './onnx.ts';

interface Served {
  batcher: InferenceBatcher;
  provider: ExecutionProvider;
}

await serveThread<InferenceOwnerProtocol>(({ init }) => {
  const runtime = new ModelRuntime({
    threads: init.threads,
    providers: { style: init.providers },
    logger: { info: (m) => console.log(`[inference owner] ${m}`), warn: (m) => console.warn(`[inference owner] ${m}`) },
  });
  const models = new Map<string, Promise<Served>>();
  const ports = new Set<MessagePort>();
  let loads = 0;
  let sessionsServed = 0;

  function served(modelId: string): Promise<Served> {
    let pending = models.get(modelId);
    if (!pending) {
      loads++;
      pending = runtime.loadBatched(modelId).then((model) => ({ batcher: new InferenceBatcher(model, init.maxBatch), provider: model.provider }));
      models.set(modelId, pending);
      pending.catch(() => models.delete(modelId)); // a failed load is tried again by the next session
    }
    return pending;
  }

  async function answer(message: ClientMessage): Promise<OwnerMessage> {
    const { batcher, provider } = await served(message.modelId);
    if (message.type === 'load') return { type: 'loaded', id: message.id, provider };
    const started = performance.now();
    const result = await batcher.run(new Float32Array(message.input), message.dims);
    const output = new Float32Array(message.output);
    if (result.data.length !== output.length) throw new RangeError(`${message.modelId}: output has ${result.data.length} values, the session expects ${output.length}`);
    output.set(result.data);
    return { type: 'ran', id: message.id, ms: performance.now() - started, batch: result.batch };
  }

  function connect(port: MessagePort): void {
    ports.add(port);
    sessionsServed++;
    port.on('message', (message: unknown) => {
      const id = typeof (message as { id?: unknown })?.id === 'number' ? (message as { id: number }).id : -1;
      const problem = invalidClientMessage(message);
      const reply = problem
        ? Promise.reject(new TypeError(`inference owner: ${problem}`))
        : answer(message as ClientMessage);
      // A reply to a session that has gone is dropped by the closed port; nothing else depends on it.
      reply.then(
        (ok) => port.postMessage(ok),
        (error: unknown) => port.postMessage({ type: 'failed', id, error: serializeError(error) } satisfies OwnerMessage),
      );
    });
    port.on('close', () => ports.delete(port));
  }

  return {
    message(body) {
      if (body.type === 'connect') connect(body.port);
    },
    async request() {
      const stats: InferenceOwnerStats = { loads, sessionsServed, sessionsConnected: ports.size, models: {} };
      for (const [modelId, pending] of models) {
        const model = await pending.catch(() => undefined);
        if (model) stats.models[modelId] = { provider: model.provider, ...model.batcher.stats };
      }
      return stats;
    },
    async close() {
      for (const port of ports) port.close();
      ports.clear();
      for (const pending of models.values()) (await pending.catch(() => undefined))?.batcher.close();
      await runtime.close();
    },
  };
});
