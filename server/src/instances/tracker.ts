/**
 * Stable identities for faces across frames. Each track keeps a constant-velocity estimate of its face centre;
 * detections are matched to the tracks' predicted positions (greedy, cheapest pair first, gated at a face width or
 * so), unmatched detections start new tracks, and a track survives unseen for `maxUnseenMs` — long enough for
 * one person to pass behind another — coasting on its velocity. Ids are never reused.
 * Between detections (the detector runs every few frames) `predict()` moves tracks without matching anything.
 */
import type { FaceBox } from './blazeface.ts';

export interface Track {
  id: number;
  /** Face centre and size in picture pixels (predicted when not seen this time). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** Pixels per millisecond. */
  vx: number;
  vy: number;
  lastSeenMs: number;
  /** Times matched; a track is `confirmed` after `minHits` so that one-frame false faces never get an id shown. */
  hits: number;
}

export interface TrackerOptions {
  /** A detection farther than this many face widths from a track's prediction can't be that track. */
  gateFaceWidths: number;
  maxUnseenMs: number;
  minHits: number;
  /** Velocity smoothing: share of the newest measurement. */
  velocityGain: number;
  /** Position smoothing: share of the detection (the rest is the prediction). */
  positionGain: number;
}

export const DEFAULT_TRACKER: TrackerOptions = { gateFaceWidths: 1.5, maxUnseenMs: 4000, minHits: 2, velocityGain: 0.3, positionGain: 0.7 };

export class FaceTracker {
  private tracks: Track[] = [];
  private nextId = 1;
  private lastMs: number | undefined;

  constructor(private readonly options: TrackerOptions = DEFAULT_TRACKER) {}

  /** Tracks with enough hits to be shown, left to right. */
  get confirmed(): Track[] {
    return this.tracks.filter((t) => t.hits >= this.options.minHits).sort((a, b) => a.x - b.x);
  }

  get all(): readonly Track[] {
    return this.tracks;
  }

  reset(): void {
    this.tracks = [];
    this.lastMs = undefined;
  }

  /** Moves every track along its velocity to `timestampMs` (no detection this frame). */
  predict(timestampMs: number): void {
    const dt = this.lastMs === undefined ? 0 : Math.max(0, timestampMs - this.lastMs);
    this.lastMs = timestampMs;
    for (const t of this.tracks) {
      t.x += t.vx * dt;
      t.y += t.vy * dt;
    }
  }

  /** Predicts to `timestampMs`, then matches `faces` (picture pixels). Returns the confirmed tracks. */
  update(faces: readonly FaceBox[], timestampMs: number): Track[] {
    this.predict(timestampMs);
    const pairs: { track: Track; face: FaceBox; cost: number }[] = [];
    for (const track of this.tracks) {
      for (const face of faces) {
        const scale = Math.max(track.width, face.width, 1);
        const cost = Math.hypot(face.x - track.x, face.y - track.y) / scale + Math.abs(Math.log(face.width / Math.max(1, track.width))) * 0.5;
        if (cost <= this.options.gateFaceWidths) pairs.push({ track, face, cost });
      }
    }
    pairs.sort((a, b) => a.cost - b.cost);
    const usedTracks = new Set<Track>();
    const usedFaces = new Set<FaceBox>();
    for (const { track, face } of pairs) {
      if (usedTracks.has(track) || usedFaces.has(face)) continue;
      usedTracks.add(track);
      usedFaces.add(face);
      const dt = timestampMs - track.lastSeenMs;
      if (dt > 0 && track.hits > 0) {
        // Velocity from where the track really was last seen, smoothed; position blends prediction and detection.
        const seenX = track.x - track.vx * dt;
        const seenY = track.y - track.vy * dt;
        const g = this.options.velocityGain;
        track.vx = (1 - g) * track.vx + g * ((face.x - seenX) / dt);
        track.vy = (1 - g) * track.vy + g * ((face.y - seenY) / dt);
      }
      const p = this.options.positionGain;
      track.x = (1 - p) * track.x + p * face.x;
      track.y = (1 - p) * track.y + p * face.y;
      track.width = 0.5 * track.width + 0.5 * face.width;
      track.height = 0.5 * track.height + 0.5 * face.height;
      track.lastSeenMs = timestampMs;
      track.hits++;
    }
    this.tracks = this.tracks.filter((t) => usedTracks.has(t) || timestampMs - t.lastSeenMs <= this.options.maxUnseenMs);
    for (const face of faces) {
      if (usedFaces.has(face)) continue;
      // A new face right on top of an existing (coasting) track is that track's person partly hidden: no new id.
      if (this.tracks.some((t) => Math.hypot(face.x - t.x, face.y - t.y) < 0.5 * Math.max(t.width, face.width))) continue;
      this.tracks.push({ id: this.nextId++, x: face.x, y: face.y, width: face.width, height: face.height, vx: 0, vy: 0, lastSeenMs: timestampMs, hits: 1 });
    }
    return this.confirmed;
  }
}
