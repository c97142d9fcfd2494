/**
 * DeepPhotoClient: the one WebRTC client of DeepPhoto Live, framework-free (no React), for our page and for any
 * other web app that wants the filtered camera in its own call.
 *
 * ```ts
 * const client = new DeepPhotoClient({ url: 'https://deepphoto.example' });
 * client.on('track.added', ({ participant, kind, track, self }) => show(participant, new MediaStream([track])));
 * client.on('participant.left', ({ id }) => removeTile(id));
 * await client.join('standup', { name: 'Ann', camera: await navigator.mediaDevices.getUserMedia({ video: true, audio: true }), effect: { style: 'mosaic', target: 'background' } });
 * await client.setEffect({ style: 'candy' });   // resolves once the new style is on the wire
 * await client.leave();
 * // or, without a room: const filtered = await client.filter(cameraStream, { style: 'udnie' });
 * ```
 *
 * Media: one RTCPeerConnection. Its offer carries the camera (sendrecv: the filtered self-view comes back on
 * it), the microphone (sendonly) and `slots` pairs of recvonly video + audio transceivers that the server fills
 * with the other participants (`participant.joined` says which slot): joins and leaves need no renegotiation.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ClientToServerEvents,
  ClusterInfo,
  ErrorCode,
  ErrorPayload,
  MutePayload,
  ParticipantInfo,
  RecordingReadyPayload,
  RedirectPayload,
  RoomJoinedPayload,
  ServerToClientEvents,
  SessionUpdatePayload,
  StatsPayload,
} from '@deepphoto/shared';
import { bitrateForSize, withVp8Bitrate } from '../sdp.ts';
import { TypedEmitter } from './emitter.ts';

/** `reconnecting`: in a cluster, moving the call to another node (drain, or its node went away). */
export type ClientState = 'idle' | 'connecting' | 'joining' | 'negotiating' | 'live' | 'reconnecting' | 'closed' | 'failed';

export interface Participant extends ParticipantInfo {
  /** Filled once the participant's slot is known; the same tracks stay until they leave. */
  video?: MediaStreamTrack;
  audio?: MediaStreamTrack;
}

export interface TrackEvent {
  participantId: string;
  kind: 'video' | 'audio';
  track: MediaStreamTrack;
  /** The filtered camera of this client itself (self-view). */
  self: boolean;
}

/** What the browser measures about what it receives, per participant (the self-view under `selfId`). */
export interface InboundStats {
  fps?: number;
  framesDecoded?: number;
  width?: number;
  height?: number;
  audioLevel?: number;
  totalAudioEnergy?: number;
  jitterBufferMs?: number;
  framesDropped?: number;
}

export interface ClientStats {
  rttMs?: number;
  inbound: Record<string, InboundStats>;
}

export type ClientErrorCode = ErrorCode | 'network' | 'media_failed' | 'no_camera';

export class DeepPhotoError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'DeepPhotoError';
  }
}

export type DeepPhotoEvents = {
  state: [ClientState];
  'participant.joined': [Participant];
  'participant.updated': [Participant];
  'participant.left': [{ id: string; reason: string }];
  'track.added': [TrackEvent];
  'track.removed': [TrackEvent];
  /** Per-second figures: the server's for this client's own session, the browser's for what it receives. */
  'stats.server': [StatsPayload];
  'stats.client': [ClientStats];
  /** Errors not tied to a call of this API (e.g. the session failed on the server, media connection failed). */
  error: [DeepPhotoError];
  'recording.ready': [RecordingReadyPayload];
  /** The call moved to another node of a cluster (joined again there, same room, same effect). */
  moved: [{ from: string | undefined; to: string | undefined; reason: 'draining' | 'failover'; ms: number }];
};

export interface DeepPhotoClientOptions {
  /** Server origin (default: the page's own). */
  url?: string;
  /** socket.io path (default `/socket.io`). */
  path?: string;
  /** STUN/TURN for the browser; default: what the server hands out (`/api/ice-servers`, per-session TURN credentials). */
  iceServers?: RTCIceServer[];
  /** Force relayed media (TURN only), e.g. to test a TURN deployment. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /**
   * Access token (a join link's `?token=`, or `npx deepphoto token`), or a function that gets a fresh one for each
   * (re)connect. Default: the server's zero-setup token (`/api/token`, loopback servers without a secret only).
   */
  token?: string | (() => Promise<string>);
  /** How long to wait for each server answer. */
  ackTimeoutMs?: number;
  /** Stats polling period; 0 turns it off. */
  statsIntervalMs?: number;
  /** Extra socket.io options (e.g. `auth` for a token). */
  socketOptions?: Record<string, unknown>;
  /** Cluster: how long to keep trying other nodes after the call's node went away. */
  reconnectTimeoutMs?: number;
}

