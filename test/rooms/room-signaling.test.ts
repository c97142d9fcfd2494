import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParticipantInfo } from '@deepphoto/shared';
import { liveFrameWorkerCount } from '../../server/src/live/frame-worker-client.ts';
import type { SignalingHandle } from '../../server/src/signaling/signaling.ts';
import { startSignaling, type Client, type SignalingHarness } from '../support/signaling-harness.ts';

type AnyAck = { ok: boolean; error?: { code: string; message: string }; [k: string]: unknown };

/** Room admission and membership over real socket.io, with real sessions (worker + built-in processor). */
describe('room signaling', () => {
  let harness: SignalingHarness;
  let handle: SignalingHandle;
  const client = (): Promise<Client> => harness.client();

  beforeAll(async () => {
    // 2 per room (1 slot), 3 cameras in all: enough to hit both limits.
    harness = await startSignaling({ knownStyles: ['invert', 'tint-red'], maxSessions: 3, maxSessionsPerIdentity: 3, rooms: { slots: 1 } });
    ({ handle } = harness);
  });

  afterAll(() => harness.close());

  const emit = (c: Client, event: string, payload?: unknown): Promise<AnyAck> =>
    new Promise((resolve) => (c as unknown as { emit(e: string, p: unknown, cb: (r: AnyAck) => void): void }).emit(event, payload ?? {}, resolve));

  async function waitFor(fn: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!fn()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('rejects bad join payloads with bad_request / unknown_style and changes nothing', async () => {
    const c = await client();
    for (const payload of [{ room: '../x', name: 'A' }, { room: 'r', name: '' }, { room: 'r', name: '<b>' }, { room: 'r', name: 'A', extra: 1 }, 'r']) {
      const ack = await emit(c, 'room.join', payload);
      expect(ack.ok, JSON.stringify(payload)).toBe(false);
      expect(ack.error?.code).toBe('bad_request');
    }
    expect((await emit(c, 'room.join', { room: 'r', name: 'A', style: 'van-gogh' })).error?.code).toBe('unknown_style');
    expect((await emit(c, 'media.mute', { video: true })).error?.code).toBe('invalid_state');
    expect((await emit(c, 'room.leave')).error?.code).toBe('invalid_state');
    expect(handle.sessions.size).toBe(0);
    expect(handle.rooms.roomCount).toBe(0);
  });

  it('joins, tells the others who came, muted and left; a full room and a full server answer busy with the reason', async () => {
    const a = await client();
    const b = await client();
    const joinedAtA: ParticipantInfo[] = [];
    const updatedAtA: ParticipantInfo[] = [];
    const leftAtA: string[] = [];
    a.on('participant.joined', (p) => joinedAtA.push(p));
    a.on('participant.updated', (p) => updatedAtA.push(p));
    a.on('participant.left', (p) => leftAtA.push(p.id));

    const ja = await emit(a, 'room.join', { room: 'call-1', name: 'Ann', style: 'tint-red' });
    expect(ja).toMatchObject({ ok: true, room: 'call-1', slots: 1, participants: [] });
    const jb = await emit(b, 'room.join', { room: 'call-1', name: 'Bob' });
    expect(jb.ok).toBe(true);
    expect(jb.participants).toEqual([{ id: ja.participantId, name: 'Ann', slot: 0, muted: { video: false, audio: false }, effect: { style: 'tint-red', target: 'whole' } }]);
    await waitFor(() => joinedAtA.length === 1, 2000, 'participant.joined at A');
    expect(joinedAtA[0]).toMatchObject({ id: jb.participantId, name: 'Bob', slot: 0 });
    expect(handle.sessions.size).toBe(2);

    // a third person: the room is full (1 slot), before any media, and nobody inside notices
    const c = await client();
    const full = await emit(c, 'room.join', { room: 'call-1', name: 'Cid' });
    expect(full.error?.code).toBe('busy');
    expect(full.error?.message).toContain('room "call-1" is full');
    expect(handle.sessions.size).toBe(2);

    // another room takes the 3rd camera; a 4th camera exceeds the server's filter capacity
    expect((await emit(c, 'room.join', { room: 'call-2', name: 'Cid' })).ok).toBe(true);
    const d = await client();
    const busy = await emit(d, 'room.join', { room: 'call-3', name: 'Dan' });
    expect(busy.error?.code).toBe('busy');
    expect(busy.error?.message).toContain('cannot filter another camera');
    expect(handle.rooms.get('call-3')).toBeUndefined();
    expect(handle.sessions.size).toBe(3);

    expect((await emit(b, 'media.mute', { audio: true })).ok).toBe(true);
    await waitFor(() => updatedAtA.length === 1, 2000, 'participant.updated at A');
    expect(updatedAtA[0]!.muted).toEqual({ video: false, audio: true });
    expect((await emit(b, 'session.update', { style: 'invert' })).ok).toBe(true);
    await waitFor(() => updatedAtA.length === 2, 2000, 'effect update at A');
    expect(updatedAtA[1]!.effect.style).toBe('invert');

    // Bob closes his tab: Ann hears at once, his session and worker are gone, the slot is free again
    b.disconnect();
    await waitFor(() => leftAtA.length === 1, 2000, 'participant.left at A');
    expect(leftAtA[0]).toBe(jb.participantId);
    await waitFor(() => handle.sessions.size === 2, 5000, 'Bob session closed');
    const e = await client();
    const rejoin = await emit(e, 'room.join', { room: 'call-1', name: 'Bob again' });
    expect(rejoin.ok).toBe(true);
    expect(rejoin.participants).toMatchObject([{ name: 'Ann', slot: 0 }]);

    // leaving explicitly frees everything; an empty room is forgotten
    for (const s of [a, c, e]) expect((await emit(s, 'room.leave')).ok).toBe(true);
    await waitFor(() => handle.sessions.size === 0 && liveFrameWorkerCount() === 0, 5000, 'all sessions closed');
    expect(handle.rooms.roomCount).toBe(0);
  });
});
