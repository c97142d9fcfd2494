import { describe, expect, it } from 'vitest';
import { FlowLimiter } from '../../server/src/live/flow-limiter.ts';

type Slot = { value: number };
const slots = (): [Slot, Slot, Slot] => [{ value: -1 }, { value: -1 }, { value: -1 }];

describe('FlowLimiter', () => {
  it('keeps one item in flight, lets the newest waiting item win and counts the overwritten ones as dropped', async () => {
    const processed: number[] = [];
    const gates: Array<() => void> = [];
    const limiter = new FlowLimiter<Slot>(slots(), (slot) => {
      processed.push(slot.value);
      return new Promise<void>((resolve) => gates.push(resolve));
    });
    for (let i = 0; i < 5; i++) {
      limiter.writable().value = i;
      limiter.submit();
    }
    expect(processed).toEqual([0]); // 1..3 overwritten while 0 was in flight
    expect(limiter.dropped).toBe(3);
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(processed).toEqual([0, 4]);
    gates.shift()!();
    await limiter.idle();
    expect(limiter.processed).toBe(2);
    expect(limiter.busy).toBe(false);
  });

  it('never hands out the in-flight or waiting slot for writing', () => {
    const inFlight: Slot[] = [];
    const limiter = new FlowLimiter<Slot>(slots(), (slot) => {
      inFlight.push(slot);
      return new Promise<void>(() => {});
    });
    limiter.writable().value = 1;
    limiter.submit();
    limiter.writable().value = 2;
    limiter.submit();
    const w = limiter.writable();
    expect(w).not.toBe(inFlight[0]);
    w.value = 3;
    limiter.submit(); // overwrites waiting 2
    expect(limiter.writable()).not.toBe(inFlight[0]);
    expect(inFlight[0]!.value).toBe(1);
  });

  it('an error in the stage is reported and the next item still runs', async () => {
    const errors: unknown[] = [];
    const seen: number[] = [];
    const limiter = new FlowLimiter<Slot>(
      slots(),
      (slot) => {
        seen.push(slot.value);
        if (slot.value === 0) throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    limiter.writable().value = 0;
    limiter.submit();
    limiter.writable().value = 1;
    limiter.submit();
    await limiter.idle();
    expect(seen).toEqual([0, 1]);
    expect(errors).toHaveLength(1);
    expect(limiter.dropped).toBe(0);
  });

  it('close() drops what waits, counts it, and ignores later submits', async () => {
    let release!: () => void;
    const seen: number[] = [];
    const limiter = new FlowLimiter<Slot>(slots(), (slot) => {
      seen.push(slot.value);
      return new Promise<void>((r) => (release = r));
    });
    limiter.writable().value = 0;
    limiter.submit();
    limiter.writable().value = 1;
    limiter.submit();
    limiter.close();
    limiter.writable().value = 2;
    limiter.submit();
    release();
    await limiter.idle();
    expect(seen).toEqual([0]);
    expect(limiter.dropped).toBe(1);
  });
});
