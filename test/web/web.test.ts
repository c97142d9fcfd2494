/**
 * The web page end to end in Debian's chromium (playwright-core): the real server (HTTP API, signaling,
 * recordings, the static page) in-process, a fake camera playing the sample scene, and the colour processor
 * (test/web/colour-processor.ts) in the live sessions so that style and target are checkable pixel by pixel.
 * One browser for the file; it is launched without --use-fake-ui-for-media-stream so that camera permission is
 * decided per context (granted for the happy path, not granted for the denied case).
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StyleInfo } from '@deepphoto/shared';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../support/browser.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { channelFor } from './colour-processor.ts';
import { ensureWebBuilt, ffprobeFormat, SCREENSHOT_DIR, sceneJpeg, sceneY4m, startWebServer, type TempFile, type WebServer } from './support.ts';

type Rgb = [number, number, number];
interface Means {
  left: Rgb;
  right: Rgb;
  width: number;
  height: number;
}

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const ARTIFACTS = path.join(REPO_ROOT, 'test/artifacts/web');

/** Tinted by the colour processor: channel c ≥ 100 on average, the other two near 0. */
const tintOf = (m: Rgb): number => [0, 1, 2].find((c) => m[c]! > 100 && m.every((v, k) => k === c || v < 30)) ?? -1;
const isBlack = (m: Rgb): boolean => m.every((v) => v < 12);

const run = chromiumAvailable() ? describe : describe.skip;