/** Redirects one join may follow (room placed elsewhere, then moved once more while we were on our way). */
const MAX_REDIRECTS = 4;

/** An effect change: style / target / strength, an effect object, or a person selection (see the protocol). */
export type Effect = Partial<Pick<SessionUpdatePayload, 'style' | 'target' | 'strength' | 'effect' | 'people' | 'pick'>>;

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
interface Slot {
  video: RTCRtpTransceiver;
  audio: RTCRtpTransceiver;
  participantId?: string;
}

export class DeepPhotoClient extends TypedEmitter<DeepPhotoEvents> {
  private socket: ClientSocket | undefined;
  private pc: RTCPeerConnection | undefined;
  private camera: RTCRtpTransceiver | undefined;
  private mic: RTCRtpTransceiver | undefined;
  private slots: Slot[] = [];
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private lastFrames = new Map<string, { frames: number; t: number }>();
  /** Errors a failed ack reported recently: the server's matching `error` event is not reported twice. */
  private readonly ackErrors = new Set<string>();
  private readonly options: Required<Omit<DeepPhotoClientOptions, 'url' | 'iceServers' | 'iceTransportPolicy' | 'socketOptions' | 'token'>> & DeepPhotoClientOptions;
  /** The server this client talks to now: `options.url` at first, another node after a redirect or a move. */
  private baseUrl: string | undefined;
  /** What `join()` asked for (effect kept up to date): a move joins the same room again with it. */
  private joinRequest: { room: string; name: string; camera: MediaStream; effect: { style?: string; target?: SessionUpdatePayload['target'] } } | undefined;
  /** The last `redirect` a node sent (placement): the `moved` refusal that follows is answered by going there. */
  private pendingRedirect: RedirectPayload | undefined;
  private recovering = false;
  /** Cluster mode: the call's node and the other live nodes (from the join). */
  cluster: ClusterInfo | undefined;
  readonly participants = new Map<string, Participant>();
  /** This client's participant id (its server session id) once joined. */
  selfId: string | undefined;
  /** The filtered camera as the server returns it. */
  selfTrack: MediaStreamTrack | undefined;
  state: ClientState = 'idle';
  room: string | undefined;

  constructor(options: DeepPhotoClientOptions = {}) {
    super();
    this.options = { path: '/socket.io', ackTimeoutMs: 15_000, statsIntervalMs: 1000, reconnectTimeoutMs: 30_000, ...options };
    this.baseUrl = options.url;
  }

  /** The server (node) this client is connected to or will connect to. */
  get serverUrl(): string | undefined {
    return this.baseUrl;
  }

  /** The media connection while there is one (for diagnostics, e.g. `getStats()`). */
  get peerConnection(): RTCPeerConnection | undefined {
    return this.pc;
  }

  /** Whether the signaling socket is up (requests such as `setEffect` can be made). */
  get connected(): boolean {
    return this.socket?.connected === true;
  }

  /** The token for the next (re)connect and API call: given, or the server's zero-setup one. */
  async accessToken(): Promise<string> {
    const { token } = this.options;
    if (typeof token === 'string') return token;
    if (token) return token();
    const response = await fetch(`${this.baseUrl ?? ''}/api/token`, { cache: 'no-store' });
    if (!response.ok) throw new DeepPhotoError('unauthorized', `no access token (the server answered ${response.status}): use a join link`);
    return ((await response.json()) as { token: string }).token;
  }

  /** STUN/TURN servers the server wants this browser to use (none when it has none or cannot be asked). */
  private async serverIceServers(): Promise<RTCIceServer[]> {
    try {
      const response = await fetch(`${this.baseUrl ?? ''}/api/ice-servers`, { headers: { authorization: `Bearer ${await this.accessToken()}` }, cache: 'no-store' });
      if (!response.ok) return [];
      return ((await response.json()) as { iceServers?: RTCIceServer[] }).iceServers ?? [];
    } catch {
      return [];
    }
  }

