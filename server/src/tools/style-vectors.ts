/**
 * Computes the built-in arbitrary-style looks: one 100-d style vector per picture in a folder of style pictures
 * (default `../shared/data/style-images`), written to `server/src/styles/builtin-style-vectors.json`, which is
 * committed: the product then has these looks without shipping the pictures.
 *
 *   npm run styles:vectors [-- --images DIR] [--out FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findModel } from '@deepphoto/models';
import { predictStyleVector } from '../pipeline/arbitrary-style.ts';
import { decodePhoto } from '../photo/io.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { BUILTIN_PICTURES, BUILTIN_VECTORS_FILE, type BuiltinVectorsFile } from '../styles/builtin-looks.ts';
import { quietLogger } from '../context.ts';
import { readRuntimeConfig } from '../config/config.ts';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '../shared/data/style-images' },
    out: { type: 'string', default: BUILTIN_VECTORS_FILE },
  },
});

const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger, threads: 1 });
try {
  const predict = await runtime.load('arbitrary-predict');
  const looks: BuiltinVectorsFile['looks'] = [];
  for (const picture of BUILTIN_PICTURES) {
    const { image } = await decodePhoto(readFileSync(join(values.images, picture.file)));
    const vector = await predictStyleVector(predict, image);
    // 6 significant digits: the JSON stays small and the vector is exact far beyond the network's own precision.
    looks.push({ ...picture, vector: Array.from(vector, (v) => Number(v.toPrecision(6))) });
    console.error(`${picture.id}: ${picture.file} -> ${vector.length}-d vector`);
  }
  const file: BuiltinVectorsFile = {
    $comment: 'Style vectors of the built-in arbitrary-style looks, computed by `npm run styles:vectors` from the pictures named here (not shipped).',
    predictModel: { id: predict.entry.id, sha256: findModel('arbitrary-predict')?.sha256 ?? '' },
    looks,
  };
  writeFileSync(values.out, `${JSON.stringify(file, null, 1)}\n`);
  console.error(`wrote ${values.out}`);
} finally {
  await runtime.close();
}
