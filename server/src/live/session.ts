/**
 * One browser's live session: owns its peer, its frame worker and its recorder (mediasoup-style lifecycle).
 * `close()` is idempotent, closes the children and emits `close` exactly once.
 */
import { EventEmitter } from 'node:events';
import type { ErrorPayload, IcePayload, RecordingReadyPayload, StatsPayload, Target } from '@deepphoto/shared';
import type { EncoderOptions } from './codec/types.ts';
import type { ProcessingConfig } from '../config/config.ts';
import { DeepPhotoError } from '../core/errors.ts';
import type { InferenceOwner } from '../runtime/inference-owner.ts';
import { FrameWorker, type EncodedOutput } from './frame-worker-client.ts';
import { LivePeer, type IncomingFrame, type LivePeerOptions } from './peer.ts';
import type { ProcessorOptions, UpdateResult } from '../pipeline/processor.ts';
import { Recorder } from './recorder.ts';
import type { RecordingStore } from './recording-store.ts';
import { StatsWindow } from './stats.ts';
import { vp8KeyframeSize } from './vp8-rtp.ts';

export interface SessionOptions {
  id: string;
  processorModule: string;
  /** The server's processing settings, handed to the processor in the worker (config/config.ts). */
  processorConfig?: ProcessingConfig;
  /** The process's inference owner (GPU style providers): the session's worker gets a port to it. */
  inference?: InferenceOwner;
  effect: { style: string; target: Target; people?: number[] };
  workingWidth?: number;
  encoder?: Partial<EncoderOptions>;
  peer?: LivePeerOptions;
  store: RecordingStore;
  statsIntervalMs?: number;
  ffmpegPath?: string;
  /** Token identity of the caller; recordings belong to it. */
  owner?: string;
  /** The peer must be connected within this time, else the call ends (`timeout`) and frees its slot. */
  connectTimeoutMs?: number;
  /** Once connected, a call that sends no video frame for this long ends (`timeout`). */
  noMediaTimeoutMs?: number;
  /** Largest decoded frame accepted; bigger keyframes are refused before they reach the decoder. */
  maxFrameSize?: { width: number; height: number };
}

/** The largest camera frame a session decodes (refused before decoding; also announced in the SDP as max-fs). */
export const MAX_DECODED_SIZE = { width: 1920, height: 1080 } as const;

export interface SessionEvents {
  close: [reason: string];
  stats: [StatsPayload];
  ice: [IcePayload];
  error: [ErrorPayload];
  'recording.ready': [RecordingReadyPayload];
}

export class Session extends EventEmitter<SessionEvents> {
  readonly id: string;
  /** Public for the room forwarder (server/src/rooms), which taps its packets and writes its output slots. */
  readonly peer: LivePeer;
  private readonly stats = new StatsWindow();
  private readonly statsTimer: NodeJS.Timeout;
  private recorder: Recorder | undefined;
  private closing: Promise<void> | undefined;
  private firstRtpTs: number | undefined;
  private lastRtpTs = 0;
  private rtpUnwrapped = 0;
  private readonly watchdog: NodeJS.Timeout;
  private readonly createdAt = performance.now();
  private connected = false;
  private lastFrameAt = 0;
  /** Set while the stream's size is refused: frames are dropped until an acceptable keyframe arrives. */
  private refusingSize = false;
  effect: { style: string; target: Target; strength?: number; people?: number[] };

