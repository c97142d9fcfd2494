import { SESSION_STAGES, zeroTimings, type SessionTimings, type StatsPayload } from '@deepphoto/shared';

/** Accumulates one second of frame figures and turns them into a `stats` payload (pure; the timer is elsewhere). */
export class StatsWindow {
  private framesIn = 0;
  private framesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private latencySum = 0;
  private droppedAtStart = 0;
  private droppedNow = 0;
  private width = 0;
  private height = 0;
  private readonly sums = zeroTimings(SESSION_STAGES);
  private startedAt: number;

  constructor(now = performance.now()) {
    this.startedAt = now;
  }

  frameIn(bytes: number): void {
    this.framesIn++;
    this.bytesIn += bytes;
  }

  frameOut(bytes: number, latencyMs: number, timings: SessionTimings, droppedTotal: number, width: number, height: number): void {
    this.framesOut++;
    this.bytesOut += bytes;
    this.latencySum += latencyMs;
    this.droppedNow = droppedTotal;
    this.width = width;
    this.height = height;
    // The stats' total is the server in→out latency, not the processor's own total.
    for (const stage of SESSION_STAGES) this.sums[stage] += stage === 'totalMs' ? latencyMs : timings[stage];
  }

  /** Closes the window and starts the next one. */
  take(recording: boolean, now = performance.now()): StatsPayload {
    const seconds = Math.max(1e-3, (now - this.startedAt) / 1000);
    const n = Math.max(1, this.framesOut);
    const r = (v: number): number => Math.round(v * 100) / 100;
    const s = this.sums;
    const payload: StatsPayload = {
      fpsIn: r(this.framesIn / seconds),
      fpsOut: r(this.framesOut / seconds),
      droppedFrames: this.droppedNow - this.droppedAtStart,
      droppedTotal: this.droppedNow,
      latencyMs: r(this.latencySum / n),
      stages: zeroTimings(SESSION_STAGES),
      width: this.width,
      height: this.height,
      bitrateKbpsIn: r((this.bytesIn * 8) / 1000 / seconds),
      bitrateKbpsOut: r((this.bytesOut * 8) / 1000 / seconds),
      recording,
    };
    for (const stage of SESSION_STAGES) {
      payload.stages[stage] = r(s[stage] / n);
      s[stage] = 0;
    }
    this.framesIn = this.framesOut = this.bytesIn = this.bytesOut = this.latencySum = 0;
    this.droppedAtStart = this.droppedNow;
    this.startedAt = now;
    return payload;
  }
}