run('web page (live view, gallery, recording, photo mode) in a real browser', () => {
  let server: WebServer;
  let browser: Browser;
  let clip: TempFile;
  let desktop: BrowserContext;
  let page: Page;
  let styles: StyleInfo[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    clip = await sceneY4m();
    server = await startWebServer({ maxSessions: 1 });
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS.filter((a) => a !== '--use-fake-ui-for-media-stream'), `--use-file-for-fake-video-capture=${clip.path}`],
    });
    styles = ((await (await fetch(`${server.url}/api/styles`)).json()) as { styles: StyleInfo[] }).styles;
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await mkdir(ARTIFACTS, { recursive: true });
    desktop = await browser.newContext({ viewport: DESKTOP, permissions: ['camera'], acceptDownloads: true });
    page = await desktop.newPage();
    page.on('pageerror', (e) => console.warn('page error:', e.message));
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await clip?.remove();
  });

  async function means(p: Page): Promise<Means | null> {
    return p.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="remote-video"]');
      if (!v || v.readyState < 2 || !v.videoWidth) return null;
      const w = 64;
      const h = 48;
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(v, 0, 0, w, h);
      const d = g.getImageData(0, 0, w, h).data;
      const sum = (x0: number, x1: number): [number, number, number] => {
        let r = 0;
        let gg = 0;
        let b = 0;
        let n = 0;
        // stay clear of the seam in the middle (codec blur)
        for (let y = 0; y < h; y++)
          for (let x = x0; x < x1; x++) {
            const i = (y * w + x) * 4;
            r += d[i]!;
            gg += d[i + 1]!;
            b += d[i + 2]!;
            n++;
          }
        return [r / n, gg / n, b / n];
      };
      return { left: sum(2, w / 2 - 4), right: sum(w / 2 + 4, w - 2), width: v.videoWidth, height: v.videoHeight };
    });
  }

  async function waitForVideo(p: Page, what: string, ok: (m: Means) => boolean, timeoutMs = 15_000): Promise<{ m: Means; ms: number }> {
    const t0 = Date.now();
    let last: Means | null = null;
    while (Date.now() - t0 < timeoutMs) {
      last = await means(p);
      if (last && ok(last)) return { m: last, ms: Date.now() - t0 };
      await p.waitForTimeout(100);
    }
    throw new Error(`returned video never showed ${what}; last means ${JSON.stringify(last)}`);
  }

  const styleCard = (p: Page, id: string) => p.locator(`label[data-style="${id}"]`);
  const targetButton = (p: Page, label: string) => p.locator('.segment', { hasText: label });

  /** The style-dependent tests need the catalog's networks (DEEPPHOTO_MODELS_MIRROR or the model cache). */
  function needStyles(ctx: { skip(note?: string): void }): void {
    if (styles.length < 2) ctx.skip(`needs at least two styles; the server lists ${styles.length} (set DEEPPHOTO_MODELS_MIRROR)`);
  }

  /** Two styles the colour processor shows in different colours (the first two of the catalog, as a rule). */
  function twoStyles(): [StyleInfo, StyleInfo] {
    const a = styles[0];
    const b = styles.find((s) => channelFor(s.id) !== channelFor(a?.id ?? ''));
    if (!a || !b) throw new Error(`need two styles with different colours; the catalog has ${styles.map((s) => s.id).join(', ') || 'none'} (set DEEPPHOTO_MODELS_MIRROR)`);
    return [a, b];
  }

  it('shows every style with its server thumbnail, plus none, and the radios work from the keyboard', async (ctx) => {
    needStyles(ctx);
    await page.goto(server.url + '/');
    await expect.poll(() => page.locator('[data-testid="server-status"]').textContent()).toBe('Server ready');
    const cards = page.locator('.style-card[data-style]');
    await expect.poll(() => cards.count()).toBe(styles.length + 1);
    expect(await styleCard(page, 'none').textContent()).toContain('None');
    for (const s of styles) expect((await styleCard(page, s.id).textContent())?.toLowerCase()).toContain(s.title.toLowerCase());
    // every thumbnail (rendered by the server from the sample scene) has loaded
    await page.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>('.style-card img')].every((img) => img.complete && img.naturalWidth > 0),
      undefined,
      { timeout: 90_000 },
    );
    // the first style is chosen; arrow keys move the choice like any radio group
    const first = styles[0]!.id;
    expect(await page.locator(`#style-${first}`).isChecked()).toBe(true);
    await page.locator(`#style-${first}`).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.locator(`#style-${styles[1]!.id}`).isChecked()).toBe(true);
    await page.keyboard.press('ArrowLeft');
    expect(await page.locator(`#style-${first}`).isChecked()).toBe(true);
    await page.locator('aside').screenshot({ path: path.join(SCREENSHOT_DIR, 'web-gallery-desktop.png') });
  });

  it('starts the call and shows the filtered video from the server; style and target switch mid-stream', async (ctx) => {
    needStyles(ctx);
    const [a, b] = twoStyles();
    await styleCard(page, a.id).click();
    await targetButton(page, 'Whole').click();
    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect.poll(() => page.locator('[data-testid="live-phase"]').getAttribute('data-phase'), { timeout: 20_000 }).toBe('live');
    const ca = channelFor(a.id);
    const cb = channelFor(b.id);
    const first = await waitForVideo(page, `style ${a.id} on the whole frame`, (m) => tintOf(m.left) === ca && tintOf(m.right) === ca, 20_000);
    expect(first.m.width).toBe(640);
    expect(first.m.height).toBe(480);
    // the stats overlay fills in
    await expect.poll(() => page.locator('[data-testid="stats"]').textContent(), { timeout: 5000 }).toMatch(/640×480/);
    await page.waitForTimeout(1500); // let the bitrate ramp up before the picture
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-live-desktop.png') });

    await styleCard(page, b.id).click();
    const switched = await waitForVideo(page, `style ${b.id}`, (m) => tintOf(m.left) === cb && tintOf(m.right) === cb);
    console.log(`style switch visible after ${switched.ms} ms`);
    expect(switched.ms).toBeLessThan(3000);

    await targetButton(page, 'Background').click();
    await waitForVideo(page, 'the background (left half) only', (m) => tintOf(m.left) === cb && tintOf(m.right) === -1 && !isBlack(m.right));
    await targetButton(page, 'Person').click();
    await waitForVideo(page, 'the person (right half) only', (m) => tintOf(m.right) === cb && tintOf(m.left) === -1 && !isBlack(m.left));
    await styleCard(page, 'none').click();
    await waitForVideo(page, 'the camera unchanged', (m) => tintOf(m.left) === -1 && tintOf(m.right) === -1 && !isBlack(m.left));
    // the stats overlay can be hidden and shown again
    await page.getByRole('button', { name: 'Hide stats' }).click();
    expect(await page.locator('[data-testid="stats"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Show stats' }).click();
    expect(await page.locator('[data-testid="stats"]').count()).toBe(1);
    await styleCard(page, a.id).click();
    await targetButton(page, 'Whole').click();
    await waitForVideo(page, `style ${a.id} again`, (m) => tintOf(m.left) === ca && tintOf(m.right) === ca);
    // a resolution change mid-call replaces the camera track; the server follows the new size
    await page.getByLabel('Resolution').selectOption('320x240');
    await waitForVideo(page, '320x240 video', (m) => m.width === 320 && m.height === 240 && tintOf(m.left) === ca);
    await page.getByLabel('Resolution').selectOption('640x480');
    await waitForVideo(page, '640x480 video again', (m) => m.width === 640 && m.height === 480 && tintOf(m.left) === ca);
  });

  it('records 3 s with a running clock, then offers the clip to play and to download as a WebM', async (ctx) => {
    needStyles(ctx);
    await page.getByRole('button', { name: 'Record' }).click();
    await page.waitForSelector('[data-testid="rec-badge"]');
    await page.waitForTimeout(3000);
    expect(await page.locator('[data-testid="rec-badge"]').textContent()).toMatch(/REC 00:0[3-4]/);
    await page.getByRole('button', { name: /Stop recording/ }).click();
    await page.waitForSelector('[data-testid="clip"]', { timeout: 20_000 });
    // playable in the page
    await page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="clip"] video');
      return !!v && v.readyState >= 1 && !v.error && v.videoWidth === 640;
    }, undefined, { timeout: 10_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download clip' }).click()]);
    const file = path.join(ARTIFACTS, 'clip.webm');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/^deepphoto-.*\.webm$/);
    expect((await stat(file)).size).toBeGreaterThan(10_000);
    const probe = await ffprobeFormat(file);
    console.log('recording', probe);
    expect(probe.format).toContain('webm');
    expect(probe.codec).toBe('vp8');
    expect(probe.duration).toBeGreaterThan(2.5);
    expect(probe.duration).toBeLessThan(5);
    await page.getByRole('button', { name: 'Stop camera' }).click();
    await expect.poll(() => page.locator('[data-testid="live-phase"]').getAttribute('data-phase')).toBe('idle');
    await expect.poll(() => server.signaling.sessions.size, { timeout: 5000 }).toBe(0);
  });

  it('photo mode: upload, progress while it works, result, and a download of the edited image', async (ctx) => {
    needStyles(ctx);
    const [a] = twoStyles();
    await page.getByRole('button', { name: 'Photo' }).click();
    await styleCard(page, a.id).click();
    await targetButton(page, 'Background').click();
    const upload = await sceneJpeg(800);
    const sawProgress = page.waitForSelector('[data-testid="photo-progress"]', { timeout: 10_000 }).then(() => true);
    await page.setInputFiles('#photo-file', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: upload });
    expect(await sawProgress).toBe(true);
    const link = page.locator('[data-testid="photo-download"]');
    await link.waitFor({ timeout: 90_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const file = path.join(ARTIFACTS, 'photo.jpg');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe(`deepphoto-${a.id}-background.jpg`);
    const bytes = await readFile(file);
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBe(800);
    expect(Buffer.compare(bytes, upload)).not.toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-photo-desktop.png') });
    await page.getByRole('button', { name: 'Live video' }).click();
  });

  it('on a phone-width viewport: live view, gallery and a camera snapshot edited in photo mode; a second call gets "busy"', async (ctx) => {
    needStyles(ctx);
    const phone = await browser.newContext({ viewport: PHONE, permissions: ['camera'], isMobile: true, hasTouch: true });
    const mobile = await phone.newPage();
    try {
      await mobile.goto(server.url + '/');
      await expect.poll(() => mobile.locator('[data-testid="server-status"]').textContent()).toBe('Server ready');
      const [a] = twoStyles();
      await styleCard(mobile, a.id).click();
      await targetButton(mobile, 'Whole').click();
      // nothing is wider than the screen
      expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await mobile.getByRole('button', { name: 'Start camera' }).click();
      await expect.poll(() => mobile.locator('[data-testid="live-phase"]').getAttribute('data-phase'), { timeout: 20_000 }).toBe('live');
      await waitForVideo(mobile, 'filtered video on the phone', (m) => tintOf(m.left) === channelFor(a.id), 20_000);
      await mobile.waitForTimeout(1500);
      await mobile.evaluate(() => window.scrollTo(0, 0));
      await mobile.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-live-phone.png') });
      await mobile.locator('aside').screenshot({ path: path.join(SCREENSHOT_DIR, 'web-gallery-phone.png') });

      // the server takes one live session here: the desktop page is told the server is busy
      await page.getByRole('button', { name: 'Start camera' }).click();
      const busy = page.locator('[role="alert"][data-error="busy"]');
      await busy.waitFor({ timeout: 15_000 });
      expect(await busy.textContent()).toContain('The server is busy');
      expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(1);
      await page.screenshot({ path: path.join(ARTIFACTS, 'busy-desktop.png') });

      await mobile.getByRole('button', { name: 'Photo' }).click();
      await mobile.getByRole('button', { name: 'Snapshot from camera' }).click();
      await mobile.locator('[data-testid="photo-download"]').waitFor({ timeout: 90_000 });
      await mobile.evaluate(() => window.scrollTo(0, 0));
      await mobile.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-photo-phone.png') });
      expect(await mobile.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    } finally {
      await phone.close();
    }
    await expect.poll(() => server.signaling.sessions.size, { timeout: 5000 }).toBe(0);
  });

  it('tells the user when camera access is denied, and when the browser cannot do live video', async () => {
    const denied = await browser.newContext({ viewport: DESKTOP, permissions: [] });
    try {
      const p = await denied.newPage();
      await p.goto(server.url + '/');
      await p.getByRole('button', { name: 'Start camera' }).click();
      const alert = p.locator('[role="alert"][data-error="camera_denied"]');
      await alert.waitFor({ timeout: 10_000 });
      expect(await alert.textContent()).toContain('Camera access was blocked');
      expect(await p.getByRole('button', { name: 'Try again' }).count()).toBe(1);
      expect(await p.locator('[data-testid="status"]').textContent()).toContain('Camera access was blocked');
      await p.screenshot({ path: path.join(ARTIFACTS, 'camera-denied-desktop.png') });

      const old = await denied.newPage();
      await old.addInitScript(() => {
        delete (window as { RTCPeerConnection?: unknown }).RTCPeerConnection;
      });
      await old.goto(server.url + '/');
      const unsupported = old.locator('[role="alert"][data-error="unsupported"]');
      await unsupported.waitFor({ timeout: 10_000 });
      expect(await unsupported.textContent()).toContain('Photo mode still works');
      expect(await old.getByRole('button', { name: 'Start camera' }).isDisabled()).toBe(true);
    } finally {
      await denied.close();
    }
  });

  it('says the server is unreachable, keeps retrying, and recovers (styles and the live call) once it answers', async () => {
    const context = await browser.newContext({ viewport: PHONE, permissions: ['camera'], isMobile: true, hasTouch: true });
    try {
      const p = await context.newPage();
      // the page is cached / served elsewhere, but the API and signaling do not answer
      await p.route('**/api/**', (route) => route.abort('connectionrefused'));
      await p.route('**/socket.io/**', (route) => route.abort('connectionrefused'));
      let socketsBlocked = true;
      await p.routeWebSocket(/\/socket\.io\//, (ws) => (socketsBlocked ? ws.close() : ws.connectToServer()));
      await p.goto(server.url + '/');
      await expect.poll(() => p.locator('[data-testid="server-status"]').textContent(), { timeout: 10_000 }).toBe('Server unreachable');
      expect(await p.locator('aside [role="alert"][data-error="unreachable"]').count()).toBe(1);
      await p.getByRole('button', { name: 'Start camera' }).click();
      const alert = p.locator('.live [role="alert"][data-error="unreachable"]');
      await alert.waitFor({ timeout: 15_000 });
      expect(await alert.textContent()).toContain('Cannot reach the DeepPhoto server');
      expect(await p.getByRole('button', { name: 'Reconnect now' }).count()).toBe(1);
      await p.screenshot({ path: path.join(ARTIFACTS, 'unreachable-phone.png'), fullPage: true });

      await p.unrouteAll();
      socketsBlocked = false;
      await p.getByRole('button', { name: 'Reconnect now' }).click();
      await expect.poll(() => p.locator('[data-testid="server-status"]').textContent(), { timeout: 15_000 }).toBe('Server ready');
      await expect.poll(() => p.locator('[data-testid="live-phase"]').getAttribute('data-phase'), { timeout: 20_000 }).toBe('live');
      // Any alert left must go once the call is live (say which one, if not).
      await expect
        .poll(async () => (await p.locator('.live [role="alert"]').allTextContents()).join(' | '), { timeout: 5000 })
        .toBe('');
      await waitForVideo(p, 'video after reconnecting', (m) => !isBlack(m.left), 20_000);
    } finally {
      await context.close();
    }
    await expect.poll(() => server.signaling.sessions.size, { timeout: 5000 }).toBe(0);
  });
});

