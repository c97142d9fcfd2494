/**
 * The live call: socket.io signaling (typed by `@deepphoto/shared`) plus one RTCPeerConnection that sends the
 * camera and receives the filtered video. No React in here; the page subscribes to its callbacks.
 *
 * - `start()` connects (retrying while the server is unreachable), sends the current effect, then the offer.
 * - The effect changes mid-stream with `update()` (`session.update`, acknowledged once the new effect is in use).
 * - If the socket drops mid-call, the peer connection is closed and a new offer is made once it reconnects.
 */
import { getAccessToken, getIceServers, withAccessToken } from './auth.ts';
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  ErrorPayload,
  RecordingReadyPayload,
  ServerToClientEvents,
  SessionUpdatePayload,
  StatsPayload,
} from '@deepphoto/shared';
import { serverErrorMessage, UNREACHABLE, type UiError } from './messages.ts';
import { bitrateForSize, withVp8Bitrate } from './sdp.ts';

export type LiveState = 'idle' | 'connecting' | 'unreachable' | 'negotiating' | 'live' | 'reconnecting' | 'error';

/** What the browser itself measures about the returned stream (RTCPeerConnection.getStats). */
export interface ClientStats {
  fps?: number;
  rttMs?: number;
  jitterBufferMs?: number;
  framesDropped?: number;
  width?: number;
  height?: number;
}

export interface LiveCallbacks {
  state(state: LiveState, detail?: { attempt?: number; error?: UiError }): void;
  remoteStream(stream: MediaStream | null): void;
  serverStats(stats: StatsPayload): void;
  clientStats(stats: ClientStats): void;
  /** A server-side error not tied to a request (e.g. the session failed). */
  error(error: UiError): void;
  recordingReady(recording: RecordingReadyPayload): void;
}

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export class LiveCallError extends Error {
  constructor(readonly ui: UiError) {
    super(ui.title);
  }
}

const ACK_TIMEOUT_MS = 15_000;

export class LiveClient {
  private socket: LiveSocket | undefined;
  private pc: RTCPeerConnection | undefined;
  private sender: RTCRtpSender | undefined;
  private stream: MediaStream | undefined;
  private effect: SessionUpdatePayload = {};
  private wanted = false;
  private negotiating: Promise<void> | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastInbound: { frames: number; t: number } | undefined;
  private attempts = 0;
  private readonly ackErrors = new Set<string>();
  state: LiveState = 'idle';

  constructor(private readonly on: LiveCallbacks) {}

  private setState(state: LiveState, detail?: { attempt?: number; error?: UiError }): void {
    this.state = state;
    this.on.state(state, detail);
  }

  /** Starts (or restarts) the call with this camera stream and effect. Resolves once the answer is applied. */
  async start(stream: MediaStream, effect: SessionUpdatePayload): Promise<void> {
    this.wanted = true;
    this.stream = stream;
    this.effect = effect;
    const socket = this.ensureSocket();
    if (socket.connected) await this.negotiate();
    else this.setState('connecting');
    // otherwise `connect` negotiates
  }

