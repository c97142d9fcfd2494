/**
 * Signaling protocol between the browser and the live server (socket.io). Every client→server payload is
 * validated with these schemas on the server; TypeScript types alone do not protect a server.
 */
import { z } from 'zod';
import { effectSpecSchema, styleIdSchema, styleStrengthSchema, targetSchema, type ErrorCode } from './effects.ts';
import { peopleSelectionSchema, pickSchema } from './people.ts';
import { sessionTimingsSchema } from './timings.ts';

// ---- client → server -------------------------------------------------------------------------------------------

export const MAX_SDP_LENGTH = 64 * 1024;

export const offerSchema = z.object({ sdp: z.string().min(1).max(MAX_SDP_LENGTH) }).strict();
export type OfferPayload = z.infer<typeof offerSchema>;

export const iceCandidateSchema = z
  .object({
    candidate: z.string().max(2048),
    sdpMid: z.string().max(64).nullish(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullish(),
    usernameFragment: z.string().max(256).nullish(),
  })
  .strict();
/** `candidate: null` is the end-of-candidates marker. */
export const icePayloadSchema = z.object({ candidate: iceCandidateSchema.nullable() }).strict();
export type IcePayload = z.infer<typeof icePayloadSchema>;

export const sessionUpdateSchema = z
  .object({
    style: styleIdSchema.optional(),
    target: targetSchema.optional(),
    /** Arbitrary-style looks: how much of the picture's style, 0-100 %. */
    strength: styleStrengthSchema.optional(),
    /** The effect as an object (`{kind, target, params}`); replaces style and target when given. */
    effect: effectSpecSchema.optional(),
    /** Selected people (tracking ids) for the `people` / `people-except` targets. */
    people: peopleSelectionSchema.optional(),
    /** One-shot: toggle the person at this point of the frame. */
    pick: pickSchema.optional(),
  })
  .strict()
  .refine((v) => v.style !== undefined || v.target !== undefined || v.strength !== undefined || v.effect !== undefined || v.people !== undefined || v.pick !== undefined, 'give style, target, strength, people and/or pick, or effect');
export type SessionUpdatePayload = z.infer<typeof sessionUpdateSchema>;

/** `recording.start` / `recording.stop` carry no payload (an empty object is accepted too). */
export const emptyPayloadSchema = z.union([z.undefined(), z.object({}).strict()]);

// ---- rooms (calls) -----------------------------------------------------------------------------------------------

/**
 * A room call: `room.join` (admission: `busy` with the reason before any media), then one `offer` whose m-lines
 * are, in this order: camera (video sendrecv: the filtered self-view comes back on it), microphone (audio
 * sendonly), then `slots` pairs of recvonly video + audio. The server shows each other participant in one slot
 * (`participant.joined` says which) and reuses a slot after its participant leaves: no renegotiation.
 */
export const ROOM_SLOTS = 3;
export const roomNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'room name: 1-64 letters, digits, - and _');
export const displayNameSchema = z.string().trim().min(1).max(40).regex(/^[^<>\u0000-\u001f]*$/, 'display name: no control characters or < >');

export const roomJoinSchema = z
  .object({ room: roomNameSchema, name: displayNameSchema, style: styleIdSchema.optional(), target: targetSchema.optional() })
  .strict();
export type RoomJoinPayload = z.infer<typeof roomJoinSchema>;

export const muteSchema = z
  .object({ video: z.boolean().optional(), audio: z.boolean().optional() })
  .strict()
  .refine((v) => v.video !== undefined || v.audio !== undefined, 'give video and/or audio');
export type MutePayload = z.infer<typeof muteSchema>;

export interface ParticipantInfo {
  id: string;
  name: string;
  /** The receive slot (offer order) that carries this participant for the recipient. */
  slot: number;
  muted: { video: boolean; audio: boolean };
  effect: { style: string; target: string };
}

export interface RoomJoinedPayload {
  participantId: string;
  room: string;
  slots: number;
  /** The others already in the room. */
  participants: ParticipantInfo[];
  /** Cluster mode only: the node that holds the call and every live node, where to reconnect if it goes away. */
  cluster?: ClusterInfo;
}

