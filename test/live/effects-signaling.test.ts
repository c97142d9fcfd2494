import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientToServerEvents, ErrorPayload, ServerToClientEvents } from '@deepphoto/shared';
import { attachSignaling, type SignalingHandle } from '../../server/src/signaling/signaling.ts';

type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('signaling: effects', () => {
  let server: Server;
  let handle: SignalingHandle;
  let url: string;
  let dir: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-sig-fx-'));
    server = createServer();
    handle = await attachSignaling(server, { knownStyles: ['invert', 'tint-red'], knownBackground: (id) => id === 'dawn', maxSessions: 1, recordings: { dir } });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await handle.close();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  async function client(): Promise<Client> {
    const c: Client = connect(url, { transports: ['websocket'], forceNew: true });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('connect_error', reject);
    });
    return c;
  }

  const update = (c: Client, payload: unknown) =>
    new Promise<{ ok: boolean; style?: string; target?: string; error?: ErrorPayload }>((resolve) => (c as unknown as { emit(e: string, ...a: unknown[]): void }).emit('session.update', payload, resolve));

  it('takes the effect object and effect ids, answering with the effect id and target', async () => {
    const c = await client();
    expect(await update(c, { effect: { kind: 'blur', target: 'background', params: { strength: 'light' } } })).toEqual({ ok: true, style: 'blur-light', target: 'background' });
    expect(await update(c, { style: 'bg-dawn' })).toEqual({ ok: true, style: 'bg-dawn', target: 'background' });
    expect(await update(c, { effect: { kind: 'style', target: 'person', params: { style: 'invert' } } })).toEqual({ ok: true, style: 'invert', target: 'person' });
    expect(await update(c, { effect: { kind: 'none' } })).toEqual({ ok: true, style: 'none', target: 'none' });
  });

  it('refuses unknown effects and misapplied ones with clear codes and keeps the effect', async () => {
    const c = await client();
    expect(await update(c, { style: 'bg-dawn', target: 'background' })).toMatchObject({ ok: true });
    expect(await update(c, { target: 'person' })).toMatchObject({ ok: false, error: { code: 'unknown_target' } });
    expect(await update(c, { style: 'bg-elsewhere' })).toMatchObject({ ok: false, error: { code: 'unknown_style' } });
    expect(await update(c, { style: 'blur-enormous' })).toMatchObject({ ok: false, error: { code: 'unknown_style' } });
    expect(await update(c, { effect: { kind: 'blur', target: 'sky' } })).toMatchObject({ ok: false, error: { code: 'unknown_target' } });
    expect(await update(c, { effect: { kind: 'image', target: 'person', params: { image: 'dawn' } } })).toMatchObject({ ok: false, error: { code: 'unknown_target' } });
    expect(await update(c, { effect: { kind: 'glitter', target: 'whole' } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    // unchanged: a target-only update still applies to the picture
    expect(await update(c, { target: 'background' })).toEqual({ ok: true, style: 'bg-dawn', target: 'background' });
  });
});
