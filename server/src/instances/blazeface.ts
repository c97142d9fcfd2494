/**
 * BlazeFace post-processing as pure functions: SSD anchors, box/keypoint decoding and weighted non-maximum
 * suppression, with the constants of MediaPipe's own graphs (face_detection_short_range.pbtxt /
 * face_detection_full_range.pbtxt, SsdAnchorsCalculator + TensorsToDetectionsCalculator + NonMaxSuppression).
 * Coordinates are normalised to the model's square input (0..1) until `unletterbox` maps them to the picture.
 */

export interface BlazeFaceVariant {
  /** Model input side (square). */
  inputSize: number;
  /** Per anchor layer; consecutive layers with the same stride share one feature map. */
  strides: readonly number[];
  /** Anchors per cell of the layer: 2 when SSD's interpolated scale adds a second, else 1. */
  anchorsPerLayer: readonly number[];
  /** Sigmoid score below which a candidate is dropped. */
  minScore: number;
  /** Boxes overlapping more than this (IoU) are merged into one detection. */
  minSuppressionIoU: number;
}

export const SHORT_RANGE: BlazeFaceVariant = {
  inputSize: 128,
  strides: [8, 16, 16, 16],
  anchorsPerLayer: [2, 2, 2, 2],
  minScore: 0.5,
  minSuppressionIoU: 0.3,
};

export const FULL_RANGE: BlazeFaceVariant = {
  inputSize: 192,
  strides: [4],
  anchorsPerLayer: [1],
  minScore: 0.6,
  minSuppressionIoU: 0.3,
};

/** Anchor centres (x, y) interleaved; BlazeFace uses fixed-size anchors (w = h = 1), so centres are all there is. */
export function ssdAnchors(variant: BlazeFaceVariant): Float32Array {
  const centres: number[] = [];
  const { strides, anchorsPerLayer, inputSize } = variant;
  for (let layer = 0; layer < strides.length; ) {
    const stride = strides[layer]!;
    let perCell = 0;
    // SsdAnchorsCalculator merges consecutive layers of equal stride into one feature map.
    while (layer < strides.length && strides[layer] === stride) perCell += anchorsPerLayer[layer++]!;
    const cells = Math.ceil(inputSize / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let a = 0; a < perCell; a++) centres.push((x + 0.5) / cells, (y + 0.5) / cells);
      }
    }
  }
  return Float32Array.from(centres);
}

export const KEYPOINTS = 6;
/** Keypoint order of BlazeFace: right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion. */
export const KEYPOINT_NAMES = ['rightEye', 'leftEye', 'noseTip', 'mouth', 'rightEar', 'leftEar'] as const;

export interface FaceBox {
  /** Centre and size; normalised (model input) or pixels (after `unletterbox`). */
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
  /** KEYPOINTS (x, y) pairs, same units as the box. */
  keypoints: number[];
}

const SCORE_CLIP = 100;

/**
 * Decodes candidates above the score threshold. `regressors` is [anchors x 16] (box cx, cy, w, h then 6 keypoints,
 * each offset from the anchor centre in input pixels), `scores` [anchors] logits.
 */
export function decodeBlazeFace(regressors: Float32Array, scores: Float32Array, anchors: Float32Array, variant: BlazeFaceVariant): FaceBox[] {
  const count = anchors.length / 2;
  if (scores.length < count || regressors.length < count * 16) throw new RangeError(`blazeface: ${count} anchors, got ${scores.length} scores / ${regressors.length / 16} boxes`);
  const scale = variant.inputSize;
  const minLogit = Math.log(variant.minScore / (1 - variant.minScore));
  const boxes: FaceBox[] = [];
  for (let i = 0; i < count; i++) {
    const logit = Math.min(SCORE_CLIP, Math.max(-SCORE_CLIP, scores[i]!));
    if (logit < minLogit) continue;
    const ax = anchors[i * 2]!;
    const ay = anchors[i * 2 + 1]!;
    const r = i * 16;
    const keypoints: number[] = [];
    for (let k = 0; k < KEYPOINTS; k++) keypoints.push(regressors[r + 4 + k * 2]! / scale + ax, regressors[r + 5 + k * 2]! / scale + ay);
    boxes.push({
      x: regressors[r]! / scale + ax,
      y: regressors[r + 1]! / scale + ay,
      width: regressors[r + 2]! / scale,
      height: regressors[r + 3]! / scale,
      score: 1 / (1 + Math.exp(-logit)),
      keypoints,
    });
  }
  return boxes;
}

export function boxIoU(a: Pick<FaceBox, 'x' | 'y' | 'width' | 'height'>, b: Pick<FaceBox, 'x' | 'y' | 'width' | 'height'>): number {
  const ix = Math.min(a.x + a.width / 2, b.x + b.width / 2) - Math.max(a.x - a.width / 2, b.x - b.width / 2);
  const iy = Math.min(a.y + a.height / 2, b.y + b.height / 2) - Math.max(a.y - a.height / 2, b.y - b.height / 2);
  if (ix <= 0 || iy <= 0) return 0;
  const intersection = ix * iy;
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * MediaPipe's WEIGHTED non-maximum suppression: take the best remaining candidate, and replace it by the
 * score-weighted mean of every candidate overlapping it by more than `minIoU` (itself included); those are removed.
 * Averaging the cluster instead of keeping only its best box makes boxes steadier from frame to frame.
 */
export function weightedNms(candidates: readonly FaceBox[], minIoU: number): FaceBox[] {
  const remaining = [...candidates].sort((a, b) => b.score - a.score);
  const kept: FaceBox[] = [];
  while (remaining.length > 0) {
    const best = remaining[0]!;
    const cluster: FaceBox[] = [];
    const rest: FaceBox[] = [];
    for (const box of remaining) (boxIoU(best, box) > minIoU ? cluster : rest).push(box);
    if (!cluster.includes(best)) cluster.push(best); // a degenerate (zero-area) best box still counts once
    let total = 0;
    const merged: FaceBox = { x: 0, y: 0, width: 0, height: 0, score: best.score, keypoints: new Array<number>(KEYPOINTS * 2).fill(0) };
    for (const box of cluster) {
      total += box.score;
      merged.x += box.x * box.score;
      merged.y += box.y * box.score;
      merged.width += box.width * box.score;
      merged.height += box.height * box.score;
      for (let k = 0; k < merged.keypoints.length; k++) merged.keypoints[k]! += box.keypoints[k]! * box.score;
    }
    merged.x /= total;
    merged.y /= total;
    merged.width /= total;
    merged.height /= total;
    merged.keypoints = merged.keypoints.map((v) => v / total);
    kept.push(merged);
    remaining.splice(0, remaining.length, ...rest);
  }
  return kept;
}

/** Where a picture sits inside the square model input when letterboxed (aspect kept, centred, zero borders). */
export interface Letterbox {
  /** Picture pixels per model-input unit (the square's side in picture pixels). */
  side: number;
  /** Picture coordinates of the square's top-left corner (negative: the border). */
  left: number;
  top: number;
}

export function letterbox(width: number, height: number): Letterbox {
  const side = Math.max(width, height);
  return { side, left: (width - side) / 2, top: (height - side) / 2 };
}

/** Maps a normalised (model input) box into picture pixels. */
export function unletterbox(box: FaceBox, lb: Letterbox): FaceBox {
  return {
    x: box.x * lb.side + lb.left,
    y: box.y * lb.side + lb.top,
    width: box.width * lb.side,
    height: box.height * lb.side,
    score: box.score,
    keypoints: box.keypoints.map((v, i) => v * lb.side + (i % 2 === 0 ? lb.left : lb.top)),
  };
}
