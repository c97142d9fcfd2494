/**
 * Media-path limits: VP8 reassembly cap, decoded-size cap before decoding (and announced as max-fs), no public STUN.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LivePeer } from '../../server/src/live/peer.ts';
import { RecordingStore } from '../../server/src/live/recording-store.ts';
import { Session } from '../../server/src/live/session.ts';
import { MAX_VP8_FRAME_BYTES, Vp8Depacketizer, vp8KeyframeSize } from '../../server/src/live/vp8-rtp.ts';
import { vp8Offer } from '../support/werift-client.ts';

const BUILTIN = new URL('../../server/src/live/builtin-processors.ts', import.meta.url).href;

/** The first 10 bytes of a VP8 keyframe declaring width x height (RFC 6386 §9.1), padded. */
function keyframeHeader(width: number, height: number, size = 28 * 1024): Uint8Array {
  const f = new Uint8Array(size);
  f[0] = 0x10; // keyframe (bit 0 = 0), show_frame
  f.set([0x9d, 0x01, 0x2a], 3);
  f[6] = width & 0xff;
  f[7] = (width >> 8) & 0x3f;
  f[8] = height & 0xff;
  f[9] = (height >> 8) & 0x3f;
  return f;
}

describe('VP8 reassembly', () => {
  it('50,001 packets without a marker do not grow the buffer past the cap; the frame is dropped and a keyframe asked for', () => {
    const d = new Vp8Depacketizer();
    const payload = new Uint8Array(1200);
    payload[0] = 0x10; // S=1, PID 0 on the first; continuation packets below have S=0
    let oversize = 0;
    for (let i = 0; i < 50_001; i++) {
      payload[0] = i === 0 ? 0x10 : 0x00;
      const r = d.push({ sequenceNumber: i & 0xffff, timestamp: 1234, marker: false, payload });
      if (r?.kind === 'keyframe-needed' && r.reason === 'oversize') oversize++;
    }
    const buffer = (d as unknown as { buffer: Uint8Array }).buffer;
    expect(buffer.length).toBeLessThanOrEqual(MAX_VP8_FRAME_BYTES);
    expect(oversize).toBeGreaterThanOrEqual(1);
    expect(d.stats.oversizeDropped).toBeGreaterThanOrEqual(1);
  });

  it('reads the size a keyframe declares', () => {
    expect(vp8KeyframeSize(keyframeHeader(4096, 4096))).toEqual({ width: 4096, height: 4096 });
    expect(vp8KeyframeSize(keyframeHeader(640, 480))).toEqual({ width: 640, height: 480 });
    expect(vp8KeyframeSize(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});

describe('decoded size', () => {
  let dir: string;
  let store: RecordingStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-media-'));
    store = new RecordingStore({ dir });
    await store.init();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a keyframe declaring 4096x4096 is refused before it reaches the decoder, with too_large; 640x480 passes', async () => {
    const session = await Session.create({ id: 's', processorModule: BUILTIN, store, effect: { style: 'invert', target: 'whole' } });
    try {
      const worker = (session as unknown as { worker: { pushFrame: (...a: unknown[]) => void } }).worker;
      const pushed: number[] = [];
      const original = worker.pushFrame.bind(worker);
      worker.pushFrame = (...a: unknown[]) => {
        pushed.push((a[0] as Uint8Array).length);
        original(...a);
      };
      const errors: Array<{ code: string; message: string }> = [];
      session.on('error', (e) => errors.push(e));
      const incoming = (data: Uint8Array, keyframe: boolean) =>
        (session as unknown as { onIncoming(f: unknown): void }).onIncoming({ data, keyframe, rtpTimestamp: 3000, receivedAt: performance.now() });
      incoming(keyframeHeader(4096, 4096), true);
      incoming(new Uint8Array(500).fill(1), false); // its inter frames are dropped too
      expect(pushed).toEqual([]);
      expect(errors.map((e) => e.code)).toEqual(['too_large']);
      expect(errors[0]!.message).toMatch(/4096x4096.*1920x1080/);
      incoming(keyframeHeader(1080, 1920, 100), true); // portrait 1080p is fine
      incoming(keyframeHeader(640, 480, 100), true);
      expect(pushed).toHaveLength(2);
    } finally {
      await session.close();
    }
  });

  it('the answer announces the limit as VP8 max-fs (1920x1080 = 8160 macroblocks)', async () => {
    const { sdp, pc } = await vp8Offer();
    const peer = new LivePeer();
    try {
      const answer = await peer.answer(sdp);
      expect(answer).toMatch(/a=fmtp:\d+ [^\r\n]*max-fs=8160/);
    } finally {
      await peer.close();
      await pc.close();
    }
  });
});

describe('no public STUN unless configured', () => {
  it('the server ICE agent has no STUN server (werift would use stun.l.google.com) and gathers only host candidates, fast', async () => {
    const { sdp, pc } = await vp8Offer();
    const peer = new LivePeer();
    try {
      const started = performance.now();
      const answer = await peer.answer(sdp);
      const ms = performance.now() - started;
      const connections = peer.iceConnections();
      expect(connections.length).toBeGreaterThan(0);
      for (const c of connections) expect(c.stunServer).toBeUndefined();
      expect(answer).not.toMatch(/typ srflx/);
      expect(answer).toMatch(/typ host/);
      console.log(`answer with gathered candidates in ${ms.toFixed(0)} ms`);
      expect(ms).toBeLessThan(4000); // a STUN lookup that cannot succeed would hold gathering for 5 s
    } finally {
      await peer.close();
      await pc.close();
    }
  });

  it('a configured STUN server is kept', async () => {
    const { sdp, pc } = await vp8Offer();
    const peer = new LivePeer({ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
    try {
      await peer.answer(sdp);
      for (const c of peer.iceConnections()) expect(c.stunServer).toEqual(['127.0.0.1', 3478]);
    } finally {
      await peer.close();
      await pc.close();
    }
  });
});
