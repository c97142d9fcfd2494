/** A small thread for the WorkerThread tests: echoes, doubles bytes (transferred back), hangs, crashes, exits. */
import { DeepPhotoError } from '../../server/src/core/errors.ts';
import { serveThread, Transfer } from '../../server/src/core/worker.ts';

export interface EchoProtocol {
  init: { failWith?: 'plain' | 'coded'; closeLog?: SharedArrayBuffer };
  request:
    | { op: 'echo'; value: string }
    | { op: 'double'; bytes: ArrayBuffer }
    | { op: 'coded-error' }
    | { op: 'hang' }
    | { op: 'crash' }
    | { op: 'exit'; code: number };
  reply: string | ArrayBuffer;
  message: { op: 'emit'; value: string };
  event: { echoed: string };
}

await serveThread<EchoProtocol>(async ({ init, emit }) => {
  if (init.failWith === 'plain') throw new Error('no model here');
  if (init.failWith === 'coded') throw new DeepPhotoError('model_missing', 'the echo network is not installed');
  return {
    request(body) {
      switch (body.op) {
        case 'echo':
          return body.value;
        case 'double': {
          const out = new Uint8Array(body.bytes).map((v) => v * 2);
          return new Transfer(out.buffer, [out.buffer]);
        }
        case 'coded-error':
          throw new DeepPhotoError('unknown_person', 'no person 7 in view');
        case 'hang':
          return new Promise<string>(() => {});
        case 'crash':
          setTimeout(() => {
            throw new Error('boom in the thread');
          }, 20);
          return new Promise<string>(() => {});
        case 'exit':
          process.exit(body.code);
      }
    },
    message: (body) => emit({ echoed: body.value }),
    close() {
      if (init.closeLog) new Int32Array(init.closeLog)[0] = 1;
    },
  };
});
