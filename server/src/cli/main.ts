/**
 * deepphoto edit IN [IN ...] -o OUT --style mosaic --target background [--max-side 1024]
 * deepphoto edit IN -o OUT --blur strong [--target background|person|whole]
 * deepphoto edit IN -o OUT --background dawn|FILE          (replace the background by a built-in or own picture)
 * deepphoto effects IN -o OUT.png                           (original, blurs and pictures side by side)
 * deepphoto edit IN -o OUT --style-image PICTURE [--strength 0..100]   (any picture as the style)
 * deepphoto sheet IN -o OUT --style-image A --style-image B ...          (one panel per style picture)
 * deepphoto --list-styles | --list-effects
 *
 * Several inputs or a folder: OUT is a folder, one progress line per photo on stderr. A photo that fails is
 * reported and skipped; the others are still written; the exit code is 1 if any failed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BLUR_ID_PREFIX, BLUR_STRENGTHS, BACKGROUND_ID_PREFIX, effectFromId, styleStrengthSchema, targetSchema, TARGETS, type Target } from '@deepphoto/shared';
import { createPhotoContext, quietLogger } from '../context.ts';
import { decodePhoto, encodePhoto, formatFor, formatForPath, PhotoInputError } from '../photo/io.ts';
import { BUILTIN_BACKGROUNDS } from '../styles/backgrounds.ts';
import { UnknownStyleError } from '../styles/catalog.ts';
import { titleFromFileName, userStyleId } from '../styles/user-styles.ts';
import { decodeStylePicture } from '../photo/style-picture.ts';
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
import { runTokenCommand, TOKEN_USAGE } from './token.ts';

const USAGE = `usage:
  deepphoto edit IN [IN ...] -o OUT --style STYLE --target ${TARGETS.join('|')} [--max-side N] [--strength 0..100]
  deepphoto edit IN [IN ...] -o OUT --style-image PICTURE ...   (any picture as the style; saved as a user style)
  deepphoto edit IN [IN ...] -o OUT --blur ${Object.keys(BLUR_STRENGTHS).join('|')} [--target background|person|whole]
  deepphoto edit IN [IN ...] -o OUT --background ${BUILTIN_BACKGROUNDS.map((b) => b.id).join('|')}|FILE
  deepphoto edit IN -o OUT --style STYLE --person N [--person M]      (only person N; numbered left to right from 1)
  deepphoto edit IN -o OUT --style STYLE --people-except N            (everyone but person N)
  deepphoto sheet IN -o OUT.png --style STYLE      (original, whole, background, person side by side)
  deepphoto sheet IN -o OUT.jpg --style-image A --style-image B ...   (original + one panel per style picture)
  deepphoto effects IN -o OUT.png                  (original, blur light / strong, built-in pictures side by side)
  deepphoto --list-styles | --list-effects
  (--style also takes any effect id of --list-effects, e.g. blur-strong or bg-dawn)
  ${TOKEN_USAGE}`;

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
  if (argv[0] === 'token') return runTokenCommand(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      style: { type: 'string', short: 's' },
      target: { type: 'string', short: 't' },
      blur: { type: 'string' },
      background: { type: 'string' },
      'list-effects': { type: 'boolean', default: false },
      'max-side': { type: 'string' },
      'style-image': { type: 'string', multiple: true },
      strength: { type: 'string' },
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
    if (values['list-effects']) {
      for (const s of Object.keys(BLUR_STRENGTHS)) console.log(`${BLUR_ID_PREFIX}${s}`.padEnd(14) + ` blur (${s}); targets background, person, whole`);
      for (const b of BUILTIN_BACKGROUNDS) console.log(`${BACKGROUND_ID_PREFIX}${b.id}`.padEnd(14) + ` picture "${b.title}"; target background`);
      for (const look of context.catalog.list()) console.log(`${look.id.padEnd(14)} style "${look.title}"; targets whole, background, person`);
      return 0;
    }
    const [command, ...inputs] = positionals;
    if (command === 'effects' && inputs.length === 1 && values.output) {
      await writeEffectsSheet(context, inputs[0]!, values.output);
      return 0;
    }
    const strength = values.strength === undefined ? undefined : styleStrengthSchema.safeParse(Number(values.strength));
    if (strength && !strength.success) fail('--strength must be a number from 0 to 100');
    const styleImages = values['style-image'] ?? [];
    if (command === 'sheet' && inputs.length === 1 && values.output && styleImages.length > 0) {
      const styles = [];
      for (const picture of styleImages) styles.push({ id: await styleFromPicture(context, picture), picture });
      await writePictureSheet(context, inputs[0]!, values.output, styles);
      return 0;
    }
    if (styleImages.length > 1) fail('edit takes one --style-image');
    if (styleImages[0] !== undefined) values.style = await styleFromPicture(context, styleImages[0]);
    if (command === 'sheet' && inputs.length === 1 && values.output) {
      const style = values.style ?? context.catalog.ids()[0] ?? '';
      if (!context.catalog.has(style)) fail(new UnknownStyleError(style, context.catalog.ids()).message);
      await writeSheet(context, inputs[0]!, values.output, style);
      return 0;
    }
    if (command !== 'edit' || inputs.length === 0) fail(USAGE);
    if (!values.output) fail('missing -o OUT');
    const chosen = [values.style, values.blur, values.background].filter((v) => v !== undefined).length;
    if (chosen > 1) fail('give one of --style, --blur, --background');
    const selection = personSelection(values.person, values['people-except']);
    const defaultTarget = values.blur !== undefined || values.background !== undefined ? 'background' : 'whole';
    const target = targetSchema.safeParse(selection?.target ?? values.target ?? defaultTarget);
    if (!target.success) fail(`unknown target "${values.target}"; use one of ${TARGETS.join(', ')}`);
    let style = values.style ?? context.catalog.ids()[0];
    if (values.blur !== undefined) style = `${BLUR_ID_PREFIX}${values.blur}`;
    if (values.background !== undefined) {
      const builtin = BUILTIN_BACKGROUNDS.some((b) => b.id === values.background);
      if (builtin) style = `${BACKGROUND_ID_PREFIX}${values.background}`;
      else if (existsSync(values.background)) {
        try {
          style = `${BACKGROUND_ID_PREFIX}${context.backgrounds.addTransient((await decodePhoto(readFileSync(values.background))).image)}`;
        } catch (error) {
          fail(`--background ${values.background}: ${(error as Error).message}`);
        }
      } else fail(`--background: "${values.background}" is neither a built-in picture (${BUILTIN_BACKGROUNDS.map((b) => b.id).join(', ')}) nor a file`);
    }
    if (target.data !== 'none') checkEffect(context, style ?? '', target.data);
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
        const effect = { style: style ?? 'none', target: target.data, ...(strength ? { strength: strength.data } : {}), ...(selection ? { people: selection.people } : {}) };
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

/** Exits with a clear message unless `style` is an effect id that exists and suits `target`. */
function checkEffect(context: Awaited<ReturnType<typeof createPhotoContext>>, style: string, target: Target): void {
  const resolved = effectFromId(style, target);
  if (!resolved.ok) fail(`${resolved.message} (see --list-effects)`);
  if (resolved.effect.kind === 'style' && !context.catalog.has(style)) fail(new UnknownStyleError(style, context.catalog.ids()).message);
}

