import type { StatsPayload } from '@deepphoto/shared';
import type { StageTimings } from './worker-messages.ts';

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
  private readonly sums = { decodeMs: 0, segmentMs: 0, styleMs: 0, smoothMs: 0, compositeMs: 0, processMs: 0, encodeMs: 0, totalMs: 0 };
  private startedAt: number;

  constructor(now = performance.now()) {
    this.startedAt = now;
  }

  frameIn(bytes: number): void {
    this.framesIn++;
    this.bytesIn += bytes;
  }

  frameOut(bytes: number, latencyMs: number, timings: StageTimings, droppedTotal: number, width: number, height: number): void {
    this.framesOut++;
    this.bytesOut += bytes;
    this.latencySum += latencyMs;
    this.droppedNow = droppedTotal;
    this.width = width;
    this.height = height;
    const s = this.sums;
    s.decodeMs += timings.decodeMs;
    s.segmentMs += timings.segmentMs;
    s.styleMs += timings.styleMs;
    s.smoothMs += timings.smoothMs;
    s.compositeMs += timings.compositeMs;
    s.processMs += timings.processMs;
    s.encodeMs += timings.encodeMs;
    s.totalMs += latencyMs;
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
      stages: {
        decodeMs: r(s.decodeMs / n),
        segmentMs: r(s.segmentMs / n),
        styleMs: r(s.styleMs / n),
        smoothMs: r(s.smoothMs / n),
        compositeMs: r(s.compositeMs / n),
        processMs: r(s.processMs / n),
        encodeMs: r(s.encodeMs / n),
        totalMs: r(s.totalMs / n),
      },
      width: this.width,
      height: this.height,
      bitrateKbpsIn: r((this.bytesIn * 8) / 1000 / seconds),
      bitrateKbpsOut: r((this.bytesOut * 8) / 1000 / seconds),
      recording,
    };
    this.framesIn = this.framesOut = this.bytesIn = this.bytesOut = this.latencySum = 0;
    for (const k of Object.keys(s) as Array<keyof typeof s>) s[k] = 0;
    this.droppedAtStart = this.droppedNow;
    this.startedAt = now;
    return payload;
  }
}
