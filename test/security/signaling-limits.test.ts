/**
 * Audit findings on signaling: concurrent offers, ICE cap, rate limits, connect deadline, per-identity limit,
 * overlapping style switches (latest wins). Real socket.io, real werift offers, real session workers (built-in
 * processors: no models needed).
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { liveFrameWorkerCount } from '../../server/src/live/frame-worker-client.ts';
import { attachSignaling, type SignalingHandle } from '../../server/src/signaling/signaling.ts';
import { MAX_ICE_CANDIDATES } from '../../server/src/security/rate-limit.ts';
import { vp8Offer } from '../support/werift-client.ts';

const BUILTIN = new URL('../../server/src/live/builtin-processors.ts', import.meta.url).href;
type Ack = { ok: boolean; error?: { code: string; message: string }; [k: string]: unknown };

describe('signaling limits', () => {
  let server: Server;
  let handle: SignalingHandle;
  let url: string;
  let dir: string;
  const sockets: Socket[] = [];
  const pcs: RTCPeerConnection[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-limits-'));
    server = createServer();
    handle = await attachSignaling(server, {
      knownStyles: ['invert', 'tint-red', 'tint-green', 'tint-blue'],
      maxSessions: 2,
      processorModule: BUILTIN,
      recordings: { dir },
      connectTimeoutMs: 5000,
      noMediaTimeoutMs: 1500,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.disconnect();
    for (const pc of pcs.splice(0)) await pc.close().catch(() => {});
    const until = Date.now() + 5000;
    while (handle.sessions.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  });

  afterAll(async () => {
    await handle.close();
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  async function client(): Promise<Socket> {
    const c = connect(url, { transports: ['websocket'], forceNew: true });
    sockets.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('connect_error', reject);
    });
    return c;
  }
  const emit = (c: Socket, event: string, payload?: unknown) => new Promise<Ack>((resolve) => c.emit(event, payload ?? {}, resolve));
  async function offer(): Promise<string> {
    const { sdp, pc } = await vp8Offer();
    pcs.push(pc);
    return sdp;
  }

  it('two offers sent at once on one socket: the second is refused, one session exists, the slot is not orphaned', async () => {
    const c = await client();
    const [a, b] = await Promise.all([emit(c, 'offer', { sdp: await offer() }), emit(c, 'offer', { sdp: await offer() })]);
    const oks = [a, b].filter((r) => r.ok);
    expect(oks).toHaveLength(1);
    expect([a, b].find((r) => !r.ok)?.error?.code).toBe('invalid_state');
    expect(handle.sessions.size).toBe(1);
    expect(liveFrameWorkerCount()).toBe(1); // no orphaned session worker
    c.disconnect();
    const until = Date.now() + 5000;
    while (handle.sessions.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(handle.sessions.size).toBe(0);
    expect(liveFrameWorkerCount()).toBe(0);
    // the slot is free again: another socket gets a session
    expect((await emit(await client(), 'offer', { sdp: await offer() })).ok).toBe(true);
  });

  it('caps ICE candidates per call and rate-limits bursts of any event', async () => {
    const c = await client();
    expect((await emit(c, 'offer', { sdp: await offer() })).ok).toBe(true);
    const candidate = { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    const results = [];
    for (let i = 0; i < 100; i++) results.push(await emit(c, 'ice', { candidate }));
    const refused = results.filter((r) => !r.ok && r.error?.code === 'rate_limited').length;
    const accepted = results.filter((r) => r.ok).length;
    expect(accepted).toBeLessThanOrEqual(MAX_ICE_CANDIDATES);
    expect(accepted + refused).toBe(100);
    // offers: a burst beyond the bucket is refused without starting workers
    const before = liveFrameWorkerCount();
    const burst = await Promise.all(Array.from({ length: 8 }, () => emit(c, 'offer', { sdp: 'v=0' })));
    expect(burst.filter((r) => r.error?.code === 'rate_limited').length).toBeGreaterThanOrEqual(5);
    expect(liveFrameWorkerCount()).toBeLessThanOrEqual(before);
    expect(c.connected).toBe(true);
  });

  it('a call that never connects gives its slot back after the connect deadline, with a timeout error', async () => {
    const c = await client();
    const errors: Array<{ code: string }> = [];
    c.on('error', (e: { code: string }) => errors.push(e));
    const { sdp, pc } = await vp8Offer();
    await pc.close(); // the offerer goes away without connecting
    expect((await emit(c, 'offer', { sdp })).ok).toBe(true);
    expect(handle.sessions.size).toBe(1);
    const until = Date.now() + 12_000;
    while (handle.sessions.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(handle.sessions.size).toBe(0);
    expect(errors.map((e) => e.code)).toContain('timeout');
  });

  it('a call that connects but never sends video is ended by the no-media timeout', async () => {
    const c = await client();
    const errors: Array<{ code: string; message: string }> = [];
    c.on('error', (e: { code: string; message: string }) => errors.push(e));
    const { sdp, pc } = await vp8Offer();
    pcs.push(pc);
    c.on('ice', ({ candidate }: { candidate: unknown }) => {
      if (candidate) void pc.addIceCandidate(candidate as never).catch(() => {});
    });
    pc.onIceCandidate.subscribe((cand) => {
      if (cand) c.emit('ice', { candidate: cand.toJSON() });
    });
    const answer = await emit(c, 'offer', { sdp });
    expect(answer.ok).toBe(true);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp as string });
    const connectedBy = Date.now() + 8000;
    while (pc.connectionState !== 'connected' && Date.now() < connectedBy) await new Promise((r) => setTimeout(r, 50));
    expect(pc.connectionState).toBe('connected');
    const until = Date.now() + 8000;
    while (handle.sessions.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(handle.sessions.size).toBe(0);
    expect(errors.find((e) => e.code === 'timeout')?.message).toMatch(/no video/);
  });

  it('one identity holds at most one session (per-identity limit)', async () => {
    const [c1, c2] = [await client(), await client()];
    expect((await emit(c1, 'offer', { sdp: await offer() })).ok).toBe(true);
    const second = await emit(c2, 'offer', { sdp: await offer() });
    // both sockets are the same identity here (no tokens: OPEN_AUTH)
    expect(second.ok).toBe(false);
    expect(second.error?.code).toBe('busy');
    expect(second.error?.message).toMatch(/already has/);
  });

  it('overlapping style switches: the last click wins and every caller is answered', async () => {
    const c = await client();
    const styles = ['tint-red', 'tint-green', 'tint-blue', 'invert'];
    const results = await Promise.all(styles.map((style) => emit(c, 'session.update', { style })));
    for (const r of results.slice(1)) expect(r).toMatchObject({ ok: true });
    expect(results.at(-1)).toMatchObject({ ok: true, style: 'invert' });
    const now = await emit(c, 'session.update', { target: 'whole' });
    expect(now).toMatchObject({ ok: true, style: 'invert' });
  });
});
