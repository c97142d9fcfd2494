/**
 * The light-nets held-out set (models/training/heldout.json, the list data.py checks its seeded split against):
 * 16 seg-dev photos at native size and 6 frames of the clip's last 2 s at 320x180, each cropped (top-left) to
 * multiples of 4 like data.to_tensor. Decoded without EXIF rotation, as PIL does in the Python evaluation.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { MODELS_DIR } from '@deepphoto/models';
import { planarFromRgb, type PlanarImage } from './style-metrics.ts';

const heldoutSchema = z.object({
  photoDir: z.string(),
  photos: z.array(z.string()).min(1),
  video: z.string(),
  videoFrames: z.array(z.number().int().nonnegative()),
  videoDecodeSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  videoEvalSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
});
export type HeldoutSpec = z.infer<typeof heldoutSchema>;

export const HELDOUT_SPEC_PATH = join(MODELS_DIR, 'training/heldout.json');

export function loadHeldoutSpec(path = HELDOUT_SPEC_PATH): HeldoutSpec {
  return heldoutSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
}

export interface HeldoutImage {
  name: string;
  kind: 'photo' | 'video';
  image: PlanarImage;
}

function cropToMultipleOf4(rgb: Uint8Array, width: number, height: number): PlanarImage {
  return planarFromRgb(rgb, width, width - (width % 4), height - (height % 4));
}

async function decodePhotoFile(path: string): Promise<PlanarImage> {
  const { data, info } = await sharp(readFileSync(path)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${path}: expected RGB, got ${info.channels} channels`);
  return cropToMultipleOf4(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height);
}

/** Decodes the wanted frames of a clip with Debian's ffmpeg (area scaling, as data.frames_dir + PIL BOX). */
async function decodeVideoFrames(path: string, spec: HeldoutSpec, wanted: readonly number[]): Promise<Map<number, PlanarImage>> {
  const [dw, dh] = spec.videoDecodeSize;
  const [ew, eh] = spec.videoEvalSize;
  const ffmpeg = spawn('ffmpeg', ['-v', 'error', '-i', path, '-vf', `scale=${dw}:${dh}:flags=area,scale=${ew}:${eh}:flags=area`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => ffmpeg.on('close', (code) => resolve(code ?? 1)));
  const frameBytes = ew * eh * 3;
  const last = Math.max(...wanted);
  const out = new Map<number, PlanarImage>();
  let pending = Buffer.alloc(0);
  let index = 0;
  for await (const chunk of ffmpeg.stdout) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= frameBytes) {
      if (wanted.includes(index)) out.set(index, cropToMultipleOf4(new Uint8Array(pending.subarray(0, frameBytes)), ew, eh));
      pending = pending.subarray(frameBytes);
      index++;
    }
    if (index > last) {
      ffmpeg.kill();
      break;
    }
  }
  const code = await exited;
  if (out.size !== wanted.length) throw new Error(`${path}: decoded ${index} frames, wanted frames ${wanted.join(',')} (ffmpeg exit ${code}: ${stderr.trim()})`);
  return out;
}

/**
 * The held-out images, photos first then video frames; `limit` keeps the first N photos and the first N frames
 * (for quick checks). `sharedDir` is the folder beside the repository holding data/.
 */
export async function loadHeldout(sharedDir: string, options: { limit?: number; spec?: HeldoutSpec } = {}): Promise<HeldoutImage[]> {
  const spec = options.spec ?? loadHeldoutSpec();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const photoDir = join(sharedDir, spec.photoDir);
  const video = join(sharedDir, spec.video);
  for (const p of [photoDir, video]) if (!existsSync(p)) throw new Error(`held-out data not found: ${p} (expected the shared folder beside the repository; pass --shared DIR)`);
  const images: HeldoutImage[] = [];
  for (const name of spec.photos.slice(0, limit)) images.push({ name, kind: 'photo', image: await decodePhotoFile(join(photoDir, `${name}.jpg`)) });
  const frames = spec.videoFrames.slice(0, limit);
  const decoded = await decodeVideoFrames(video, spec, frames);
  for (const k of frames) images.push({ name: `video_f${String(k).padStart(3, '0')}`, kind: 'video', image: decoded.get(k)! });
  return images;
}