/** Original, both blurs and the built-in pictures on the background, side by side and labelled. */
async function writeEffectsSheet(context: Awaited<ReturnType<typeof createPhotoContext>>, input: string, output: string): Promise<void> {
  const { image } = await decodePhoto(readFileSync(input));
  const effects = [...Object.keys(BLUR_STRENGTHS).map((s) => `${BLUR_ID_PREFIX}${s}`), ...BUILTIN_BACKGROUNDS.slice(0, 2).map((b) => `${BACKGROUND_ID_PREFIX}${b.id}`)];
  const panels = [image];
  for (const style of effects) panels.push((await context.editor.edit(image, { style, target: 'background' })).image);
  await writePanels(panels, ['original', ...effects.map((e) => `${e} (background)`)], output);
  console.error(`${input} -> ${output} (original, ${effects.join(', ')})`);
}

/** Panels of the same size side by side, each under its label. */
async function writePanels(panels: { width: number; height: number; data: Uint8Array }[], labels: string[], output: string): Promise<void> {
  const { width, height } = panels[0]!;
  const gap = 6;
  const labelHeight = 28;
  const composites = await Promise.all(
    panels.map(async (panel, i) => [
      { input: await encodePhoto(panel, 'png'), left: i * (width + gap), top: labelHeight },
      {
        input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${labelHeight}"><text x="4" y="20" font-family="sans-serif" font-size="16">${labels[i]}</text></svg>`),
        left: i * (width + gap),
        top: 0,
      },
    ]),
  );
  const { default: sharp } = await import('sharp');
  await sharp({ create: { width: panels.length * (width + gap) - gap, height: height + labelHeight, channels: 3, background: '#ffffff' } })
    .composite(composites.flat())
    .toFormat(formatForPath(output), { quality: 88 })
    .toFile(output);
}

