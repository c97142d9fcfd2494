/**
 * The live path's person-selection stage, at working size: detect faces every few frames, track them in between,
 * split the person mask among the tracked people, and reduce the mask to the selected people's share (`people`) or
 * everyone else's (`people-except`) in place, before it is upsampled and composited.
 * Owns the detector, tracker and split buffers of one stream.
 */
import type { ModelRuntime } from '../runtime/onnx.ts';
import type { Mask, RgbImage } from '../pipeline/image.ts';
import { FaceDetector, type FaceModelId } from './face-detector.ts';
import { DEFAULT_SPLIT, InstanceSplitter, selectionMask } from './split.ts';
import { upsampleLabels } from './people.ts';
import { FaceTracker, type Track } from './tracker.ts';

import { UnknownPersonError } from './errors.ts';

export { UnknownPersonError };

const FOUND_WITHIN_DETECTIONS = 3;

export interface LivePeopleOptions {
  /** Run the detector on every Nth frame; the tracker predicts in between. */
  detectEvery: number;
  faceModel: FaceModelId;
}

export const DEFAULT_LIVE_PEOPLE: LivePeopleOptions = { detectEvery: 3, faceModel: 'face-full' };

export interface PeopleTimings {
  detectMs: number;
  splitMs: number;
  trackMs: number;
}

