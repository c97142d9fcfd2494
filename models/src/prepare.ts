/**
 * Install step: produce every model that is built locally rather than fetched.
 * Segmentation ONNX files come from the `.tflite` files that `@mediapipe/selfie_segmentation` ships, through our own
 * converter; the source file's sha256 is checked first so a changed package never slips through silently.
 * Style teachers are only checked for availability (they come from the cache or the mirror at run time).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadManifest, type ModelEntry } from './manifest.ts';
import { defaultCacheDir, ModelMissingError, resolveModelPath, sha256Hex, writeAtomically } from './resolve.ts';
import { convertTfliteToOnnx } from './tflite/convert.ts';

const require = createRequire(import.meta.url);

export async function prepareSegmentationModel(entry: ModelEntry, cacheDir = defaultCacheDir()): Promise<{ path: string; sha256: string; ms: number }> {
  if (entry.source.kind !== 'npm-tflite') throw new TypeError(`${entry.id} is not built from a tflite file`);
  const started = performance.now();
  const packageDir = join(require.resolve(`${entry.source.package}/package.json`), '..');
  const tflite = readFileSync(join(packageDir, entry.source.path));
  const sourceSha = sha256Hex(tflite);
  if (sourceSha !== entry.source.sha256) {
    throw new Error(`${entry.id}: ${entry.source.package}/${entry.source.path} has sha256 ${sourceSha}, manifest expects ${entry.source.sha256}`);
  }
  const onnx = convertTfliteToOnnx(tflite, { producerName: 'deepphoto-tflite2onnx' });
  const sha256 = sha256Hex(onnx);
  if (sha256 !== entry.sha256) {
    throw new Error(`${entry.id}: converted model has sha256 ${sha256}, manifest expects ${entry.sha256} (converter changed?)`);
  }
  const path = join(cacheDir, entry.file);
  writeAtomically(path, onnx);
  return { path, sha256, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const manifest = loadManifest();
  for (const entry of manifest.models) {
    if (entry.source.kind === 'npm-tflite') {
      const { path, sha256, ms } = await prepareSegmentationModel(entry);
      console.log(`prepared ${entry.id}: ${path} (sha256 ${sha256.slice(0, 12)}…, ${ms.toFixed(0)} ms)`);
      continue;
    }
    try {
      const path = await resolveModelPath(entry);
      console.log(`found ${entry.id}: ${path}`);
    } catch (error) {
      if (!(error instanceof ModelMissingError)) throw error;
      // Not fatal at install: the product runs with the styles it has, and says which are missing.
      console.warn(`unavailable ${entry.id}: ${error.message}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
