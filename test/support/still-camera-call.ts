/**
 * A live call with the real server and pipeline, seen through Chromium: the page's fake camera shows one still (a
 * frame of the shared clip, or the sample scene without it), so that every returned frame can be compared pixel by
 * pixel with what was sent, using the person mask of that still (the server's own PersonMasker). `grab()` reads the
 * returned video back as RGB. One owner of the server, browser and temporary folder: `close()` frees them all.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { createMask, type RgbImage } from '../../server/src/pipeline/image.ts';
import { PersonMasker } from '../../server/src/pipeline/person-mask.ts';
import { startServer, type RunningServer } from '../../server/src/server.ts';
import { LIVE_PAGE_HTML } from '../live/live-page.ts';
import { launchChromium, SAMPLE_VIDEO } from './browser.ts';
import { clientBundle } from './client-bundle.ts';
import { REPO_ROOT } from './paths.ts';

const run = promisify(execFile);

/** The live test page plus `live.grab()`: the current returned frame as a PNG data URL at 640x480. */
export const GRAB_PAGE = LIVE_PAGE_HTML.replace(
  '</body>',
  `<script>window.live.grab = () => { const v = document.getElementById('remote'); const c = document.createElement('canvas');
  c.width = 640; c.height = 480; c.getContext('2d').drawImage(v, 0, 0, 640, 480); return c.toDataURL('image/png'); };</script></body>`,
);

export interface StillCameraCall {
  server: RunningServer;
  browser: Browser;
  page: Page;
  /** The temporary folder (recordings, the still, whatever `env` pointed into it). */
  dir: string;
  /** The picture the camera sends, 640x480 RGB. */
  still: RgbImage;
  /** The person probability of each pixel of `still` (0..1). */
  personMask: Float32Array;
  /** The current returned frame, 640x480 RGB. */
  grab(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Starts the server (real pipeline, the test page at /), computes the still's person mask, opens Chromium on the
 * page and starts the call. `env(dir)`: environment variables the server must see at its start (removed on close).
 */
export async function startStillCameraCall(options: { tmpPrefix: string; env?: (dir: string) => Record<string, string> } = { tmpPrefix: 'deepphoto-still-' }): Promise<StillCameraCall> {
  const dir = await mkdtemp(path.join(os.tmpdir(), options.tmpPrefix));
  const env = options.env?.(dir) ?? {};
  Object.assign(process.env, env);
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await server?.close();
    for (const name of Object.keys(env)) delete process.env[name];
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const png = path.join(dir, 'still.png');
    if (existsSync(SAMPLE_VIDEO)) {
      const vf = 'scale=640:480:force_original_aspect_ratio=increase,crop=640:480';
      await run('ffmpeg', ['-v', 'error', '-y', '-ss', '2', '-i', SAMPLE_VIDEO, '-frames:v', '1', '-vf', vf, png]);
    } else {
      await sharp(path.join(REPO_ROOT, 'server/assets/sample.svg')).resize(640, 480).removeAlpha().png().toFile(png);
    }
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', png, '-t', '1', '-r', '30', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', path.join(dir, 'still.y4m')]);
    const raw = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const still: RgbImage = { width: raw.info.width, height: raw.info.height, data: new Uint8Array(raw.data) };

    const clientJs = await clientBundle();
    server = await startServer({
      recordings: { dir: path.join(dir, 'rec') },
      servePage: false,
      plugins: [
        async (app) => {
          app.get('/', async (_q, reply) => reply.type('text/html').send(GRAB_PAGE));
          app.get('/deepphoto-client.js', async (_q, reply) => reply.type('text/javascript').send(clientJs));
        },
      ],
    });
    const mask = createMask(still.width, still.height);
    await (await PersonMasker.create(server.photo.runtime)).mask(still, mask);

    browser = await launchChromium({ fakeVideo: path.join(dir, 'still.y4m') });
    const page = await browser.newPage();
    await page.goto(server.url + '/');
    await page.evaluate(() => (window as unknown as { live: { start(): Promise<boolean> } }).live.start());
    const grab = async (): Promise<Uint8Array> => {
      const url = await page.evaluate(() => (window as unknown as { live: { grab(): string } }).live.grab());
      const { data } = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return new Uint8Array(data);
    };
    return { server, browser, page, dir, still, personMask: mask.data, grab, close };
  } catch (error) {
    await close();
    throw error;
  }
}
