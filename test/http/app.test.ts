import { TARGETS } from '@deepphoto/shared';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { buildHttpApp } from '../../server/src/http/app.ts';
import { personPhotoJpeg } from '../support/photo.ts';

let context: PhotoContext;
let app: FastifyInstance;
let baseUrl: string;
const limits = { maxBytes: 2 * 1024 * 1024, maxPixels: 4_000_000 };

beforeAll(async () => {
  context = await createPhotoContext({ logger: quietLogger });
  app = await buildHttpApp({ photo: context, limits });
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app.close();
  await context.close();
});

function form(fields: Record<string, string>, file?: { bytes: Uint8Array; type: string; name?: string }): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  if (file) body.set('image', new Blob([Buffer.from(file.bytes)], { type: file.type }), file.name ?? 'photo.jpg');
  return body;
}

async function post(body: FormData | string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}/api/edit`, { method: 'POST', body, headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
}

function json(bytes: Uint8Array): { error: { code: string; message: string } } {
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function serverStillUp(): Promise<void> {
  expect((await fetch(`${baseUrl}/api/health`)).status).toBe(200);
}

describe('GET /api/styles', () => {
  it('lists the styles with thumbnail URLs that serve JPEGs', async () => {
    const list = (await (await fetch(`${baseUrl}/api/styles`)).json()) as { styles: { id: string; thumbnailUrl: string }[]; targets: string[] };
    expect(list.styles.map((s) => s.id)).toEqual(expect.arrayContaining(['candy', 'mosaic', 'udnie']));
    expect(list.targets).toEqual([...TARGETS]);
    const thumb = await fetch(`${baseUrl}${list.styles[0]!.thumbnailUrl}`);
    expect(thumb.status).toBe(200);
    const meta = await sharp(new Uint8Array(await thumb.arrayBuffer())).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(160);
  });

  it('answers 404 unknown_style for a thumbnail of a style that does not exist', async () => {
    const response = await fetch(`${baseUrl}/api/styles/nope/thumbnail.jpg`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_style');
  });
});

describe('POST /api/edit', () => {
  it('returns the edited photo as a JPEG of the same size', async () => {
    const jpeg = await personPhotoJpeg();
    const response = await post(form({ style: 'mosaic', target: 'background' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(response.status).toBe(200);
    expect(response.type).toBe('image/jpeg');
    expect(response.headers.get('x-deepphoto-model')).toBe('mosaic');
    const [inMeta, outMeta] = await Promise.all([sharp(jpeg).metadata(), sharp(response.bytes).metadata()]);
    expect([outMeta.width, outMeta.height]).toEqual([inMeta.width, inMeta.height]);
  });

  it('400 unknown_style for a style that does not exist', async () => {
    const response = await post(form({ style: 'vangogh', target: 'whole' }, { bytes: await personPhotoJpeg(), type: 'image/jpeg' }));
    expect(response.status).toBe(400);
    expect(json(response.bytes).error.code).toBe('unknown_style');
    expect(json(response.bytes).error.message).toMatch(/mosaic/);
  });

  it('400 unknown_target for a target that does not exist', async () => {
    const response = await post(form({ style: 'mosaic', target: 'sky' }, { bytes: await personPhotoJpeg(), type: 'image/jpeg' }));
    expect(response.status).toBe(400);
    expect(json(response.bytes).error.code).toBe('unknown_target');
  });

  it('person selection: people=1 edits the one person; a number not in the photo is 400 unknown_person', async () => {
    const jpeg = await personPhotoJpeg();
    const ok = await post(form({ style: 'mosaic', target: 'people', people: '1' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(ok.status).toBe(200);
    const missing = await post(form({ style: 'mosaic', target: 'people', people: '2' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(missing.status).toBe(400);
    expect(json(missing.bytes).error.code).toBe('unknown_person');
    expect(json(missing.bytes).error.message).toMatch(/1 found/);
    const misplaced = await post(form({ style: 'mosaic', target: 'whole', people: '1' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(json(misplaced.bytes).error.code).toBe('bad_request');
    const garbled = await post(form({ style: 'mosaic', target: 'people-except', people: '1,x' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(json(garbled.bytes).error.code).toBe('bad_request');
    // The page's photo mode sends clicked points instead: a point on the person works, one on the background is refused.
    const picked = await post(form({ style: 'mosaic', target: 'people', picks: '0.5,0.7' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(picked.status).toBe(200);
    const nobody = await post(form({ style: 'mosaic', target: 'people', picks: '0.01,0.01' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(json(nobody.bytes).error.code).toBe('unknown_person');
    const badPoint = await post(form({ style: 'mosaic', target: 'people', picks: '1.5,0.2' }, { bytes: jpeg, type: 'image/jpeg' }));
    expect(json(badPoint.bytes).error.code).toBe('bad_request');
  });

  it('400 bad_request when the image field is missing', async () => {
    const response = await post(form({ style: 'mosaic', target: 'whole' }));
    expect(response.status).toBe(400);
    expect(json(response.bytes).error.code).toBe('bad_request');
  });

  it('415 not_an_image for a text file, and for a body that is not multipart', async () => {
    const text = await post(form({ style: 'mosaic', target: 'whole' }, { bytes: new TextEncoder().encode('hello, not a photo'), type: 'image/jpeg' }));
    expect(text.status).toBe(415);
    expect(json(text.bytes).error.code).toBe('not_an_image');
    const raw = await post('just text', { 'content-type': 'text/plain' });
    expect(raw.status).toBe(415);
    await serverStillUp();
  });

  it('415 not_an_image for a truncated JPEG', async () => {
    const jpeg = await personPhotoJpeg();
    const response = await post(form({ style: 'mosaic', target: 'whole' }, { bytes: jpeg.subarray(0, 600), type: 'image/jpeg' }));
    expect(response.status).toBe(415);
    await serverStillUp();
  });

  it('413 too_large for an upload over the byte limit', async () => {
    const huge = new Uint8Array(limits.maxBytes + 10_000).fill(7);
    const response = await post(form({ style: 'mosaic', target: 'whole' }, { bytes: huge, type: 'image/jpeg' }));
    expect(response.status).toBe(413);
    expect(json(response.bytes).error.code).toBe('too_large');
    await serverStillUp();
  });

  it('413 too_large for a small file that decodes to too many pixels', async () => {
    const png = await sharp({ create: { width: 4000, height: 2000, channels: 3, background: '#808080' } }).png().toBuffer();
    expect(png.length).toBeLessThan(limits.maxBytes);
    const response = await post(form({ style: 'mosaic', target: 'whole' }, { bytes: png, type: 'image/png' }));
    expect(response.status).toBe(413);
    expect(json(response.bytes).error.message).toMatch(/8000000 pixels/);
    await serverStillUp();
  });

  it('keeps PNG as PNG', async () => {
    const png = await sharp(await personPhotoJpeg()).resize(120).png().toBuffer();
    const response = await post(form({ style: 'candy', target: 'person' }, { bytes: png, type: 'image/png' }));
    expect(response.status).toBe(200);
    expect(response.type).toBe('image/png');
  });
});
