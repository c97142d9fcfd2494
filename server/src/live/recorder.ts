/**
 * Records the *encoded output* (the VP8 frames we send back) without re-encoding: frames go to an IVF file while
 * recording; `stop()` remuxes it into WebM with `ffmpeg -c copy` and deletes the IVF. Starts at a keyframe.
 */
import { DeepPhotoError } from '../core/errors.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { RecordingReadyPayload } from '@deepphoto/shared';
import type { RecordingStore } from './recording-store.ts';

const IVF_HEADER = 32;
const IVF_FRAME_HEADER = 12;
const liveChildren = new Set<ChildProcess>();

/** ffmpeg children alive in this process (tests check that none is left behind). */
export function liveRecorderChildren(): number {
  return liveChildren.size;
}

export interface RecorderOptions {
  ffmpegPath?: string;
  /** Token identity the recording belongs to: only it may download it, and the quota evicts only its clips. */
  owner?: string;
}

export class Recorder {
  readonly id: string;
  private readonly out: WriteStream;
  private startedAt: number | undefined;
  private lastPts = -1;
  private bytes = IVF_HEADER;
  private frames = 0;
  private headerWritten = false;
  private stopping: Promise<RecordingReadyPayload> | undefined;
  /** Set when the per-recording byte cap was reached; the session then stops the recording. */
  full = false;

  constructor(
    private readonly store: RecordingStore,
    private readonly options: RecorderOptions = {},
  ) {
    this.id = store.newId();
    this.out = createWriteStream(store.partPath(this.id));
    this.out.on('error', () => {
      this.full = true;
    });
  }

  get recording(): boolean {
    return this.stopping === undefined;
  }

  /** Appends one encoded VP8 frame. Frames before the first keyframe are skipped. Returns false once full. */
  writeFrame(data: Uint8Array, keyframe: boolean, width: number, height: number, nowMs = performance.now()): boolean {
    if (this.stopping || this.full) return false;
    if (!this.headerWritten) {
      if (!keyframe) return true;
      this.out.write(ivfHeader(width, height));
      this.headerWritten = true;
      this.startedAt = nowMs;
    }
    if (this.bytes + IVF_FRAME_HEADER + data.length > this.store.maxBytesPerRecording) {
      this.full = true;
      return false;
    }
    let pts = Math.round(nowMs - this.startedAt!);
    if (pts <= this.lastPts) pts = this.lastPts + 1;
    this.lastPts = pts;
    const header = Buffer.allocUnsafe(IVF_FRAME_HEADER);
    header.writeUInt32LE(data.length, 0);
    header.writeBigUInt64LE(BigInt(pts), 4);
    this.out.write(header);
    this.out.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray()); // stream keeps a reference
    this.bytes += IVF_FRAME_HEADER + data.length;
    this.frames++;
    return true;
  }

  /** Finalizes into WebM. Safe to call twice (same promise). */
  stop(): Promise<RecordingReadyPayload> {
    this.stopping ??= this.finalize();
    return this.stopping;
  }

  private async finalize(): Promise<RecordingReadyPayload> {
    const durationMs = this.startedAt === undefined ? 0 : Math.max(0, performance.now() - this.startedAt);
    await new Promise<void>((resolve) => this.out.end(resolve));
    const part = this.store.partPath(this.id);
    try {
      // The client's state, not a server fault: it stopped before any frame came (wire code invalid_state, 409).
      if (this.frames === 0) throw new DeepPhotoError('invalid_state', 'nothing was recorded yet: no video frame arrived since the recording started');
      const webm = this.store.webmPath(this.id);
      await runFfmpeg(this.options.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'ivf', '-i', part, '-c', 'copy', webm]);
      await this.store.setOwner(this.id, this.options.owner ?? 'local');
      await this.store.enforceQuota(this.id, this.options.owner ?? 'local');
      const bytes = (await this.store.size(this.id)) ?? 0;
      return { id: this.id, url: this.store.url(this.id), durationMs: Math.round(durationMs), bytes };
    } finally {
      await rm(part, { force: true });
    }
  }
}

function ivfHeader(width: number, height: number): Buffer {
  const h = Buffer.alloc(IVF_HEADER);
  h.write('DKIF', 0, 'ascii');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(IVF_HEADER, 6);
  h.write('VP80', 8, 'ascii');
  h.writeUInt16LE(width, 12);
  h.writeUInt16LE(height, 14);
  h.writeUInt32LE(1000, 16); // time base 1/1000: pts in ms
  h.writeUInt32LE(1, 20);
  h.writeUInt32LE(0, 24);
  return h;
}

function runFfmpeg(bin: string, args: string[], timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    liveChildren.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`));
    });
  });
}
