/**
 * Token-bucket rate limiter: `capacity` events at once, refilled at `perSecond`. Pure and clock-injectable, so that
 * tests do not sleep.
 */
export interface RateLimit {
  capacity: number;
  perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limit.capacity;
    this.last = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.limit.capacity, this.tokens + ((t - this.last) / 1000) * this.limit.perSecond);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Per-socket limits on signaling events (ICE bursts at call setup, so its bucket is larger). */
export const SIGNALING_RATE_LIMITS: Record<'offer' | 'ice' | 'session.update' | 'recording' | 'room', RateLimit> = {
  offer: { capacity: 3, perSecond: 0.2 },
  /** room.join / room.leave / media.mute: a join starts a session like an offer, but a call may rejoin and mute often. */
  room: { capacity: 10, perSecond: 1 },
  ice: { capacity: 120, perSecond: 10 },
  'session.update': { capacity: 10, perSecond: 3 },
  recording: { capacity: 4, perSecond: 0.5 },
};

/**
 * Remote candidates one session accepts. A browser sends a handful per transport (interface x protocol), and a room
 * call's offer has eight media sections which Chromium gathers for before the answer's BUNDLE: over 32 were seen
 * (the cluster test), so the limit leaves room for that and still bounds a hostile peer.
 */
export const MAX_ICE_CANDIDATES = 128;

/**
 * Incoming media budget per one-second window: packets beyond `maxBitsPerSecond` are dropped (the sender's
 * congestion control backs off; the depacketizer sees a gap and asks for a keyframe once the budget allows).
 */
export class ByteRateWindow {
  private windowStart: number;
  private bytes = 0;
  dropped = 0;

  constructor(
    private readonly maxBitsPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.windowStart = now();
  }

  /** Counts `size` bytes; false when they exceed this second's budget (drop the packet). */
  admit(size: number): boolean {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.bytes = 0;
    }
    if ((this.bytes + size) * 8 > this.maxBitsPerSecond) {
      this.dropped++;
      return false;
    }
    this.bytes += size;
    return true;
  }
}

/** Incoming video a call may send: 1080p VP8 needs ~4-6 Mbit/s; a browser's max is set by our SDP (2-3 Mbit/s). */
export const MAX_INCOMING_BITS_PER_SECOND = 12_000_000;
