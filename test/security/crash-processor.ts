/**
 * A frame processor for fault-containment tests: the built-in colour effects, except that switching to the style
 * "crash" throws an uncaught error inside the session's worker thread (as a native or library bug would).
 */
import { ColourEffectProcessor } from '../../server/src/live/builtin-processors.ts';
import type { ProcessorFactory, ProcessorOptions } from '../../server/src/pipeline/processor.ts';

class CrashingProcessor extends ColourEffectProcessor {
  override async update(change: Partial<ProcessorOptions>): Promise<void> {
    if (change.style === 'crash') {
      setImmediate(() => {
        throw new Error('injected frame worker crash');
      });
      return new Promise(() => {}); // never answers: the crash ends the worker first
    }
    return super.update(change);
  }
}

export const createProcessor: ProcessorFactory = async (options) => new CrashingProcessor(options);
