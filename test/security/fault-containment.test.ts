/**
 * Fault containment: a crash in any worker ends at most its own call or request; the process survives; the photo
 * thread comes back; stale .part files are cleaned; a late recording failure after close() is not an uncaught
 * 'error'; the process-level policy for what remains.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveFrameWorkerCount } from '../../server/src/live/frame-worker-client.ts';
import { RecordingStore } from '../../server/src/live/recording-store.ts';
import { Session } from '../../server/src/live/session.ts';
import { liveStyleThreads, sharedRgbImage, ThreadedStylizer } from '../../server/src/pipeline/style-thread.ts';
import { WorkerPhotoEditor } from '../../server/src/photo/worker-editor.ts';
import { FATAL_EXIT_CODE, installProcessPolicy } from '../../server/src/security/process-policy.ts';
import { createRgbImage } from '../../server/src/pipeline/image.ts';

const CRASHING = new URL('./crash-processor.ts', import.meta.url).href;
let dir: string;
let store: RecordingStore;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-faults-'));
  store = new RecordingStore({ dir });
  await store.init();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await rm(dir, { recursive: true, force: true });
});

const wait = async (cond: () => boolean, ms: number) => {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return cond();
};

describe('fault containment', () => {
  it('a crashed frame worker ends only its own call, with a clear error to that client', async () => {
    const base = { processorModule: CRASHING, store, effect: { style: 'invert', target: 'whole' as const } };
    const victim = await Session.create({ ...base, id: 'victim' });
    const bystander = await Session.create({ ...base, id: 'bystander' });
    const errors: Array<{ code: string; message: string }> = [];
    victim.on('error', (e) => errors.push(e));
    const closed = new Promise<string>((r) => victim.once('close', r));
    void victim.update({ style: 'crash' }).catch(() => {});
    expect(await closed).toBe('worker failed');
    expect(errors.some((e) => /frame worker failed/.test(e.message))).toBe(true);
    expect(bystander.closed).toBe(false);
    await bystander.update({ style: 'tint-red' }); // still served
    expect(bystander.effect.style).toBe('tint-red');
    await bystander.close();
    expect(await wait(() => liveFrameWorkerCount() === 0, 3000)).toBe(true);
  });

  it('a crashed photo thread is replaced and the next photo succeeds', async () => {
    const editor = await WorkerPhotoEditor.start({ log: () => {}, faultInjection: true });
    try {
      const photo = createRgbImage(64, 48);
      photo.data.fill(120);
      await editor.edit(photo, { style: 'mosaic', target: 'none' });
      editor.injectCrash();
      expect(await wait(() => editor.restarts === 1, 5000)).toBe(true);
      const again = await editor.edit(photo, { style: 'mosaic', target: 'none' });
      expect(again.image.width).toBe(64);
    } finally {
      await editor.close();
    }
  });

  it('a crashed style thread fails its stage, not the process', async () => {
    const stylizer = await ThreadedStylizer.start('light-mosaic', { threads: 1 }, undefined, { faultInjection: true });
    const before = liveStyleThreads();
    const input = sharedRgbImage(64, 48);
    const output = sharedRgbImage(64, 48);
    await stylizer.stylize(input, output, 64);
    stylizer.injectCrash();
    expect(await wait(() => liveStyleThreads() === before - 1, 5000)).toBe(true);
    await expect(stylizer.stylize(input, output, 64)).rejects.toThrow(/closed|exited|crashed/);
  });

  it('stale .part files from a crash are deleted at start; finished recordings stay', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-part-'));
    try {
      const id = '11111111-2222-4333-8444-555555555555';
      await writeFile(path.join(other, `${id}.ivf.part`), 'half a recording');
      await writeFile(path.join(other, '22222222-2222-4333-8444-555555555555.webm'), 'done');
      const removed = await new RecordingStore({ dir: other }).init();
      expect(removed).toEqual([`${id}.ivf.part`]);
      expect(await readdir(other)).toEqual(['22222222-2222-4333-8444-555555555555.webm']);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a recording that fails late (byte cap reached, finalizing fails) with nobody listening is not an uncaught error', async () => {
    const tiny = new RecordingStore({ dir, maxBytesPerRecording: 100 });
    const session = await Session.create({ id: 'late', processorModule: CRASHING, store: tiny, effect: { style: 'invert', target: 'whole' } });
    try {
      session.startRecording();
      session.removeAllListeners('error'); // nobody listens any more (the socket side let go)
      const before = unhandled.length;
      // The first encoded keyframe already exceeds the 100-byte cap: the session stops the recording on its own,
      // without awaiting it; finalizing fails ("nothing was recorded") after the call path has returned.
      const frame = new Uint8Array(200);
      (session as unknown as { onEncoded(o: unknown): void }).onEncoded({
        data: frame, keyframe: true, rtpTimestamp: 0, receivedAt: performance.now(), width: 64, height: 48,
        timings: { segmentMs: 0, styleMs: 0, smoothMs: 0, compositeMs: 0, totalMs: 0, decodeMs: 0, processMs: 0, encodeMs: 0 }, dropped: 0,
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(unhandled.length).toBe(before);
    } finally {
      await session.close();
    }
  });
});

describe('process-level policy', () => {
  it('logs with context, shuts down (finalizing), and exits 70 for a supervisor', async () => {
    const target = new EventEmitter() as unknown as NodeJS.Process;
    const emit = (target as unknown as EventEmitter).emit.bind(target);
    const log: string[] = [];
    let shutdowns = 0;
    const exits: number[] = [];
    const remove = installProcessPolicy({ target, log: (m) => log.push(m), exit: (c) => exits.push(c), shutdown: async () => void shutdowns++ });
    emit('uncaughtException', new Error('boom in a timer'));
    emit('unhandledRejection', new Error('second one during shutdown'));
    await new Promise((r) => setTimeout(r, 20));
    expect(shutdowns).toBe(1);
    expect(exits).toEqual([FATAL_EXIT_CODE]);
    expect(log.join('\n')).toMatch(/uncaught exception .*pid \d+.*boom in a timer/s);
    expect(log.join('\n')).toMatch(/unhandled rejection/);
    remove();
  });

  it('in a real process: an uncaught error exits with 70 after shutdown ran', async () => {
    const script = `
      import { installProcessPolicy } from ${JSON.stringify(new URL('../../server/src/security/process-policy.ts', import.meta.url).href)};
      installProcessPolicy({ shutdown: async () => console.log('shutdown ran'), log: (m) => console.error(m) });
      setTimeout(() => { throw new Error('bug outside any call'); }, 10);
      setInterval(() => {}, 1000);`;
    const run = promisify(execFile);
    const result = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: path.resolve(import.meta.dirname, '../..') }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(result.code).toBe(FATAL_EXIT_CODE);
    expect(result.stdout).toMatch(/shutdown ran/);
    expect(result.stderr).toMatch(/bug outside any call/);
  });
});
