/**
 * Instance split: one soft person mask + one face per person -> a label per pixel (0 = nobody, k = person k).
 *
 * Each person grows from their face over the person mask (a multi-source Dijkstra, i.e. a geodesic Voronoi
 * partition of the mask): a pixel belongs to the face that reaches it most cheaply *without leaving the mask*, so an
 * arm across a background gap stays with its body, and where two people overlap the boundary falls between them.
 * Steps are scaled by 1 / face width (a nearer, larger person claims proportionally more), and a vertical step
 * below the face costs less than a horizontal one because bodies are tall and narrow under the head.
 * The soft edge is kept by the caller: instance k's mask is mask * (label == k).
 */
import type { Mask } from '../pipeline/image.ts';

/** One person to grow, in the mask's pixel coordinates. */
export interface PersonSeed {
  /** Face centre and size. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SplitOptions {
  /** Mask values at or above this are "person" for growing; lower values get no label. */
  threshold: number;
  /** Cost of one vertical step below the face relative to a horizontal one. */
  verticalBelowFace: number;
  /** Cost of one vertical step above the face's centre (hair, raised hands) relative to a horizontal one. */
  verticalAboveFace: number;
}

/** verticalBelowFace measured with eval:instances on 60 composites: 0.05 → 0.880, 0.1 → 0.878, 0.35 → 0.868, 1 → 0.831. */
export const DEFAULT_SPLIT: SplitOptions = { threshold: 0.02, verticalBelowFace: 0.1, verticalAboveFace: 1 };

/** Reusable buffers for one mask size. */
export class InstanceSplitter {
  // Float64 on purpose: costs rounded to float32 on store compare unequal to the float64 sums that produced them,
  // which re-relaxes the same pixels over and over.
  private cost = new Float64Array(0);
  private heap = new Int32Array(0);
  private heapCost = new Float64Array(0);
  private heapSize = 0;

