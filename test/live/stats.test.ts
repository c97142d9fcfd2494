/** The stats window turns per-frame `Stage -> ms` timings into the `stats` event that the shared schema describes. */
import { SESSION_STAGES, statsPayloadSchema, type SessionTimings } from '@deepphoto/shared';
import { describe, expect, it } from 'vitest';
import { StatsWindow } from '../../server/src/live/stats.ts';

const frame = (ms: number): SessionTimings => ({ decodeMs: ms, segmentMs: ms, peopleMs: ms, styleMs: ms, smoothMs: ms, compositeMs: ms, processMs: ms, encodeMs: ms, totalMs: 999 });

describe('StatsWindow', () => {
  it('means every session stage over the window; total is the server latency; the payload passes the schema', () => {
    const window = new StatsWindow(0);
    window.frameIn(1000);
    window.frameOut(500, 40, frame(2), 0, 640, 480);
    window.frameOut(500, 60, frame(4), 1, 640, 480);
    const payload = window.take(false, 1000);
    expect(statsPayloadSchema.parse(payload)).toEqual(payload);
    expect(Object.keys(payload.stages)).toEqual([...SESSION_STAGES]);
    expect(payload.stages.decodeMs).toBe(3);
    expect(payload.stages.encodeMs).toBe(3);
    expect(payload.stages.totalMs).toBe(50); // latency, not the processor's 999
    expect(payload.fpsOut).toBe(2);
    const next = window.take(false, 2000);
    expect(next.stages.decodeMs).toBe(0); // sums restart with each window
    expect(next.droppedFrames).toBe(0);
  });

  it('the schema refuses a stats payload with a missing or unknown stage', () => {
    const window = new StatsWindow(0);
    window.frameOut(1, 1, frame(1), 0, 2, 2);
    const payload = window.take(false, 1000);
    const { decodeMs: _dropped, ...missing } = payload.stages;
    expect(statsPayloadSchema.safeParse({ ...payload, stages: missing }).success).toBe(false);
    expect(statsPayloadSchema.safeParse({ ...payload, stages: { ...payload.stages, warpMs: 1 } }).success).toBe(false);
  });
});
