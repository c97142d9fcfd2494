import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webStatic } from '../../server/src/http/web-static.ts';

describe('webStatic (server/src/http/web-static.ts)', () => {
  let dir: string;
  const apps: FastifyInstance[] = [];

  async function appFor(webDir: string): Promise<FastifyInstance> {
    const app = Fastify();
    app.get('/api/health', async () => ({ ok: true }));
    await app.register(webStatic, { dir: webDir });
    apps.push(app);
    return app;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-webout-'));
    await mkdir(path.join(dir, '_next/static/chunks'), { recursive: true });
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>page</title>');
    await writeFile(path.join(dir, '_next/static/chunks/app-123.js'), 'console.log(1)');
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the export at / with no-cache, hashed assets as immutable, and leaves the API alone', async () => {
    const app = await appFor(dir);
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('<title>page</title>');
    const asset = await app.inject('/_next/static/chunks/app-123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject('/api/health')).json()).toEqual({ ok: true });
    expect((await app.inject('/nothing-here')).statusCode).toBe(404);
    expect((await app.inject('/../package.json')).statusCode).toBe(404);
  });

  it('answers / with a 503 page saying to run npm run build:web when the export is missing, and picks up a later build', async () => {
    const later = path.join(dir, 'not-built-yet');
    const app = await appFor(later);
    const missing = await app.inject('/');
    expect(missing.statusCode).toBe(503);
    expect(missing.headers['content-type']).toMatch(/^text\/html/);
    expect(missing.body).toContain('npm run build:web');
    expect((await app.inject('/api/health')).statusCode).toBe(200);
    await mkdir(later);
    await writeFile(path.join(later, 'index.html'), '<!doctype html><title>built</title>');
    const built = await app.inject('/');
    expect(built.statusCode).toBe(200);
    expect(built.body).toContain('built');
  });
});