/** A style picture -> a user style (saved, so the page and the server list it too); returns its id. */
async function styleFromPicture(context: Awaited<ReturnType<typeof createPhotoContext>>, path: string): Promise<string> {
  if (!existsSync(path)) fail(`${path}: no such file`);
  const bytes = readFileSync(path);
  let picture;
  try {
    picture = await decodeStylePicture(bytes);
  } catch (error) {
    if (error instanceof PhotoInputError) fail(`${path}: ${error.message}`);
    throw error;
  }
  const started = performance.now();
  const vector = await context.editor.styleVector(picture);
  const style = context.catalog.userStyles.save({ id: userStyleId(bytes), title: titleFromFileName(basename(path)), vector });
  console.error(`${path} -> style ${style.id} (${(performance.now() - started).toFixed(0)} ms)`);
  return style.id;
}

/** The photo, then the photo in each picture's style with the picture inset in its corner. */
async function writePictureSheet(
  context: Awaited<ReturnType<typeof createPhotoContext>>,
  input: string,
  output: string,
  styles: { id: string; picture: string }[],
): Promise<void> {
  const { default: sharp } = await import('sharp');
  const { image } = await decodePhoto(readFileSync(input));
  const gap = 6;
  const labelHeight = 24;
  const inset = Math.round(Math.min(image.width, image.height) / 3);
  const composites = [];
  const panels: { image: typeof image; label: string; picture?: string }[] = [{ image, label: 'original' }];
  for (const style of styles) panels.push({ image: (await context.editor.edit(image, { style: style.id, target: 'whole' })).image, label: basename(style.picture), picture: style.picture });
  for (const [i, panel] of panels.entries()) {
    const left = i * (image.width + gap);
    composites.push({ input: await encodePhoto(panel.image, 'png'), left, top: labelHeight });
    const label = panel.label.replace(/[<>&"]/g, '');
    composites.push({
      input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${labelHeight}"><text x="4" y="17" font-family="sans-serif" font-size="15">${label}</text></svg>`),
      left,
      top: 0,
    });
    if (panel.picture) {
      const thumb = await sharp(readFileSync(panel.picture)).resize(inset, inset, { fit: 'cover' }).extend({ top: 2, left: 2, right: 2, bottom: 2, background: '#ffffff' }).png().toBuffer();
      composites.push({ input: thumb, left: left + image.width - inset - 4, top: labelHeight + image.height - inset - 4 });
    }
  }
  await sharp({ create: { width: panels.length * (image.width + gap) - gap, height: image.height + labelHeight, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .toFormat(formatForPath(output), { quality: 85 })
    .toFile(output);
  console.error(`${input} -> ${output} (original + ${styles.length} style pictures)`);
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
