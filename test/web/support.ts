/**
 * Helpers for the web page's end-to-end tests: build the static export when it is missing or older than its
 * sources, a fake-camera clip of the product's own sample scene (safe to show in committed screenshots), and the
 * whole server (HTTP API, signaling, recordings, static page) on a free port.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { webStatic } from '../../server/src/http/web-static.ts';
import { startServer, type RunningServer } from '../../server/src/server.ts';
import { quietLogger } from '../../server/src/context.ts';
import { REPO_ROOT } from '../support/paths.ts';

const run = promisify(execFile);

export const WEB_DIR = path.join(REPO_ROOT, 'web');
export const WEB_OUT = path.join(WEB_DIR, 'out');
export const SAMPLE_SVG = path.join(REPO_ROOT, 'server/assets/sample.svg');
/**
 * Screenshots go to the git-ignored test artifacts on every run; `UPDATE_SCREENSHOTS=1 npm test` writes the
 * README's copies in docs/images instead (looked at before committing).
 */
export const SCREENSHOT_DIR = process.env.UPDATE_SCREENSHOTS ? path.join(REPO_ROOT, 'docs/images') : path.join(REPO_ROOT, 'test/artifacts/web');
mkdirSync(SCREENSHOT_DIR, { recursive: true });

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'out' || entry.name.startsWith('.')) continue;
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds `web/out` (next build, telemetry off) when it is missing or older than web/ or shared/ sources. */
export async function ensureWebBuilt(): Promise<void> {
  const index = path.join(WEB_OUT, 'index.html');
  const sources = Math.max(newestMtime(path.join(WEB_DIR, 'app')), newestMtime(path.join(WEB_DIR, 'components')), newestMtime(path.join(WEB_DIR, 'lib')), newestMtime(path.join(REPO_ROOT, 'shared/src')));
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const next = path.join(REPO_ROOT, 'node_modules/next/dist/bin/next');
  await run(process.execPath, [next, 'build'], {
    cwd: WEB_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 300_000,
  });
  if (!existsSync(index)) throw new Error('next build finished without web/out/index.html');
}

export interface TempFile {
  path: string;
  remove(): Promise<void>;
}

/**
 * A y4m clip (Chromium's fake camera loops it) of the sample scene, with a slow pan so that it is video, not a
 * still. Written directly (YUV 4:2:0, BT.601 full range): no ffmpeg needed.
 */
export async function sceneY4m(width = 640, height = 480, frames = 30): Promise<TempFile> {
  const pad = 32;
  const { data } = await sharp(await readFile(SAMPLE_SVG))
    .resize(width + pad, height, { fit: 'cover' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-scene-'));
  const file = path.join(dir, 'scene.y4m');
  const fh = await open(file, 'w');
  await fh.write(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`);
  const srcW = width + pad;
  const y = Buffer.alloc(width * height);
  const u = Buffer.alloc((width / 2) * (height / 2));
  const v = Buffer.alloc((width / 2) * (height / 2));
  for (let f = 0; f < frames; f++) {
    const dx = Math.round((pad * (f < frames / 2 ? f : frames - f)) / (frames / 2));
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) {
        const i = (row * srcW + col + dx) * 3;
        const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
        y[row * width + col] = Math.min(255, Math.max(0, Math.round(0.299 * r + 0.587 * g + 0.114 * b)));
        if ((row & 1) === 0 && (col & 1) === 0) {
          const j = (row / 2) * (width / 2) + col / 2;
          u[j] = Math.min(255, Math.max(0, Math.round(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)));
          v[j] = Math.min(255, Math.max(0, Math.round(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)));
        }
      }
    }
    await fh.write('FRAME\n');
    await fh.write(y);
    await fh.write(u);
    await fh.write(v);
  }
  await fh.close();
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The sample scene as a JPEG, for photo-mode uploads. */
export async function sceneJpeg(width = 800): Promise<Buffer> {
  return sharp(await readFile(SAMPLE_SVG)).resize(width).removeAlpha().jpeg({ quality: 92 }).toBuffer();
}

export const COLOUR_PROCESSOR = new URL('./colour-processor.ts', import.meta.url).href;

export interface WebServer extends RunningServer {
  recordingsDir: string;
}

/** The product's server as `npm start` runs it, with the page, and the colour processor instead of the models. */
export async function startWebServer(options: { maxSessions?: number } = {}): Promise<WebServer> {
  const recordingsDir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-web-rec-'));
  const server = await startServer({
    maxSessions: options.maxSessions ?? 1,
    processorModule: COLOUR_PROCESSOR,
    recordings: { dir: recordingsDir },
    logger: quietLogger,
    // unless startServer serves the page itself already
    plugins: [
      async (app) => {
        if (!app.hasRoute({ method: 'GET', url: '/' })) await app.register(webStatic);
      },
    ],
  });
  const close = server.close;
  return {
    ...server,
    recordingsDir,
    close: async () => {
      await close();
      await rm(recordingsDir, { recursive: true, force: true });
    },
  };
}

export async function ffprobeFormat(file: string): Promise<{ format: string; codec: string; duration: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=format_name,duration:stream=codec_name', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { format?: { format_name?: string; duration?: string }; streams?: Array<{ codec_name?: string }> };
  return { format: info.format?.format_name ?? '', codec: info.streams?.[0]?.codec_name ?? '', duration: Number(info.format?.duration) };
}
