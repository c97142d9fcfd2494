/** The one worker-thread abstraction (server/src/core/worker.ts), with a real thread (test/core/echo-thread.ts). */
import { afterEach, describe, expect, it } from 'vitest';
import { DeepPhotoError } from '../../server/src/core/errors.ts';
import { WorkerThread } from '../../server/src/core/worker.ts';
import type { EchoProtocol } from './echo-thread.ts';

const ENTRY = new URL('./echo-thread.ts', import.meta.url);
const open: WorkerThread<EchoProtocol>[] = [];

async function start(init: EchoProtocol['init'] = {}, extra: Partial<Parameters<typeof WorkerThread.start<EchoProtocol>>[0]> = {}): Promise<WorkerThread<EchoProtocol>> {
  const thread = await WorkerThread.start<EchoProtocol>({ name: 'echo thread', entry: ENTRY, init, ...extra });
  open.push(thread);
  return thread;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('WorkerThread', () => {
  it('answers requests by id, in any order', async () => {
    const thread = await start();
    const replies = await Promise.all(['a', 'b', 'c'].map((value) => thread.request({ op: 'echo', value })));
    expect(replies).toEqual(['a', 'b', 'c']);
  });

  it('transfers buffers both ways: the sent buffer is moved, the reply arrives without a copy step', async () => {
    const thread = await start();
    const bytes = new Uint8Array([1, 2, 3, 100]).buffer;
    const reply = await thread.request({ op: 'double', bytes }, { transfer: [bytes] });
    expect(bytes.byteLength).toBe(0); // moved to the thread
    expect([...new Uint8Array(reply as ArrayBuffer)]).toEqual([2, 4, 6, 200]);
  });

  it('one-way messages and events', async () => {
    const events: string[] = [];
    const thread = await start({}, { onEvent: (e) => events.push(e.echoed) });
    thread.send({ op: 'emit', value: 'hello' });
    await expect.poll(() => events, { timeout: 5000 }).toEqual(['hello']);
  });

  it("an error thrown by a request handler keeps its wire code across the boundary; the thread serves on", async () => {
    const thread = await start();
    const error = await thread.request({ op: 'coded-error' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeepPhotoError);
    expect(error).toMatchObject({ code: 'unknown_person', status: 400, message: 'no person 7 in view' });
    expect(await thread.request({ op: 'echo', value: 'still here' })).toBe('still here');
  });

  it('a crash mid-request rejects the pending requests with a clear error and is reported once', async () => {
    const failures: Error[] = [];
    const thread = await start({}, { onFailed: (e) => failures.push(e) });
    const hanging = thread.request({ op: 'hang' });
    const crashing = thread.request({ op: 'crash' });
    await expect(crashing).rejects.toThrow('echo thread crashed: boom in the thread');
    await expect(hanging).rejects.toThrow('echo thread crashed: boom in the thread');
    await thread.exited;
    expect(failures.map((e) => e.message)).toEqual(['echo thread crashed: boom in the thread']);
    expect(thread.running).toBe(false);
    await expect(thread.request({ op: 'echo', value: 'x' })).rejects.toThrow(/crashed/);
  });

  it('an exit without an error (process.exit in the thread) fails pending requests too', async () => {
    const failures: Error[] = [];
    const thread = await start({}, { onFailed: (e) => failures.push(e) });
    const hanging = thread.request({ op: 'hang' });
    await expect(thread.request({ op: 'exit', code: 3 })).rejects.toThrow('echo thread exited with code 3');
    await expect(hanging).rejects.toThrow('echo thread exited with code 3');
    expect(failures).toHaveLength(1);
  });

  it('a request past its timeout fails with `timeout` and ends the stuck thread', async () => {
    const failures: Error[] = [];
    const thread = await start({}, { onFailed: (e) => failures.push(e) });
    await expect(thread.request({ op: 'hang' }, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'timeout' });
    expect(await thread.exited).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('an init error rejects start() with the setup error, code kept, and leaves no thread', async () => {
    await expect(WorkerThread.start<EchoProtocol>({ name: 'echo thread', entry: ENTRY, init: { failWith: 'plain' } })).rejects.toThrow('no model here');
    const coded = await WorkerThread.start<EchoProtocol>({ name: 'echo thread', entry: ENTRY, init: { failWith: 'coded' } }).catch((e: unknown) => e);
    expect(coded).toMatchObject({ code: 'model_missing', message: 'the echo network is not installed' });
    expect(WorkerThread.alive('echo thread')).toBe(0);
  });

  it('a module that cannot be loaded rejects start()', async () => {
    await expect(WorkerThread.start({ name: 'missing', entry: new URL('./no-such-thread.ts', import.meta.url), init: {} })).rejects.toThrow(/missing crashed|Cannot find|no-such-thread/);
  });

  it('close() runs the close handler, ends the thread, rejects what was pending, and is idempotent', async () => {
    const closeLog = new SharedArrayBuffer(4);
    const failures: Error[] = [];
    const thread = await start({ closeLog }, { onFailed: (e) => failures.push(e) });
    const hanging = thread.request({ op: 'hang' });
    expect(WorkerThread.alive('echo thread')).toBe(1);
    await Promise.all([thread.close(), thread.close()]);
    await thread.close();
    expect(WorkerThread.alive('echo thread')).toBe(0);
    expect(new Int32Array(closeLog)[0]).toBe(1);
    await expect(hanging).rejects.toThrow('echo thread is closed');
    await expect(thread.request({ op: 'echo', value: 'x' })).rejects.toThrow('echo thread is closed');
    expect(failures).toEqual([]); // a close is not a failure
  });

  it('injectCrash() crashes the thread only when fault injection was asked for', async () => {
    const safe = await start();
    safe.injectCrash();
    expect(await safe.request({ op: 'echo', value: 'alive' })).toBe('alive');
    const failures: Error[] = [];
    const fragile = await start({}, { faultInjection: true, onFailed: (e) => failures.push(e) });
    fragile.injectCrash();
    await fragile.exited;
    expect(failures[0]?.message).toBe('echo thread crashed: injected echo thread crash');
  });
});
