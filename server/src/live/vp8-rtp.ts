/**
 * VP8 over RTP (RFC 7741): a packetizer for what we send and a depacketizer for what the browser sends.
 * Both are pure over byte arrays; the werift wiring lives in `peer.ts`.
 */

/** The parts of an RTP packet the VP8 (de)packetizer looks at. */
export interface RtpLike {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  /** Payload without RTP padding. An empty payload is a padding-only packet (bandwidth probe). */
  payload: Uint8Array;
}

export interface Vp8PayloadDescriptor {
  /** Start of a VP8 partition. */
  start: boolean;
  partitionId: number;
  pictureId: number | undefined;
  /** Bytes taken by the descriptor; the VP8 data begins there. */
  size: number;
}

/** Parses the RFC 7741 payload descriptor; `undefined` if the payload is too short to hold one. */
export function parseVp8Descriptor(payload: Uint8Array): Vp8PayloadDescriptor | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  const start = (b0 & 0x10) !== 0;
  const partitionId = b0 & 0x07;
  let offset = 1;
  let pictureId: number | undefined;
  if (b0 & 0x80) {
    if (payload.length < 2) return undefined;
    const x = payload[1]!;
    offset = 2;
    if (x & 0x80) {
      if (payload.length < offset + 1) return undefined;
      const m = payload[offset]!;
      if (m & 0x80) {
        if (payload.length < offset + 2) return undefined;
        pictureId = ((m & 0x7f) << 8) | payload[offset + 1]!;
        offset += 2;
      } else {
        pictureId = m & 0x7f;
        offset += 1;
      }
    }
    if (x & 0x40) offset += 1; // TL0PICIDX
    if (x & 0x30) offset += 1; // TID/Y/KEYIDX
  }
  if (offset > payload.length) return undefined;
  return { start, partitionId, pictureId, size: offset };
}

/** True when the VP8 frame (payload header, RFC 6386 §9.1) is a keyframe: bit 0 of the first byte is 0. */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length >= 3 && (frame[0]! & 0x01) === 0;
}

/**
 * Width and height a VP8 keyframe declares (RFC 6386 §9.1: 3-byte frame tag, start code 9d 01 2a, then 14-bit
 * width and height, little endian, with 2 scaling bits each). Undefined when it is not a well-formed keyframe.
 */