  /** Ends the call: closes the peer connection and the socket (the server closes the session on disconnect). */
  stop(): void {
    this.wanted = false;
    this.closePeer();
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.io.removeAllListeners();
      this.socket.disconnect();
      this.socket = undefined;
    }
    this.setState('idle');
  }

  /** Retry connecting now instead of waiting for the next backoff step. */
  reconnectNow(): void {
    if (!this.socket) return;
    if (!this.socket.connected) {
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  /** Replaces the camera track without renegotiating (camera or resolution change mid-call). */
  async replaceStream(stream: MediaStream): Promise<void> {
    this.stream = stream;
    const track = stream.getVideoTracks()[0];
    if (this.sender && track) await this.sender.replaceTrack(track);
  }

  /** Changes style and/or target; mid-call it resolves when the server acknowledges. */
  async update(change: SessionUpdatePayload): Promise<{ people?: number[] }> {
    const { pick: _oneShot, ...lasting } = change; // a pick toggles once; it is not replayed on reconnect
    this.effect = { ...this.effect, ...lasting };
    if (!this.socket?.connected) return {};
    const result = await this.request('session.update', change);
    if (!result.ok) throw new LiveCallError(serverErrorMessage(result.error.code, result.error.message));
    if (result.people) this.effect = { ...this.effect, people: result.people };
    return { people: result.people };
  }

  async startRecording(): Promise<string> {
    const result = await this.request('recording.start', {});
    if (!result.ok) throw new LiveCallError(serverErrorMessage(result.error.code, result.error.message));
    return result.id;
  }

  async stopRecording(): Promise<RecordingReadyPayload> {
    const result = await this.request('recording.stop', {});
    if (!result.ok) throw new LiveCallError(serverErrorMessage(result.error.code, result.error.message));
    const { ok: _ok, ...ready } = result;
    return { ...ready, url: withAccessToken(ready.url) };
  }

  private request<E extends 'session.update' | 'recording.start' | 'recording.stop' | 'offer'>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Parameters<NonNullable<Parameters<ClientToServerEvents[E]>[1]>>[0]> {
    type Result = Parameters<NonNullable<Parameters<ClientToServerEvents[E]>[1]>>[0];
    const socket = this.socket;
    if (!socket?.connected) return Promise.reject(new LiveCallError(UNREACHABLE));
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new LiveCallError({ kind: 'network', title: 'The server did not answer', detail: `No answer to ${event} in ${ACK_TIMEOUT_MS / 1000} s. Check your connection and try again.` })),
        ACK_TIMEOUT_MS,
      );
      const ack = (result: Result): void => {
        clearTimeout(timer);
        const failed = result as { ok: boolean; error?: ErrorPayload };
        if (!failed.ok && failed.error) {
          const key = `${failed.error.code}:${failed.error.message}`;
          this.ackErrors.add(key);
          setTimeout(() => this.ackErrors.delete(key), 2000);
        }
        resolve(result);
      };
      (socket.emit as (e: string, p: unknown, cb: (r: Result) => void) => void)(event, payload, ack);
    });
  }

  private ensureSocket(): LiveSocket {
    if (this.socket) return this.socket;
    const socket: LiveSocket = io({
      path: '/socket.io',
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 5000,
      // A fresh token on every (re)connect: zero-setup tokens are short-lived.
      auth: (cb) => void getAccessToken().then((token) => cb({ token }), () => cb({})),
    });
    this.socket = socket;
    this.attempts = 0;
    socket.on('connect', () => {
      this.attempts = 0;
      if (this.wanted) void this.negotiate().catch(() => {});
    });
    socket.on('connect_error', () => {
      this.attempts++;
      if (this.wanted) this.setState('unreachable', { attempt: this.attempts, error: UNREACHABLE });
    });
    socket.on('disconnect', (reason) => {
      this.closePeer();
      if (!this.wanted) return;
      this.setState('reconnecting', { error: { ...UNREACHABLE, title: 'Lost the connection to the server' } });
      // The server ended the connection (e.g. restart): socket.io does not reconnect by itself in that case.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('ice', ({ candidate }) => {
      if (candidate && this.pc) this.pc.addIceCandidate(candidate).catch(() => {});
    });
    socket.on('stats', (s) => this.on.serverStats(s));
    // The server emits `error` for a failed request too, just before its failed ack: report only errors that no
    // ack claims within a moment (session failures), so one cause shows one message.
    socket.on('error', (e: ErrorPayload) => {
      const key = `${e.code}:${e.message}`;
      setTimeout(() => {
        if (!this.ackErrors.has(key)) this.on.error(serverErrorMessage(e.code, e.message));
      }, 400);
    });
    socket.on('recording.ready', (r) => this.on.recordingReady({ ...r, url: withAccessToken(r.url) }));
    return socket;
  }

  private negotiate(): Promise<void> {
    this.negotiating ??= this.doNegotiate().finally(() => {
      this.negotiating = undefined;
    });
    return this.negotiating;
  }

  private async doNegotiate(): Promise<void> {
    const stream = this.stream;
    const track = stream?.getVideoTracks()[0];
    if (!track) throw new LiveCallError({ kind: 'no_camera', title: 'No camera picture', detail: 'Start the camera again.' });
    this.closePeer();
    this.setState('negotiating');
    try {
      if (this.effect.style !== undefined || this.effect.target !== undefined) {
        const applied = await this.request('session.update', this.effect);
        if (!applied.ok) throw new LiveCallError(serverErrorMessage(applied.error.code, applied.error.message));
      }
      const pc = new RTCPeerConnection({ iceServers: await getIceServers() });
      this.pc = pc;
      const transceiver = pc.addTransceiver(track, { direction: 'sendrecv', streams: [] });
      this.sender = transceiver.sender;
      // The server speaks VP8 only: offer it first (plus rtx) where the browser lets us choose.
      const codecs = typeof RTCRtpReceiver !== 'undefined' ? RTCRtpReceiver.getCapabilities?.('video')?.codecs : undefined;
      if (codecs && typeof transceiver.setCodecPreferences === 'function') {
        const preferred = codecs.filter((c) => /vp8|rtx/i.test(c.mimeType));
        if (preferred.some((c) => /vp8/i.test(c.mimeType))) transceiver.setCodecPreferences(preferred);
      }
      pc.ontrack = (e) => this.on.remoteStream(new MediaStream([e.track]));
      // Candidates wait until the server has answered the offer: sent earlier, they can overtake the offer (the
      // server then has no session for them and answers invalid_state).
      let answered = false;
      const heldCandidates: RTCIceCandidateInit[] = [];
      const sendCandidate = (candidate: RTCIceCandidateInit) => {
        if (this.socket?.connected) this.socket.emit('ice', { candidate: candidate as never });
      };
      pc.onicecandidate = (e) => {
        if (!e.candidate) return;
        if (answered) sendCandidate(e.candidate.toJSON());
        else heldCandidates.push(e.candidate.toJSON());
      };
      pc.onconnectionstatechange = () => {
        if (this.pc !== pc) return;
        if (pc.connectionState === 'connected') this.setState('live');
        if (pc.connectionState === 'failed') {
          this.setState('error', {
            error: { kind: 'media_failed', title: 'The video connection failed', detail: 'A firewall or VPN may block WebRTC. Press Try again.' },
          });
        }
      };
      const settings = track.getSettings();
      const offer = await pc.createOffer();
      const sdp = withVp8Bitrate(offer.sdp ?? '', bitrateForSize(settings.width ?? 640, settings.height ?? 480));
      await pc.setLocalDescription({ type: 'offer', sdp });
      const answer: Ack<{ sdp: string }> = await this.request('offer', { sdp });
      if (!answer.ok) throw new LiveCallError(serverErrorMessage(answer.error.code, answer.error.message));
      if (this.pc !== pc) return; // stopped meanwhile
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      answered = true;
      for (const candidate of heldCandidates.splice(0)) sendCandidate(candidate);
      this.startStatsPolling(pc);
    } catch (error) {
      this.closePeer();
      const ui = error instanceof LiveCallError ? error.ui : { kind: 'media_failed' as const, title: 'Could not start the live video', detail: `${(error as Error).message}. Press Try again.` };
      if (this.wanted && !this.socket?.connected) {
        // the connection dropped mid-negotiation: `connect` will try again
        this.setState('reconnecting', { error: { ...UNREACHABLE, title: 'Lost the connection to the server' } });
        throw new LiveCallError(ui);
      }
      this.wanted = false;
      this.setState('error', { error: ui });
      throw error instanceof LiveCallError ? error : new LiveCallError(ui);
    }
  }

  private startStatsPolling(pc: RTCPeerConnection): void {
    clearInterval(this.statsTimer);
    this.lastInbound = undefined;
    this.statsTimer = setInterval(async () => {
      if (this.pc !== pc) return;
      const report = await pc.getStats().catch(() => undefined);
      if (!report) return;
      const out: ClientStats = {};
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') out.rttMs = s.currentRoundTripTime * 1000;
        if (s.type === 'inbound-rtp' && s.kind === 'video') {
          const frames = Number(s.framesDecoded ?? 0);
          const t = Number(s.timestamp ?? performance.now());
          if (typeof s.framesPerSecond === 'number') out.fps = s.framesPerSecond;
          else if (this.lastInbound && t > this.lastInbound.t) out.fps = ((frames - this.lastInbound.frames) * 1000) / (t - this.lastInbound.t);
          this.lastInbound = { frames, t };
          if (typeof s.framesDropped === 'number') out.framesDropped = s.framesDropped;
          const emitted = Number(s.jitterBufferEmittedCount ?? 0);
          if (emitted > 0) out.jitterBufferMs = (Number(s.jitterBufferDelay ?? 0) / emitted) * 1000;
          if (typeof s.frameWidth === 'number') out.width = s.frameWidth;
          if (typeof s.frameHeight === 'number') out.height = s.frameHeight;
        }
      });
      this.on.clientStats(out);
    }, 1000);
  }

  private closePeer(): void {
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    if (this.pc) {
      this.pc.ontrack = null;
      this.pc.onicecandidate = null;
      this.pc.onconnectionstatechange = null;
      this.pc.close();
      this.pc = undefined;
      this.sender = undefined;
      this.on.remoteStream(null);
    }
  }
}

/** What this browser lacks for the live view, if anything. */
export function liveSupport(): 'ok' | 'insecure' | 'unsupported' {
  if (typeof window === 'undefined') return 'ok';
  if (typeof RTCPeerConnection === 'undefined') return 'unsupported';
  if (!navigator.mediaDevices?.getUserMedia) return window.isSecureContext === false ? 'insecure' : 'unsupported';
  return 'ok';
}
