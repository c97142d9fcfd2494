// Entry of a session's frame worker. Node 20 does not apply `--import tsx` from a worker's execArgv to the
// worker's own entry file, so this plain module registers tsx's loader in the worker thread, then imports the
// TypeScript entry. Works the same under tsx, vitest and `npm start`.
import { register } from 'tsx/esm/api';

register();
await import('./frame-worker.ts');
