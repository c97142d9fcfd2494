/**
 * MediaPipe-style flow limiter: one item in flight, at most one waiting, the newest wins and every overwritten
 * waiting item counts as dropped. Latency stays bounded when the stage is slower than the camera.
 *
 * It owns three slots (e.g. preallocated images): the caller fills `writable()` with the newest item and calls
 * `submit()`. The in-flight and the waiting slot are never handed out for writing, so an asynchronous stage can
 * read its slot safely while the next frame is being decoded.
 */
export class FlowLimiter<T> {
  private readonly free: T[];
  private writableSlot: T;
  private pending: T | undefined;
  private inFlight: T | undefined;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  dropped = 0;
  processed = 0;

  constructor(
    slots: readonly [T, T, T],
    private readonly run: (slot: T) => void | Promise<void>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.free = [slots[0], slots[1]];
    this.writableSlot = slots[2];
  }

  /** The slot to fill with the newest item. Valid until the next `submit()`. */
  writable(): T {
    return this.writableSlot;
  }

  /** Hands the filled `writable()` slot over; it runs now if nothing is in flight, else waits (newest wins). */
  submit(): void {
    if (this.closed) return;
    if (this.pending !== undefined) {
      this.dropped++;
      this.free.push(this.pending);
    }
    this.pending = this.writableSlot;
    this.writableSlot = this.free.pop()!;
    if (this.inFlight === undefined) this.startNext();
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Resolves when nothing is in flight or waiting. */
  idle(): Promise<void> {
    if (this.inFlight === undefined && this.pending === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what waits; the item in flight finishes. Later submits are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending !== undefined) {
      this.dropped++;
      this.free.push(this.pending);
      this.pending = undefined;
    }
    this.notifyIdle();
  }

  private startNext(): void {
    const slot = this.pending;
    if (slot === undefined || this.closed) {
      this.notifyIdle();
      return;
    }
    this.pending = undefined;
    this.inFlight = slot;
    let result: void | Promise<void>;
    try {
      result = this.run(slot);
    } catch (error) {
      this.onError(error);
      this.finish(slot);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => this.finish(slot),
        (error: unknown) => {
          this.onError(error);
          this.finish(slot);
        },
      );
    } else {
      this.finish(slot);
    }
  }

  private finish(slot: T): void {
    this.processed++;
    this.inFlight = undefined;
    this.free.push(slot);
    this.startNext();
  }

  private notifyIdle(): void {
    if (this.inFlight !== undefined || this.pending !== undefined) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
