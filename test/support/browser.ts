/**
 * Real-browser helpers for end-to-end tests: headless Debian chromium through playwright-core with a fake camera,
 * and a y4m clip made at test time (never copied into the repo).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';

const run = promisify(execFile);

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SAMPLE_VIDEO = path.resolve(import.meta.dirname, '../../../shared/data/video/liveportrait_s18_upperbody.mp4');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // keep timers and rendering running for a page nobody looks at
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export interface LaunchOptions {
  /** A .y4m/.mjpeg file the fake camera plays in a loop; default: Chrome's built-in test pattern. */
  fakeVideo?: string;
  extraArgs?: string[];
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])];
  if (options.fakeVideo) args.push(`--use-file-for-fake-video-capture=${options.fakeVideo}`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}

export interface ClipOptions {
  source?: string;
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
}

export interface TempClip {
  path: string;
  dir: string;
  remove(): Promise<void>;
}

/** Cuts a few seconds of the sample video to a y4m clip (640x480, 30 fps by default) in a fresh temp dir. */
export async function makeY4mClip(options: ClipOptions = {}): Promise<TempClip> {
  const { source = SAMPLE_VIDEO, seconds = 4, width = 640, height = 480, fps = 30 } = options;
  if (!existsSync(source)) throw new Error(`sample video not found: ${source}`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-clip-'));
  const file = path.join(dir, 'clip.y4m');
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-t', String(seconds),
    '-vf', `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height},fps=${fps}`,
    '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', file,
  ]);
  return { path: file, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Duration in seconds as ffprobe reports it (container duration). */
export async function ffprobeDuration(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_name', '-of', 'json', file]);
  const info = JSON.parse(stdout) as { format?: { duration?: string }; streams?: Array<{ codec_name?: string }> };
  return Number(info.format?.duration);
}

export async function ffprobeCodec(file: string): Promise<string | undefined> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  return stdout.trim() || undefined;
}

/** Counts this process's child processes (Linux /proc); used to prove nothing is left running. */
export async function childProcessCount(): Promise<number> {
  try {
    const { stdout } = await run('ps', ['--ppid', String(process.pid), '-o', 'pid=']);
    return stdout.split('\n').filter((l) => l.trim()).length;
  } catch {
    return 0; // ps exits 1 when there are none
  }
}
