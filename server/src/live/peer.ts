/**
 * One browser's WebRTC peer (werift): receives the camera as VP8 RTP, reassembles frames, and sends processed
 * frames back on the same sendrecv transceiver with our own RFC 7741 packetizer. Keyframe requests from the
 * browser (PLI/FIR, and NACKs we cannot serve) surface as `keyframe-request`; losses on the way in become a
 * rate-limited PLI to the browser.
 *
 * In a room the offer also carries the microphone (Opus, surfaced raw as `audio`) and pre-allocated receive slots
 * (pairs of recvonly video + audio m-lines after the camera and microphone): `outputs` are their send tracks,
 * written by the room's forwarder; their PLI/NACK feedback surfaces as `output-keyframe-request` / `output-nack`.
 */
import { EventEmitter } from 'node:events';
import {
  MediaStreamTrack,
  PictureLossIndication,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  RtcpPayloadSpecificFeedback,
  RtpHeader,
  RtpPacket,
  useFIR,
  useNACK,
  usePLI,
  useREMB,
  type RTCRtpTransceiver,
} from 'werift';
import type { IcePayload } from '@deepphoto/shared';
import { ByteRateWindow, MAX_INCOMING_BITS_PER_SECOND } from '../security/rate-limit.ts';
import { DEFAULT_MAX_PAYLOAD, Vp8Depacketizer, Vp8Packetizer } from './vp8-rtp.ts';

export interface LivePeerOptions {
  /** Extra host addresses for ICE; `127.0.0.1` makes loopback-only setups (tests, same machine) work. */
  iceAdditionalHostAddresses?: string[];
  /** Minimum spacing of our PLIs to the browser. */
  pliIntervalMs?: number;
  /** How long ICE may stay `disconnected` before the peer counts as gone. */
  disconnectedTimeoutMs?: number;
  maxPayload?: number;
  /**
   * STUN/TURN servers for the server's own ICE agent. Default: none, and nothing outside is contacted (werift would
   * otherwise query stun.l.google.com on every call).
   */
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /** UDP ports for the server's candidates (firewall rules), e.g. [40000, 40100]. */
  portRange?: [number, number];
  /** Largest decoded frame; announced to the browser as VP8 max-fs in the answer. */
  maxFrameSize?: { width: number; height: number };
  /** Incoming media budget; packets beyond it are dropped (default 12 Mbit/s). */
  maxIncomingBitsPerSecond?: number;
  /**
   * Ask the browser to render our video as soon as it is decoded (RTP playout-delay extension, min = max = 0),
   * instead of holding it in a jitter buffer sized for internet jitter: on a loaded machine Chrome grew that
   * buffer to 400+ ms. Default true.
   */
  zeroPlayoutDelay?: boolean;
}

/** Adds `max-fs` (in 16x16 macroblocks) to the answer's VP8 fmtp so that the browser does not send bigger frames. */
export function withMaxFrameSize(sdp: string, size: { width: number; height: number }): string {
  const maxFs = Math.ceil(size.width / 16) * Math.ceil(size.height / 16);
  const m = /a=rtpmap:(\d+) VP8\/90000/i.exec(sdp);
  if (!m) return sdp;
  const pt = m[1];
  const fmtp = new RegExp(`a=fmtp:${pt} ([^\r\n]*)`);
  if (fmtp.test(sdp)) return sdp.replace(fmtp, (_l, p: string) => (/max-fs=/.test(p) ? `a=fmtp:${pt} ${p}` : `a=fmtp:${pt} ${p};max-fs=${maxFs}`));
  return sdp.replace(m[0], `${m[0]}\r\na=fmtp:${pt} max-fs=${maxFs}`);
}

const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';
/** min = 0, max = 0 (12 bits each, 10 ms units). */
const ZERO_PLAYOUT_DELAY = Buffer.from([0, 0, 0]);

export interface IncomingFrame {
  /** View into the depacketizer's buffer; copy before the next tick. */
  data: Uint8Array;
  rtpTimestamp: number;
  keyframe: boolean;
  receivedAt: number;
}

/** One RTP packet as the forwarder handles it (publisher numbering; payload shared, never copied). */
export interface ForwardedPacket {
  sequenceNumber: number;
  timestamp: number;
  marker: boolean;
  payload: Buffer;
}

/** A send-only slot in this peer that carries another participant's video or audio. */
export interface PeerOutput {
  kind: 'video' | 'audio';
  index: number;
  track: MediaStreamTrack;
  transceiver: RTCRtpTransceiver;
}

