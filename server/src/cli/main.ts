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
import { UnknownPersonError } from '../instances/errors.ts';

/** `--person N` (repeatable) or `--people-except N`: person numbers left to right from 1. */
function personSelection(person: string[] | undefined, except: string[] | undefined): { target: 'people' | 'people-except'; people: number[] } | undefined {
  if (person?.length && except?.length) fail('use --person or --people-except, not both');
  const given = person?.length ? person : except;
  if (!given?.length) return undefined;
  const people = given.flatMap((v) => v.split(',')).map((v) => (/^\d+$/.test(v.trim()) ? Number(v) : Number.NaN));
  if (people.some((n) => !Number.isInteger(n) || n < 1)) fail(`person numbers start at 1 (left to right); got ${given.join(', ')}`);
  return { target: person?.length ? 'people' : 'people-except', people };
}

const USAGE = `usage:
  deepphoto edit IN [IN ...] -o OUT --style STYLE --target ${TARGETS.join('|')} [--max-side N]
  deepphoto edit IN -o OUT --style STYLE --person N [--person M]      (only person N; numbered left to right from 1)
  deepphoto edit IN -o OUT --style STYLE --people-except N            (everyone but person N)
  deepphoto sheet IN -o OUT.png --style STYLE      (original, whole, background, person side by side)
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
      person: { type: 'string', multiple: true },
      'people-except': { type: 'string', multiple: true },
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
    if (command === 'sheet' && inputs.length === 1 && values.output) {
      const style = values.style ?? context.catalog.ids()[0] ?? '';
      if (!context.catalog.has(style)) fail(new UnknownStyleError(style, context.catalog.ids()).message);
      await writeSheet(context, inputs[0]!, values.output, style);
      return 0;
    }
    if (command !== 'edit' || inputs.length === 0) fail(USAGE);
    if (!values.output) fail('missing -o OUT');
    const selection = personSelection(values.person, values['people-except']);
    const target = targetSchema.safeParse(selection?.target ?? values.target);
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
        const effect = { style: style ?? 'none', target: target.data, ...(selection ? { people: selection.people } : {}) };
        const { image: edited } = await context.editor.edit(image, effect, maxSide ? { styleMaxSide: maxSide } : {});
        writeFileSync(outPath, await encodePhoto(edited, batch ? formatFor(format) : formatForPath(outPath)));
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        if (batch) console.error(`[${index + 1}/${files.length}] ${file} -> ${outPath} (${seconds} s)`);
        else console.error(`${file} -> ${outPath} (${style}, ${target.data}, ${seconds} s)`);
      } catch (error) {
        if (error instanceof UnknownPersonError) fail(`${file}: ${error.message}`, 1); // nothing is written
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

/** The photo and its three targets side by side, labelled, for a README or a quick comparison. */
async function writeSheet(context: Awaited<ReturnType<typeof createPhotoContext>>, input: string, output: string, style: string): Promise<void> {
  const { image } = await decodePhoto(readFileSync(input));
  const panels = [image];
  for (const target of ['whole', 'background', 'person'] as const) panels.push((await context.editor.edit(image, { style, target })).image);
  const gap = 6;
  const labelHeight = 28;
  const labels = ['original', `${style}: whole`, `${style}: background`, `${style}: person`];
  const composites = await Promise.all(
    panels.map(async (panel, i) => [
      { input: await encodePhoto(panel, 'png'), left: i * (image.width + gap), top: labelHeight },
      {
        input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${labelHeight}"><text x="4" y="20" font-family="sans-serif" font-size="18">${labels[i]}</text></svg>`),
        left: i * (image.width + gap),
        top: 0,
      },
    ]),
  );
  const { default: sharp } = await import('sharp');
  await sharp({ create: { width: panels.length * (image.width + gap) - gap, height: image.height + labelHeight, channels: 3, background: '#ffffff' } })
    .composite(composites.flat())
    .toFormat(formatForPath(output), { quality: 88 })
    .toFile(output);
  console.error(`${input} -> ${output} (${style}: original, whole, background, person)`);
}

process.exitCode = await main(process.argv.slice(2));
