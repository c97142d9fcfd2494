import { execFile } from 'node:child_process';
import { TWO_PEOPLE_STILL_FILTER } from '../../server/src/tools/two-people.ts';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, VIDEO_CLIP } from '../support/paths.ts';
import { personPhotoJpeg } from '../support/photo.ts';

const run = promisify(execFile);
const BIN = join(REPO_ROOT, 'server/bin/deepphoto.mjs');
let dir: string;

async function deepphoto(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: process.env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deepphoto-cli-'));
  const jpeg = await personPhotoJpeg();
  writeFileSync(join(dir, 'portrait.jpg'), jpeg);
  mkdirSync(join(dir, 'batch'));
  writeFileSync(join(dir, 'batch/a.jpg'), jpeg);
  writeFileSync(join(dir, 'batch/b.png'), await sharp(jpeg).resize(100).png().toBuffer());
  writeFileSync(join(dir, 'batch/c.jpg'), 'not really a jpeg');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deepphoto CLI', () => {
  it('--list-styles lists the available styles', async () => {
    const { code, stdout } = await deepphoto('--list-styles');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^mosaic\s+Mosaic/m);
  });

  it('edit writes the result in the format of the output name', async () => {
    const out = join(dir, 'out.png');
    const { code, stderr } = await deepphoto('edit', join(dir, 'portrait.jpg'), '-o', out, '--style', 'mosaic', '--target', 'background');
    expect(code, stderr).toBe(0);
    expect((await sharp(out).metadata()).format).toBe('png');
  });

  it.skipIf(!existsSync(VIDEO_CLIP))('--person N styles person N (left to right) only; a number not in the photo writes nothing, exit 1', async () => {
    const two = join(dir, 'two.png');
    await run('ffmpeg', ['-v', 'error', '-y', '-ss', '2', '-i', VIDEO_CLIP, '-frames:v', '1', '-filter_complex', TWO_PEOPLE_STILL_FILTER, two]);
    const out = join(dir, 'two-person1.png');
    const { code, stderr } = await deepphoto('edit', two, '-o', out, '--style', 'mosaic', '--person', '1');
    expect(code, stderr).toBe(0);
    const before = await sharp(two).removeAlpha().raw().toBuffer();
    const after = await sharp(out).removeAlpha().raw().toBuffer();
    // Chests: the left person around x 100..220, the right one around 420..540, rows 380..470.
    const change = (x0: number, x1: number) => {
      let sum = 0;
      let n = 0;
      for (let y = 380; y < 470; y++) for (let x = x0; x < x1; x++) for (let c = 0; c < 3; c++, n++) sum += Math.abs(after[(y * 640 + x) * 3 + c]! - before[(y * 640 + x) * 3 + c]!);
      return sum / n;
    };
    expect(change(100, 220)).toBeGreaterThan(20);
    expect(change(420, 540)).toBe(0);

    const missing = await deepphoto('edit', two, '-o', join(dir, 'two-person3.png'), '--style', 'mosaic', '--person', '3');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no person 3 in this photo: 2 found/);
    expect(existsSync(join(dir, 'two-person3.png'))).toBe(false);
  });

  it('a folder is a batch with one progress line per photo; a bad file is skipped, the rest written, exit 1', async () => {
    const outDir = join(dir, 'batch-out');
    const { code, stderr } = await deepphoto('edit', join(dir, 'batch'), '-o', outDir, '--style', 'udnie', '--target', 'person', '--max-side', '256');
    expect(code).toBe(1);
    expect(stderr).toMatch(/\[1\/3\] .*a\.jpg -> .*a\.jpg/);
    expect(stderr).toMatch(/\[2\/3\] .*b\.png -> .*b\.png/);
    expect(stderr).toMatch(/\[3\/3\] .*c\.jpg: skipped, not an image/);
    expect(stderr).toMatch(/done: 2 written, 1 failed/);
    expect(readdirSync(outDir).sort()).toEqual(['a.jpg', 'b.png']);
  });

  it('an unknown style or target is a clear error, exit 2, nothing written', async () => {
    const out = join(dir, 'never.jpg');
    const style = await deepphoto('edit', join(dir, 'portrait.jpg'), '-o', out, '--style', 'vangogh');
    expect(style.code).toBe(2);
    expect(style.stderr).toMatch(/unknown style "vangogh"; available: .*mosaic/);
    const target = await deepphoto('edit', join(dir, 'portrait.jpg'), '-o', out, '--style', 'mosaic', '--target', 'sky');
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/unknown target "sky"/);
    expect(existsSync(out)).toBe(false);
  });
});
