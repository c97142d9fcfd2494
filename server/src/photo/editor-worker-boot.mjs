// Entry of the photo editor's worker thread: register tsx's loader, then run the TypeScript entry
// (Node 20 does not apply `--import tsx` to a worker's own entry; see server/src/live/frame-worker-boot.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./editor-worker.ts');
