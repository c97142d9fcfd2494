/**
 * The live view's call (one person, camera in, filtered camera back) on top of the client library
 * (`./client`, the repository's one WebRTC client): this adds what the page needs around it, and no WebRTC of
 * its own. No React in here; the page subscribes to its callbacks.
 *
 * - `start()` connects, retrying while the server is unreachable (1 s, 2 s, … 5 s apart), then negotiates.
 * - The effect changes mid-stream with `update()` (acknowledged once the new effect is in use).
 * - If the connection drops mid-call, the call is rebuilt once the server is reachable again.
 * - Server errors become one message per cause (`messages.ts`).
 */
import { getAccessToken, withAccessToken } from './auth.ts';
import type { RecordingReadyPayload, SessionUpdatePayload, StatsPayload } from '@deepphoto/shared';
import { DeepPhotoClient, DeepPhotoError } from './client/index.ts';
import { serverErrorMessage, UNREACHABLE, type UiError } from './messages.ts';

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

export class LiveCallError extends Error {
  constructor(readonly ui: UiError) {
    super(ui.title);
  }
}

const LOST: UiError = { ...UNREACHABLE, title: 'Lost the connection to the server' };

/** The page's wording for a client-library error. */
export function uiError(error: unknown): UiError {
  if (error instanceof LiveCallError) return error.ui;
  if (error instanceof DeepPhotoError) {
    if (error.code === 'network') return UNREACHABLE;
    if (error.code === 'media_failed') return { kind: 'media_failed', title: 'The video connection failed', detail: 'A firewall or VPN may block WebRTC. Press Try again.' };
    if (error.code === 'no_camera') return { kind: 'no_camera', title: 'No camera picture', detail: 'Start the camera again.' };
    return serverErrorMessage(error.code, error.message.replace(/^[a-z_]+: /, ''));
  }
  return { kind: 'media_failed', title: 'Could not start the live video', detail: `${(error as Error)?.message ?? String(error)}. Press Try again.` };
}

export class LiveClient {
  private client: DeepPhotoClient | undefined;
  private stream: MediaStream | undefined;
  private effect: SessionUpdatePayload = {};
  private wanted = false;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
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
    this.attempts = 0;
    await this.attempt();
  }

  /** Ends the call: closes the peer connection and the socket (the server closes the session on disconnect). */
  stop(): void {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.dropClient();
    this.setState('idle');
  }

  /** Retry connecting now instead of waiting for the next backoff step. */
  reconnectNow(): void {
    if (!this.wanted || this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    void this.attempt().catch(() => {});
  }

  /** Replaces the camera track without renegotiating (camera or resolution change mid-call). */
  async replaceStream(stream: MediaStream): Promise<void> {
    this.stream = stream;
    await this.client?.replaceCamera(stream);
  }

  /** Changes style and/or target; mid-call it resolves when the server acknowledges. */
  async update(change: SessionUpdatePayload): Promise<{ people?: number[] }> {
    const { pick: _oneShot, ...lasting } = change; // a pick toggles once; it is not replayed on reconnect
    this.effect = { ...this.effect, ...lasting };
    const client = this.client;
    // before the socket is up, the effect goes with the next negotiation
    if (!client?.connected) return {};
    const result = await client.setEffect(change).catch((e: unknown) => {
      throw new LiveCallError(uiError(e));
    });
    if (result?.people) this.effect = { ...this.effect, people: result.people };
    return { people: result?.people };
  }

  async startRecording(): Promise<string> {
    if (!this.client) throw new LiveCallError(UNREACHABLE);
    return this.client.startRecording().catch((e: unknown) => {
      throw new LiveCallError(uiError(e));
    });
  }

  async stopRecording(): Promise<RecordingReadyPayload> {
    if (!this.client) throw new LiveCallError(UNREACHABLE);
    return this.client.stopRecording().then((ready) => ({ ...ready, url: withAccessToken(ready.url) }), (e: unknown) => {
      throw new LiveCallError(uiError(e));
    });
  }

  private attempt(): Promise<void> {
    this.running ??= this.doAttempt().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async doAttempt(): Promise<void> {
    this.retryTimer = undefined;
    this.dropClient();
    const stream = this.stream;
    if (!this.wanted || !stream) return;
    const client = new DeepPhotoClient({ token: getAccessToken });
    this.client = client;
    if (this.state !== 'unreachable' && this.state !== 'reconnecting') this.setState('connecting');
    try {
      await client.connect();
    } catch {
      if (this.client !== client) return;
      this.attempts++;
      this.setState('unreachable', { attempt: this.attempts, error: UNREACHABLE });
      this.scheduleRetry();
      return;
    }
    this.attempts = 0;
    client.on('stats.server', (s) => this.on.serverStats(s));
    client.on('stats.client', (s) => {
      const self = s.inbound[client.selfId ?? 'self'] ?? {};
      this.on.clientStats({ fps: self.fps, rttMs: s.rttMs, jitterBufferMs: self.jitterBufferMs, framesDropped: self.framesDropped, width: self.width, height: self.height });
    });
    client.on('recording.ready', (r) => this.on.recordingReady(r));
    client.on('state', (state) => {
      if (this.client === client && state === 'live') this.setState('live');
    });
    client.on('error', (e) => {
      if (this.client !== client) return;
      if (e.code === 'network') return this.connectionLost();
      if (e.code === 'media_failed') {
        this.dropClient();
        this.setState('error', { error: uiError(e) });
        return;
      }
      this.on.error(uiError(e));
    });
    this.setState('negotiating');
    try {
      const track = await client.filter(stream, this.effect);
      if (this.client !== client) return;
      this.on.remoteStream(new MediaStream([track]));
    } catch (error) {
      if (this.client !== client) return;
      if (error instanceof DeepPhotoError && error.code === 'network') {
        // the connection dropped mid-negotiation: try again
        this.connectionLost();
        throw new LiveCallError(LOST);
      }
      this.dropClient();
      this.wanted = false;
      const ui = uiError(error);
      this.setState('error', { error: ui });
      throw new LiveCallError(ui);
    }
  }

  private connectionLost(): void {
    this.dropClient();
    if (!this.wanted) return;
    this.setState('reconnecting', { error: LOST });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    const delay = Math.min(5000, 1000 * Math.max(1, this.attempts));
    this.retryTimer = setTimeout(() => void this.attempt().catch(() => {}), delay);
  }

  private dropClient(): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    client.close();
    this.on.remoteStream(null);
  }
}

/** What this browser lacks for the live view, if anything. */
export function liveSupport(): 'ok' | 'insecure' | 'unsupported' {
  if (typeof window === 'undefined') return 'ok';
  if (typeof RTCPeerConnection === 'undefined') return 'unsupported';
  if (!navigator.mediaDevices?.getUserMedia) return window.isSecureContext === false ? 'insecure' : 'unsupported';
  return 'ok';
}
