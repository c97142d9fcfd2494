import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EffectInfo } from '@deepphoto/shared';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { buildHttpApp } from '../../server/src/http/app.ts';
import { createMask, type RgbImage } from '../../server/src/pipeline/image.ts';
import { PersonMasker } from '../../server/src/pipeline/person-mask.ts';
import { personPhoto } from '../support/photo.ts';

let context: PhotoContext;
let app: FastifyInstance;
let baseUrl: string;
let dir: string;
const limits = { maxBytes: 2 * 1024 * 1024, maxPixels: 4_000_000 };
const alice = 'alice-0123456789';
const bob = 'bob-0123456789';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deepphoto-bg-'));
  process.env.DEEPPHOTO_BACKGROUNDS_DIR = dir;
  context = await createPhotoContext({ logger: quietLogger });
  app = await buildHttpApp({ photo: context, limits });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await context.close();
  delete process.env.DEEPPHOTO_BACKGROUNDS_DIR;
  rmSync(dir, { recursive: true, force: true });
});

async function effects(identity?: string): Promise<EffectInfo[]> {
  const response = await fetch(`${baseUrl}/api/effects`, { headers: identity ? { 'x-deepphoto-identity': identity } : {} });
  expect(response.status).toBe(200);
  return ((await response.json()) as { effects: EffectInfo[] }).effects;
}

async function upload(bytes: Uint8Array, type: string, identity?: string, name = 'beach.png') {
  const body = new FormData();
  body.set('image', new Blob([Buffer.from(bytes)], { type }), name);
  const response = await fetch(`${baseUrl}/api/backgrounds`, { method: 'POST', body, headers: identity ? { 'x-deepphoto-identity': identity } : {} });
  return { status: response.status, body: (await response.json()) as { effect?: EffectInfo; error?: { code: string } } };
}

async function edit(photo: RgbImage, style: string, target: string) {
  const png = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } }).png().toBuffer();
  const body = new FormData();
  body.set('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'p.png');
  body.set('style', style);
  body.set('target', target);
  const response = await fetch(`${baseUrl}/api/edit`, { method: 'POST', body });
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) return { status: response.status, error: JSON.parse(new TextDecoder().decode(bytes)) as { error: { code: string } } };
  const { data } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { status: 200, image: { width: photo.width, height: photo.height, data: new Uint8Array(data) } };
}

const orangePng = () => sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff8800' } }).png().toBuffer();

describe('GET /api/effects', () => {
  it('groups the gallery: backgrounds (2 blurs, built-in pictures), styles, none; thumbnails are JPEGs', async () => {
    const list = await effects();
    const ids = list.map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining(['blur-light', 'blur-strong', 'bg-dawn', 'bg-studio', 'candy', 'mosaic', 'none']));
    expect([...new Set(list.map((e) => e.group))]).toEqual(['backgrounds', 'styles', 'none']);
    expect(list.find((e) => e.id === 'bg-dawn')).toMatchObject({ kind: 'image', targets: ['background'] });
    for (const id of ['bg-dawn', 'blur-strong']) {
      const thumb = await fetch(`${baseUrl}/api/effects/${id}/thumbnail.jpg`);
      expect(thumb.status, id).toBe(200);
      expect(await sharp(new Uint8Array(await thumb.arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 120 });
    }
    expect((await fetch(`${baseUrl}/api/effects/bg-nothing/thumbnail.jpg`)).status).toBe(404);
  });
});

describe('background uploads', () => {
  it('refuse bad input with 400 / 415 / 413 and store nothing', async () => {
    const png = await orangePng();
    expect(await upload(png, 'image/png')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await upload(png, 'image/png', 'bad id!')).toMatchObject({ status: 400, body: { error: { code: 'bad_request' } } });
    expect(await upload(new TextEncoder().encode('not a picture'), 'text/plain', alice)).toMatchObject({ status: 415, body: { error: { code: 'not_an_image' } } });
    expect(await upload(new Uint8Array(limits.maxBytes + 10), 'image/png', alice)).toMatchObject({ status: 413, body: { error: { code: 'too_large' } } });
    const response = await fetch(`${baseUrl}/api/backgrounds`, { method: 'POST', body: 'x', headers: { 'x-deepphoto-identity': alice, 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
    expect(await effects(alice)).toHaveLength((await effects()).length);
  });

  it('are listed for their owner only, usable for photos, and deletable by their owner only', async () => {
    const { status, body } = await upload(await orangePng(), 'image/png', alice, 'my beach.png');
    expect(status).toBe(201);
    const id = body.effect!.id;
    expect(id).toMatch(/^bg-u-[0-9a-f]{16}$/);
    expect(body.effect).toMatchObject({ kind: 'image', group: 'backgrounds', title: 'my beach', deletable: true });
    expect((await effects(alice)).map((e) => e.id)).toContain(id);
    expect((await effects(bob)).map((e) => e.id)).not.toContain(id);

    // Used on a photo: the background becomes the orange picture, cover-fitted.
    const photo = await personPhoto();
    const result = await edit(photo, id, 'background');
    expect(result.status).toBe(200);
    const corner = [...result.image!.data.subarray(0, 3)];
    expect(Math.abs(corner[0]! - 255) + Math.abs(corner[1]! - 136) + corner[2]!).toBeLessThan(12);

    expect((await fetch(`${baseUrl}/api/backgrounds/${id}`, { method: 'DELETE', headers: { 'x-deepphoto-identity': bob } })).status).toBe(404);
    expect((await fetch(`${baseUrl}/api/backgrounds/${id}`, { method: 'DELETE', headers: { 'x-deepphoto-identity': alice } })).status).toBe(204);
    expect((await effects(alice)).map((e) => e.id)).not.toContain(id);
    expect(await edit(photo, id, 'background')).toMatchObject({ status: 400, error: { error: { code: 'unknown_style' } } });
  });
});

describe('POST /api/edit with blur and pictures', () => {
  it('blur-strong changes the background and leaves the person bit-exact', async () => {
    const photo = await personPhoto();
    const mask = createMask(photo.width, photo.height);
    await (await PersonMasker.create(context.runtime)).mask(photo, mask);
    const result = await edit(photo, 'blur-strong', 'background');
    expect(result.status).toBe(200);
    let personDiff = 0;
    let personN = 0;
    let backgroundDiff = 0;
    let backgroundN = 0;
    for (let i = 0; i < mask.data.length; i++) {
      const d = Math.abs(result.image!.data[i * 3]! - photo.data[i * 3]!) + Math.abs(result.image!.data[i * 3 + 1]! - photo.data[i * 3 + 1]!);
      if (mask.data[i]! >= 0.98) {
        personDiff += d;
        personN++;
      } else if (mask.data[i]! <= 0.02) {
        backgroundDiff += d;
        backgroundN++;
      }
    }
    expect(personN).toBeGreaterThan(1000);
    expect(personDiff).toBe(0);
    expect(backgroundDiff / backgroundN).toBeGreaterThan(2);
  });

  it('answers a picture on the person with unknown_target and an unknown picture with unknown_style', async () => {
    const photo = await personPhoto();
    expect(await edit(photo, 'bg-dawn', 'person')).toMatchObject({ status: 400, error: { error: { code: 'unknown_target' } } });
    expect(await edit(photo, 'bg-nowhere', 'background')).toMatchObject({ status: 400, error: { error: { code: 'unknown_style' } } });
    expect(await edit(photo, 'blur-huge', 'background')).toMatchObject({ status: 400, error: { error: { code: 'unknown_style' } } });
  });
});