  /** Connects the signaling socket (join/filter do it themselves). */
  async connect(): Promise<void> {
    if (this.socket?.connected) return;
    this.setState('connecting');
    // WebSocket first: a closed tab is then noticed at once (long-polling only notices after the ping timeout);
    // long-polling remains the fallback where WebSockets are blocked.
    const auth = (cb: (data: object) => void) => void this.accessToken().then((token) => cb({ token }), () => cb({}));
    const socketOptions = { path: this.options.path, transports: ['websocket', 'polling'], tryAllTransports: true, reconnection: false, timeout: 5000, auth, ...this.options.socketOptions };
    const socket: ClientSocket = this.baseUrl ? io(this.baseUrl, socketOptions) : io(socketOptions);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', (e) => {
        // A refusal by the server (token, Origin) carries its code; anything else is the network.
        const code = (e as { data?: { code?: ErrorCode } }).data?.code;
        reject(code ? new DeepPhotoError(code, e.message) : new DeepPhotoError('network', `cannot reach the server: ${e.message}`));
      });
    }).catch((error: unknown) => {
      this.dropSocket();
      if (!this.recovering) this.setState('failed');
      throw error;
    });
    socket.on('ice', ({ candidate }) => {
      if (candidate && this.pc) this.pc.addIceCandidate(candidate).catch(() => {});
    });
    socket.on('stats', (s) => this.emit('stats.server', s));
    socket.on('recording.ready', (r) => this.emit('recording.ready', r));
    socket.on('participant.joined', (p) => this.onJoined(p));
    socket.on('participant.updated', (p) => this.onUpdated(p));
    socket.on('participant.left', (p) => this.onLeft(p.id, p.reason));
    socket.on('redirect', (r) => {
      if (r.reason === 'placement') this.pendingRedirect = r;
      else if (r.room === this.room) void this.recover('draining', r.url);
    });
    // The server emits `error` for a failed request too, just before its failed ack: report only errors no ack
    // claims within a moment (e.g. the session failed), so that one cause gives one error.
    socket.on('error', (e: ErrorPayload) => {
      const key = `${e.code}:${e.message}`;
      setTimeout(() => {
        if (!this.ackErrors.has(key) && this.state !== 'closed') this.emit('error', new DeepPhotoError(e.code, e.message));
      }, 400);
    });
    socket.on('disconnect', () => {
      if (this.state === 'closed') return;
      // In a cluster, a node that goes away (crash, kill) is not the end of the call: another node takes it.
      if (this.cluster && this.joinRequest) return void this.recover('failover');
      this.closePeer();
      this.setState('failed');
      this.emit('error', new DeepPhotoError('network', 'lost the connection to the server'));
    });
  }

  /**
   * Joins a room with this camera (and its microphone, if the stream has one) and effect. Resolves with the
   * others already there once the media is negotiated. A full room or server rejects with code `busy`.
   */
  async join(room: string, options: { name: string; camera: MediaStream; effect?: Effect }): Promise<RoomJoinedPayload> {
    const { style, target } = options.effect ?? {};
    this.joinRequest = { room, name: options.name, camera: options.camera, effect: { ...(style !== undefined ? { style } : {}), ...(target !== undefined ? { target } : {}) } };
    return this.joinFollowingRedirects(options.effect);
  }

  /** Joins at the current server; a cluster node that says the room is elsewhere (`moved`) is left for that one. */
  private async joinFollowingRedirects(effect: Effect | undefined): Promise<RoomJoinedPayload> {
    const request = this.joinRequest!;
    for (let hop = 0; ; hop++) {
      await this.connect();
      this.setState('joining');
      this.pendingRedirect = undefined;
      let joined: RoomJoinedPayload;
      try {
        joined = await this.request('room.join', { room: request.room, name: request.name, ...effect });
      } catch (error) {
        const redirect = this.pendingRedirect as RedirectPayload | undefined;
        if (!(error instanceof DeepPhotoError && error.code === 'moved' && redirect && hop < MAX_REDIRECTS)) throw error;
        this.dropSocket();
        this.baseUrl = redirect.url;
        continue;
      }
      this.room = joined.room;
      this.selfId = joined.participantId;
      this.cluster = joined.cluster;
      for (const p of joined.participants) this.participants.set(p.id, { ...p });
      await this.negotiate(request.camera, joined.slots);
      // slots of those already present are known now that the transceivers exist
      for (const p of this.participants.values()) this.attachSlot(p);
      return joined;
    }
  }

  /**
   * Cluster: joins the same room again, with the same camera and effect, on another node: the one a draining node
   * names, else (its node went away) each live node the last join listed, then the first address, until one takes
   * the call or `reconnectTimeoutMs` passes. The page keeps running; tiles come back through `track.added`.
   */
  private async recover(reason: 'draining' | 'failover', target?: string): Promise<void> {
    if (this.recovering || !this.joinRequest || this.state === 'closed') return;
    this.recovering = true;
    const started = Date.now();
    const from = this.baseUrl;
    this.closePeer();
    this.dropSocket();
    this.setState('reconnecting');
    const lost = reason === 'failover' ? from : undefined;
    const candidates = [...new Set([target, ...(this.cluster?.nodes ?? []).filter((u) => u !== lost), this.options.url, lost].filter((u): u is string => u !== undefined))];
    const effect = this.joinRequest.effect;
    let lastError: unknown;
    try {
      while (Date.now() - started < this.options.reconnectTimeoutMs) {
        for (const url of candidates) {
          if ((this.state as ClientState) === 'closed') return;
          this.baseUrl = url;
          try {
            await this.joinFollowingRedirects(effect);
            this.emit('moved', { from, to: this.baseUrl, reason, ms: Date.now() - started });
            return;
          } catch (error) {
            lastError = error;
            this.closePeer();
            this.dropSocket();
          }
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      this.setState('failed');
      this.emit('error', new DeepPhotoError('network', `lost the connection to the server and no other node took the call (${(lastError as Error | undefined)?.message ?? 'no node'})`));
    } finally {
      this.recovering = false;
    }
  }

  /** A one-person session: the camera goes to the server and comes back filtered. Resolves with that track. */
  async filter(camera: MediaStream, effect?: Effect): Promise<MediaStreamTrack> {
    await this.connect();
    if (effect && (effect.style !== undefined || effect.target !== undefined)) await this.request('session.update', effect);
    await this.negotiate(camera, 0);
    const track = this.camera?.receiver.track;
    if (!track) throw new DeepPhotoError('media_failed', 'no filtered track');
    return track;
  }

  /** Changes this client's own style and/or target; resolves once frames carry the new effect. */
  async setEffect(change: Effect): Promise<{ style: string; target: string; strength?: number; people?: number[] }> {
    const { ok: _ok, ...effect } = await this.request('session.update', change as SessionUpdatePayload);
    // A move to another node joins with the effect in use now.
    if (this.joinRequest) this.joinRequest.effect = { style: effect.style, target: effect.target as SessionUpdatePayload['target'] };
    return effect;
  }

  /** Mutes camera and/or microphone (the track stops sending; the others are told). */
  async mute(change: MutePayload): Promise<void> {
    if (change.video !== undefined && this.camera?.sender.track) this.camera.sender.track.enabled = !change.video;
    if (change.audio !== undefined && this.mic?.sender.track) this.mic.sender.track.enabled = !change.audio;
    if (this.room) await this.request('media.mute', change);
  }

  /** Replaces the camera (and microphone) mid-call without renegotiating. */
  async replaceCamera(camera: MediaStream): Promise<void> {
    const video = camera.getVideoTracks()[0];
    const audio = camera.getAudioTracks()[0];
    if (video && this.camera) await this.camera.sender.replaceTrack(video);
    if (audio && this.mic) await this.mic.sender.replaceTrack(audio);
  }

  async startRecording(): Promise<string> {
    return (await this.request('recording.start', {})).id;
  }

  async stopRecording(): Promise<RecordingReadyPayload> {
    const { ok: _ok, ...ready } = await this.request('recording.stop', {});
    return ready;
  }

  /** Leaves the room (or ends the filter session) and closes the connection. Safe to call twice. */
  async leave(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.room && this.socket?.connected) await this.request('room.leave', {}).catch(() => {});
    this.close();
  }

  /** Closes everything at once (no goodbye to the server; it notices the socket closing). Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.closePeer();
    this.dropSocket();
    this.setState('closed');
    this.removeAllListeners();
  }

  // ---- internals -------------------------------------------------------------------------------------------------

  private setState(state: ClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  private dropSocket(): void {
    if (!this.socket) return;
    this.socket.removeAllListeners();
    this.socket.disconnect();
    this.socket = undefined;
  }

  private request<E extends 'session.update' | 'recording.start' | 'recording.stop' | 'offer' | 'room.join' | 'room.leave' | 'media.mute'>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Extract<Parameters<NonNullable<Parameters<ClientToServerEvents[E]>[1]>>[0], { ok: true }>> {
    type Result = Parameters<NonNullable<Parameters<ClientToServerEvents[E]>[1]>>[0];
    const socket = this.socket;
    if (!socket?.connected) return Promise.reject(new DeepPhotoError('network', 'not connected to the server'));
    return new Promise((resolve, reject) => {
      // A socket that drops before the answer fails the request now, not after the ack timeout.
      const onDisconnect = () => {
        clearTimeout(timer);
        reject(new DeepPhotoError('network', `the connection closed before the answer to ${event}`));
      };
      const timer = setTimeout(() => {
        socket.off('disconnect', onDisconnect);
        reject(new DeepPhotoError('network', `no answer to ${event} in ${this.options.ackTimeoutMs} ms`));
      }, this.options.ackTimeoutMs);
      socket.once('disconnect', onDisconnect);
      (socket.emit as (e: string, p: unknown, cb: (r: Result) => void) => void)(event, payload, (result: Result) => {
        clearTimeout(timer);
        socket.off('disconnect', onDisconnect);
        const r = result as Ack<object>;
        if (r.ok) return resolve(result as Extract<Result, { ok: true }>);
        const { code, message } = (r as { error: ErrorPayload }).error;
        const key = `${code}:${message}`;
        this.ackErrors.add(key);
        setTimeout(() => this.ackErrors.delete(key), 2000);
        reject(new DeepPhotoError(code, message));
      });
    });
  }

  private async negotiate(camera: MediaStream, slotCount: number): Promise<void> {
    const video = camera.getVideoTracks()[0];
    if (!video) throw new DeepPhotoError('no_camera', 'the stream has no video track');
    this.setState('negotiating');
    const pc = new RTCPeerConnection({
      iceServers: this.options.iceServers ?? (await this.serverIceServers()),
      ...(this.options.iceTransportPolicy ? { iceTransportPolicy: this.options.iceTransportPolicy } : {}),
    });
    this.pc = pc;
    this.camera = pc.addTransceiver(video, { direction: 'sendrecv' });
    const videoTransceivers = [this.camera];
    if (this.room !== undefined) {
      this.mic = pc.addTransceiver(camera.getAudioTracks()[0] ?? 'audio', { direction: 'sendonly' });
      this.slots = [];
      for (let k = 0; k < slotCount; k++) {
        const slot = { video: pc.addTransceiver('video', { direction: 'recvonly' }), audio: pc.addTransceiver('audio', { direction: 'recvonly' }) };
        videoTransceivers.push(slot.video);
        this.slots.push(slot);
      }
    }
    // The server speaks VP8 only: offer it (plus rtx) where the browser lets us choose.
    const codecs = typeof RTCRtpReceiver !== 'undefined' ? RTCRtpReceiver.getCapabilities?.('video')?.codecs : undefined;
    const preferred = codecs?.filter((c) => /vp8|rtx/i.test(c.mimeType));
    if (preferred?.some((c) => /vp8/i.test(c.mimeType))) {
      for (const t of videoTransceivers) if (typeof t.setCodecPreferences === 'function') t.setCodecPreferences(preferred);
    }
    // Candidates wait for the answer: sent earlier, they could overtake the offer.
    let answered = false;
    const held: RTCIceCandidateInit[] = [];
    const send = (c: RTCIceCandidateInit): void => void this.socket?.emit('ice', { candidate: c as never });
    pc.onicecandidate = (e) => {
      if (!e.candidate) return;
      if (answered) send(e.candidate.toJSON());
      else held.push(e.candidate.toJSON());
    };
    pc.onconnectionstatechange = () => {
      if (this.pc !== pc) return;
      if (pc.connectionState === 'connected') this.setState('live');
      if (pc.connectionState === 'failed') {
        this.setState('failed');
        this.emit('error', new DeepPhotoError('media_failed', 'the media connection failed (a firewall or VPN may block WebRTC)'));
      }
    };
    const settings = video.getSettings();
    const offer = await pc.createOffer();
    const sdp = withVp8Bitrate(offer.sdp ?? '', bitrateForSize(settings.width ?? 640, settings.height ?? 480));
    await pc.setLocalDescription({ type: 'offer', sdp });
    const answer = await this.request('offer', { sdp });
    if (this.pc !== pc) throw new DeepPhotoError('invalid_state', 'closed while negotiating');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    answered = true;
    for (const c of held.splice(0)) send(c);
    this.selfTrack = this.camera.receiver.track;
    this.emit('track.added', { participantId: this.selfId ?? 'self', kind: 'video', track: this.selfTrack, self: true });
    this.startStats(pc);
  }

  private onJoined(info: ParticipantInfo): void {
    const p: Participant = { ...info };
    this.participants.set(p.id, p);
    this.emit('participant.joined', p);
    this.attachSlot(p);
  }

  private onUpdated(info: ParticipantInfo): void {
    const p = this.participants.get(info.id);
    if (!p) return;
    Object.assign(p, info);
    this.emit('participant.updated', p);
  }

  private onLeft(id: string, reason: string): void {
    const p = this.participants.get(id);
    if (!p) return;
    this.participants.delete(id);
    for (const slot of this.slots) if (slot.participantId === id) slot.participantId = undefined;
    if (p.video) this.emit('track.removed', { participantId: id, kind: 'video', track: p.video, self: false });
    if (p.audio) this.emit('track.removed', { participantId: id, kind: 'audio', track: p.audio, self: false });
    this.lastFrames.delete(id);
    this.emit('participant.left', { id, reason });
  }

  /** Binds a participant to its slot's receive tracks (once the transceivers exist) and announces them. */
  private attachSlot(p: Participant): void {
    const slot = this.slots[p.slot];
    if (!slot || p.video) return;
    slot.participantId = p.id;
    p.video = slot.video.receiver.track;
    p.audio = slot.audio.receiver.track;
    this.emit('track.added', { participantId: p.id, kind: 'video', track: p.video, self: false });
    this.emit('track.added', { participantId: p.id, kind: 'audio', track: p.audio, self: false });
  }

  private participantForMid(mid: string | null | undefined): string | undefined {
    if (!mid) return undefined;
    if (this.camera?.mid === mid) return this.selfId ?? 'self';
    return this.slots.find((s) => s.video.mid === mid || s.audio.mid === mid)?.participantId;
  }

  private startStats(pc: RTCPeerConnection): void {
    clearInterval(this.statsTimer);
    if (!this.options.statsIntervalMs) return;
    this.statsTimer = setInterval(async () => {
      if (this.pc !== pc) return;
      const report = await pc.getStats().catch(() => undefined);
      if (!report || this.pc !== pc) return;
      const out: ClientStats = { inbound: {} };
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') out.rttMs = s.currentRoundTripTime * 1000;
        if (s.type !== 'inbound-rtp') return;
        const id = this.participantForMid(s.mid as string | undefined);
        if (!id) return;
        const entry = (out.inbound[id] ??= {});
        if (s.kind === 'video') {
          const frames = Number(s.framesDecoded ?? 0);
          const t = Number(s.timestamp ?? performance.now());
          const last = this.lastFrames.get(id);
          entry.fps = typeof s.framesPerSecond === 'number' ? s.framesPerSecond : last && t > last.t ? ((frames - last.frames) * 1000) / (t - last.t) : undefined;
          this.lastFrames.set(id, { frames, t });
          entry.framesDecoded = frames;
          if (typeof s.frameWidth === 'number') entry.width = s.frameWidth;
          if (typeof s.frameHeight === 'number') entry.height = s.frameHeight;
          if (typeof s.framesDropped === 'number') entry.framesDropped = s.framesDropped;
          const emitted = Number(s.jitterBufferEmittedCount ?? 0);
          if (emitted > 0) entry.jitterBufferMs = (Number(s.jitterBufferDelay ?? 0) / emitted) * 1000;
        } else if (s.kind === 'audio') {
          if (typeof s.audioLevel === 'number') entry.audioLevel = s.audioLevel;
          if (typeof s.totalAudioEnergy === 'number') entry.totalAudioEnergy = s.totalAudioEnergy;
        }
      });
      this.emit('stats.client', out);
    }, this.options.statsIntervalMs);
  }

  private closePeer(): void {
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    if (!this.pc) return;
    const pc = this.pc;
    this.pc = undefined;
    pc.onicecandidate = null;
    pc.onconnectionstatechange = null;
    pc.close();
    if (this.selfTrack) this.emit('track.removed', { participantId: this.selfId ?? 'self', kind: 'video', track: this.selfTrack, self: true });
    for (const id of [...this.participants.keys()]) this.onLeft(id, 'closed');
    this.selfTrack = undefined;
    this.camera = undefined;
    this.mic = undefined;
    this.slots = [];
  }
}
