/**
 * Frames of a video clip as RgbImages, decoded by Debian's ffmpeg (a child process writing raw RGB), scaled to the
 * size asked for: the one reader of the evaluation tools and test helpers.
 */
import { spawn } from 'node:child_process';
import type { RgbImage } from '../pipeline/image.ts';

export interface VideoFramesOptions {
  width: number;
  height: number;
  fps: number;
  /** At most this many frames. */
  frames: number;
  /** Start again at the end of the clip until `frames` have been read. */
  loop?: boolean;
  /** ffmpeg's scaler (e.g. `area`); default ffmpeg's own (bicubic). */
  scaleFlags?: string;
}

export async function* videoFrames(path: string, options: VideoFramesOptions): AsyncGenerator<RgbImage> {
  const { width, height, fps } = options;
  const scale = `scale=${width}:${height}${options.scaleFlags ? `:flags=${options.scaleFlags}` : ''}`;
  const args = ['-v', 'error', ...(options.loop ? ['-stream_loop', '-1'] : []), '-i', path, '-vf', `${scale},fps=${fps}`, '-frames:v', String(options.frames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
  const ffmpeg = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const frameBytes = width * height * 3;
  let pending: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of ffmpeg.stdout) {
      pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : Buffer.from(chunk as Buffer);
      while (pending.length >= frameBytes) {
        yield { width, height, data: new Uint8Array(pending.subarray(0, frameBytes)) };
        pending = pending.subarray(frameBytes);
      }
    }
  } finally {
    ffmpeg.kill(); // a consumer that stops early must not leave ffmpeg running
  }
}