export interface LivePeerEvents {
  frame: [IncomingFrame];
  /** The packets of one processed frame just sent back to this browser (for forwarding to others). */
  'frame-packets': [ForwardedPacket[]];
  /** One microphone packet (Opus), as received. */
  audio: [ForwardedPacket];
  /** PLI/FIR from this browser for the video it receives in output slot `index`. */
  'output-keyframe-request': [index: number];
  /** NACKed output sequence numbers of video slot `index` that werift's own send cache could not serve. */
  'output-nack': [index: number, lost: number[]];
  'keyframe-request': [reason: 'pli' | 'fir' | 'nack'];
  ice: [IcePayload];
  connected: [];
  /** The peer is gone (ICE failed, stayed disconnected, or closed by the remote side). Emitted once. */
  gone: [reason: string];
}

const FIR_FMT = 4;
const RTP_HISTORY_SIZE = 128; // werift's RTCRtpSender cache size
const VIDEO_CLOCK = 90_000;

export class LivePeer extends EventEmitter<LivePeerEvents> {
  readonly pc: RTCPeerConnection;
  private readonly outTrack = new MediaStreamTrack({ kind: 'video' });
  private readonly depacketizer = new Vp8Depacketizer();
  private readonly packetizer: Vp8Packetizer;
  private transceiver: RTCRtpTransceiver | undefined;
  private remoteSsrc: number | undefined;
  private lastPliAt = -Infinity;
  private sequenceNumber = Math.floor(Math.random() * 0x10000);
  private disconnectedTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private goneEmitted = false;
  private micSubscribed = false;
  /** The id the browser gave the playout-delay extension, per transceiver that negotiated it. */
  private readonly playoutDelayIds = new Map<RTCRtpTransceiver, number>();
  /** Receive slots of a room call, in offer order: `outputs.video[k]` and `outputs.audio[k]` form slot k. */
  readonly outputs: { video: PeerOutput[]; audio: PeerOutput[] } = { video: [], audio: [] };
  private readonly options: Required<Omit<LivePeerOptions, 'portRange'>> & Pick<LivePeerOptions, 'portRange'>;
  private readonly incomingBudget: ByteRateWindow;

