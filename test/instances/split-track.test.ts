import { describe, expect, it } from 'vitest';
import { isPeopleTarget, peopleSelectionSchema, sessionUpdateSchema } from '@deepphoto/shared';
import type { FaceBox } from '../../server/src/instances/blazeface.ts';
import { upsampleLabels } from '../../server/src/instances/people.ts';
import { InstanceSplitter, selectionMask, seedsLeftToRight } from '../../server/src/instances/split.ts';
import { FaceTracker } from '../../server/src/instances/tracker.ts';
import { createMask } from '../../server/src/pipeline/image.ts';
import { matchInstances } from '../../server/src/tools/eval-instances.ts';

/** Two "people": discs for heads over rectangles for bodies, touching at the shoulders. */
function twoPeopleMask(width = 120, height = 80) {
  const mask = createMask(width, height);
  const truth = new Uint8Array(width * height);
  const people = [
    { cx: 30, body: [5, 58] as const },
    { cx: 88, body: [58, 115] as const },
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      people.forEach((p, k) => {
        const head = (x - p.cx) ** 2 + (y - 20) ** 2 < 12 ** 2;
        const body = y >= 34 && x >= p.body[0] && x < p.body[1];
        if (head || body) {
          mask.data[y * width + x] = 1;
          truth[y * width + x] = k + 1;
        }
      });
    }
  }
  return { mask, truth, faces: people.map((p) => ({ x: p.cx, y: 20, width: 20, height: 20 })) };
}

const face = (x: number, y: number, width = 40): FaceBox => ({ x, y, width, height: width, score: 0.9, keypoints: [] });

describe('instance split', () => {
  it('gives each person their own head and body, also where the bodies touch', () => {
    const { mask, truth, faces } = twoPeopleMask();
    const labels = new Uint8Array(truth.length);
    new InstanceSplitter().split(mask, faces, labels);
    const { matches, truthCount, predictedCount } = matchInstances(truth, labels);
    expect(truthCount).toBe(2);
    expect(predictedCount).toBe(2);
    for (const m of matches) {
      expect(m.truth).toBe(m.predicted);
      expect(m.iou).toBeGreaterThan(0.95);
    }
  });

  it('labels nothing outside the mask, and a faceless blob goes to the nearest person', () => {
    const { mask, faces } = twoPeopleMask();
    // A stray blob far right of person 2, not connected to anyone.
    for (let y = 70; y < 78; y++) for (let x = 117; x < 120; x++) mask.data[y * 120 + x] = 1;
    const labels = new Uint8Array(mask.data.length);
    new InstanceSplitter().split(mask, faces, labels);
    expect(labels[0]).toBe(0);
    expect(labels[75 * 120 + 118]).toBe(2);
  });

  it('selection keeps the soft edge of the chosen person only, or of everyone else', () => {
    const mask = createMask(4, 1);
    mask.data.set([0.5, 1, 1, 0.3]);
    const labels = Uint8Array.of(1, 1, 2, 2);
    const selected = new Uint8Array(256);
    selected[1] = 1;
    const out = createMask(4, 1);
    selectionMask(mask, labels, selected, false, out);
    expect(Array.from(out.data)).toEqual([0.5, 1, 0, 0]);
    selectionMask(mask, labels, selected, true, out);
    expect(Array.from(out.data)).toEqual([0, 0, 1, Math.fround(0.3)]);
  });

  it('numbers people left to right and upsamples labels without inventing new ones', () => {
    expect(seedsLeftToRight([face(300, 0), face(100, 0), face(200, 0)]).map((f) => f.x)).toEqual([100, 200, 300]);
    const out = new Uint8Array(6 * 2);
    upsampleLabels(Uint8Array.of(1, 2, 0), 3, 1, out, 6, 2);
    expect(Array.from(out)).toEqual([1, 1, 2, 2, 0, 0, 1, 1, 2, 2, 0, 0]);
  });
});

describe('face tracker', () => {
  it('keeps ids through motion and a crossing with the far face unseen for a second', () => {
    const tracker = new FaceTracker();
    const idsAt = new Map<string, number>();
    // A walks 100 -> 540, B 540 -> 100 over 10 s at 10 detections per second; B is hidden while within 60 px of A.
    for (let i = 0; i <= 100; i++) {
      const t = i * 100;
      const a = 100 + 4.4 * i;
      const b = 540 - 4.4 * i;
      const faces = Math.abs(a - b) < 60 ? [face(a, 200)] : [face(a, 200), face(b, 205)];
      const tracks = tracker.update(faces, t);
      if (i === 5) {
        idsAt.set('a', tracks.find((tr) => Math.abs(tr.x - a) < 20)!.id);
        idsAt.set('b', tracks.find((tr) => Math.abs(tr.x - b) < 20)!.id);
      }
      if (i === 100) {
        expect(tracks.find((tr) => Math.abs(tr.x - a) < 20)?.id).toBe(idsAt.get('a'));
        expect(tracks.find((tr) => Math.abs(tr.x - b) < 20)?.id).toBe(idsAt.get('b'));
      }
    }
    expect(idsAt.get('a')).not.toBe(idsAt.get('b'));
  });

  it('needs two sightings before showing a person, and forgets one gone longer than maxUnseenMs', () => {
    const tracker = new FaceTracker();
    expect(tracker.update([face(100, 100)], 0)).toHaveLength(0);
    expect(tracker.update([face(102, 100)], 100)).toHaveLength(1);
    expect(tracker.update([], 2000)).toHaveLength(1); // coasting
    expect(tracker.update([], 10_000)).toHaveLength(0);
    const next = tracker.update([face(100, 100)], 10_100);
    expect(next).toHaveLength(0);
    expect(tracker.all[0]!.id).toBe(2); // ids are never reused
  });
});

describe('person selection in the protocol', () => {
  it('accepts people ids and a pick point; refuses bad ids and points', () => {
    expect(isPeopleTarget('people')).toBe(true);
    expect(isPeopleTarget('person')).toBe(false);
    expect(sessionUpdateSchema.safeParse({ target: 'people', people: [1, 3] }).success).toBe(true);
    expect(sessionUpdateSchema.safeParse({ pick: { x: 0.2, y: 0.9 } }).success).toBe(true);
    expect(sessionUpdateSchema.safeParse({ pick: { x: 1.2, y: 0.9 } }).success).toBe(false);
    expect(sessionUpdateSchema.safeParse({ people: [0] }).success).toBe(false);
    expect(peopleSelectionSchema.safeParse([1.5]).success).toBe(false);
  });
});
