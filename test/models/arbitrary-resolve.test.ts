import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModel, ModelChecksumError, ModelMissingError, resolveModelPath, sha256Hex } from '../../models/src/index.ts';
import { StyleCatalog } from '../../server/src/styles/catalog.ts';
import { SHARED_DIR } from '../support/paths.ts';

const MIRROR = join(SHARED_DIR, 'models');
const hasMirror = existsSync(join(MIRROR, 'arbitrary-style/style_transfer_f16_384.tflite'));
const offline: typeof fetch = () => Promise.reject(new Error('offline (test)'));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deepphoto-resolve-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('arbitrary-style networks: resolved like the teachers, converted by our converter', () => {
  it.runIf(hasMirror)('converts the mirrored .tflite into the cache, with the manifest sha256, then serves it from the cache', async () => {
    const entry = findModel('arbitrary-transfer-f16')!;
    const cacheDir = join(dir, 'cache');
    const path = await resolveModelPath(entry, { cacheDir, mirrorDir: MIRROR, fetchImpl: offline });
    expect(path).toBe(join(cacheDir, entry.file));
    expect(sha256Hex(readFileSync(path))).toBe(entry.sha256);
    // Second time: straight from the cache, even without a mirror.
    expect(await resolveModelPath(entry, { cacheDir, mirrorDir: undefined, fetchImpl: offline })).toBe(path);
  });

  it.runIf(hasMirror)('refuses a .tflite whose sha256 is not the manifest\'s', async () => {
    const entry = findModel('arbitrary-predict')!;
    const fakeMirror = join(dir, 'tampered');
    mkdirSync(join(fakeMirror, 'arbitrary-style'), { recursive: true });
    copyFileSync(join(MIRROR, 'arbitrary-style/style_predict_quantized_256.tflite'), join(fakeMirror, 'arbitrary-style/style_predict_quantized_256.tflite'));
    const file = join(fakeMirror, 'arbitrary-style/style_predict_quantized_256.tflite');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    await expect(resolveModelPath(entry, { cacheDir: join(dir, 'cache2'), mirrorDir: fakeMirror, fetchImpl: offline })).rejects.toBeInstanceOf(ModelChecksumError);
  });

  it('without cache, mirror or network: a ModelMissingError that says what to set', async () => {
    const entry = findModel('arbitrary-predict')!;
    const error = await resolveModelPath(entry, { cacheDir: join(dir, 'empty'), mirrorDir: undefined, fetchImpl: offline }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelMissingError);
    expect((error as Error).message).toMatch(/DEEPPHOTO_MODELS_MIRROR/);
  });

  it('the catalog starts without them: no art looks, and one log line naming what is missing and the fix', async () => {
    const lines: string[] = [];
    const catalog = await StyleCatalog.discover({ cacheDir: join(dir, 'empty'), mirrorDir: undefined, fetchImpl: offline }, (m) => lines.push(m));
    expect(catalog.arbitrary).toBeUndefined();
    expect(catalog.ids().some((id) => id.startsWith('art-'))).toBe(false);
    expect(catalog.ids()).toContain('mosaic'); // the light nets in the repository still work
    expect(lines.join('\n')).toMatch(/arbitrary-style networks not found .*DEEPPHOTO_MODELS_MIRROR/);
  });
});
