/**
 * A call: participants who each publish one filtered camera (encoded once, by their own session) and one
 * microphone, and receive every other participant's video and audio in pre-allocated slots of their own peer
 * connection (see `roomJoinSchema` in the shared protocol for the m-line order).
 *
 * Forwarding is selective, not mixing: the publisher's RTP packets (the ones its self-view is sent with) go to
 * each subscriber with that subscriber's own sequence/timestamp numbering (`RtpRewriter`, per slot), werift sets
 * the slot's SSRC and payload type. Feedback goes the other way: a subscriber's PLI/FIR asks the publisher's
 * encoder for a keyframe (rate-limited per publisher), a subscriber that connects or gets a new slot gets one at
 * once, and NACKs werift's own 128-packet send cache cannot serve are answered from the publisher's
 * `PacketCache` (or, failing that, with a keyframe).
 *
 * The room never owns sessions: signaling creates and closes them; the room only forwards between them.
 */
import type { ParticipantInfo, Target } from '@deepphoto/shared';
import type { ForwardedPacket } from '../live/peer.ts';
import type { Session } from '../live/session.ts';
import { PacketCache } from './packet-cache.ts';
import { RtpRewriter } from './rtp-rewriter.ts';

export interface RoomMemberInit {
  id: string;
  name: string;
  session: Session;
  /** Delivers a room event to this participant (socket.emit). */
  notify: RoomNotifier;
}

export type RoomNotifier = {
  (event: 'participant.joined' | 'participant.updated', payload: ParticipantInfo): void;
  (event: 'participant.left', payload: { id: string; reason: string }): void;
};

export interface RoomOptions {
  /** Receive slots per participant: the room holds at most `slots + 1` participants. */
  slots: number;
  /** Minimum spacing of keyframes asked of one publisher because of PLIs/NACKs (new subscribers skip it). */
  keyframeIntervalMs?: number;
  videoCacheSize?: number;
  audioCacheSize?: number;
}

/** What one room has forwarded, for stats, tests and the bench. */
export interface ForwardCounters {
  videoPackets: number;
  audioPackets: number;
  bytes: number;
  keyframeRequests: number;
  keyframesAsked: number;
  nacksServed: number;
  nacksUnserved: number;
  /** Main-thread time spent rewriting and handing packets to werift (which encrypts and sends them). */
  forwardMs: number;
}

class Member {
  readonly slots: Array<Member | undefined>;
  readonly videoOut: RtpRewriter[];
  readonly audioOut: RtpRewriter[];
  readonly videoCache: PacketCache;
  readonly audioCache: PacketCache;
  muted = { video: false, audio: false };
  lastKeyframeAt = -Infinity;
  readonly disposers: Array<() => void> = [];

  constructor(
    readonly init: RoomMemberInit,
    options: Required<RoomOptions>,
  ) {
    this.slots = new Array(options.slots).fill(undefined);
    this.videoOut = Array.from({ length: options.slots }, () => new RtpRewriter(90_000));
    this.audioOut = Array.from({ length: options.slots }, () => new RtpRewriter(48_000));
    this.videoCache = new PacketCache(options.videoCacheSize);
    this.audioCache = new PacketCache(options.audioCacheSize);
  }

  get id(): string {
    return this.init.id;
  }

  get session(): Session {
    return this.init.session;
  }

  slotOf(publisher: Member): number {
    return this.slots.indexOf(publisher);
  }
}

export class Room {
  private readonly members = new Map<string, Member>();
  private readonly options: Required<RoomOptions>;
  /** Admitted but not yet added (their session is starting): they count against the capacity. */
  private reserved = 0;
  readonly counters: ForwardCounters = { videoPackets: 0, audioPackets: 0, bytes: 0, keyframeRequests: 0, keyframesAsked: 0, nacksServed: 0, nacksUnserved: 0, forwardMs: 0 };
  /** When true, packets are cached but not forwarded: the bench's baseline for the CPU cost of forwarding. */
  paused = false;

