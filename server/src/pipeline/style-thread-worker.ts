/**
 * The style thread: one style network, run on frames that live in SharedArrayBuffers owned by the caller
 * (`ThreadedStylizer`). Nothing is copied across the thread boundary; messages only say "run" and "done".
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleThreadInit, StyleThreadReply, StyleThreadRequest } from './style-thread.ts';
import { ArbitraryStylizer } from './arbitrary-style.ts';
import { Stylizer } from './stylize.ts';

const port = parentPort!;
const init = workerData as StyleThreadInit;
const runtime = new ModelRuntime({ threads: init.threads, logger: { info: () => {}, warn: (m) => console.warn(`[style] ${m}`) } });

function reply(message: StyleThreadReply): void {
  port.postMessage(message);
}

try {
  const arbitrary = init.arbitrary;
  const stylizer = arbitrary
    ? new ArbitraryStylizer(
        await runtime.load(init.modelId),
        arbitrary.vector,
        arbitrary.strength < 1 && arbitrary.predictModelId ? await runtime.load(arbitrary.predictModelId) : undefined,
        { strength: arbitrary.predictModelId ? arbitrary.strength : 1, maxLongSide: arbitrary.maxLongSide },
      )
    : new Stylizer(await runtime.load(init.modelId));
  port.on('message', (message: StyleThreadRequest) => {
    if (message.type === 'close') {
      void runtime.close().finally(() => port.close());
      return;
    }
    if (message.type === 'set-style') {
      const { seq, vector, strength, predictModelId } = message;
      (async () => {
        if (!(stylizer instanceof ArbitraryStylizer)) throw new TypeError('not an arbitrary-style thread');
        const predict = strength < 1 && predictModelId ? await runtime.load(predictModelId) : undefined;
        stylizer.setStyle(vector, predict ? strength : 1, predict);
      })().then(
        () => reply({ type: 'style-set', seq }),
        (error: unknown) => reply({ type: 'style-set', seq, error: error instanceof Error ? error.message : String(error) }),
      );
      return;
    }
    if (message.type === 'crash') {
      if (process.env.DEEPPHOTO_FAULT_INJECTION === '1') setImmediate(() => { throw new Error('injected style thread crash'); });
      return;
    }
    const input = { width: message.inputWidth, height: message.inputHeight, data: new Uint8Array(message.input) };
    const output = { width: message.outputWidth, height: message.outputHeight, data: new Uint8Array(message.output) };
    const started = performance.now();
    stylizer.stylize(input, output, message.maxLongSide).then(
      () => reply({ type: 'done', seq: message.seq, ms: performance.now() - started }),
      (error: unknown) => reply({ type: 'failed', seq: message.seq, message: error instanceof Error ? error.message : String(error) }),
    );
  });
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'init-error', message: error instanceof Error ? error.message : String(error) });
  await runtime.close();
  port.close();
}
