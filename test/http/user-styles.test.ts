import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { buildHttpApp } from '../../server/src/http/app.ts';
import { titleFromFileName } from '../../server/src/styles/user-styles.ts';
import { SHARED_DIR } from '../support/paths.ts';
import { personPhotoJpeg } from '../support/photo.ts';

const STYLE_PICTURE = join(SHARED_DIR, 'data/style-images/munch-scream.jpg');
const limits = { maxBytes: 2 * 1024 * 1024, maxPixels: 4_000_000 };
let stylesDir: string;
let context: PhotoContext;
let app: FastifyInstance;
let baseUrl: string;

/** The shared Scream when present; else a drawn swirl, so the test still runs without ../shared. */
async function stylePicture(): Promise<Buffer> {
  if (existsSync(STYLE_PICTURE)) return readFileSync(STYLE_PICTURE);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256">${Array.from({ length: 24 }, (_, i) => `<circle cx="128" cy="128" r="${250 - i * 10}" fill="hsl(${i * 37},90%,${30 + (i % 3) * 20}%)"/>`).join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

beforeAll(async () => {
  // Every thread reads user styles from this folder; set before the catalog is made.
  stylesDir = mkdtempSync(join(tmpdir(), 'deepphoto-styles-'));
  process.env.DEEPPHOTO_STYLES_DIR = stylesDir;
  context = await createPhotoContext({ logger: quietLogger });
  app = await buildHttpApp({ photo: context, limits });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
  await context?.close();
  delete process.env.DEEPPHOTO_STYLES_DIR;
  rmSync(stylesDir, { recursive: true, force: true });
});

function upload(bytes: Uint8Array, type = 'image/jpeg', name = 'my scream.jpg', field = 'image'): Promise<Response> {
  const body = new FormData();
  body.set(field, new Blob([Buffer.from(bytes)], { type }), name);
  return fetch(`${baseUrl}/api/styles`, { method: 'POST', body });
}

async function listed(): Promise<{ id: string; group?: string; title: string }[]> {
  return ((await (await fetch(`${baseUrl}/api/styles`)).json()) as { styles: { id: string; group?: string; title: string }[] }).styles;
}

async function edit(style: string, extra: Record<string, string> = {}): Promise<{ status: number; pixels?: Uint8Array; code?: string }> {
  const body = new FormData();
  body.set('style', style);
  body.set('target', 'whole');
  for (const [k, v] of Object.entries(extra)) body.set(k, v);
  body.set('image', new Blob([Buffer.from(await personPhotoJpeg())], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(`${baseUrl}/api/edit`, { method: 'POST', body });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) return { status: response.status, code: (JSON.parse(new TextDecoder().decode(bytes)) as { error: { code: string } }).error.code };
  return { status: 200, pixels: new Uint8Array(await sharp(bytes).removeAlpha().raw().toBuffer()) };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe('styles from your own picture over HTTP', () => {
  it('lists the built-in art looks in their own group', async () => {
    const styles = await listed();
    expect(styles.filter((s) => s.group === 'art').map((s) => s.id)).toEqual(
      expect.arrayContaining(['art-candy', 'art-mosaic', 'art-rain-princess', 'art-udnie', 'art-scream']),
    );
    expect(styles.find((s) => s.id === 'candy')?.group).toBe('styles');
  });

  it('POST /api/styles turns a picture into a user style, stored on disk, listed, usable for photos, and deletable', async () => {
    const picture = await stylePicture();
    const response = await upload(picture);
    expect(response.status).toBe(201);
    const { style, ms } = (await response.json()) as { style: { id: string; title: string; group: string; thumbnailUrl: string }; ms: number };
    expect(style.id).toMatch(/^u-[0-9a-f]{12}$/);
    expect(style.group).toBe('user');
    expect(style.title).toBe('my scream');
    console.log(`POST /api/styles: ${ms} ms in the server`);
    expect(existsSync(join(stylesDir, 'local', `${style.id}.json`))).toBe(true);
    expect((await listed()).map((s) => s.id)).toContain(style.id);

    // The same picture again is the same style, not a second copy.
    const againResponse = await upload(picture);
    expect(againResponse.status).toBe(200);
    const again = (await againResponse.json()) as { style: { id: string }; cached: boolean };
    expect(again.style.id).toBe(style.id);
    expect(again.cached).toBe(true);
    expect((await listed()).filter((s) => s.id === style.id)).toHaveLength(1);

    // A second picture, with the prediction network loaded: the time a user waits for a new style.
    const second = sharp(picture).flop().jpeg();
    const warm = (await (await upload(await second.toBuffer(), 'image/jpeg', 'flipped.jpg')).json()) as { style: { id: string }; ms: number };
    console.log(`POST /api/styles, network loaded: ${warm.ms} ms in the server`);
    expect(warm.style.id).not.toBe(style.id);
    expect(warm.ms).toBeLessThan(1000);
    expect((await fetch(`${baseUrl}/api/styles/${warm.style.id}`, { method: 'DELETE' })).status).toBe(204);

    const thumbnail = await fetch(`${baseUrl}${style.thumbnailUrl}`);
    expect(thumbnail.status).toBe(200);

    const original = new Uint8Array(await sharp(await personPhotoJpeg()).removeAlpha().raw().toBuffer());
    const full = await edit(style.id);
    const none = await edit(style.id, { strength: '0' });
    expect(full.status).toBe(200);
    expect(none.status).toBe(200);
    // Full strength changes the photo a lot; 0 % (the photo's own style vector) stays much closer to it.
    const fullChange = meanAbsDiff(full.pixels!, original);
    const noneChange = meanAbsDiff(none.pixels!, original);
    console.log(`mean abs change vs the photo: strength 100 % ${fullChange.toFixed(1)}, 0 % ${noneChange.toFixed(1)}`);
    expect(fullChange).toBeGreaterThan(20);
    expect(noneChange).toBeLessThan(fullChange * 0.8);
    expect((await edit(style.id, { strength: '150' })).code).toBe('bad_request');

    const deleted = await fetch(`${baseUrl}/api/styles/${style.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await listed()).map((s) => s.id)).not.toContain(style.id);
    expect(existsSync(join(stylesDir, 'local', `${style.id}.json`))).toBe(false);
    expect(await edit(style.id)).toEqual({ status: 400, code: 'unknown_style' });
    expect((await fetch(`${baseUrl}/api/styles/${style.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses to delete a built-in style', async () => {
    const response = await fetch(`${baseUrl}/api/styles/candy`, { method: 'DELETE' });
    expect(response.status).toBe(400);
    expect((await listed()).map((s) => s.id)).toContain('candy');
  });

  it('answers bad uploads with 415 / 413 / 400 and stores nothing', async () => {
    const before = (await listed()).length;
    const notImage = await upload(new TextEncoder().encode('not a picture at all'), 'text/plain', 'notes.txt');
    expect(notImage.status).toBe(415);
    expect(((await notImage.json()) as { error: { code: string } }).error.code).toBe('not_an_image');
    const tooLarge = await upload(new Uint8Array(limits.maxBytes + 1024), 'image/jpeg', 'huge.jpg');
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: string } }).error.code).toBe('too_large');
    const wrongField = await upload(await stylePicture(), 'image/jpeg', 'x.jpg', 'picture');
    expect(wrongField.status).toBe(400);
    const notMultipart = await fetch(`${baseUrl}/api/styles`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(notMultipart.status).toBe(415);
    expect((await listed()).length).toBe(before);
    expect((await fetch(`${baseUrl}/api/health`)).status).toBe(200);
  });

  it('makes safe titles from file names', () => {
    expect(titleFromFileName('<script>alert(1)</script>.png')).toBe('script alert(1) script');
    expect(titleFromFileName(undefined)).toBe('My style');
  });
});
