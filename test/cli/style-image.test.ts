import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.ts';
import { personPhotoJpeg } from '../support/photo.ts';

const run = promisify(execFile);
const BIN = join(REPO_ROOT, 'server/bin/deepphoto.mjs');
let dir: string;
let stylesDir: string;

async function deepphoto(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, DEEPPHOTO_STYLES_DIR: stylesDir } });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

async function rgb(path: string): Promise<Uint8Array> {
  return new Uint8Array(await sharp(path).removeAlpha().raw().toBuffer());
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deepphoto-cli-style-'));
  stylesDir = join(dir, 'styles');
  writeFileSync(join(dir, 'portrait.png'), await sharp(await personPhotoJpeg()).png().toBuffer());
  // A style picture with strong colour and strokes, drawn here so the test needs no data folder.
  const stripes = `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300">${Array.from({ length: 30 }, (_, i) => `<rect x="${i * 10}" y="0" width="6" height="300" fill="hsl(${i * 23},95%,50%)" transform="rotate(${i * 7} 150 150)"/>`).join('')}</svg>`;
  await sharp(Buffer.from(stripes)).jpeg().toFile(join(dir, 'stripes.jpg'));
  writeFileSync(join(dir, 'not-a-picture.jpg'), 'hello');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deepphoto edit --style-image', () => {
  it('uses any picture as the style, saves it as a user style, and honours --strength', async () => {
    const out = join(dir, 'out.png');
    const full = await deepphoto('edit', join(dir, 'portrait.png'), '-o', out, '--style-image', join(dir, 'stripes.jpg'));
    expect(full.code, full.stderr).toBe(0);
    const id = /style (u-[0-9a-f]{12})/.exec(full.stderr)?.[1];
    expect(id).toBeDefined();
    expect(readdirSync(join(stylesDir, 'local'))).toEqual([`${id}.json`]);
    const weak = join(dir, 'weak.png');
    expect((await deepphoto('edit', join(dir, 'portrait.png'), '-o', weak, '--style', id!, '--strength', '20')).code).toBe(0);
    const [original, strong, light] = [await rgb(join(dir, 'portrait.png')), await rgb(out), await rgb(weak)];
    const change = (a: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - original[i]!), 0) / a.length;
    expect(change(strong)).toBeGreaterThan(20);
    expect(change(light)).toBeLessThan(change(strong));
  }, 120_000);

  it('refuses a style picture that is not an image, and a strength out of range, writing nothing', async () => {
    const bad = await deepphoto('edit', join(dir, 'portrait.png'), '-o', join(dir, 'bad.png'), '--style-image', join(dir, 'not-a-picture.jpg'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not-a-picture\.jpg: not an image/);
    const range = await deepphoto('edit', join(dir, 'portrait.png'), '-o', join(dir, 'bad.png'), '--style', 'art-udnie', '--strength', '140');
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/--strength must be a number from 0 to 100/);
    expect(existsSync(join(dir, 'bad.png'))).toBe(false);
  }, 60_000);
});
