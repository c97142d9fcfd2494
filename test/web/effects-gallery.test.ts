/**
 * The page's effect gallery end to end with the real pipeline: Chromium's fake camera plays a still of our sample
 * scene, the page (static export) shows the gallery grouped as Backgrounds / Styles / None, and choosing a blur,
 * a built-in picture and an uploaded picture (the page's upload button) changes the returned video's background
 * while the person stays as sent (pixel checks against the still, person and background by the photo mask).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger } from '../../server/src/context.ts';
import { createMask, type RgbImage } from '../../server/src/pipeline/image.ts';
import { PersonMasker } from '../../server/src/pipeline/person-mask.ts';
import { startServer, type RunningServer } from '../../server/src/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../support/browser.ts';
import { ensureWebBuilt, SAMPLE_SVG, SCREENSHOT_DIR } from './support.ts';

const run = promisify(execFile);
const suite = chromiumAvailable() ? describe : describe.skip;

suite('effect gallery in the page, real pipeline', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let still: RgbImage;
  let personMask: Float32Array;

  beforeAll(async () => {
    await ensureWebBuilt();
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-gallery-'));
    process.env.DEEPPHOTO_BACKGROUNDS_DIR = path.join(dir, 'backgrounds');
    const png = path.join(dir, 'still.png');
    await sharp(SAMPLE_SVG).resize(640, 480).removeAlpha().png().toFile(png);
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', png, '-t', '1', '-r', '30', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', path.join(dir, 'still.y4m')]);
    const raw = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    still = { width: raw.info.width, height: raw.info.height, data: new Uint8Array(raw.data) };
    server = await startServer({ recordings: { dir: path.join(dir, 'rec') }, logger: quietLogger });
    const mask = createMask(still.width, still.height);
    await (await PersonMasker.create(server.photo.runtime)).mask(still, mask);
    personMask = mask.data;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${path.join(dir, 'still.y4m')}`] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['camera'] });
    page = await context.newPage();
    page.on('pageerror', (e) => console.warn('page error:', e.message));
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    delete process.env.DEEPPHOTO_BACKGROUNDS_DIR;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The returned video at 640x480, RGB. */
  async function grab(): Promise<Uint8Array> {
    const url = await page.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!;
      const c = document.createElement('canvas');
      c.width = 640;
      c.height = 480;
      c.getContext('2d')!.drawImage(v, 0, 0, 640, 480);
      return c.toDataURL('image/png');
    });
    const { data } = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return new Uint8Array(data);
  }

  /** Mean abs change to the sent still over person (mask >= 0.98) and background (<= 0.02) pixels. */
  function change(returned: Uint8Array): { person: number; background: number } {
    let p = 0;
    let pn = 0;
    let b = 0;
    let bn = 0;
    for (let i = 0; i < personMask.length; i++) {
      const d = (Math.abs(returned[i * 3]! - still.data[i * 3]!) + Math.abs(returned[i * 3 + 1]! - still.data[i * 3 + 1]!) + Math.abs(returned[i * 3 + 2]! - still.data[i * 3 + 2]!)) / 3;
      if (personMask[i]! >= 0.98) (p += d), pn++;
      else if (personMask[i]! <= 0.02) (b += d), bn++;
    }
    expect(pn).toBeGreaterThan(5_000);
    expect(bn).toBeGreaterThan(50_000);
    return { person: p / pn, background: b / bn };
  }

  /** Polls the returned video until `ok` holds for its change (or fails after `timeoutMs`). */
  async function waitForChange(what: string, ok: (c: { person: number; background: number }) => boolean, timeoutMs = 20_000) {
    const end = Date.now() + timeoutMs;
    let last = { person: Number.NaN, background: Number.NaN };
    while (Date.now() < end) {
      last = change(await grab());
      if (ok(last)) return last;
      await page.waitForTimeout(250);
    }
    throw new Error(`returned video never showed ${what}; last change ${JSON.stringify(last)}`);
  }

  it('groups the gallery as Backgrounds, Styles, None, with an upload button', async () => {
    await page.goto(server.url + '/');
    await expect.poll(() => page.locator('[data-testid="server-status"]').textContent()).toBe('Server ready');
    await expect.poll(() => page.locator('fieldset[data-group="backgrounds"] label[data-effect]').count()).toBeGreaterThanOrEqual(6);
    const legends = await page.locator('fieldset.effect-group > legend').allTextContents();
    expect(legends).toEqual(['Backgrounds', 'Styles', 'None']);
    for (const id of ['blur-light', 'blur-strong', 'bg-dawn', 'bg-studio']) expect(await page.locator(`fieldset[data-group="backgrounds"] label[data-effect="${id}"]`).count(), id).toBe(1);
    expect(await page.locator('fieldset[data-group="styles"] label[data-style="candy"]').count()).toBe(1);
    expect(await page.locator('[data-testid="background-upload"]').count()).toBe(1);
  });

  it('blur, a built-in picture and an uploaded picture change the live background; the person stays', async () => {
    await page.locator('label[data-effect="blur-strong"]').click();
    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect.poll(() => page.locator('[data-testid="live-phase"]').getAttribute('data-phase'), { timeout: 30_000 }).toBe('live');
    const blurred = await waitForChange('the blurred background', (c) => c.background > 3 && c.person < 8, 30_000);
    console.log('page, blur-strong: mean abs change', blurred);

    await page.locator('label[data-effect="bg-dawn"]').click();
    // A picture only goes behind the person: the person and whole targets are disabled.
    expect(await page.locator('.segment', { hasText: 'Person' }).locator('input').isDisabled()).toBe(true);
    const dawn = await waitForChange('the dawn picture', (c) => c.background > 40 && c.person < 8);
    console.log('page, bg-dawn: mean abs change', dawn);
    await page.waitForTimeout(1000);
    await page.locator('aside').screenshot({ path: path.join(SCREENSHOT_DIR, 'web-effects-gallery-desktop.png') });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-live-background-picture-desktop.png') });

    const orange = path.join(dir, 'my-orange.png');
    await writeFile(orange, await sharp({ create: { width: 900, height: 300, channels: 3, background: '#ff8800' } }).png().toBuffer());
    await page.locator('[data-testid="background-upload"]').setInputFiles(orange);
    const own = page.locator('fieldset[data-group="backgrounds"] label[data-effect^="bg-u-"]');
    await expect.poll(() => own.count(), { timeout: 20_000 }).toBe(1);
    expect(await own.locator('input').isChecked()).toBe(true);
    const corner = async () => [...(await grab()).subarray(0, 3)];
    await expect.poll(corner, { timeout: 20_000 }).toEqual([expect.closeTo(255, -1.2), expect.closeTo(136, -1.2), expect.closeTo(0, -1.2)]);
    const uploaded = change(await grab());
    console.log('page, own picture: mean abs change', uploaded);
    expect(uploaded.person).toBeLessThan(8);

    // Deleting it removes the card and falls back to a blur.
    await own.getByRole('button', { name: /Delete/ }).click();
    await expect.poll(() => own.count()).toBe(0);
    expect(await page.locator('label[data-effect="blur-light"] input').isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Stop camera' }).click();
  });
});
