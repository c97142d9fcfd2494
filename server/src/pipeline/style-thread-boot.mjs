// Entry of a live pipeline's style thread: register tsx's loader in this thread, then run the TypeScript entry
// (Node 20 does not apply `--import tsx` to a worker's own entry; see server/src/live/frame-worker-boot.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./style-thread-worker.ts');