// ---- cluster (several filter servers) --------------------------------------------------------------------------

export interface ClusterInfo {
  node: string;
  /** Public URLs of the live nodes (this one first). */
  nodes: string[];
}

/**
 * A node tells a client to go elsewhere: `placement` (the room lives on, or is placed on, another node: sent just
 * before a join fails with code `moved`) or `draining` (this node is stopping: leave and join the same room at
 * `url`). The client reconnects there with its token and joins its room again, with its effect.
 */
export const redirectSchema = z
  .object({
    url: z.string().url(),
    room: roomNameSchema,
    reason: z.enum(['placement', 'draining']),
    node: z.string().min(1).max(128),
  })
  .strict();
export type RedirectPayload = z.infer<typeof redirectSchema>;

export interface ParticipantLeftPayload {
  id: string;
  reason: string;
}

// ---- server → client -------------------------------------------------------------------------------------------

export interface AnswerPayload {
  sdp: string;
}

/** Emitted once per second per session. Stage figures are means over the frames of that second. */
export const statsPayloadSchema = z
  .object({
    fpsIn: z.number().nonnegative(),
    fpsOut: z.number().nonnegative(),
    /** Frames decoded but not processed (newest-wins flow limiter) during this second. */
    droppedFrames: z.number().int().nonnegative(),
    /** Since the session started. */
    droppedTotal: z.number().int().nonnegative(),
    /** Mean server in→out latency of this second's frames, ms. */
    latencyMs: z.number().nonnegative(),
    stages: sessionTimingsSchema,
    width: z.number().int().nonnegative(),
    height: z.number().int().nonnegative(),
    bitrateKbpsIn: z.number().nonnegative(),
    bitrateKbpsOut: z.number().nonnegative(),
    recording: z.boolean(),
  })
  .strict();
export type StatsPayload = z.infer<typeof statsPayloadSchema>;

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

export interface RecordingReadyPayload {
  id: string;
  url: string;
  durationMs: number;
  bytes: number;
}

/** What acks carry: `ok: true` plus a result, or the same error as the `error` event. */
export type Ack<T = Record<string, never>> = ({ ok: true } & T) | { ok: false; error: ErrorPayload };

export interface ServerToClientEvents {
  answer: (payload: AnswerPayload) => void;
  ice: (payload: IcePayload) => void;
  stats: (payload: StatsPayload) => void;
  error: (payload: ErrorPayload) => void;
  'recording.ready': (payload: RecordingReadyPayload) => void;
  'participant.joined': (payload: ParticipantInfo) => void;
  'participant.updated': (payload: ParticipantInfo) => void;
  'participant.left': (payload: ParticipantLeftPayload) => void;
  redirect: (payload: RedirectPayload) => void;
}

export interface ClientToServerEvents {
  offer: (payload: OfferPayload, ack?: (result: Ack<AnswerPayload>) => void) => void;
  ice: (payload: IcePayload) => void;
  'session.update': (payload: SessionUpdatePayload, ack?: (result: Ack<{ style: string; target: string; strength?: number; people?: number[] }>) => void) => void;
  'recording.start': (payload?: Record<string, never>, ack?: (result: Ack<{ id: string }>) => void) => void;
  'recording.stop': (payload?: Record<string, never>, ack?: (result: Ack<RecordingReadyPayload>) => void) => void;
  'room.join': (payload: RoomJoinPayload, ack?: (result: Ack<RoomJoinedPayload>) => void) => void;
  'room.leave': (payload?: Record<string, never>, ack?: (result: Ack) => void) => void;
  'media.mute': (payload: MutePayload, ack?: (result: Ack) => void) => void;
}

/** The schema for each client→server event, so that the server can validate by event name. */
export const clientEventSchemas = {
  offer: offerSchema,
  ice: icePayloadSchema,
  'session.update': sessionUpdateSchema,
  'recording.start': emptyPayloadSchema,
  'recording.stop': emptyPayloadSchema,
  'room.join': roomJoinSchema,
  'room.leave': emptyPayloadSchema,
  'media.mute': muteSchema,
} as const;
