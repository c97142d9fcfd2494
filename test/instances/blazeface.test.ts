import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boxIoU,
  decodeBlazeFace,
  FULL_RANGE,
  letterbox,
  SHORT_RANGE,
  ssdAnchors,
  unletterbox,
  weightedNms,
  type FaceBox,
} from '../../server/src/instances/blazeface.ts';
import { FaceDetector } from '../../server/src/instances/face-detector.ts';
import { decodePhoto } from '../../server/src/photo/io.ts';
import { ModelRuntime } from '../../server/src/runtime/onnx.ts';
import { hasSegDev, SEG_DEV_DIR } from '../support/paths.ts';

const quietLogger = { info: () => undefined, warn: () => undefined };

function face(x: number, y: number, size: number, score: number): FaceBox {
  return { x, y, width: size, height: size, score, keypoints: new Array<number>(12).fill(0).map((_, i) => (i % 2 === 0 ? x : y)) };
}

describe('BlazeFace anchors', () => {
  it('short range: 16x16x2 then 8x8x6 anchors (896), centres on the cell grid', () => {
    const anchors = ssdAnchors(SHORT_RANGE);
    expect(anchors.length / 2).toBe(896);
    expect([anchors[0], anchors[1]]).toEqual([0.5 / 16, 0.5 / 16]);
    expect([anchors[2], anchors[3]]).toEqual([0.5 / 16, 0.5 / 16]); // two anchors per cell on the first map
    expect(anchors[512 * 2]).toBeCloseTo(0.5 / 8);
    expect(anchors[895 * 2]).toBeCloseTo(7.5 / 8);
  });

  it('full range: one anchor per cell of a 48x48 map (2304)', () => {
    const anchors = ssdAnchors(FULL_RANGE);
    expect(anchors.length / 2).toBe(2304);
    expect(anchors[2]).toBeCloseTo(1.5 / 48);
  });
});

describe('decode + weighted NMS', () => {
  it('decodes offsets in input pixels relative to the anchor and drops low scores', () => {
    const anchors = Float32Array.of(0.25, 0.25, 0.75, 0.75);
    const regressors = new Float32Array(32);
    regressors.set([19.2, -9.6, 38.4, 57.6, 0, 0], 0); // anchor 0: centre +0.1, -0.05; size 0.2 x 0.3 of 192
    const scores = Float32Array.of(3, -3); // sigmoid 0.95 kept; 0.05 dropped
    const boxes = decodeBlazeFace(regressors, scores, anchors, FULL_RANGE);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.x).toBeCloseTo(0.35);
    expect(boxes[0]!.y).toBeCloseTo(0.2);
    expect(boxes[0]!.width).toBeCloseTo(0.2);
    expect(boxes[0]!.height).toBeCloseTo(0.3);
    expect(boxes[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-3)));
    expect(boxes[0]!.keypoints.slice(0, 2)).toEqual([0.25, 0.25]);
  });

  it('merges overlapping candidates into their score-weighted mean and keeps separate faces apart', () => {
    const kept = weightedNms([face(0.3, 0.3, 0.2, 0.9), face(0.32, 0.3, 0.2, 0.3), face(0.8, 0.3, 0.2, 0.7)], 0.3);
    expect(kept).toHaveLength(2);
    expect(kept[0]!.x).toBeCloseTo((0.3 * 0.9 + 0.32 * 0.3) / 1.2);
    expect(kept[0]!.score).toBe(0.9);
    expect(kept[1]!.x).toBeCloseTo(0.8);
  });

  it('IoU of identical, disjoint and half-overlapping boxes', () => {
    expect(boxIoU(face(0, 0, 2, 1), face(0, 0, 2, 1))).toBe(1);
    expect(boxIoU(face(0, 0, 2, 1), face(5, 0, 2, 1))).toBe(0);
    expect(boxIoU(face(0, 0, 2, 1), face(1, 0, 2, 1))).toBeCloseTo(2 / 6);
  });

  it('letterbox maps the square back onto a landscape picture', () => {
    const lb = letterbox(640, 480);
    const box = unletterbox(face(0.5, 0.5, 0.1, 1), lb);
    expect(box.x).toBeCloseTo(320);
    expect(box.y).toBeCloseTo(240);
    expect(box.width).toBeCloseTo(64);
    expect(unletterbox(face(0.5, 0.125, 0.1, 1), lb).y).toBeCloseTo(0); // top of the picture = 1/8 into the square
  });
});

describe.skipIf(!hasSegDev)('FaceDetector on seg-dev photos', () => {
  let runtime: ModelRuntime;
  beforeAll(() => {
    runtime = new ModelRuntime({ threads: 1, logger: quietLogger });
  });
  afterAll(() => runtime.close());

  async function personBounds(name: string): Promise<{ left: number; right: number; top: number; bottom: number }> {
    const { data, info } = await sharp(readFileSync(join(SEG_DEV_DIR, `${name}.png`))).greyscale().raw().toBuffer({ resolveWithObject: true });
    let left = info.width, right = 0, top = info.height, bottom = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        if (data[y * info.width + x]! < 128) continue;
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
    return { left, right, top, bottom };
  }

  it.each(['face-short', 'face-full'] as const)('%s: one face per portrait, inside the upper half of the labelled person', async (modelId) => {
    const detector = await FaceDetector.create(runtime, modelId);
    for (const name of ['eg1800_00904', 'eg1800_00002', 'eg1800_00008']) {
      const { image } = await decodePhoto(readFileSync(join(SEG_DEV_DIR, `${name}.jpg`)));
      const faces = await detector.detect(image);
      expect(faces, name).toHaveLength(1);
      const person = await personBounds(name);
      const f = faces[0]!;
      expect(f.x).toBeGreaterThan(person.left);
      expect(f.x).toBeLessThan(person.right);
      expect(f.y).toBeGreaterThan(person.top);
      expect(f.y).toBeLessThan((person.top + person.bottom) / 2);
      expect(f.width).toBeGreaterThan((person.right - person.left) / 8);
      // Eyes above the mouth, in picture pixels.
      expect(f.keypoints[1]!).toBeLessThan(f.keypoints[7]!);
    }
  });

  it('face-full finds the five people of a group photo, left to right distinct', async () => {
    const detector = await FaceDetector.create(runtime, 'face-full');
    const { image } = await decodePhoto(readFileSync(join(SEG_DEV_DIR, 'hsd_0258.jpg')));
    const faces = await detector.detect(image);
    expect(faces).toHaveLength(5);
    const xs = faces.map((f) => f.x).sort((a, b) => a - b);
    for (let i = 1; i < xs.length; i++) expect(xs[i]! - xs[i - 1]!).toBeGreaterThan(20);
  });
});