  /**
   * Writes labels (0 = none, k = seeds[k-1]) for every pixel of `mask` into `labels` (length width * height).
   * Mask pixels that no face reaches through the mask (a blob with no detected face) go to the nearest person
   * by the same anisotropic distance, so an undetected face never makes the picture's pixels disappear from
   * every instance.
   */
  split(mask: Mask, seeds: readonly PersonSeed[], labels: Uint8Array, options: SplitOptions = DEFAULT_SPLIT): void {
    const { width, height, data } = mask;
    const n = width * height;
    if (labels.length !== n) throw new RangeError(`split: labels ${labels.length} for ${width}x${height}`);
    if (seeds.length > 254) throw new RangeError('split: at most 254 people');
    labels.fill(0);
    if (seeds.length === 0) return;
    if (this.cost.length !== n) {
      this.cost = new Float64Array(n);
      this.heap = new Int32Array(n * 4);
      this.heapCost = new Float64Array(n * 4);
    }
    const cost = this.cost;
    cost.fill(Infinity);
    this.heapSize = 0;
    const { threshold } = options;

    // Seeds: the face's core (half the box) starts at cost 0, so the face itself always belongs to its person.
    seeds.forEach((seed, index) => {
      const label = index + 1;
      const x0 = Math.max(0, Math.round(seed.x - seed.width / 4));
      const x1 = Math.min(width - 1, Math.round(seed.x + seed.width / 4));
      const y0 = Math.max(0, Math.round(seed.y - seed.height / 4));
      const y1 = Math.min(height - 1, Math.round(seed.y + seed.height / 4));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const p = y * width + x;
          if (cost[p] === 0 && labels[p] !== 0) continue; // overlapping face cores: the first (nearer-left) keeps it
          cost[p] = 0;
          labels[p] = label;
          this.push(p, 0);
        }
      }
    });

    const horizontal = seeds.map((s) => 1 / Math.max(1, s.width));
    while (this.heapSize > 0) {
      const c = this.heapCost[0]!;
      const p = this.pop();
      if (c > cost[p]!) continue; // stale entry
      const label = labels[p]!;
      const seed = seeds[label - 1]!;
      const h = horizontal[label - 1]!;
      const x = p % width;
      const y = (p - x) / width;
      const down = y >= seed.y ? h * options.verticalBelowFace : h * options.verticalAboveFace;
      const up = y > seed.y ? h * options.verticalBelowFace : h * options.verticalAboveFace;
      if (x > 0) this.relax(p - 1, c + h, label, data, threshold, labels);
      if (x < width - 1) this.relax(p + 1, c + h, label, data, threshold, labels);
      if (y > 0) this.relax(p - width, c + up, label, data, threshold, labels);
      if (y < height - 1) this.relax(p + width, c + down, label, data, threshold, labels);
    }

    // Mask pixels no face reached: nearest person by the same metric, straight-line.
    for (let p = 0; p < n; p++) {
      if (labels[p] !== 0 || data[p]! < threshold) continue;
      const x = p % width;
      const y = (p - x) / width;
      let best = Infinity;
      let bestLabel = 0;
      seeds.forEach((seed, index) => {
        const h = horizontal[index]!;
        const dy = (y - seed.y) * h * (y >= seed.y ? options.verticalBelowFace : options.verticalAboveFace);
        const dx = (x - seed.x) * h;
        const d = Math.abs(dx) + Math.abs(dy);
        if (d < best) {
          best = d;
          bestLabel = index + 1;
        }
      });
      labels[p] = bestLabel;
    }
  }

  private relax(q: number, c: number, label: number, data: Float32Array, threshold: number, labels: Uint8Array): void {
    if (data[q]! < threshold || c >= this.cost[q]!) return;
    this.cost[q] = c;
    labels[q] = label;
    this.push(q, c);
  }

  private push(p: number, c: number): void {
    if (this.heapSize >= this.heap.length) {
      const bigger = new Int32Array(this.heap.length * 2);
      bigger.set(this.heap);
      this.heap = bigger;
      const biggerCost = new Float64Array(this.heapCost.length * 2);
      biggerCost.set(this.heapCost);
      this.heapCost = biggerCost;
    }
    let i = this.heapSize++;
    const heap = this.heap;
    const hc = this.heapCost;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (hc[parent]! <= c) break;
      heap[i] = heap[parent]!;
      hc[i] = hc[parent]!;
      i = parent;
    }
    heap[i] = p;
    hc[i] = c;
  }

  private pop(): number {
    const heap = this.heap;
    const hc = this.heapCost;
    const top = heap[0]!;
    const last = heap[--this.heapSize]!;
    const lastCost = hc[this.heapSize]!;
    let i = 0;
    const size = this.heapSize;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && hc[right]! < hc[left]! ? right : left;
      if (hc[child]! >= lastCost) break;
      heap[i] = heap[child]!;
      hc[i] = hc[child]!;
      i = child;
    }
    heap[i] = last;
    hc[i] = lastCost;
    return top;
  }
}

/** Seeds from faces, numbered left to right (the order people are addressed by: person 1 is leftmost). */
export function seedsLeftToRight<T extends PersonSeed>(faces: readonly T[]): T[] {
  return [...faces].sort((a, b) => a.x - b.x);
}

/** Writes person `label`'s soft mask (mask where labels == label, else 0) into `out`. */
export function instanceMask(mask: Mask, labels: Uint8Array, label: number, out: Mask): void {
  const m = mask.data;
  const o = out.data;
  for (let i = 0; i < m.length; i++) o[i] = labels[i] === label ? m[i]! : 0;
}

/** Soft mask of the union of the selected labels (`selected[label]` true), or of all others when `invert`. */
export function selectionMask(mask: Mask, labels: Uint8Array, selected: Uint8Array, invert: boolean, out: Mask): void {
  const m = mask.data;
  const o = out.data;
  for (let i = 0; i < m.length; i++) {
    const inSelection = selected[labels[i]!] === 1;
    o[i] = inSelection !== invert ? m[i]! : 0;
  }
}
