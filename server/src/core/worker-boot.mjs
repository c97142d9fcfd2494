// The entry of every worker thread (see worker.ts). Node 20 does not apply `--import tsx` from a worker's execArgv
// to the worker's own entry file, so this plain module registers tsx's loader in the thread, then imports the
// TypeScript module named in workerData. Works the same under tsx, vitest and `npm start`.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
