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
export const SIGNALING_RATE_LIMITS: Record<'offer' | 'ice' | 'session.update' | 'recording', RateLimit> = {
  offer: { capacity: 3, perSecond: 0.2 },
  ice: { capacity: 40, perSecond: 10 },
  'session.update': { capacity: 5, perSecond: 2 },
  recording: { capacity: 4, perSecond: 0.5 },
};

/** Remote candidates one session accepts; a browser sends a handful (one per interface and protocol). */
export const MAX_ICE_CANDIDATES = 32;