  private constructor(
    private readonly options: SessionOptions,
    private readonly worker: FrameWorker,
  ) {
    super();
    this.id = options.id;
    this.effect = { ...options.effect };
    this.peer = new LivePeer(options.peer);
    this.peer.on('frame', (f) => this.onIncoming(f));
    this.peer.on('keyframe-request', () => this.worker.requestKeyframe());
    this.peer.on('ice', (c) => this.emit('ice', c));
    this.peer.on('gone', (reason) => void this.close(`peer gone: ${reason}`));
    this.peer.on('connected', () => {
      this.connected = true;
      this.lastFrameAt = performance.now();
    });
    this.worker.on('encoded', (o) => this.onEncoded(o));
    this.worker.on('frame-error', (message) => this.reportError({ code: 'internal', message: `frame skipped processing: ${message}` }));
    this.worker.on('failed', (error) => {
      this.reportError({ code: 'internal', message: `frame worker failed: ${error.message}; the call was ended` });
      void this.close('worker failed');
    });
    this.statsTimer = setInterval(() => this.emit('stats', this.stats.take(this.recording)), options.statsIntervalMs ?? 1000);
    this.statsTimer.unref();
    this.watchdog = setInterval(() => this.checkDeadlines(), Math.min(1000, (options.connectTimeoutMs ?? 15_000) / 4, (options.noMediaTimeoutMs ?? 10_000) / 4));
    this.watchdog.unref();
  }

  /** Emits `error` only while someone listens: a late failure after close() must not become an uncaught 'error'. */
  private reportError(payload: ErrorPayload): void {
    if (this.listenerCount('error') > 0) this.emit('error', payload);
  }

  /** A call that never connects, or stops sending video, gives its slot back. */
  private checkDeadlines(): void {
    if (this.closed) return;
    const now = performance.now();
    const connectTimeout = this.options.connectTimeoutMs ?? 15_000;
    const noMedia = this.options.noMediaTimeoutMs ?? 10_000;
    if (!this.connected && now - this.createdAt > connectTimeout) {
      this.reportError({ code: 'timeout', message: `the call did not connect within ${Math.round(connectTimeout / 1000)} s (check network/TURN settings)` });
      void this.close('connect timeout');
    } else if (this.connected && now - this.lastFrameAt > noMedia) {
      this.reportError({ code: 'timeout', message: `no video received for ${Math.round(noMedia / 1000)} s; the call was ended` });
      void this.close('no media');
    }
  }

  /** Starts the worker (processor + codecs); rejects without leaving anything behind. */
  static async create(options: SessionOptions): Promise<Session> {
    return new Session(options, await Session.startWorker(options));
  }

  /** A frame worker for these options, started ahead of any session (a warm spare, see SessionManager). */
  static startWorker(options: Pick<SessionOptions, 'processorModule' | 'processorConfig' | 'inference' | 'effect' | 'workingWidth' | 'encoder'>): Promise<FrameWorker> {
    const processor: ProcessorOptions = { ...options.effect, workingWidth: options.workingWidth };
    const inferencePort = options.inference?.connect();
    return FrameWorker.start({
      processorModule: options.processorModule,
      processor,
      encoder: options.encoder ?? {},
      ...(options.processorConfig ? { config: options.processorConfig } : {}),
      ...(inferencePort ? { inferencePort } : {}),
    });
  }

