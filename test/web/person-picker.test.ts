/**
 * Pick a person, end to end: the real page in Chromium, whose fake camera shows two people (the clip's person and
 * their mirror image side by side), the real pipeline on the server (segmentation, face detection, tracking,
 * split, light style). Clicking the left person must put the style on the left person's pixels only.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietLogger } from '../../server/src/context.ts';
import { webStatic } from '../../server/src/http/web-static.ts';
import { PeopleFinder } from '../../server/src/instances/people.ts';
import type { RgbImage } from '../../server/src/pipeline/image.ts';
import { startServer, type RunningServer } from '../../server/src/server.ts';
import { TWO_PEOPLE_STILL_FILTER } from '../../server/src/tools/two-people.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable, SAMPLE_VIDEO } from '../support/browser.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { ensureWebBuilt } from './support.ts';

const run = promisify(execFile);
const ARTIFACTS = path.join(REPO_ROOT, 'test/artifacts/web');
const suite = chromiumAvailable() && existsSync(SAMPLE_VIDEO) ? describe : describe.skip;

suite('pick a person on the page (real pipeline, two people in the fake camera)', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let still: RgbImage;
  /** Per pixel: 1 = surely the left person, 2 = surely the right person, 3 = surely background, 0 = don't check. */
  let regions: Uint8Array;

  beforeAll(async () => {
    await ensureWebBuilt();
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-two-'));
    const png = path.join(dir, 'two.png');
    await run('ffmpeg', ['-v', 'error', '-y', '-ss', '2', '-i', SAMPLE_VIDEO, '-frames:v', '1', '-filter_complex', TWO_PEOPLE_STILL_FILTER, png]);
    await run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', png, '-t', '1', '-r', '30', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', path.join(dir, 'two.y4m')]);
    const raw = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    still = { width: raw.info.width, height: raw.info.height, data: new Uint8Array(raw.data) };

    server = await startServer({
      recordings: { dir: path.join(dir, 'rec') },
      logger: quietLogger,
      plugins: [
        async (app) => {
          if (!app.hasRoute({ method: 'GET', url: '/' })) await app.register(webStatic);
        },
      ],
    });
    // Where each person surely is, from the product's own photo path on the still (independent of the live path).
    const people = await (await PeopleFinder.create(server.photo.runtime)).find(still);
    expect(people.faces).toHaveLength(2);
    regions = new Uint8Array(still.width * still.height);
    for (let i = 0; i < regions.length; i++) {
      const x = i % still.width;
      const m = people.mask.data[i]!;
      if (m <= 0.02) regions[i] = 3;
      // Away from the seam in the middle, where the two shoulders meet.
      else if (m >= 0.98 && Math.abs(x - still.width / 2) > 24) regions[i] = people.labels[i]!;
    }

    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream'), `--use-file-for-fake-video-capture=${path.join(dir, 'two.y4m')}`],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, permissions: ['camera'] });
    page = await context.newPage();
    page.on('pageerror', (e) => console.warn('page error:', e.message));
    await page.goto(server.url + '/');
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function grab(): Promise<Uint8Array> {
    const url = await page.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!;
      const c = document.createElement('canvas');
      c.width = 640;
      c.height = 480;
      c.getContext('2d')!.drawImage(v, 0, 0, 640, 480);
      return c.toDataURL('image/png');
    });
    return new Uint8Array(await sharp(Buffer.from(url.split(',')[1]!, 'base64')).removeAlpha().raw().toBuffer());
  }

  /** Mean absolute difference to the camera picture in each region. */
  function change(returned: Uint8Array): { left: number; right: number; background: number } {
    const sum = [0, 0, 0, 0];
    const count = [0, 0, 0, 0];
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i]!;
      if (r === 0) continue;
      sum[r]! += (Math.abs(returned[i * 3]! - still.data[i * 3]!) + Math.abs(returned[i * 3 + 1]! - still.data[i * 3 + 1]!) + Math.abs(returned[i * 3 + 2]! - still.data[i * 3 + 2]!)) / 3;
      count[r]!++;
    }
    for (const r of [1, 2, 3]) expect(count[r]).toBeGreaterThan(5000);
    return { left: sum[1]! / count[1]!, right: sum[2]! / count[2]!, background: sum[3]! / count[3]! };
  }

  async function settle(ok: (c: ReturnType<typeof change>) => boolean, timeoutMs = 30_000): Promise<ReturnType<typeof change>> {
    const end = Date.now() + timeoutMs;
    let last = change(await grab());
    while (!ok(last) && Date.now() < end) {
      await page.waitForTimeout(300);
      last = change(await grab());
    }
    return last;
  }

  it('clicking the left person styles only the left person; "everyone but" styles only the right one', async () => {
    await page.locator('label[data-style="mosaic"]').click();
    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect.poll(() => page.locator('[data-testid="live-phase"]').getAttribute('data-phase'), { timeout: 60_000 }).toBe('live');
    await page.waitForFunction(() => (document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')?.videoWidth ?? 0) > 0, undefined, { timeout: 60_000 });

    await page.getByTestId('pick-people').click();
    // Nobody picked yet: nothing is styled.
    const none = await settle((c) => c.left < 12 && c.right < 12 && c.background < 12);
    console.log('people target, nobody picked: mean abs change', none);
    expect(none.left).toBeLessThan(12);
    expect(none.right).toBeLessThan(12);
    expect(none.background).toBeLessThan(12);

    // Click the left person's chest: a quarter from the left, three quarters down the picture.
    const picker = page.getByTestId('person-picker');
    const box = (await picker.boundingBox())!;
    const video = await page.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]')!;
      return { w: v.videoWidth, h: v.videoHeight };
    });
    const scale = Math.min(box.width / video.w, box.height / video.h);
    const left = box.x + (box.width - video.w * scale) / 2;
    const top = box.y + (box.height - video.h * scale) / 2;
    await picker.click({ position: { x: left - box.x + video.w * scale * 0.25, y: top - box.y + video.h * scale * 0.75 } });
    await expect
      .poll(async () => {
        const banner = await page.locator('[role="alert"]').allTextContents();
        if (banner.some((t) => t.includes('pick'))) throw new Error(`pick failed: ${banner.join(' | ')}`);
        return page.getByTestId('person-badge').count();
      }, { timeout: 15_000 })
      .toBe(1);

    const picked = await settle((c) => c.left > 25 && c.right < 12 && c.background < 12);
    console.log('left person picked: mean abs change', picked);
    await page.screenshot({ path: path.join(ARTIFACTS, 'person-picker-left.png') });
    expect(picked.left).toBeGreaterThan(25); // styled
    expect(picked.right).toBeLessThan(12); // VP8 round trip twice, nothing else
    expect(picked.background).toBeLessThan(12);

    // Everyone but the picked one: the reverse on the people, background still untouched.
    await page.getByTestId('pick-people-except').click();
    const except = await settle((c) => c.left < 12 && c.right > 25);
    console.log('everyone but the left person: mean abs change', except);
    expect(except.left).toBeLessThan(12);
    expect(except.right).toBeGreaterThan(25);
    expect(except.background).toBeLessThan(12);
  });
});
