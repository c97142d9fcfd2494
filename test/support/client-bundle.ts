/**
 * The client library (web/lib/client) bundled for a plain test page, exactly as another web app would bundle it:
 * one IIFE exposing `window.DeepPhoto = { DeepPhotoClient, DeepPhotoError }`, socket.io-client included.
 */
import { build } from 'esbuild';
import { REPO_ROOT } from './paths.ts';
import path from 'node:path';

let cached: Promise<string> | undefined;

export function clientBundle(): Promise<string> {
  cached ??= build({
    entryPoints: [path.join(REPO_ROOT, 'web/lib/client/index.ts')],
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