  /** A session on an already started worker (whose effect is `spareEffect`), switched to `options.effect`. */
  static async adopt(options: SessionOptions, worker: FrameWorker, spareEffect: { style: string; target: Target }): Promise<Session> {
    const change: Partial<{ style: string; target: Target }> = {};
    if (spareEffect.style !== options.effect.style) change.style = options.effect.style;
    if (spareEffect.target !== options.effect.target) change.target = options.effect.target;
    try {
      if (Object.keys(change).length > 0) await worker.update(change);
    } catch (error) {
      await worker.close();
      throw error;
    }
    return new Session(options, worker);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  get recording(): boolean {
    return this.recorder !== undefined;
  }

  async answer(offerSdp: string): Promise<string> {
    if (this.closed) throw new DeepPhotoError('invalid_state', 'session closed');
    return this.peer.answer(offerSdp);
  }

  async addIceCandidate(candidate: IcePayload['candidate']): Promise<void> {
    await this.peer.addIceCandidate(candidate);
  }

  /** Make-before-break: resolves once frames use the new effect. */
  async update(change: Partial<{ style: string; target: Target; strength: number }> & Pick<ProcessorOptions, 'people' | 'pick'>): Promise<UpdateResult | undefined> {
    if (this.closed) throw new DeepPhotoError('invalid_state', 'session closed');
    const result = await this.worker.update(change);
    const { pick: _oneShot, ...lasting } = change;
    this.effect = { ...this.effect, ...lasting, ...(result?.people ? { people: result.people } : {}) };
    return result;
  }

  /** Makes the encoder's next frame a keyframe (a new or lossy subscriber of a room needs one). */
  requestKeyframe(): void {
    if (!this.closed) this.worker.requestKeyframe();
  }

  startRecording(): string {
    if (this.closed) throw new DeepPhotoError('invalid_state', 'session closed');
    if (this.recorder) throw new DeepPhotoError('invalid_state', 'already recording');
    this.recorder = new Recorder(this.options.store, { ffmpegPath: this.options.ffmpegPath, owner: this.options.owner ?? 'local' });
    this.worker.requestKeyframe(); // the recording starts at a keyframe
    return this.recorder.id;
  }

  async stopRecording(): Promise<RecordingReadyPayload> {
    const recorder = this.recorder;
    if (!recorder) throw new DeepPhotoError('invalid_state', 'not recording');
    this.recorder = undefined;
    const ready = await recorder.stop();
    if (this.listenerCount('recording.ready') > 0) this.emit('recording.ready', ready);
    return ready;
  }

  /** Frees peer, worker and recorder (finalizing a running recording). Safe to call twice. */
  close(reason = 'closed'): Promise<void> {
    this.closing ??= this.doClose(reason);
    return this.closing;
  }

  private async doClose(reason: string): Promise<void> {
    clearInterval(this.statsTimer);
    clearInterval(this.watchdog);
    const tasks: Array<Promise<unknown>> = [this.peer.close(), this.worker.close()];
    if (this.recorder) {
      tasks.push(
        this.stopRecording().catch((error: unknown) => this.reportError(DeepPhotoError.from(error).toPayload())),
      );
    }
    await Promise.allSettled(tasks);
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private onIncoming(frame: IncomingFrame): void {
    if (this.closed) return;
    this.lastFrameAt = performance.now();
    // Refuse oversized streams before the decoder allocates for them (VP8 allows 16383x16383).
    if (frame.keyframe) {
      const size = vp8KeyframeSize(frame.data);
      const max = this.options.maxFrameSize ?? MAX_DECODED_SIZE;
      const tooBig = !size || Math.max(size.width, size.height) > Math.max(max.width, max.height) || Math.min(size.width, size.height) > Math.min(max.width, max.height);
      if (tooBig && !this.refusingSize) {
        this.reportError({ code: 'too_large', message: `camera frames of ${size ? `${size.width}x${size.height}` : 'unknown size'} are refused; the maximum is ${max.width}x${max.height}` });
      }
      this.refusingSize = tooBig;
    }
    if (this.refusingSize) return;
    // Unwrap the 32-bit 90 kHz RTP clock into increasing milliseconds for the processor and encoder.
    if (this.firstRtpTs === undefined) {
      this.firstRtpTs = frame.rtpTimestamp;
      this.lastRtpTs = frame.rtpTimestamp;
    }
    const delta = (frame.rtpTimestamp - this.lastRtpTs) | 0;
    if (delta > 0) this.rtpUnwrapped += delta;
    this.lastRtpTs = frame.rtpTimestamp;
    this.stats.frameIn(frame.data.length);
    this.worker.pushFrame(frame.data, frame.rtpTimestamp, this.rtpUnwrapped / 90, frame.receivedAt, frame.keyframe);
  }

  private onEncoded(out: EncodedOutput): void {
    if (this.closed) return;
    this.peer.sendFrame(out.data, out.rtpTimestamp);
    const latency = performance.now() - out.receivedAt;
    this.stats.frameOut(out.data.length, latency, out.timings, out.dropped, out.width, out.height);
    const recorder = this.recorder;
    if (recorder && !recorder.writeFrame(out.data, out.keyframe, out.width, out.height) && recorder.full) {
      this.stopRecording().catch((error: unknown) => this.reportError(DeepPhotoError.from(error).toPayload()));
    }
  }
}
