import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RecordingStore } from '../../server/src/live/recording-store.ts';
import { Recorder } from '../../server/src/live/recorder.ts';
import { existsSync } from 'node:fs';

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

describe('Recorder', () => {
  it('a stop before any frame is a clear invalid_state (409), not an internal error, and leaves no file behind', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-store-'));
    const store = new RecordingStore({ dir, maxTotalBytes: 1 << 20 });
    await store.init();
    const recorder = new Recorder(store);
    // A delta frame before any keyframe is skipped, so this is still "nothing recorded".
    expect(recorder.writeFrame(new Uint8Array(100), false, 64, 48)).toBe(true);
    const stopped = recorder.stop();
    await expect(stopped).rejects.toMatchObject({ code: 'invalid_state', status: 409 });
    await expect(stopped).rejects.toThrow(/no video frame arrived/);
    expect(existsSync(store.partPath(recorder.id))).toBe(false);
    expect(await store.size(recorder.id)).toBeUndefined();
  });
});
