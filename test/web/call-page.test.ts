/**
 * The page's Call tab end to end: two people open the same invite link (/r/NAME) in Chromium (one desktop, one
 * phone-width), join, see each other's filtered video in a grid with names, mute, leave. Real server, colour
 * processor, the page as built by Next.js (on the client library).
 */
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StyleInfo } from '@deepphoto/shared';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../support/browser.ts';
import { channelFor } from './colour-processor.ts';
import { ensureWebBuilt, SCREENSHOT_DIR, sceneY4m, startWebServer, type TempFile, type WebServer } from './support.ts';

const run = chromiumAvailable() ? describe : describe.skip;
type Rgb = [number, number, number];

run('web page: a room call from an invite link', () => {
  let server: WebServer;
  let browser: Browser;
  let clip: TempFile;
  let styles: StyleInfo[] = [];

  beforeAll(async () => {
    await ensureWebBuilt();
    clip = await sceneY4m(320, 240);
    server = await startWebServer({ maxSessions: 2 });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS, `--use-file-for-fake-video-capture=${clip.path}`] });
    styles = ((await (await fetch(`${server.url}/api/styles`)).json()) as { styles: StyleInfo[] }).styles;
  }, 420_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await clip?.remove();
  });

  async function open(viewport: { width: number; height: number }, name: string): Promise<Page> {
    const context = await browser.newContext({ viewport, permissions: ['camera', 'microphone'] });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.warn('page error:', e.message));
    await page.goto(`${server.url}/r/standup`);
    expect(new URL(page.url()).search).toBe('?room=standup');
    await page.getByTestId('tab-call').waitFor();
    expect(await page.getByTestId('tab-call').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('room-name').inputValue()).toBe('standup');
    await page.getByTestId('display-name').fill(name);
    await page.getByTestId('join').click();
    return page;
  }

  /** Mean colour of the left half of a tile's video (the colour processor tints the background = left half). */
  const leftMean = (page: Page, self: boolean): Promise<Rgb | null> =>
    page.evaluate((self) => {
      const v = document.querySelector<HTMLVideoElement>(`[data-testid="tile"][data-self="${self}"] video`);
      if (!v || v.readyState < 2 || !v.videoWidth) return null;
      const c = document.createElement('canvas');
      c.width = 32;
      c.height = 24;
      const g = c.getContext('2d', { willReadFrequently: true })!;
      g.drawImage(v, 0, 0, 32, 24);
      const d = g.getImageData(0, 0, 14, 24).data;
      const m: [number, number, number] = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) m[k]! += d[i + k]!;
      return m.map((v) => v / (d.length / 4)) as [number, number, number];
    }, self);

  async function waitFor<T>(fn: () => Promise<T | null | false | undefined>, ms: number, what: string): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('two people join from the link, see each other filtered with names, mute shows, leaving removes the tile', async () => {
    const ann = await open({ width: 1280, height: 800 }, 'Ann');
    const bob = await open({ width: 390, height: 844 }, 'Bob');
    const channel = channelFor(styles[0]!.id);
    const tinted = (m: Rgb | null): boolean => !!m && m[channel]! > 100 && m.every((v, k) => k === channel || v < 30);
    for (const [page, other] of [[ann, 'Bob'], [bob, 'Ann']] as const) {
      await waitFor(async () => (await page.getByTestId('tile').count()) === 2, 20_000, 'two tiles');
      await expect(page.locator('[data-testid="tile"][data-self="false"] .tile-name').textContent()).resolves.toBe(other);
      await expect(page.locator('[data-testid="tile"][data-self="true"] .tile-badge').first().textContent()).resolves.toContain('you');
      const remote = await waitFor(async () => { const m = await leftMean(page, false); return tinted(m) && m; }, 20_000, `${other}'s filtered video`);
      console.log(`tile of ${other}: left half mean`, remote.map(Math.round));
    }
    // phone width: the call fits without sideways scrolling
    expect(await bob.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await ann.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-call-desktop.png') });
    await bob.screenshot({ path: path.join(SCREENSHOT_DIR, 'web-call-phone.png') });

    await bob.getByTestId('mute-camera').click();
    await waitFor(async () => (await ann.locator('[data-testid="tile"][data-self="false"]').textContent())?.includes('camera off'), 5000, 'camera off badge');

    await bob.getByTestId('leave').click();
    await waitFor(async () => (await ann.getByTestId('tile').count()) === 1, 5000, "Bob's tile gone");
    await waitFor(async () => server.signaling.sessions.size === 1, 5000, "Bob's session closed");
    await ann.close();
    await waitFor(async () => server.signaling.sessions.size === 0, 5000, 'all sessions closed');
    expect(server.signaling.rooms.roomCount).toBe(0);
  });
});
