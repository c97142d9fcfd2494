/**
 * Built-in arbitrary-style looks: style vectors computed once from public style pictures (see
 * `tools/style-vectors.ts`) and committed as JSON, with each picture's origin and licence.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const BUILTIN_VECTORS_FILE = fileURLToPath(new URL('./builtin-style-vectors.json', import.meta.url));

/** The pictures (in `../shared/data/style-images`, licences in its MANIFEST) and the look each becomes. */
export const BUILTIN_PICTURES = [
  {
    id: 'art-candy',
    title: 'Candy picture',
    file: 'candy.jpg',
    licence: 'BSD-3-Clause',
    attribution: 'pytorch/examples fast_neural_style/images/style-images/candy.jpg @ 77f55b9, Copyright (c) 2017 PyTorch contributors',
  },
  {
    id: 'art-mosaic',
    title: 'Mosaic picture',
    file: 'mosaic.jpg',
    licence: 'BSD-3-Clause',
    attribution: 'pytorch/examples fast_neural_style/images/style-images/mosaic.jpg @ 77f55b9, Copyright (c) 2017 PyTorch contributors',
  },
  {
    id: 'art-rain-princess',
    title: 'Rain princess',
    file: 'rain-princess.jpg',
    licence: 'BSD-3-Clause',
    attribution: 'pytorch/examples fast_neural_style/images/style-images/rain-princess.jpg @ 77f55b9, Copyright (c) 2017 PyTorch contributors',
  },
  {
    id: 'art-udnie',
    title: 'Udnie picture',
    file: 'udnie.jpg',
    licence: 'BSD-3-Clause',
    attribution: 'pytorch/examples fast_neural_style/images/style-images/udnie.jpg @ 77f55b9, Copyright (c) 2017 PyTorch contributors',
  },
  {
    id: 'art-scream',
    title: 'The Scream',
    file: 'munch-scream.jpg',
    licence: 'Public domain (painting); MIT (repository)',
    attribution: 'Edvard Munch, The Scream (1893), public domain; file from terryky/tflite_gles_app gl2style_transfer/munch_scream.jpg @ bfc2015',
  },
] as const;

const builtinVectorsSchema = z.object({
  $comment: z.string().optional(),
  predictModel: z.object({ id: z.string(), sha256: z.string() }),
  looks: z.array(
    z.object({ id: z.string(), title: z.string(), file: z.string(), licence: z.string(), attribution: z.string(), vector: z.array(z.number()).length(100) }),
  ),
});
export type BuiltinVectorsFile = z.infer<typeof builtinVectorsSchema>;

export interface BuiltinArbitraryLook {
  id: string;
  title: string;
  vector: Float32Array;
  attribution: string;
}

let cached: BuiltinArbitraryLook[] | undefined;

/** The committed looks; none (and no error) if the file has not been generated. */
export function builtinArbitraryLooks(): BuiltinArbitraryLook[] {
  if (cached) return cached;
  let parsed: BuiltinVectorsFile;
  try {
    parsed = builtinVectorsSchema.parse(JSON.parse(readFileSync(BUILTIN_VECTORS_FILE, 'utf8')));
  } catch {
    return (cached = []);
  }
  cached = parsed.looks.map((look) => ({ id: look.id, title: look.title, vector: Float32Array.from(look.vector), attribution: look.attribution }));
  return cached;
}
