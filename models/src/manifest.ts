import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** One tensor's contract. `-1` in a shape is a dynamic dimension. */
const tensorSpecSchema = z.object({
  name: z.string(),
  layout: z.enum(['NHWC', 'NCHW']),
  shape: z.array(z.number().int()),
  colour: z.literal('RGB').optional(),
  /** Dynamic spatial dims must be a multiple of this (strided convs + upsampling). */
  multipleOf: z.number().int().positive().optional(),
  meaning: z.string().optional(),
});

const sourceSchema = z.discriminatedUnion('kind', [
  /** Produced at install by our converter from a `.tflite` shipped in an npm package. */
  z.object({
    kind: z.literal('npm-tflite'),
    package: z.string(),
    version: z.string(),
    path: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  /** A public file: downloaded from `url` when it has one, else resolvable only from the cache or a mirror. */
  z.object({ kind: z.literal('download'), url: z.string().url().optional(), homepage: z.string().url(), note: z.string().optional() }),
  /** Our own artefact, committed in the repository (path relative to `models/`). */
  z.object({ kind: z.literal('repo'), path: z.string() }),
  /**
   * A public `.tflite` file converted by our converter: the tflite is resolved from the cache, then the mirror
   * (`mirrorPath` under DEEPPHOTO_MODELS_MIRROR), then `url`, checked against `sha256`; the converted ONNX (the
   * entry's `file` and `sha256`) is written to the cache.
   */
  z.object({
    kind: z.literal('tflite-download'),
    url: z.string().url(),
    homepage: z.string().url(),
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    mirrorPath: z.string(),
    /** Convert with symbolic height/width (networks that run at any size). */
    dynamicSpatial: z.boolean().default(false),
  }),
]);

export const modelEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  /** `style_predict` / `style_transfer`: the two halves of the arbitrary-style network (any picture as a style). */
  task: z.enum(['segmentation', 'style', 'style_predict', 'style_transfer', 'detection']),
  /**
   * Style models only: `live` nets run in real time on CPU; `quality` are the teachers; `live-int8` are int8 (QDQ)
   * copies of live nets (`npm run models:quantize`), measured by eval:style / bench:int8 but not served until the
   * product chooses to (the catalog skips them).
   */
  tier: z.enum(['live', 'quality', 'live-int8']).optional(),
  /** For distilled nets: the teacher they imitate. */
  teacher: z.string().optional(),
  title: z.string(),
  license: z.string(),
  attribution: z.string(),
  file: z.string(),
  /** Of the file the runtime loads; for install-time conversions, of our converter's (deterministic) output. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  source: sourceSchema,
  mirrorPath: z.string().optional(),
  /** A file in the mirror produced independently (e.g. by another converter), for equivalence tests only. */
  referencePath: z.string().optional(),
  io: z.object({
    input: tensorSpecSchema,
    output: tensorSpecSchema,
    /** style_transfer only: the style vector input beside the content image. */
    styleInput: tensorSpecSchema.optional(),
    /** Further outputs a model has (a detector's scores next to its boxes), read with LoadedModel.runAll. */
    extraOutputs: z.array(tensorSpecSchema).optional(),
  }),
  /** model input = pixel (0..255) * scale + offset */
  normalization: z.object({ scale: z.number(), offset: z.number() }),
});

export const manifestSchema = z.object({ $comment: z.string().optional(), models: z.array(modelEntrySchema).min(1) });

export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type ModelTask = ModelEntry['task'];
export type Manifest = z.infer<typeof manifestSchema>;

export const MANIFEST_URL = new URL('../manifest.json', import.meta.url);

let cached: Manifest | undefined;

/** The validated manifest; a malformed manifest is a programming error and throws with zod's path. */
export function loadManifest(): Manifest {
  cached ??= manifestSchema.parse(JSON.parse(readFileSync(MANIFEST_URL, 'utf8')));
  return cached;
}

export function findModel(id: string): ModelEntry | undefined {
  return loadManifest().models.find((m) => m.id === id);
}

export function modelsByTask(task: ModelTask): ModelEntry[] {
  return loadManifest().models.filter((m) => m.task === task);
}
