import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingStore } from '../../server/src/live/recording-store.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('RecordingStore', () => {
  it('deletes the oldest finished recordings until the total fits, keeping the one asked for', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-store-'));
    const store = new RecordingStore({ dir, maxTotalBytes: 2500 });
    await store.init();
    const ids = [store.newId(), store.newId(), store.newId(), store.newId()];
    for (const [i, id] of ids.entries()) {
      await writeFile(store.webmPath(id), Buffer.alloc(1000));
      const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i)); // oldest first
      await utimes(store.webmPath(id), t, t);
    }
    const deleted = await store.enforceQuota(ids[0]);
    // 4000 bytes > 2500: the oldest (ids[0]) is kept on request, so ids[1] and ids[2] go.
    expect(deleted).toEqual([ids[1], ids[2]]);
    expect(await store.size(ids[0]!)).toBe(1000);
    expect(await store.size(ids[1]!)).toBeUndefined();
    expect(await store.size(ids[3]!)).toBe(1000);
  });

  it('refuses ids that could escape its folder and non-positive limits', () => {
    const store = new RecordingStore({ dir: os.tmpdir() });
    expect(() => store.webmPath('../../etc/passwd')).toThrow(/bad recording id/);
    expect(RecordingStore.isValidId('not-a-uuid')).toBe(false);
    expect(() => new RecordingStore({ maxTotalBytes: 0 })).toThrow(/positive/);
  });
});
