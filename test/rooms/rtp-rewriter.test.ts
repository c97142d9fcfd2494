import { describe, expect, it } from 'vitest';
import { PacketCache } from '../../server/src/rooms/packet-cache.ts';
import { RtpRewriter, seqNewer } from '../../server/src/rooms/rtp-rewriter.ts';

describe('RtpRewriter', () => {
  it('keeps one source continuous with a constant offset, across 16-bit wrap, and maps NACKs back', () => {
    const r = new RtpRewriter(90_000, 100, 5000);
    const a = r.rewrite(65534, 1000, 10);
    const b = r.rewrite(65535, 1000, 11);
    const c = r.rewrite(0, 4000, 44);
    expect([a.sequenceNumber, b.sequenceNumber, c.sequenceNumber]).toEqual([100, 101, 102]);
    expect(c.timestamp - a.timestamp).toBe(3000);
    expect(r.toSource(101)).toBe(65535);
    expect(r.toSource(102)).toBe(0);
    // a retransmission (older source number) keeps its place and does not move the stream forward
    expect(r.rewrite(65535, 1000, 50).sequenceNumber).toBe(101);
    expect(r.rewrite(1, 7000, 60).sequenceNumber).toBe(103);
  });

  it('continues at +1 and advances the timestamp by the wall time when the slot switches to another publisher', () => {
    const r = new RtpRewriter(90_000, 500, 0);
    r.rewrite(10, 90_000, 1000);
    const last = r.rewrite(11, 93_000, 1033);
    r.switchSource();
    const first = r.rewrite(40_000, 7, 2033); // 1000 ms later, unrelated numbering
    expect(first.sequenceNumber).toBe((last.sequenceNumber + 1) & 0xffff);
    expect((first.timestamp - last.timestamp) >>> 0).toBe(90_000);
    // NACKs for packets of the previous publisher cannot be mapped to the new one
    expect(r.toSource(last.sequenceNumber)).toBeUndefined();
    expect(r.toSource(first.sequenceNumber)).toBe(40_000);
  });

  it('seqNewer handles wrap-around', () => {
    expect(seqNewer(1, 65535)).toBe(true);
    expect(seqNewer(65535, 1)).toBe(false);
    expect(seqNewer(5, 5)).toBe(false);
  });
});

describe('PacketCache', () => {
  it('returns a packet while it is held and forgets it once overwritten', () => {
    const cache = new PacketCache(4);
    const payload = Buffer.from([1, 2, 3]);
    for (let seq = 65533; seq < 65533 + 6; seq++) cache.put({ sequenceNumber: seq & 0xffff, timestamp: seq, marker: false, payload });
    expect(cache.get(65533)).toBeUndefined(); // overwritten by 1 (65537 & 0xffff)
    expect(cache.get(2)?.timestamp).toBe(65535 + 3);
    expect(cache.get(65535)?.payload).toBe(payload); // shared, not copied
    expect(cache.get(3)).toBeUndefined();
    expect(() => new PacketCache(0)).toThrow();
  });
});