export function vp8KeyframeSize(frame: Uint8Array): { width: number; height: number } | undefined {
  if (frame.length < 10 || (frame[0]! & 0x01) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
  const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
  return { width, height };
}

/**
 * Largest encoded frame we reassemble. A 1920x1080 VP8 keyframe at a generous 8 Mbit/s is well under 1 MiB; the
 * cap stops a sender from growing the buffer without bound by never setting the marker bit.
 */
export const MAX_VP8_FRAME_BYTES = 2 * 1024 * 1024;

export const DEFAULT_MAX_PAYLOAD = 1180;

/**
 * Splits one encoded VP8 frame into RTP payloads: a 4-byte descriptor (X=1, I=1 with a 15-bit picture id, S on
 * the first packet, PID 0) followed by at most `maxPayload - 4` bytes of the frame. The last one takes the marker.
 */
export class Vp8Packetizer {
  private pictureId: number;

  constructor(
    private readonly maxPayload = DEFAULT_MAX_PAYLOAD,
    initialPictureId = Math.floor(Math.random() * 0x8000),
  ) {
    if (maxPayload < 8) throw new TypeError('maxPayload must be at least 8 bytes');
    this.pictureId = initialPictureId & 0x7fff;
  }

  packetize(frame: Uint8Array): Buffer[] {
    if (frame.length === 0) return [];
    const chunk = this.maxPayload - 4;
    const count = Math.ceil(frame.length / chunk);
    const out: Buffer[] = new Array(count);
    const pid = this.pictureId;
    for (let i = 0; i < count; i++) {
      const begin = i * chunk;
      const end = Math.min(frame.length, begin + chunk);
      const buf = Buffer.allocUnsafe(4 + end - begin);
      buf[0] = 0x80 | (i === 0 ? 0x10 : 0);
      buf[1] = 0x80;
      buf[2] = 0x80 | (pid >> 8);
      buf[3] = pid & 0xff;
      buf.set(frame.subarray(begin, end), 4);
      out[i] = buf;
    }
    this.pictureId = (pid + 1) & 0x7fff;
    return out;
  }
}

export type DepacketizerResult =
  | { kind: 'frame'; data: Uint8Array; timestamp: number; keyframe: boolean }
  /** A frame was lost or cannot be decoded until the next keyframe: ask the sender for one (rate-limited). */
  | { kind: 'keyframe-needed'; reason: 'gap' | 'start' | 'corrupt' | 'oversize' };

export interface DepacketizerStats {
  packets: number;
  paddingDropped: number;
  gaps: number;
  framesOut: number;
  framesDropped: number;
  latePackets: number;
  oversizeDropped: number;
}

/**
 * Reassembles VP8 frames from RTP packets in arrival order.
 *
 * Padding-only packets are dropped and the sequence numbers after them renumbered, so that they do not look like
 * losses; real gaps stay visible: the partial frame is discarded and frames are withheld until the next keyframe
 * (decoding past a loss shows corrupt pictures). Late packets (retransmissions after a gap) are ignored.
 *
 * `push` returns a view into an internal buffer that stays valid until the next `push`.
 */
export class Vp8Depacketizer {
  private buffer: Uint8Array;
  private length = 0;
  private assembling = false;
  private frameTimestamp = 0;
  private lastRawSeq: number | undefined;
  private lastSeq: number | undefined;
  private offset = 0;
  private waitingForKeyframe = true;
  readonly stats: DepacketizerStats = { packets: 0, paddingDropped: 0, gaps: 0, framesOut: 0, framesDropped: 0, latePackets: 0, oversizeDropped: 0 };

  constructor(
    initialCapacity = 256 * 1024,
    private readonly maxFrameBytes = MAX_VP8_FRAME_BYTES,
  ) {
    this.buffer = new Uint8Array(Math.min(initialCapacity, maxFrameBytes));
  }

  push(packet: RtpLike): DepacketizerResult | undefined {
    this.stats.packets++;
    const raw = packet.sequenceNumber & 0xffff;
    if (this.lastRawSeq !== undefined && seqDiff(raw, this.lastRawSeq) <= 0) {
      this.stats.latePackets++;
      return undefined;
    }
    this.lastRawSeq = raw;
    if (packet.payload.length === 0) {
      this.offset = (this.offset + 1) & 0xffff;
      this.stats.paddingDropped++;
      return undefined;
    }
    const seq = (raw - this.offset) & 0xffff;
    const expected = this.lastSeq === undefined ? seq : (this.lastSeq + 1) & 0xffff;
    this.lastSeq = seq;
    let lost = false;
    if (seq !== expected) {
      this.stats.gaps++;
      lost = true;
      if (this.assembling) this.stats.framesDropped++;
      this.assembling = false;
      this.waitingForKeyframe = true;
    }

    const descriptor = parseVp8Descriptor(packet.payload);
    if (!descriptor) {
      this.assembling = false;
      this.waitingForKeyframe = true;
      return { kind: 'keyframe-needed', reason: 'corrupt' };
    }
    const body = packet.payload.subarray(descriptor.size);
    if (descriptor.start && descriptor.partitionId === 0) {
      if (this.assembling) {
        // The previous frame never saw its marker packet.
        this.stats.framesDropped++;
        this.waitingForKeyframe = true;
        lost = true;
      }
      this.assembling = true;
      this.length = 0;
      this.frameTimestamp = packet.timestamp;
    } else if (!this.assembling || packet.timestamp !== this.frameTimestamp) {
      if (this.assembling) this.stats.framesDropped++;
      this.assembling = false;
      return lost || this.waitingForKeyframe ? { kind: 'keyframe-needed', reason: lost ? 'gap' : 'start' } : undefined;
    }
    if (this.length + body.length > this.maxFrameBytes) {
      // Drop the frame (and everything until the next keyframe) instead of growing the buffer.
      this.assembling = false;
      this.waitingForKeyframe = true;
      this.stats.framesDropped++;
      this.stats.oversizeDropped++;
      return { kind: 'keyframe-needed', reason: 'oversize' };
    }
    this.append(body);
    if (!packet.marker) return lost ? { kind: 'keyframe-needed', reason: 'gap' } : undefined;

    this.assembling = false;
    const data = this.buffer.subarray(0, this.length);
    const keyframe = isVp8Keyframe(data);
    if (this.waitingForKeyframe && !keyframe) {
      this.stats.framesDropped++;
      return { kind: 'keyframe-needed', reason: lost ? 'gap' : 'start' };
    }
    this.waitingForKeyframe = false;
    this.stats.framesOut++;
    return { kind: 'frame', data, timestamp: this.frameTimestamp, keyframe };
  }

  private append(bytes: Uint8Array): void {
    const need = this.length + bytes.length;
    if (need > this.buffer.length) {
      const bigger = new Uint8Array(Math.max(need, this.buffer.length * 2));
      bigger.set(this.buffer.subarray(0, this.length));
      this.buffer = bigger;
    }
    this.buffer.set(bytes, this.length);
    this.length = need;
  }
}

/** Signed distance a - b between 16-bit sequence numbers. */
export function seqDiff(a: number, b: number): number {
  const d = (a - b) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
