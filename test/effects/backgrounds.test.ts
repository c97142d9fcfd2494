import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRgbImage } from '../../server/src/pipeline/image.ts';
import { BackgroundLibrary, BUILTIN_BACKGROUNDS, renderBuiltinBackground } from '../../server/src/styles/backgrounds.ts';

const dir = mkdtempSync(join(tmpdir(), 'deepphoto-bglib-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function solid(width: number, height: number, rgb: [number, number, number]) {
  const image = createRgbImage(width, height);
  for (let i = 0; i < image.data.length; i += 3) image.data.set(rgb, i);
  return image;
}

describe('BackgroundLibrary', () => {
  it('renders every built-in at 1280x720, the same picture on every call, and they differ from each other', async () => {
    const means = [];
    for (const b of BUILTIN_BACKGROUNDS) {
      const a = await renderBuiltinBackground(b.id);
      const again = await renderBuiltinBackground(b.id);
      expect([a.width, a.height]).toEqual([1280, 720]);
      expect(Buffer.compare(Buffer.from(a.data), Buffer.from(again.data))).toBe(0);
      means.push(a.data.reduce((s, v) => s + v, 0) / a.data.length);
    }
    expect(new Set(means.map((m) => Math.round(m))).size).toBe(BUILTIN_BACKGROUNDS.length);
    await expect(renderBuiltinBackground('nowhere')).rejects.toThrow(/unknown style/);
  });

  it('keeps uploads per identity, downsized, capped (oldest go first), and loads them back by id', async () => {
    const library = new BackgroundLibrary({ dir, maxPerIdentity: 2, maxSide: 100 });
    const first = await library.add('owner-aaaaaaaa', solid(400, 200, [200, 10, 10]), 'red');
    const second = await library.add('owner-aaaaaaaa', solid(40, 20, [10, 200, 10]), 'green');
    const third = await library.add('owner-aaaaaaaa', solid(40, 20, [10, 10, 200]), 'blue');
    await library.add('other-bbbbbbbb', solid(40, 20, [0, 0, 0]), 'black');
    expect((await library.list('owner-aaaaaaaa')).map((b) => b.id)).toEqual([second.id, third.id]);
    expect(await library.exists(first.id)).toBe(false);
    expect(await library.exists(third.id)).toBe(true);
    const loaded = await library.load(third.id);
    expect([loaded.width, loaded.height]).toEqual([40, 20]); // never enlarged
    expect(loaded.data[2]).toBeGreaterThan(180);
    const big = await library.add('owner-aaaaaaaa', solid(400, 200, [200, 10, 10]), 'red again');
    const bigLoaded = await new BackgroundLibrary({ dir }).load(big.id);
    expect([bigLoaded.width, bigLoaded.height]).toEqual([100, 50]);
    expect(await library.remove('other-bbbbbbbb', big.id)).toBe(false);
    expect(await library.remove('owner-aaaaaaaa', big.id)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith(big.id))).toEqual([]);
    await expect(library.add('bad id', solid(4, 4, [0, 0, 0]), 'x')).rejects.toThrow();
  });

  it('a transient picture (the CLI --background FILE) loads by its id and is never written', async () => {
    const library = new BackgroundLibrary({ dir: join(dir, 'never') });
    const id = library.addTransient(solid(8, 8, [1, 2, 3]));
    expect((await library.load(id)).data[2]).toBe(3);
    expect(() => readdirSync(join(dir, 'never'))).toThrow();
  });
});
