/**
 * npm run eval:tracking -- [--clip FILE] [--seconds 10] [--detect-every 3] [--json]
 *
 * Identity stability on a two-person crossing (the project's clip and its mirror image walking across each other,
 * one hiding the other for a while; see two-people.ts). Faces are detected every N frames, tracked in between.
 * Per frame with a detection, each person's track is the confirmed track nearest their true head position (within
 * a face width); an id switch is a person's track id changing from one such frame to the next. The selection
 * check picks person A's id at the start and reports whether, at the end, that id is still on A (now on the
 * other side).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FaceDetector } from '../instances/face-detector.ts';
import { FaceTracker, type Track } from '../instances/tracker.ts';
import { LivePeople } from '../instances/live-people.ts';
import { createMask, createRgbImage } from '../pipeline/image.ts';
import { ResamplerCache } from '../pipeline/resample.ts';
import { PersonMasker } from '../pipeline/person-mask.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { median } from '../eval/metrics.ts';
import { crossingFrames } from './two-people.ts';
import { readRuntimeConfig } from '../config/config.ts';

export interface TrackingReport {
  frames: number;
  seconds: number;
  detectEvery: number;
  idSwitches: number;
  /** Frames (with a detection) where a person had no track near them: hidden behind the other, or lost. */
  unassigned: { a: number; b: number };
  /** Detection frames where B was behind A (heads within a face width), so only A's identity was checked. */
  bHiddenFrames: number;
  idsSeen: number[];
  selection: { chosenId: number | null; onChosenPersonAtEnd: boolean; framesOnOtherPerson: number };
  detectMsMedian: number;
  trackMsMedian: number;
}

function distance(track: Track | undefined, at: { x: number; y: number }): number {
  return track ? Math.hypot(track.x - at.x, track.y - at.y) : Infinity;
}

function nearest(tracks: readonly Track[], x: number, y: number): Track | undefined {
  let best: Track | undefined;
  let bestDistance = Infinity;
  for (const t of tracks) {
    const d = Math.hypot(t.x - x, t.y - y);
    if (d < Math.max(t.width, 40) && d < bestDistance) {
      best = t;
      bestDistance = d;
    }
  }
  return best;
}

export async function evaluateTracking(options: { clip: string; seconds: number; detectEvery: number; runtime: ModelRuntime }): Promise<TrackingReport> {
  const masker = await PersonMasker.create(options.runtime);
  const detector = await FaceDetector.create(options.runtime, 'face-full');
  const tracker = new FaceTracker();
  const lastId: { a?: number; b?: number } = {};
  let idSwitches = 0;
  const unassigned = { a: 0, b: 0 };
  const ids = new Set<number>();
  let chosenId: number | null = null;
  let framesOnOtherPerson = 0;
  let onChosenPersonAtEnd = false;
  const detectMs: number[] = [];
  const trackMs: number[] = [];
  let frames = 0;
  let hiddenFrames = 0;
  for await (const { frame, timestampMs, truth } of crossingFrames({ clip: options.clip, masker, seconds: options.seconds })) {
    if (frames++ % options.detectEvery !== 0) {
      tracker.predict(timestampMs);
      continue;
    }
    let t = performance.now();
    const faces = await detector.detect(frame);
    detectMs.push(performance.now() - t);
    t = performance.now();
    const tracks = tracker.update(faces, timestampMs);
    trackMs.push(performance.now() - t);
    for (const track of tracks) ids.add(track.id);
    // Only tracks matched to a face in this frame are "on" someone (a coasting track is on nobody); the two
    // people take their tracks jointly, closest pair first, so one track can't count for both.
    const seen = tracks.filter((tr) => tr.lastSeenMs === timestampMs);
    // While B's head is within a face width of A's, A (in front) hides it: B has no identity to check then.
    const faceWidth = seen.length ? seen.reduce((sum, tr) => sum + tr.width, 0) / seen.length : 60;
    const bHidden = Math.abs(truth.a.x - truth.b.x) < faceWidth;
    if (bHidden) hiddenFrames++;
    const order = (bHidden ? (['a'] as const) : (['a', 'b'] as const))
      .map((person) => ({ person, track: nearest(seen, truth[person].x, truth[person].y) }))
      .sort((p, q) => distance(p.track, truth[p.person]) - distance(q.track, truth[q.person]));
    const taken = new Set<number>();
    for (const { person } of order) {
      const track = nearest(seen.filter((tr) => !taken.has(tr.id)), truth[person].x, truth[person].y);
      if (track) taken.add(track.id);
      if (!track) {
        unassigned[person]++;
        continue;
      }
      if (lastId[person] !== undefined && lastId[person] !== track.id) idSwitches++;
      lastId[person] = track.id;
    }
    chosenId ??= lastId.a ?? null;
    if (chosenId !== null) {
      const chosen = tracks.find((tr) => tr.id === chosenId);
      const onB = chosen !== undefined && nearest([chosen], truth.b.x, truth.b.y) !== undefined && nearest([chosen], truth.a.x, truth.a.y) === undefined;
      if (onB) framesOnOtherPerson++;
      onChosenPersonAtEnd = chosen !== undefined && nearest([chosen], truth.a.x, truth.a.y) !== undefined;
    }
  }
  return {
    frames,
    seconds: options.seconds,
    detectEvery: options.detectEvery,
    idSwitches,
    unassigned,
    bHiddenFrames: hiddenFrames,
    idsSeen: [...ids],
    selection: { chosenId, onChosenPersonAtEnd, framesOnOtherPerson },
    detectMsMedian: Number(median(detectMs).toFixed(2)),
    trackMsMedian: Number(median(trackMs).toFixed(3)),
  };
}

