/**
 * The client library (web/lib/client) bundled for a plain page, exactly as another web app would bundle it: one
 * IIFE exposing `window.DeepPhoto = { DeepPhotoClient, DeepPhotoError }`, socket.io-client included. Used by
 * `bench:live` and the tests' pages (not by the product, whose page is built by Next.js).
 */
import path from 'node:path';
import { build } from 'esbuild';

const ENTRY = path.resolve(import.meta.dirname, '../../../web/lib/client/index.ts');
let cached: Promise<string> | undefined;

export function clientBundle(): Promise<string> {
  cached ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    globalName: 'DeepPhoto',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return cached;
}
