/**
 * deepphoto edit IN [IN ...] -o OUT --style mosaic --target background [--max-side 1024]
 * deepphoto --list-styles
 *
 * Several inputs or a folder: OUT is a folder, one progress line per photo on stderr. A photo that fails is
 * reported and skipped; the others are still written; the exit code is 1 if any failed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { targetSchema, TARGETS } from '@deepphoto/shared';
import { createPhotoContext, quietLogger } from '../context.ts';
import { decodePhoto, encodePhoto, formatFor, formatForPath, PhotoInputError } from '../photo/io.ts';
import { UnknownStyleError } from '../styles/catalog.ts';

const USAGE = `usage:
  deepphoto edit IN [IN ...] -o OUT --style STYLE --target ${TARGETS.join('|')} [--max-side N]
  deepphoto --list-styles`;

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);

function fail(message: string, code = 2): never {
  console.error(`deepphoto: ${message}`);
  process.exit(code);
}

function expandInputs(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) fail(`${path}: no such file or folder`);
    if (statSync(path).isDirectory()) {
      const inFolder = readdirSync(path)
        .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
        .sort()
        .map((f) => join(path, f));
      if (inFolder.length === 0) fail(`${path}: no images in this folder`);
      files.push(...inFolder);
    } else files.push(path);
  }
  return files;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      style: { type: 'string', short: 's' },
      target: { type: 'string', short: 't', default: 'whole' },
      'max-side': { type: 'string' },
      'list-styles': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const context = await createPhotoContext({ logger: quietLogger });
  try {
    if (values['list-styles']) {
      for (const look of context.catalog.list()) console.log(`${look.id.padEnd(10)} ${look.title}  (${Object.keys(look.models).join(', ')})`);
      return 0;
    }
    const [command, ...inputs] = positionals;
    if (command !== 'edit' || inputs.length === 0) fail(USAGE);
    if (!values.output) fail('missing -o OUT');
    const target = targetSchema.safeParse(values.target);
    if (!target.success) fail(`unknown target "${values.target}"; use one of ${TARGETS.join(', ')}`);
    const style = values.style ?? context.catalog.ids()[0];
    if (target.data !== 'none' && (!style || !context.catalog.has(style))) {
      fail(new UnknownStyleError(style ?? '', context.catalog.ids()).message);
    }
    const maxSide = values['max-side'] ? Number(values['max-side']) : undefined;
    if (maxSide !== undefined && !(Number.isInteger(maxSide) && maxSide >= 16)) fail('--max-side must be an integer >= 16');

    const files = expandInputs(inputs);
    const batch = files.length > 1 || statSync(inputs[0]!).isDirectory();
    if (batch) mkdirSync(values.output, { recursive: true });
    let failures = 0;
    for (const [index, file] of files.entries()) {
      const started = performance.now();
      const outPath = batch ? join(values.output, `${basename(file, extname(file))}.${extname(file).toLowerCase() === '.png' ? 'png' : 'jpg'}`) : values.output;
      try {
        const { image, format } = await decodePhoto(readFileSync(file));
        const { image: edited } = await context.editor.edit(image, { style: style ?? 'none', target: target.data }, maxSide ? { styleMaxSide: maxSide } : {});
        writeFileSync(outPath, await encodePhoto(edited, batch ? formatFor(format) : formatForPath(outPath)));
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        if (batch) console.error(`[${index + 1}/${files.length}] ${file} -> ${outPath} (${seconds} s)`);
        else console.error(`${file} -> ${outPath} (${style}, ${target.data}, ${seconds} s)`);
      } catch (error) {
        if (!(error instanceof PhotoInputError)) throw error;
        failures++;
        console.error(`[${index + 1}/${files.length}] ${file}: skipped, ${error.message}`);
      }
    }
    if (batch) console.error(`done: ${files.length - failures} written, ${failures} failed`);
    return failures > 0 ? 1 : 0;
  } finally {
    await context.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
