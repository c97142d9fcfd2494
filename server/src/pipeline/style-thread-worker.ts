/**
 * The style thread: one style network, run on frames that live in SharedArrayBuffers owned by the caller
 * (`ThreadedStylizer`). Nothing is copied across the thread boundary; messages only say "run" and "done".
 */
import { serveThread } from '../core/worker.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import type { StyleThreadProtocol } from './style-thread.ts';
import { ArbitraryStylizer } from './arbitrary-style.ts';
import { Stylizer } from './stylize.ts';

await serveThread<StyleThreadProtocol>(async ({ init }) => {
  const runtime = new ModelRuntime({ threads: init.threads, ...(init.providers ? { providers: init.providers } : {}), logger: { info: () => {}, warn: (m) => console.warn(`[style] ${m}`) } });
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
    return {
      async request(message) {
        if (message.type === 'set-style') {
          if (!(stylizer instanceof ArbitraryStylizer)) throw new TypeError('not an arbitrary-style thread');
          const predict = message.strength < 1 && message.predictModelId ? await runtime.load(message.predictModelId) : undefined;
          stylizer.setStyle(message.vector, predict ? message.strength : 1, predict);
          return null;
        }
        const input = { width: message.inputWidth, height: message.inputHeight, data: new Uint8Array(message.input) };
        const output = { width: message.outputWidth, height: message.outputHeight, data: new Uint8Array(message.output) };
        const started = performance.now();
        await stylizer.stylize(input, output, message.maxLongSide);
        return performance.now() - started;
      },
      close: () => runtime.close(),
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
});