export interface LiveSelectionReport {
  frames: number;
  /** Frames (after the pick) where the selection mask covers the chosen person's head (A, always in front). */
  onChosen: number;
  /** Frames where it covers the other person's head while that head is visible. */
  onOther: number;
  checkedOther: number;
  chosenId: number | null;
  idsSeen: number[];
}

/**
 * The live stage itself (LivePeople: detection every `detectEvery` frames on the 256 px working image, tracking,
 * split, selection) on the same crossing: person A is picked once both are tracked, then each frame's selection
 * mask is read at both true head positions.
 */
export async function evaluateLiveSelection(options: { clip: string; seconds: number; detectEvery: number; runtime: ModelRuntime }): Promise<LiveSelectionReport> {
  const masker = await PersonMasker.create(options.runtime);
  const people = await LivePeople.create(options.runtime, { detectEvery: options.detectEvery });
  const resampler = new ResamplerCache();
  const small = createRgbImage(256, 192);
  const mask = createMask(256, 192);
  const report: LiveSelectionReport = { frames: 0, onChosen: 0, onOther: 0, checkedOther: 0, chosenId: null, idsSeen: [] };
  const ids = new Set<number>();
  let afterPick = 0;
  for await (const { frame, timestampMs, truth } of crossingFrames({ clip: options.clip, masker, seconds: options.seconds })) {
    report.frames++;
    resampler.get({ srcWidth: frame.width, srcHeight: frame.height, dstWidth: 256, dstHeight: 192, channels: 3 }).resize(frame.data, 'HWC', small.data, 'HWC');
    await masker.mask(small, mask);
    const sx = 256 / frame.width;
    const sy = 192 / frame.height;
    // A head-height point a little below the head centroid: the face, which the person always owns.
    const at = (p: { x: number; y: number }) => mask.data[Math.round(Math.min(191, (p.y + 10) * sy)) * 256 + Math.round(Math.min(255, p.x * sx))]!;
    await people.apply(small, mask, timestampMs, report.chosenId === null ? [] : [report.chosenId], false);
    for (const p of people.people) ids.add(p.id);
    if (report.chosenId === null) {
      if (people.people.length === 2) report.chosenId = people.personAt((truth.a.x + 0) / frame.width, (truth.a.y + 10) / frame.height);
      continue;
    }
    afterPick++;
    if (at(truth.a) >= 0.5) report.onChosen++;
    const bVisible = Math.abs(truth.a.x - truth.b.x) > 120;
    if (bVisible) {
      report.checkedOther++;
      if (at(truth.b) >= 0.5) report.onOther++;
    }
  }
  report.idsSeen = [...ids];
  report.frames = afterPick;
  return report;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clip: { type: 'string', default: join(process.cwd(), '../shared/data/video/liveportrait_s18_upperbody.mp4') },
      seconds: { type: 'string', default: '10' },
      'detect-every': { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    },
  });
  const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: { info: () => {}, warn: (m) => console.error(m) } });
  const options = { clip: values.clip, seconds: Number(values.seconds), detectEvery: Number(values['detect-every']), runtime };
  const report = { ...(await evaluateTracking(options)), liveStage: await evaluateLiveSelection(options) };
  await runtime.close();
  if (values.json) console.log(JSON.stringify(report, null, 2));
  else console.log(`${report.frames} frames: ${report.idSwitches} id switches, ids ${report.idsSeen.join(',')}, selection on A at end: ${report.selection.onChosenPersonAtEnd}`);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
