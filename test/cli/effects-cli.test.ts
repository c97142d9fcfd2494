import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.ts';
import { personPhoto } from '../support/photo.ts';

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

const raw = async (file: string) => new Uint8Array((await sharp(file).removeAlpha().raw().toBuffer()).buffer);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deepphoto-cli-fx-'));
  const photo = await personPhoto();
  await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).png().toFile(join(dir, 'portrait.png'));
  await sharp({ create: { width: 400, height: 100, channels: 3, background: '#00ff00' } }).png().toFile(join(dir, 'green.png'));
  writeFileSync(join(dir, 'broken.png'), 'nope');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deepphoto CLI effects', () => {
  it('lists effects, blurs the background and replaces it with a built-in or an own picture', async () => {
    const list = await deepphoto('--list-effects');
    expect(list.stdout).toMatch(/blur-light/);
    expect(list.stdout).toMatch(/bg-dawn/);
    const original = await raw(join(dir, 'portrait.png'));
    const blurred = join(dir, 'blur.png');
    expect((await deepphoto('edit', join(dir, 'portrait.png'), '-o', blurred, '--blur', 'strong')).code).toBe(0);
    const b = await raw(blurred);
    expect(b.length).toBe(original.length);
    expect(b.some((v, i) => v !== original[i])).toBe(true);
    const replaced = join(dir, 'green-bg.png');
    expect((await deepphoto('edit', join(dir, 'portrait.png'), '-o', replaced, '--background', join(dir, 'green.png'))).code).toBe(0);
    const g = await raw(replaced);
    expect([g[0], g[1], g[2]]).toEqual([0, 255, 0]); // a background corner is the picture
    expect((await deepphoto('edit', join(dir, 'portrait.png'), '-o', join(dir, 'dawn.png'), '--background', 'dawn')).code).toBe(0);
  });

  it('refuses unknown effects, a picture on the person and a broken picture with exit code 2', async () => {
    expect(await deepphoto('edit', join(dir, 'portrait.png'), '-o', join(dir, 'x.png'), '--blur', 'huge')).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown effect/) });
    expect(await deepphoto('edit', join(dir, 'portrait.png'), '-o', join(dir, 'x.png'), '--background', 'dawn', '--target', 'person')).toMatchObject({ code: 2, stderr: expect.stringMatching(/target/) });
    expect(await deepphoto('edit', join(dir, 'portrait.png'), '-o', join(dir, 'x.png'), '--background', join(dir, 'broken.png'))).toMatchObject({ code: 2, stderr: expect.stringMatching(/not an image/) });
  });
});
