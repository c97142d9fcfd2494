import { describe, expect, it } from 'vitest';
import { isVp8Keyframe, parseVp8Descriptor, seqDiff, Vp8Depacketizer, Vp8Packetizer, type RtpLike } from '../../server/src/live/vp8-rtp.ts';

/** A fake VP8 frame: first byte's bit 0 is the inverse keyframe flag. */
function fakeFrame(size: number, keyframe: boolean, seed: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let i = 0; i < size; i++) f[i] = (i * 31 + seed) & 0xff;
  f[0] = keyframe ? 0x10 : 0x11;
  return f;
}

function toRtp(payloads: Buffer[], firstSeq: number, timestamp: number): RtpLike[] {
  return payloads.map((payload, i) => ({ sequenceNumber: (firstSeq + i) & 0xffff, timestamp, marker: i === payloads.length - 1, payload }));
}

function pushAll(d: Vp8Depacketizer, packets: RtpLike[]) {
  const out = [];
  for (const p of packets) {
    const r = d.push(p);
    if (r) out.push(r.kind === 'frame' ? { ...r, data: new Uint8Array(r.data) } : r);
  }
  return out;
}

describe('VP8 RTP packetizer and depacketizer', () => {
  it('packetize() splits a frame into payloads no larger than maxPayload with S on the first and a picture id', () => {
    const p = new Vp8Packetizer(100, 0x1234);
    const payloads = p.packetize(fakeFrame(250, true, 1));
    expect(payloads).toHaveLength(3);
    expect(payloads.every((b) => b.length <= 100)).toBe(true);
    expect(parseVp8Descriptor(payloads[0]!)).toEqual({ start: true, partitionId: 0, pictureId: 0x1234, size: 4 });
    expect(parseVp8Descriptor(payloads[1]!)?.start).toBe(false);
    expect(parseVp8Descriptor(p.packetize(fakeFrame(10, false, 2))[0]!)?.pictureId).toBe(0x1235);
  });

  it('a packetized frame sequence round-trips through the depacketizer byte for byte, across the 16-bit seq wrap', () => {
    const p = new Vp8Packetizer(200);
    const d = new Vp8Depacketizer(64);
    const frames = [fakeFrame(900, true, 1), fakeFrame(150, false, 2), fakeFrame(1201, false, 3)];
    let seq = 0xfffe;
    const got = [];
    for (const [i, f] of frames.entries()) {
      const packets = toRtp(p.packetize(f), seq, 1000 + i * 3000);
      seq += packets.length;
      got.push(...pushAll(d, packets));
    }
    expect(got.map((g) => g.kind)).toEqual(['frame', 'frame', 'frame']);
    got.forEach((g, i) => {
      if (g.kind !== 'frame') throw new Error('not a frame');
      expect(Buffer.from(g.data).equals(Buffer.from(frames[i]!))).toBe(true);
      expect(g.timestamp).toBe(1000 + i * 3000);
      expect(g.keyframe).toBe(i === 0);
    });
  });

  it('padding-only packets are dropped and renumbered so that the next frame is not mistaken for a loss', () => {
    const p = new Vp8Packetizer(200);
    const d = new Vp8Depacketizer();
    const a = toRtp(p.packetize(fakeFrame(300, true, 1)), 10, 0); // seq 10, 11
    const padding: RtpLike[] = [12, 13, 14].map((s) => ({ sequenceNumber: s, timestamp: 0, marker: false, payload: new Uint8Array(0) }));
    const b = toRtp(p.packetize(fakeFrame(300, false, 2)), 15, 3000);
    const got = pushAll(d, [...a, ...padding, ...b]);
    expect(got.map((g) => g.kind)).toEqual(['frame', 'frame']);
    expect(d.stats.paddingDropped).toBe(3);
    expect(d.stats.gaps).toBe(0);
  });

  it('a real gap drops the broken frame, asks for a keyframe and withholds delta frames until one arrives', () => {
    const p = new Vp8Packetizer(200);
    const d = new Vp8Depacketizer();
    const key = toRtp(p.packetize(fakeFrame(300, true, 1)), 0, 0); // 0,1
    const broken = toRtp(p.packetize(fakeFrame(300, false, 2)), 2, 3000); // 2,3 — 2 is lost
    const delta = toRtp(p.packetize(fakeFrame(100, false, 3)), 4, 6000); // 4
    const key2 = toRtp(p.packetize(fakeFrame(100, true, 4)), 5, 9000); // 5
    const got = pushAll(d, [...key, broken[1]!, ...delta, ...key2]);
    expect(got.map((g) => g.kind)).toEqual(['frame', 'keyframe-needed', 'keyframe-needed', 'frame']);
    expect(got[1]).toEqual({ kind: 'keyframe-needed', reason: 'gap' });
    const last = got[3]!;
    expect(last.kind === 'frame' && last.keyframe && last.timestamp === 9000).toBe(true);
    expect(d.stats.gaps).toBe(1);
  });

  it('a stream that starts with a delta frame asks for a keyframe first; late duplicates are ignored', () => {
    const p = new Vp8Packetizer(200);
    const d = new Vp8Depacketizer();
    const delta = toRtp(p.packetize(fakeFrame(100, false, 1)), 100, 0);
    const key = toRtp(p.packetize(fakeFrame(100, true, 2)), 101, 3000);
    const got = pushAll(d, [...delta, ...key, key[0]!]);
    expect(got.map((g) => g.kind)).toEqual(['keyframe-needed', 'frame']);
    expect(d.stats.latePackets).toBe(1);
  });

  it('helpers: isVp8Keyframe reads the P bit; seqDiff is signed across the wrap', () => {
    expect(isVp8Keyframe(fakeFrame(10, true, 0))).toBe(true);
    expect(isVp8Keyframe(fakeFrame(10, false, 0))).toBe(false);
    expect(seqDiff(1, 0xffff)).toBe(2);
    expect(seqDiff(0xffff, 1)).toBe(-2);
    expect(parseVp8Descriptor(new Uint8Array([0x90]))).toBeUndefined();
  });
});
