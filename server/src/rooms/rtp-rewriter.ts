/**
 * Per-subscriber RTP numbering of one forwarded stream (one receive slot in a subscriber's peer connection).
 *
 * A slot shows one publisher at a time, but over its lifetime it may show several (a participant leaves, another
 * takes the slot). The browser's receiver sees one continuous stream: sequence numbers continue at +1 and
 * timestamps advance by the wall time between the last packet of the old source and the first of the new one.
 * Within one source the mapping is a constant offset, so reordering and retransmissions keep their spacing, and a
 * NACKed output sequence number maps back to the publisher's (for the packet cache).
 *
 * Pure: no I/O, the caller passes the time.
 */

export interface RewrittenNumbers {
  sequenceNumber: number;
  timestamp: number;
}

export class RtpRewriter {
  private seqOffset = 0;
  private tsOffset = 0;
  private lastOutSeq: number | undefined;
  private lastOutTs: number | undefined;
  private lastOutAtMs = 0;
  private needsAnchor = true;
  /** First output sequence number of the current source: NACKs before it belong to an older source. */
  private epochStartSeq = 0;

  /** @param clockRate RTP clock of the stream (90000 video, 48000 Opus). */
  constructor(
    private readonly clockRate: number,
    initialSequence = Math.floor(Math.random() * 0x10000),
    initialTimestamp = Math.floor(Math.random() * 0x100000000),
  ) {
    this.lastOutSeq = (initialSequence - 1) & 0xffff;
    this.lastOutTs = initialTimestamp >>> 0;
  }

  /** The next packet comes from a different source (or the same one restarted): re-anchor on it. */
  switchSource(): void {
    this.needsAnchor = true;
  }

  rewrite(sequenceNumber: number, timestamp: number, nowMs: number): RewrittenNumbers {
    if (this.needsAnchor) {
      this.needsAnchor = false;
      const nextSeq = ((this.lastOutSeq ?? 0) + 1) & 0xffff;
      const elapsedTicks = Math.max(1, Math.round(((nowMs - this.lastOutAtMs) * this.clockRate) / 1000));
      const nextTs = ((this.lastOutTs ?? 0) + (this.lastOutAtMs === 0 ? 0 : elapsedTicks)) >>> 0;
      this.seqOffset = (nextSeq - sequenceNumber) & 0xffff;
      this.tsOffset = (nextTs - timestamp) >>> 0;
      this.epochStartSeq = nextSeq;
    }
    const out = { sequenceNumber: (sequenceNumber + this.seqOffset) & 0xffff, timestamp: (timestamp + this.tsOffset) >>> 0 };
    if (this.lastOutSeq === undefined || seqNewer(out.sequenceNumber, this.lastOutSeq)) {
      this.lastOutSeq = out.sequenceNumber;
      this.lastOutTs = out.timestamp;
      this.lastOutAtMs = nowMs;
    }
    return out;
  }

  /** The publisher's sequence number for an output one, or `undefined` when it predates the current source. */
  toSource(outSequenceNumber: number): number | undefined {
    if (this.needsAnchor) return undefined;
    const sinceEpoch = (outSequenceNumber - this.epochStartSeq) & 0xffff;
    const toLast = (((this.lastOutSeq ?? 0) - outSequenceNumber) & 0xffff);
    if (sinceEpoch >= 0x8000 || toLast >= 0x8000) return undefined;
    return (outSequenceNumber - this.seqOffset) & 0xffff;
  }
}

/** True when 16-bit sequence number `a` comes after `b`. */
export function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}
