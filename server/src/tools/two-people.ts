/**
 * Two-person test material made from the project's one-person clip (never stored: built at test/eval time).
 *  - `twoPeopleStillFilter`: an ffmpeg filter putting the clip's person and its mirror side by side (640x480),
 *    for Chromium's fake camera (e2e tests) and photos.
 *  - `crossingFrames`: 10 s where the person and their mirror image walk across each other (the mirror behind),
 *    cut out with our own person mask so the one in front really hides the other; ffmpeg decodes the clip.
 */
import { createMask, createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { videoFrames } from '../eval/video-frames.ts';
import type { PersonMasker } from '../pipeline/person-mask.ts';

/** ffmpeg -vf for a 640x480 frame: the person (left) and their mirror image (right), no overlap. */
export const TWO_PEOPLE_STILL_FILTER = 'scale=-2:480,crop=320:480:320:0,split[a][b];[b]hflip[c];[a][c]hstack';

export interface CrossingFrame {
  frame: RgbImage;
  timestampMs: number;
  /** Where each person's head is (picture x, y): A walks left -> right in front, B (mirrored) right -> left behind. */
  truth: { a: { x: number; y: number }; b: { x: number; y: number } };
}

export interface CrossingOptions {
  clip: string;
  masker: PersonMasker;
  seconds?: number;
  fps?: number;
  width?: number;
  height?: number;
}

function clipFrames(path: string, height: number, fps: number, frames: number): AsyncGenerator<RgbImage> {
  // The clip is 1280x720: scaled to `height`, its width follows (16:9).
  const width = Math.round((height * 16) / 9 / 2) * 2;
  return videoFrames(path, { width, height, fps, frames, loop: true });
}

/** Mean x and y of the top quarter of the person (the head), from a soft mask. */
function headPosition(mask: Float32Array, width: number, height: number): { x: number; y: number } {
  let top = height;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]! >= 0.5) {
      top = Math.floor(i / width);
      break;
    }
  }
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let y = top; y < Math.min(height, top + height / 4); y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]! < 0.5) continue;
      sx += x;
      sy += y;
      n++;
    }
  }
  return n ? { x: sx / n, y: sy / n } : { x: width / 2, y: height / 3 };
}

export async function* crossingFrames(options: CrossingOptions): AsyncGenerator<CrossingFrame> {
  const { clip, masker, seconds = 10, fps = 30, width = 640, height = 480 } = options;
  const total = Math.round(seconds * fps);
  const frame = createRgbImage(width, height);
  let mask: ReturnType<typeof createMask> | undefined;
  let startHeadX: number | undefined;
  let index = 0;
  for await (const source of clipFrames(clip, height, fps, total)) {
    mask ??= createMask(source.width, source.height);
    await masker.mask(source, mask);
    const head = headPosition(mask.data, source.width, source.height);
    startHeadX ??= head.x;
    const t = index / Math.max(1, total - 1);
    // Heads travel between 1/6 and 5/6 of the width; each person's own motion in the clip stays on top.
    const offsetA = Math.round(width / 6 + ((width * 4) / 6) * t - startHeadX);
    const offsetB = Math.round((width * 5) / 6 - ((width * 4) / 6) * t - (source.width - 1 - startHeadX));
    // Background: a soft vertical gradient.
    for (let y = 0; y < height; y++) {
      const shade = 150 + Math.round((60 * y) / height);
      for (let x = 0; x < width; x++) frame.data.set([shade - 40, shade - 20, shade], (y * width + x) * 3);
    }
    paste(frame, source, mask.data, offsetB, true); // B: mirrored, behind
    paste(frame, source, mask.data, offsetA, false); // A: in front
    yield {
      frame,
      timestampMs: (index * 1000) / fps,
      truth: { a: { x: head.x + offsetA, y: head.y }, b: { x: source.width - 1 - head.x + offsetB, y: head.y } },
    };
    index++;
  }
}

function paste(dst: RgbImage, src: RgbImage, alpha: Float32Array, offsetX: number, mirror: boolean): void {
  for (let y = 0; y < dst.height; y++) {
    for (let x = 0; x < dst.width; x++) {
      let sx = x - offsetX;
      if (sx < 0 || sx >= src.width) continue;
      if (mirror) sx = src.width - 1 - sx;
      const a = alpha[y * src.width + sx]!;
      if (a <= 0.01) continue;
      const s = (y * src.width + sx) * 3;
      const d = (y * dst.width + x) * 3;
      for (let c = 0; c < 3; c++) dst.data[d + c] = Math.round(dst.data[d + c]! * (1 - a) + src.data[s + c]! * a);
    }
  }
}
