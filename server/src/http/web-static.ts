/**
 * The web page (`web/out`, Next.js static export) served at `/` by the product's own server, so the page, the
 * API, signaling and recordings share one origin. A fastify plugin:
 * `await app.register(webStatic)` (optionally `{ dir }`).
 *
 * When the page has not been built, `/` answers 503 with a short HTML page that says how to build it; the API
 * keeps working. The build is looked for on each request to `/` then, so building while the server runs is enough.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/out', import.meta.url));

export interface WebStaticOptions {
  /** The static export folder; default `web/out` of this repository (config: `DEEPPHOTO_WEB_DIR`). */
  dir?: string;
}

export const MISSING_WEB_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>DeepPhoto Live — web page not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;background:#0f1115;color:#e9ecf2;display:grid;place-items:center;min-height:100vh;margin:0}
main{max-width:34rem;padding:2rem}code{background:#1e222b;padding:.15em .4em;border-radius:6px}</style></head>
<body><main><h1>The web page is not built yet</h1>
<p>The server is running (the API answers under <code>/api/</code>), but the page has not been built.</p>
<p>Run <code>npm run build:web</code> in the project folder, then reload this page.</p></main></body></html>`;

export const webStatic: FastifyPluginAsync<WebStaticOptions> = async (app, options) => {
  const dir = path.resolve(options.dir ?? DEFAULT_WEB_DIR);
  const built = (): boolean => existsSync(path.join(dir, 'index.html'));

  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: ['index.html'],
    // the page is reached as `/`; Next writes hashed, immutable assets under /_next/static
    setHeaders(res, filePath) {
      if (filePath.includes(`${path.sep}_next${path.sep}static${path.sep}`)) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
    },
    // `/` is handled below, so that a missing build gets the explanatory page instead of a bare 404
    wildcard: true,
    serveDotFiles: false,
    cacheControl: false,
  });

  const sendIndex = async (_request: unknown, reply: FastifyReply) => {
    if (!built()) return reply.status(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(MISSING_WEB_HTML);
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dir);
  };
  app.get('/', sendIndex);
  app.get('/index.html', sendIndex);
  // Invite links: /r/NAME opens the page in that room (the static export has one page; the room goes in the query).
  app.get<{ Params: { room: string } }>('/r/:room', async (request, reply) => {
    const room = request.params.room;
    return reply.redirect(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(room) ? `/?room=${encodeURIComponent(room)}` : '/', 302);
  });
};

export default webStatic;
