/**
 * One inference owner per model, shared by every live session: frames that arrive while the model is busy are
 * queued and run together as one batch when it is free (continuous batching, no artificial wait). On a GPU one run
 * of N frames costs far less than N runs, which is what lets one GPU serve many calls; on a CPU it changes little.
 *
 * Pure scheduling over any `BatchModel` (no onnxruntime import): the model must accept a batch dimension, see
 * `ModelRuntime.loadBatched`. Requests with the same per-frame dims are stacked; different sizes run as separate
 * batches of the same flush. Input buffers are preallocated per (dims, batch size) and reused.
 */

export interface BatchModel {
  run(input: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }>;
}

export interface BatchResult {
  /** A view into the batch's output for this frame (valid until the caller drops it; never reused by us). */
  data: Float32Array;
  dims: readonly number[];
  /** How many frames the run that served this one held. */
  batch: number;
}

interface Pending {
  input: Float32Array;
  dims: readonly number[];
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

export interface BatcherStats {
  /** Model runs made. */
  runs: number;
  /** Frames served. */
  frames: number;
  /** Largest batch run so far. */
  maxBatch: number;
}

export class InferenceBatcher {
  private queue: Pending[] = [];
  private running = false;
  private closed = false;
  private readonly buffers = new Map<string, Float32Array>();
  readonly stats: BatcherStats = { runs: 0, frames: 0, maxBatch: 0 };

  constructor(
    private readonly model: BatchModel,
    private readonly maxBatch = 8,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new TypeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  /** Runs one frame (`dims[0]` must be 1). Resolves with this frame's output. */
  run(input: Float32Array, dims: readonly number[]): Promise<BatchResult> {
    if (this.closed) return Promise.reject(new Error('InferenceBatcher is closed'));
    if (dims[0] !== 1) return Promise.reject(new TypeError(`one frame at a time: dims[0] must be 1, got ${dims[0]}`));
    const size = dims.reduce((a, b) => a * b, 1);
    if (input.length !== size) return Promise.reject(new TypeError(`input has ${input.length} values, dims ${dims.join('x')} need ${size}`));
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ input, dims, resolve, reject });
      // Start after the event loop's current phase, not on a microtask: frames of other threads arrive as port
      // messages, and a microtask would start a run after the first message before the next one is dispatched.
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const taken = this.queue.splice(0, this.queue.length);
        for (const group of groupByDims(taken)) {
          for (let start = 0; start < group.length; start += this.maxBatch) await this.runBatch(group.slice(start, start + this.maxBatch));
        }
        // Let the port messages that came in during the run be dispatched (into the queue) before taking the next
        // batch; without it the loop would see an empty queue and the next frames would start one run each.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(batch: Pending[]): Promise<void> {
    const frameDims = batch[0]!.dims;
    const frameSize = batch[0]!.input.length;
    const key = `${batch.length}:${frameDims.join('x')}`;
    let stacked = this.buffers.get(key);
    if (!stacked) {
      stacked = new Float32Array(batch.length * frameSize);
      this.buffers.set(key, stacked);
    }
    batch.forEach((p, i) => stacked!.set(p.input, i * frameSize));
    try {
      const { data, dims } = await this.model.run(stacked, [batch.length, ...frameDims.slice(1)]);
      if (dims[0] !== batch.length || data.length % batch.length !== 0) throw new Error(`model returned batch ${dims[0]} for ${batch.length} frames`);
      const outSize = data.length / batch.length;
      const outDims = [1, ...dims.slice(1)];
      this.stats.runs++;
      this.stats.frames += batch.length;
      this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
      batch.forEach((p, i) => p.resolve({ data: data.subarray(i * outSize, (i + 1) * outSize), dims: outDims, batch: batch.length }));
    } catch (error) {
      // A failed run fails only the frames that were in it; the next batch runs as usual.
      for (const p of batch) p.reject(error);
    }
  }

  /** Rejects what is queued; a batch already running finishes. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const error = new Error('InferenceBatcher is closed');
    for (const p of this.queue.splice(0)) p.reject(error);
    this.buffers.clear();
  }
}

function groupByDims(requests: Pending[]): Pending[][] {
  const groups = new Map<string, Pending[]>();
  for (const r of requests) {
    const key = r.dims.join('x');
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}