/** A person as the page sees them: tracking id and face box normalised to the frame (0..1). */
export interface LivePerson {
  id: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export class LivePeople {
  private readonly tracker = new FaceTracker();
  private readonly splitter = new InstanceSplitter();
  private labels = new Uint8Array(0);
  private labelWidth = 0;
  private labelHeight = 0;
  /** Track id of each label of the last split (index = label). */
  private labelIds: number[] = [0];
  private readonly selectedByLabel = new Uint8Array(256);
  private frame = 0;
  private seeded = false;
  /** Times of the last FOUND_WITHIN_DETECTIONS detections, oldest first. */
  private detectionTimes: number[] = [];
  private half: Mask = { width: 0, height: 0, data: new Float32Array(0) };
  private halfLabels = new Uint8Array(0);

  private constructor(
    private readonly detector: FaceDetector,
    private readonly options: LivePeopleOptions,
  ) {}

  static async create(runtime: ModelRuntime, options: Partial<LivePeopleOptions> = {}): Promise<LivePeople> {
    const resolved = { ...DEFAULT_LIVE_PEOPLE, ...options };
    return new LivePeople(await FaceDetector.create(runtime, resolved.faceModel), resolved);
  }

  /** People currently tracked (confirmed), left to right. */
  get people(): LivePerson[] {
    const w = this.labelWidth || 1;
    const h = this.labelHeight || 1;
    return this.tracker.confirmed.map((t) => ({ id: t.id, x: t.x / w, y: t.y / h, width: t.width / w, height: t.height / h }));
  }

  /** Throws UnknownPersonError (and changes nothing) when an id is not a person in view. */
  checkIds(ids: readonly number[]): void {
    const known = new Set(this.tracker.all.map((t) => t.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new UnknownPersonError(`no person ${unknown.join(', ')} in view (people: ${[...known].join(', ') || 'none'})`);
    }
  }

  /** The tracked person at a point of the frame (normalised), from the last split; UnknownPersonError if none. */
  personAt(x: number, y: number): number {
    if (this.labelWidth === 0) throw new UnknownPersonError('no frame processed yet');
    const px = Math.min(this.labelWidth - 1, Math.max(0, Math.floor(x * this.labelWidth)));
    const py = Math.min(this.labelHeight - 1, Math.max(0, Math.floor(y * this.labelHeight)));
    const id = this.labelIds[this.labels[py * this.labelWidth + px]!] ?? 0;
    if (id === 0) throw new UnknownPersonError(`nobody at (${x.toFixed(2)}, ${y.toFixed(2)})`);
    return id;
  }

  /** 2x2 box average of the mask (odd last row/column dropped), into a reused buffer. */
  private halfSize(mask: Mask): Mask {
    const w = mask.width >> 1;
    const h = mask.height >> 1;
    if (this.half.width !== w || this.half.height !== h) {
      this.half = { width: w, height: h, data: new Float32Array(w * h) };
      this.halfLabels = new Uint8Array(w * h);
    }
    const src = mask.data;
    const dst = this.half.data;
    const stride = mask.width;
    for (let y = 0; y < h; y++) {
      const row = 2 * y * stride;
      for (let x = 0; x < w; x++) {
        const i = row + 2 * x;
        dst[y * w + x] = 0.25 * (src[i]! + src[i + 1]! + src[i + stride]! + src[i + stride + 1]!);
      }
    }
    return this.half;
  }

  reset(): void {
    this.tracker.reset();
    this.frame = 0;
    this.seeded = false;
    this.detectionTimes = [];
  }

  /**
   * `small` is the working-size frame and `mask` its refined person mask (same size), rewritten in place to the
   * selection's share. `selected` are track ids; `invert` styles everyone else instead.
   */
  async apply(small: RgbImage, mask: Mask, timestampMs: number, selected: readonly number[], invert: boolean): Promise<PeopleTimings> {
    const timings: PeopleTimings = { detectMs: 0, splitMs: 0, trackMs: 0 };
    let t = performance.now();
    // Detect on schedule, and on every frame until someone is found (so a selection has people to refer to).
    if (this.frame++ % this.options.detectEvery === 0 || !this.seeded) {
      const faces = await this.detector.detect(small);
      this.detectionTimes.push(timestampMs);
      if (this.detectionTimes.length > FOUND_WITHIN_DETECTIONS) this.detectionTimes.shift();
      timings.detectMs = performance.now() - t;
      t = performance.now();
      this.seeded = this.tracker.update(faces, timestampMs).length > 0 || this.seeded;
    } else {
      this.tracker.predict(timestampMs);
    }
    timings.trackMs = performance.now() - t;

    t = performance.now();
    if (this.labels.length !== mask.data.length) this.labels = new Uint8Array(mask.data.length);
    this.labelWidth = mask.width;
    this.labelHeight = mask.height;
    // Seeds: people found by the latest detections, plus coasting tracks whose predicted face is clear of every
    // found face. A track coasting while its person is hidden behind someone would otherwise claim part of the
    // person in front (measured on the crossing clip: the chosen person's face out of the selection in 41 of 298
    // frames); one whose face has come out again (not yet re-detected) must keep its pixels (else 4 of 199 frames
    // gave them to the person picked next to it).
    // "Found" = at one of the last FOUND_WITHIN_DETECTIONS detections, so a face missed while half hidden keeps
    // its pixels for a moment (1 → 4 and 2 → 1 frames of 199 with the other person's face selected; 3 → 0).
    const found = this.tracker.all.filter((tr) => tr.lastSeenMs >= (this.detectionTimes[0] ?? -Infinity));
    const clear = (tr: Track) => found.every((f) => Math.hypot(f.x - tr.x, f.y - tr.y) > 0.75 * Math.max(f.width, tr.width));
    const tracks: Track[] = this.tracker.all.filter((tr) => found.includes(tr) || clear(tr)).sort((a, b) => a.x - b.x);
    // The split runs at half the working size (a quarter of the pixels): where one person ends and the next begins
    // needs no finer grid, and the soft edge to the background still comes from the full working-size mask.
    const half = this.halfSize(mask);
    const halfSeeds = tracks.map((tr) => ({ x: tr.x / 2, y: tr.y / 2, width: tr.width / 2, height: tr.height / 2 }));
    this.splitter.split(half, halfSeeds, this.halfLabels, DEFAULT_SPLIT);
    upsampleLabels(this.halfLabels, half.width, half.height, this.labels, mask.width, mask.height);
    this.labelIds = [0, ...tracks.map((tr) => tr.id)];
    this.selectedByLabel.fill(0);
    tracks.forEach((tr, index) => {
      if (selected.includes(tr.id)) this.selectedByLabel[index + 1] = 1;
    });
    selectionMask(mask, this.labels, this.selectedByLabel, invert, mask);
    timings.splitMs = performance.now() - t;
    return timings;
  }
}