  constructor(
    readonly name: string,
    options: RoomOptions,
  ) {
    this.options = { keyframeIntervalMs: 300, videoCacheSize: 512, audioCacheSize: 256, ...options };
  }

  get capacity(): number {
    return this.options.slots + 1;
  }

  get size(): number {
    return this.members.size;
  }

  get empty(): boolean {
    return this.members.size === 0 && this.reserved === 0;
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  /** Holds a place for a participant whose session is being created; false when the room is full. */
  reserve(): boolean {
    if (this.members.size + this.reserved >= this.capacity) return false;
    this.reserved++;
    return true;
  }

  release(): void {
    this.reserved = Math.max(0, this.reserved - 1);
  }

  /** Adds a participant (consuming a reservation, if any) and returns the others as this participant sees them. */
  add(init: RoomMemberInit): ParticipantInfo[] {
    if (this.members.has(init.id)) throw new Error(`participant ${init.id} is already in room ${this.name}`);
    this.release();
    const member = new Member(init, this.options);
    for (const other of this.members.values()) {
      this.assign(other, member);
      this.assign(member, other);
    }
    this.members.set(member.id, member);
    this.wire(member);
    for (const other of this.members.values()) {
      if (other !== member) other.init.notify('participant.joined', this.infoFor(other, member));
    }
    return [...this.members.values()].filter((m) => m !== member).map((m) => this.infoFor(member, m));
  }

  /** Removes a participant; the others are told at once and their slot is free for the next one. */
  remove(id: string, reason: string): void {
    const member = this.members.get(id);
    if (!member) return;
    this.members.delete(id);
    for (const dispose of member.disposers.splice(0)) dispose();
    for (const other of this.members.values()) {
      const slot = other.slotOf(member);
      if (slot >= 0) other.slots[slot] = undefined;
      other.init.notify('participant.left', { id, reason });
    }
  }

  setMuted(id: string, muted: Partial<{ video: boolean; audio: boolean }>): void {
    const member = this.members.get(id);
    if (!member) return;
    member.muted = { ...member.muted, ...muted };
    this.announceUpdate(member);
  }

  /** The participant's effect changed (session.update): the others' tiles can say so. */
  effectChanged(id: string): void {
    const member = this.members.get(id);
    if (member) this.announceUpdate(member);
  }

  participants(): Array<{ id: string; name: string }> {
    return [...this.members.values()].map((m) => ({ id: m.id, name: m.init.name }));
  }

  private announceUpdate(member: Member): void {
    for (const other of this.members.values()) {
      if (other !== member && other.slotOf(member) >= 0) other.init.notify('participant.updated', this.infoFor(other, member));
    }
  }

  private infoFor(viewer: Member, member: Member): ParticipantInfo {
    const effect = member.session.effect as { style: string; target: Target };
    return { id: member.id, name: member.init.name, slot: viewer.slotOf(member), muted: { ...member.muted }, effect: { ...effect } };
  }

  /** Gives `publisher` the first free slot of `subscriber`. */
  private assign(subscriber: Member, publisher: Member): void {
    const slot = subscriber.slots.indexOf(undefined);
    if (slot < 0) throw new Error(`room ${this.name}: no free slot`); // capacity is slots + 1, so never
    subscriber.slots[slot] = publisher;
    subscriber.videoOut[slot]!.switchSource();
    subscriber.audioOut[slot]!.switchSource();
    this.askKeyframe(publisher, true);
  }

  private wire(member: Member): void {
    const peer = member.session.peer;
    const onFramePackets = (packets: ForwardedPacket[]): void => this.forwardVideo(member, packets);
    const onAudio = (packet: ForwardedPacket): void => this.forwardAudio(member, packet);
    const onKeyframeRequest = (slot: number): void => {
      const publisher = member.slots[slot];
      if (!publisher) return;
      this.counters.keyframeRequests++;
      this.askKeyframe(publisher, false);
    };
    const onNack = (slot: number, lost: number[]): void => this.answerNack(member, slot, lost);
    // A subscriber that (re)connects has missed every keyframe so far.
    const onConnected = (): void => {
      for (const publisher of member.slots) if (publisher) this.askKeyframe(publisher, true);
    };
    peer.on('frame-packets', onFramePackets);
    peer.on('audio', onAudio);
    peer.on('output-keyframe-request', onKeyframeRequest);
    peer.on('output-nack', onNack);
    peer.on('connected', onConnected);
    member.disposers.push(() => {
      peer.off('frame-packets', onFramePackets);
      peer.off('audio', onAudio);
      peer.off('output-keyframe-request', onKeyframeRequest);
      peer.off('output-nack', onNack);
      peer.off('connected', onConnected);
    });
  }

  private askKeyframe(publisher: Member, force: boolean): void {
    const now = performance.now();
    if (!force && now - publisher.lastKeyframeAt < this.options.keyframeIntervalMs) return;
    publisher.lastKeyframeAt = now;
    this.counters.keyframesAsked++;
    publisher.session.requestKeyframe();
  }

  private forwardVideo(publisher: Member, packets: ForwardedPacket[]): void {
    for (const p of packets) publisher.videoCache.put(p);
    if (this.paused) return;
    const now = performance.now();
    for (const subscriber of this.members.values()) {
      const slot = subscriber.slotOf(publisher);
      if (slot < 0) continue;
      const peer = subscriber.session.peer;
      const output = peer.outputs.video[slot];
      if (!output) continue;
      const rewriter = subscriber.videoOut[slot]!;
      for (const p of packets) {
        const out = rewriter.rewrite(p.sequenceNumber, p.timestamp, now);
        peer.writeOutput(output, out.sequenceNumber, out.timestamp, p.marker, p.payload);
        this.counters.videoPackets++;
        this.counters.bytes += p.payload.length;
      }
    }
    this.counters.forwardMs += performance.now() - now;
  }

  private forwardAudio(publisher: Member, packet: ForwardedPacket): void {
    publisher.audioCache.put(packet);
    if (this.paused) return;
    const now = performance.now();
    for (const subscriber of this.members.values()) {
      const slot = subscriber.slotOf(publisher);
      if (slot < 0) continue;
      const peer = subscriber.session.peer;
      const output = peer.outputs.audio[slot];
      if (!output) continue;
      const out = subscriber.audioOut[slot]!.rewrite(packet.sequenceNumber, packet.timestamp, now);
      peer.writeOutput(output, out.sequenceNumber, out.timestamp, packet.marker, packet.payload);
      this.counters.audioPackets++;
      this.counters.bytes += packet.payload.length;
    }
    this.counters.forwardMs += performance.now() - now;
  }

  private answerNack(subscriber: Member, slot: number, lost: number[]): void {
    const publisher = subscriber.slots[slot];
    const output = subscriber.session.peer.outputs.video[slot];
    if (!publisher || !output) return;
    const rewriter = subscriber.videoOut[slot]!;
    let unserved = false;
    for (const outSeq of lost) {
      const source = rewriter.toSource(outSeq);
      const packet = source === undefined ? undefined : publisher.videoCache.get(source);
      if (!packet) {
        unserved = true;
        this.counters.nacksUnserved++;
        continue;
      }
      const out = rewriter.rewrite(packet.sequenceNumber, packet.timestamp, performance.now());
      subscriber.session.peer.writeOutput(output, out.sequenceNumber, out.timestamp, packet.marker, packet.payload);
      this.counters.nacksServed++;
    }
    // A packet nobody holds any more: the subscriber can only recover from a keyframe (webrtc-notes #7).
    if (unserved) this.askKeyframe(publisher, false);
  }
}
