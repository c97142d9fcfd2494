import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorPayload } from '@deepphoto/shared';
import { liveFrameWorkerCount } from '../../server/src/live/frame-worker-client.ts';
import type { SignalingHandle } from '../../server/src/signaling/signaling.ts';
import { startSignaling, type Client, type SignalingHarness } from '../support/signaling-harness.ts';

describe('signaling', () => {
  let harness: SignalingHarness;
  let handle: SignalingHandle;
  const client = (): Promise<Client> => harness.client();

  beforeAll(async () => {
    harness = await startSignaling({ knownStyles: ['invert', 'tint-red'], maxSessions: 1 });
    ({ handle } = harness);
  });

  afterAll(() => harness.close());

  /** Emits a raw event (any payload) and returns the next `error` event and the ack. */
  async function emitRaw(c: Client, event: string, ...args: unknown[]): Promise<{ error: ErrorPayload; ack: unknown }> {
    const error = new Promise<ErrorPayload>((resolve) => c.once('error', resolve));
    const ack = new Promise<unknown>((resolve) => (c as unknown as { emit(e: string, ...a: unknown[]): void }).emit(event, ...args, resolve));
    return { error: await error, ack: await ack };
  }

  it('answers malformed payloads with error bad_request and keeps the connection up', async () => {
    const c = await client();
    for (const [event, payload] of [
      ['offer', { sdp: 5 }],
      ['offer', 'v=0'],
      ['ice', { candidate: 'nope' }],
      ['session.update', {}],
      ['session.update', { style: 'Bad Style!' }],
      ['recording.start', { now: true }],
    ] as const) {
      const { error, ack } = await emitRaw(c, event, payload);
      expect(error.code, `${event} ${JSON.stringify(payload)}`).toBe('bad_request');
      expect(ack).toEqual({ ok: false, error });
    }
    expect(c.connected).toBe(true);
    // still served afterwards
    const ok = await new Promise((resolve) => c.emit('session.update', { style: 'tint-red' }, resolve));
    expect(ok).toEqual({ ok: true, style: 'tint-red', target: 'whole' });
  });

  it('answers an unknown style with unknown_style and an unknown target with unknown_target', async () => {
    const c = await client();
    expect((await emitRaw(c, 'session.update', { style: 'van-gogh-9000' })).error.code).toBe('unknown_style');
    expect((await emitRaw(c, 'session.update', { target: 'sky' })).error.code).toBe('unknown_target');
  });

  it('recording and ice before an offer are invalid_state', async () => {
    const c = await client();
    expect((await emitRaw(c, 'recording.start')).error.code).toBe('invalid_state');
    expect((await emitRaw(c, 'recording.stop', {})).error.code).toBe('invalid_state');
    expect((await emitRaw(c, 'ice', { candidate: null })).error.code).toBe('invalid_state');
  });

  it('an offer whose SDP cannot be applied is bad_request and leaves no session or worker behind', async () => {
    const c = await client();
    const { error } = await emitRaw(c, 'offer', { sdp: 'this is not sdp' });
    expect(error.code).toBe('bad_request');
    expect(handle.sessions.size).toBe(0);
    expect(liveFrameWorkerCount()).toBe(0);
    expect(c.connected).toBe(true);
  });
});
