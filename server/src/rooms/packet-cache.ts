/**
 * A small ring of the most recent RTP packets of one forwarded stream, keyed by the publisher's sequence number,
 * so that a subscriber's NACK can be answered without asking the publisher's encoder for anything. The payload
 * buffers are shared (never copied): the same encoded bytes go to every subscriber.
 */

export interface CachedPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

export class PacketCache {
  private readonly slots: Array<CachedPacket | undefined>;

  /** `size` packets (default 512: ~1.5 s of 1 Mbps video, ~10 s of Opus). */
  constructor(readonly size = 512) {
    if (!(size >= 1)) throw new TypeError('PacketCache size must be at least 1');
    this.slots = new Array(size);
  }

  put(packet: CachedPacket): void {
    this.slots[packet.sequenceNumber % this.size] = packet;
  }

  /** The packet with this 16-bit sequence number, if it is still held. */
  get(sequenceNumber: number): CachedPacket | undefined {
    const seq = sequenceNumber & 0xffff;
    const packet = this.slots[seq % this.size];
    return packet && packet.sequenceNumber === seq ? packet : undefined;
  }

  clear(): void {
    this.slots.fill(undefined);
  }
}