  constructor(options: LivePeerOptions = {}) {
    super();
    this.options = {
      iceAdditionalHostAddresses: options.iceAdditionalHostAddresses ?? ['127.0.0.1'],
      pliIntervalMs: options.pliIntervalMs ?? 500,
      disconnectedTimeoutMs: options.disconnectedTimeoutMs ?? 5000,
      maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      zeroPlayoutDelay: options.zeroPlayoutDelay ?? true,
      iceServers: options.iceServers ?? [],
      maxFrameSize: options.maxFrameSize ?? { width: 1920, height: 1080 },
      portRange: options.portRange,
      maxIncomingBitsPerSecond: options.maxIncomingBitsPerSecond ?? MAX_INCOMING_BITS_PER_SECOND,
    };
    this.incomingBudget = new ByteRateWindow(this.options.maxIncomingBitsPerSecond);
    this.packetizer = new Vp8Packetizer(this.options.maxPayload);
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 })],
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/VP8',
            clockRate: VIDEO_CLOCK,
            rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()],
          }),
        ],
      },
      iceAdditionalHostAddresses: this.options.iceAdditionalHostAddresses,
      iceServers: this.options.iceServers,
      ...(this.options.portRange ? { icePortRange: this.options.portRange } : {}),
      headerExtensions: { video: this.options.zeroPlayoutDelay ? [new RTCRtpHeaderExtensionParameters({ uri: PLAYOUT_DELAY_URI })] : [], audio: [] },
    });
    this.pc.onTrack.subscribe((track) => {
      if (track.kind === 'audio' && !this.micSubscribed) {
        this.micSubscribed = true;
        track.onReceiveRtp.subscribe((rtp) => {
          if (this.closed || rtp.payload.length === 0) return;
          const h = rtp.header;
          this.emit('audio', { sequenceNumber: h.sequenceNumber, timestamp: h.timestamp, marker: h.marker, payload: rtp.payload });
        });
        return;
      }
      if (track.kind !== 'video' || this.remoteSsrc !== undefined) return;
      this.remoteSsrc = track.ssrc;
      track.onReceiveRtp.subscribe((rtp) => this.onRtp(rtp));
    });
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (this.closed) return;
      this.emit('ice', { candidate: candidate ? (candidate.toJSON() as IcePayload['candidate']) : null });
    });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.emit('connected');
      if (state === 'failed' || state === 'closed') this.gone(`connection ${state}`);
    });
    this.pc.iceConnectionStateChange.subscribe((state) => {
      if (state === 'disconnected') {
        clearTimeout(this.disconnectedTimer);
        this.disconnectedTimer = setTimeout(() => this.gone('ICE disconnected'), this.options.disconnectedTimeoutMs);
      } else if (state === 'connected' || state === 'completed') {
        clearTimeout(this.disconnectedTimer);
      } else if (state === 'failed' || state === 'closed') {
        this.gone(`ICE ${state}`);
      }
    });
  }

  /** Applies the browser's offer and returns our answer (candidates included once gathered). */
  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    this.withoutDefaultStun();
    const transceiver = this.pc.getTransceivers().find((t) => t.kind === 'video');
    if (!transceiver) throw new TypeError('the offer has no video');
    this.transceiver = transceiver;
    transceiver.setDirection('sendrecv');
    await transceiver.sender.replaceTrack(this.outTrack);
    // The browser's PLI/FIR for what we send arrives on the receiver of a sendrecv transceiver (webrtc-notes #2).
    transceiver.receiver.onRtcp.subscribe((packet) => {
      if (packet.type !== RtcpPayloadSpecificFeedback.type) return;
      const count = (packet as RtcpPayloadSpecificFeedback).feedback.count;
      if (count === PictureLossIndication.count) this.keyframeRequested('pli');
      else if (count === FIR_FMT) this.keyframeRequested('fir');
    });
    transceiver.sender.onPictureLossIndication.subscribe(() => this.keyframeRequested('pli'));
    transceiver.sender.onGenericNack.subscribe((nack) => {
      const cache = (transceiver.sender as unknown as { rtpCache?: Array<RtpPacket | undefined> }).rtpCache;
      if (!cache) return;
      const unserved = nack.lost.some((seq) => cache[seq % RTP_HISTORY_SIZE]?.header.sequenceNumber !== seq);
      if (unserved) this.keyframeRequested('nack');
    });
    this.setUpOutputs(transceiver);
    for (const t of this.pc.getTransceivers()) {
      const ext = t.headerExtensions.find((e) => e.uri === PLAYOUT_DELAY_URI);
      if (ext) this.playoutDelayIds.set(t, ext.id);
    }
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    return withMaxFrameSize(this.pc.localDescription?.sdp ?? answer.sdp, this.options.maxFrameSize);
  }

  /** The ICE agents of this peer (one per transport); for the STUN guard and for tests. */
  iceConnections(): Array<{ stunServer?: unknown }> {
    const transports = (this.pc as unknown as { iceTransports?: Array<{ connection?: { stunServer?: unknown } }> }).iceTransports ?? [];
    return transports.map((t) => t.connection).filter((c): c is { stunServer?: unknown } => c !== undefined);
  }

  /**
   * werift's ICE agent falls back to stun.l.google.com when no STUN server is configured (werift-ice, Connection
   * constructor), even with `iceServers: []`: every call would contact a third party, and wait on a lookup that
   * cannot succeed offline. With no STUN server of ours, clear it before gathering starts (setLocalDescription).
   */
  private withoutDefaultStun(): void {
    const hasStun = this.options.iceServers.some((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => u.startsWith('stun:')));
    if (hasStun) return;
    for (const connection of this.iceConnections()) connection.stunServer = undefined;
  }

  /**
   * Every m-line the browser only receives on (after the camera) becomes a send-only output slot with its own
   * track; the k-th video and k-th audio ones form slot k (the room protocol's order).
   */
  private setUpOutputs(camera: RTCRtpTransceiver): void {
    for (const t of this.pc.getTransceivers()) {
      if (t === camera) continue;
      const offered = (t as unknown as { offerDirection?: string }).offerDirection;
      if (t.kind === 'audio' && (offered === 'recvonly' || offered === 'sendrecv')) {
        t.setDirection('recvonly'); // the microphone
        continue;
      }
      if (offered !== 'sendonly' || (t.kind !== 'video' && t.kind !== 'audio')) continue;
      const kind = t.kind;
      const list = this.outputs[kind];
      const output: PeerOutput = { kind, index: list.length, track: new MediaStreamTrack({ kind }), transceiver: t };
      list.push(output);
      t.setDirection('sendonly');
      void t.sender.replaceTrack(output.track);
      if (kind !== 'video') continue;
      const askKeyframe = (): void => {
        if (!this.closed) this.emit('output-keyframe-request', output.index);
      };
      t.sender.onPictureLossIndication.subscribe(askKeyframe);
      t.receiver.onRtcp.subscribe((packet) => {
        if (packet.type !== RtcpPayloadSpecificFeedback.type) return;
        const count = (packet as RtcpPayloadSpecificFeedback).feedback.count;
        if (count === PictureLossIndication.count || count === FIR_FMT) askKeyframe();
      });
      t.sender.onGenericNack.subscribe((nack) => {
        const cache = (t.sender as unknown as { rtpCache?: Array<RtpPacket | undefined> }).rtpCache;
        const unserved = nack.lost.filter((seq) => cache?.[seq % RTP_HISTORY_SIZE]?.header.sequenceNumber !== seq);
        if (unserved.length > 0 && !this.closed) this.emit('output-nack', output.index, unserved);
      });
    }
  }

  /** Sends one forwarded packet on an output slot with the numbers the caller rewrote for this subscriber. */
  writeOutput(output: PeerOutput, sequenceNumber: number, timestamp: number, marker: boolean, payload: Buffer): void {
    if (this.closed) return;
    // werift rewrites the header in place (SSRC, payload type, extensions): one header object per subscriber.
    const header = new RtpHeader({ sequenceNumber, timestamp, marker, payloadType: output.kind === 'video' ? 96 : 111 });
    const playoutDelayId = this.playoutDelayIds.get(output.transceiver);
    if (playoutDelayId !== undefined) header.extensions = [{ id: playoutDelayId, payload: ZERO_PLAYOUT_DELAY }];
    output.track.writeRtp(new RtpPacket(header, payload));
  }

  async addIceCandidate(candidate: IcePayload['candidate']): Promise<void> {
    if (this.closed) return;
    await this.pc.addIceCandidate(candidate ?? undefined);
  }

  /** Packetizes one encoded frame and sends it; the RTP timestamp is the input frame's (carried through). */
  sendFrame(frame: Uint8Array, rtpTimestamp: number): void {
    if (this.closed) return;
    const payloads = this.packetizer.packetize(frame);
    const forwarded: ForwardedPacket[] | undefined = this.listenerCount('frame-packets') > 0 ? [] : undefined;
    for (let i = 0; i < payloads.length; i++) {
      const header = new RtpHeader({
        sequenceNumber: this.sequenceNumber,
        timestamp: rtpTimestamp >>> 0,
        marker: i === payloads.length - 1,
        payloadType: 96,
      });
      const playoutDelayId = this.transceiver && this.playoutDelayIds.get(this.transceiver);
      if (playoutDelayId !== undefined) header.extensions = [{ id: playoutDelayId, payload: ZERO_PLAYOUT_DELAY }];
      forwarded?.push({ sequenceNumber: this.sequenceNumber, timestamp: rtpTimestamp >>> 0, marker: header.marker, payload: payloads[i]! });
      this.sequenceNumber = (this.sequenceNumber + 1) & 0xffff;
      this.outTrack.writeRtp(new RtpPacket(header, payloads[i]!));
    }
    if (forwarded) this.emit('frame-packets', forwarded);
  }

  /** Asks the browser for a keyframe, at most once per `pliIntervalMs`. */
  requestKeyframeFromRemote(): void {
    const now = performance.now();
    if (this.remoteSsrc === undefined || !this.transceiver || now - this.lastPliAt < this.options.pliIntervalMs) return;
    this.lastPliAt = now;
    void this.transceiver.receiver.sendRtcpPLI(this.remoteSsrc).catch(() => {});
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.disconnectedTimer);
    this.outTrack.stop();
    for (const output of [...this.outputs.video, ...this.outputs.audio]) output.track.stop();
    try {
      await this.pc.close();
    } catch {
      // closing a half-negotiated peer may throw inside werift; nothing left to free
    }
    this.removeAllListeners();
  }

  private onRtp(rtp: RtpPacket): void {
    if (this.closed) return;
    if (!this.incomingBudget.admit(rtp.payload.length)) return;
    const result = this.depacketizer.push({
      sequenceNumber: rtp.header.sequenceNumber,
      timestamp: rtp.header.timestamp,
      marker: rtp.header.marker,
      payload: rtp.payload,
    });
    if (!result) return;
    if (result.kind === 'keyframe-needed') {
      this.requestKeyframeFromRemote();
      return;
    }
    this.emit('frame', { data: result.data, rtpTimestamp: result.timestamp, keyframe: result.keyframe, receivedAt: performance.now() });
  }

  private keyframeRequested(reason: 'pli' | 'fir' | 'nack'): void {
    if (this.closed) return;
    this.emit('keyframe-request', reason);
  }

  private gone(reason: string): void {
    if (this.goneEmitted || this.closed) return;
    this.goneEmitted = true;
    this.emit('gone', reason);
  }
}
