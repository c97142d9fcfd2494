/**
 * Socket.io signaling for live sessions. Every client payload is validated (zod); an invalid one is answered
 * with `error` {code: 'bad_request'} (and a failed ack) while the connection stays up. One session per socket;
 * a disconnect closes it.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions as IoServerOptions, type Socket } from 'socket.io';
import type { z } from 'zod';
import {
  clientEventSchemas,
  effectFromId,
  effectIdOf,
  type ClientToServerEvents,
  type ClusterInfo,
  type ErrorPayload,
  type ServerToClientEvents,
  type Target,
} from '@deepphoto/shared';
import type { EncoderOptions } from '../live/codec/types.ts';
import { readProcessingConfig, type ProcessingConfig } from '../config/config.ts';
import { DeepPhotoError } from '../core/errors.ts';
import type { LivePeerOptions } from '../live/peer.ts';
import { PIPELINE_PROCESSOR_MODULE } from '../pipeline/processor.ts';
import { RecordingStore, type RecordingStoreOptions } from '../live/recording-store.ts';
import type { Session } from '../live/session.ts';
import { SessionManager } from '../live/session-manager.ts';
import { OPEN_AUTH, socketGuard, type SecurityContext, type SocketAuthData } from '../security/guard.ts';
import { MAX_ICE_CANDIDATES, SIGNALING_RATE_LIMITS, TokenBucket } from '../security/rate-limit.ts';
import { requireGrant, requireRoom, type AuthContext, type Grant } from '../security/tokens.ts';
import { RoomRegistry } from '../rooms/room-registry.ts';
import type { Room, RoomOptions } from '../rooms/room.ts';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import type { NodeStatus } from '../cluster/placement.ts';

export interface SignalingOptions {
  /** Style ids a client may ask for (e.g. from the style catalog); anything else is `unknown_style`. */
  knownStyles: readonly string[] | (() => readonly string[]);
  /** Whether a background picture id exists (`bg-<id>` effects); without it picture effects are `unknown_style`. */
  knownBackground?: (id: string) => boolean | Promise<boolean>;
  /** Effect of a new session until the client sends `session.update`. */
  defaultEffect?: { style: string; target: Target };
  maxSessions?: number;
  /** Frame workers started ahead of demand (see SessionManagerOptions.spareWorkers). */
  spareWorkers?: number;
  /** Module exporting `createProcessor: ProcessorFactory`, loaded in each session's worker. */
  processorModule?: string;
  /** Settings for the processor in each worker; default: read from the environment when signaling is attached. */
  processorConfig?: ProcessingConfig;
  workingWidth?: number;
  recordings?: RecordingStore | RecordingStoreOptions;
  peer?: LivePeerOptions;
  encoder?: Partial<EncoderOptions>;
  statsIntervalMs?: number;
  /** socket.io path (default `/socket.io`). */
  path?: string;
  cors?: { origin: string | string[] | boolean };
  logger?: { info(message: string): void; warn(message: string): void };
  /** Tokens + Origin/Host checks on connect. Without it (unit tests of signaling alone) every socket is `OPEN_AUTH`. */
  security?: SecurityContext;
  /** Concurrent sessions one identity may hold (default 1). */
  maxSessionsPerIdentity?: number;
  connectTimeoutMs?: number;
  noMediaTimeoutMs?: number;
  /** Room calls (slots per participant etc.). */
  rooms?: Partial<RoomOptions>;
  /** Cluster mode: where rooms live and who is in them (Redis). Without it every room is on this server. */
  cluster?: ClusterNode;
  /** socket.io adapter (cluster mode: the Redis adapter, so that socket.io rooms span the nodes). */
  adapter?: IoServerOptions['adapter'];
}

export interface SignalingHandle {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  sessions: SessionManager;
  store: RecordingStore;
  rooms: RoomRegistry;
  /**
   * Drain: tells everyone in `room` to reconnect to `target` (the room is released here already), or, with no
   * node to go to, that the call is ending.
   */
  moveRoom(room: string, target: NodeStatus | undefined): void;
  /** Closes every session (finalizing recordings) and the socket.io server (not the HTTP server). */
  close(): Promise<void>;
}

type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents>;
type AnyAck = ((result: unknown) => void) | undefined;

export async function attachSignaling(httpServer: HttpServer, options: SignalingOptions): Promise<SignalingHandle> {
  const store = options.recordings instanceof RecordingStore ? options.recordings : new RecordingStore(options.recordings);
  await store.init();
  const knownStyles = (): readonly string[] => (typeof options.knownStyles === 'function' ? options.knownStyles() : options.knownStyles);
  const logger = options.logger ?? { info: () => {}, warn: (m: string) => console.warn(m) };
  const sessions = new SessionManager({
    maxSessions: options.maxSessions ?? 2,
    spareWorkers: options.spareWorkers,
    spareEffect: options.defaultEffect ?? { style: knownStyles()[0] ?? 'none', target: 'whole' },
    processorModule: options.processorModule ?? PIPELINE_PROCESSOR_MODULE,
    processorConfig: options.processorConfig ?? readProcessingConfig(),
    workingWidth: options.workingWidth,
    encoder: options.encoder,
    peer: options.peer,
    store,
    statsIntervalMs: options.statsIntervalMs,
    maxSessionsPerOwner: options.maxSessionsPerIdentity ?? options.security?.config.maxSessionsPerIdentity ?? 1,
    connectTimeoutMs: options.connectTimeoutMs ?? options.security?.config.connectTimeoutMs,
    noMediaTimeoutMs: options.noMediaTimeoutMs ?? options.security?.config.noMediaTimeoutMs,
  });
  const rooms = new RoomRegistry(options.rooms);
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    path: options.path ?? '/socket.io',
    cors: options.cors,
    maxHttpBufferSize: 256 * 1024,
    serveClient: false,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const cluster = options.cluster;
  /** The socket.io room of a call: with the Redis adapter, visible from every node. */
  const ioRoom = (name: string): string => `room:${name}`;
  if (options.security) io.use(socketGuard(options.security));

  /** An effect id (style id, blur, picture) must exist and suit the target; checked before anything changes. */
  async function checkEffect(style: string, target: Target): Promise<void> {
    const resolved = effectFromId(style, target);
    if (!resolved.ok) throw new DeepPhotoError(resolved.code, resolved.message);
    const { effect } = resolved;
    if (effect.kind === 'style' && !knownStyles().includes(style)) throw new DeepPhotoError('unknown_style', `unknown style "${style}"`);
    if (effect.kind === 'image' && !(await options.knownBackground?.(effect.params.image))) {
      throw new DeepPhotoError('unknown_style', `unknown background picture "${effect.params.image}"`);
    }
  }

  io.on('connection', (socket: LiveSocket) => {
    let session: Session | undefined;
    const auth: AuthContext = (socket.data as Partial<SocketAuthData>).auth ?? OPEN_AUTH;
    // One event at a time per socket: a handler runs only after the previous one finished (no interleaving of an
    // offer with another offer, an update or a recording call across awaits).
    let queue: Promise<unknown> = Promise.resolve();
    let offerPending = false;
    let iceCandidates = 0;
    /** Style/target changes not started yet, merged: the latest click wins and only one load runs at a time. */
    type Change = { style?: string; target?: Target; strength?: number; people?: number[]; pick?: { x: number; y: number } };
    type PendingUpdate = { change: Change; acks: Array<(r: object | Error) => void> };
    let pendingUpdate: PendingUpdate | undefined;
    const buckets = {
      offer: new TokenBucket(SIGNALING_RATE_LIMITS.offer),
      ice: new TokenBucket(SIGNALING_RATE_LIMITS.ice),
      'session.update': new TokenBucket(SIGNALING_RATE_LIMITS['session.update']),
      'recording.start': new TokenBucket(SIGNALING_RATE_LIMITS.recording),
      'recording.stop': new TokenBucket(SIGNALING_RATE_LIMITS.recording),
      'room.join': new TokenBucket(SIGNALING_RATE_LIMITS.room),
      'room.leave': new TokenBucket(SIGNALING_RATE_LIMITS.room),
      'media.mute': new TokenBucket(SIGNALING_RATE_LIMITS.room),
    } satisfies Record<keyof typeof clientEventSchemas, TokenBucket>;
    const GRANT_FOR: Partial<Record<keyof typeof clientEventSchemas, Grant>> = {
      offer: 'publish',
      'room.join': 'publish',
      'recording.start': 'record',
      'recording.stop': 'record',
    };
    const serially = <T>(run: () => Promise<T>): Promise<T> => {
      const next = queue.then(run);
      queue = next.catch(() => undefined);
      return next;
    };
    let effect: { style: string; target: Target; strength?: number; people?: number[] } = options.defaultEffect ?? { style: knownStyles()[0] ?? 'none', target: 'whole' as Target };
    /** Set while this socket is in a room call; its session was created by `room.join`, before the offer. */
    let membership: { room: Room; id: string; memberKey: string; name: string } | undefined;
    let answered = false;

    function fail(error: unknown, ack: AnyAck): void {
      const e = DeepPhotoError.from(error);
      if (e.code === 'internal') logger.warn(`live session: ${e.message}`);
      const payload: ErrorPayload = e.toPayload();
      socket.emit('error', payload);
      if (typeof ack === 'function') ack({ ok: false, error: payload });
    }

    /** Registers a handler whose payload is validated first; errors become `error` events and failed acks. */
    function handle<E extends keyof typeof clientEventSchemas>(
      event: E,
      run: (payload: z.output<(typeof clientEventSchemas)[E]>) => Promise<object | void>,
    ): void {
      (socket as unknown as { on(e: string, l: (...args: unknown[]) => void): void }).on(event, (...args: unknown[]) => {
        const last = args[args.length - 1];
        const ack: AnyAck = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
        const payloadArgs = ack ? args.slice(0, -1) : args;
        if (payloadArgs.length > 1) return fail(new DeepPhotoError('bad_request', `${event}: expected one payload`), ack);
        if (!buckets[event].take()) return fail(new DeepPhotoError('rate_limited', `${event}: too many requests; slow down`), ack);
        const grant = GRANT_FOR[event];
        if (grant) {
          try {
            requireGrant(auth, grant);
          } catch (error) {
            return fail(error, ack);
          }
        }
        const parsed = clientEventSchemas[event].safeParse(payloadArgs[0]);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const path = issue?.path ?? [];
          const code = path[0] === 'target' || (path[0] === 'effect' && path[1] === 'target') ? 'unknown_target' : 'bad_request';
          const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
          return fail(new DeepPhotoError(code, `${event}: ${issue?.message ?? 'invalid payload'}${where}`), ack);
        }
        run(parsed.data as z.output<(typeof clientEventSchemas)[E]>).then(
          (result) => ack?.({ ok: true, ...(result ?? {}) }),
          (error: unknown) => fail(error, ack),
        );
      });
    }

    function leaveRoom(reason: string): void {
      const left = membership;
      if (!left) return;
      membership = undefined;
      left.room.remove(left.id, reason);
      rooms.collect(left.room);
      void socket.leave(ioRoom(left.room.name));
      cluster?.memberLeft(left.room.name, left.memberKey, left.room.empty);
    }

    /** Makes `created` this socket's session: its events go to the socket; closing it leaves the room. */
    function adopt(created: Session): void {
      session = created;
      answered = false;
      iceCandidates = 0;
      created.on('stats', (s) => socket.emit('stats', s));
      created.on('ice', (c) => socket.emit('ice', c));
      created.on('error', (e) => socket.emit('error', e));
      created.on('recording.ready', (r) => socket.emit('recording.ready', r));
      created.once('close', (reason) => {
        if (session === created) session = undefined;
        if (membership?.id === created.id) leaveRoom(reason);
        logger.info(`live session ${created.id} closed: ${reason}`);
      });
    }

    handle('offer', async ({ sdp }) => {
      if (offerPending) throw new DeepPhotoError('invalid_state', 'an offer is already being answered on this connection');
      offerPending = true;
      try {
        return await serially(() => answerOffer(sdp));
      } finally {
        offerPending = false;
      }
    });

    async function answerOffer(sdp: string): Promise<{ sdp: string }> {
      if (socket.disconnected) throw new DeepPhotoError('invalid_state', 'socket disconnected');
      let created: Session;
      if (membership) {
        // The room session exists since room.join; a room call negotiates once (slots are pre-allocated).
        if (!session || answered) throw new DeepPhotoError('invalid_state', 'this room call is already negotiated: leave and join again');
        created = session;
      } else {
        if (session) await session.close('renegotiated');
        session = undefined;
        created = await sessions.create(effect, auth.identity);
        if (socket.disconnected) {
          await created.close('socket gone');
          throw new DeepPhotoError('invalid_state', 'socket disconnected');
        }
        adopt(created);
      }
      answered = true;
      let answerSdp: string;
      try {
        answerSdp = await created.answer(sdp);
      } catch (error) {
        await created.close('bad offer');
        throw error instanceof DeepPhotoError ? error : new DeepPhotoError('bad_request', `offer: ${(error as Error).message}`);
      }
      socket.emit('answer', { sdp: answerSdp });
      return { sdp: answerSdp };
    }

    handle('ice', ({ candidate }) => serially(async () => {
      if (!session) throw new DeepPhotoError('invalid_state', 'ice before offer');
      if (++iceCandidates > MAX_ICE_CANDIDATES) throw new DeepPhotoError('rate_limited', `more than ${MAX_ICE_CANDIDATES} ICE candidates for one call`);
      try {
        await session.addIceCandidate(candidate);
      } catch (error) {
        throw new DeepPhotoError('bad_request', `ice: ${(error as Error).message}`);
      }
    }));

    handle('session.update', async (payload) => {
      const { pick, people, strength } = payload;
      const look: Partial<{ style: string; target: Target }> = payload.effect
        ? { style: effectIdOf(payload.effect), target: payload.effect.target }
        : { ...(payload.style !== undefined ? { style: payload.style } : {}), ...(payload.target !== undefined ? { target: payload.target } : {}) };
      const update: Change = { ...look, ...(strength !== undefined ? { strength } : {}), ...(people !== undefined ? { people } : {}), ...(pick ? { pick } : {}) };
      const wanted = { ...effect, ...pendingUpdate?.change, ...update };
      await checkEffect(wanted.style, wanted.target);
      if (!session && pick) throw new DeepPhotoError('invalid_state', 'pick needs a running session');
      if (pendingUpdate) {
        // Not started yet: fold this click into it; every caller gets the outcome of the merged change.
        Object.assign(pendingUpdate.change, update);
        return new Promise<object>((resolve, reject) => pendingUpdate!.acks.push((r) => (r instanceof Error ? reject(r) : resolve(r))));
      }
      const mine: PendingUpdate = { change: update, acks: [] };
      pendingUpdate = mine;
      try {
        const result = await serially(async () => {
          if ((pendingUpdate as PendingUpdate | undefined) === mine) pendingUpdate = undefined;
          const { pick: _oneShot, ...lasting } = mine.change;
          const next = { ...effect, ...lasting };
          const outcome = session ? await session.update(mine.change) : undefined;
          effect = { ...next, ...(outcome?.people ? { people: outcome.people } : {}) };
          if (membership) {
            membership.room.effectChanged(membership.id);
            cluster?.memberChanged(membership.room.name, { id: membership.memberKey, name: membership.name, effect: { style: effect.style, target: effect.target }, joinedAt: Date.now() });
          }
          return { ...effect };
        });
        for (const a of mine.acks) a(result);
        return result;
      } catch (error) {
        for (const a of mine.acks) a(error as Error);
        throw error;
      } finally {
        if ((pendingUpdate as PendingUpdate | undefined) === mine) pendingUpdate = undefined;
      }
    });

    handle('room.join', ({ room: name, name: displayName, ...change }) => serially(async () => {
      if (membership || session) throw new DeepPhotoError('invalid_state', 'already in a call: leave it first');
      requireRoom(auth, name);
      const wanted = { ...effect, ...change };
      await checkEffect(wanted.style, wanted.target);
      // Stable across reconnects (unlike the session id): a participant who comes back replaces their entry.
      const memberKey = `${auth.identity}/${displayName}`;
      let clusterInfo: ClusterInfo | undefined;
      if (cluster) {
        const placement = await cluster.place(name, rooms.get(name) !== undefined).catch((error: unknown) => {
          logger.warn(`room ${name}: placement failed: ${(error as Error).message}`);
          throw new DeepPhotoError('busy', 'the cluster directory (Redis) cannot be reached: try again in a few seconds');
        });
        if (placement.kind === 'busy') throw new DeepPhotoError('busy', placement.reason);
        if (placement.kind === 'redirect') {
          socket.emit('redirect', { url: placement.url, room: name, reason: 'placement', node: placement.node });
          throw new DeepPhotoError('moved', `room "${name}" is on node ${placement.node}: reconnect to ${placement.url}`);
        }
        clusterInfo = placement.cluster;
      }
      const room = rooms.reserve(name); // busy when the room is full
      let created: Session;
      try {
        created = await sessions.create(wanted, auth.identity);
      } catch (error) {
        room.release();
        rooms.collect(room);
        if (room.empty) cluster?.memberLeft(name, memberKey, true);
        const e = DeepPhotoError.from(error);
        throw e.code === 'busy' ? new DeepPhotoError('busy', `the server cannot filter another camera now (${e.message})`) : e;
      }
      if (socket.disconnected || membership || session) {
        room.release();
        rooms.collect(room);
        if (room.empty) cluster?.memberLeft(name, memberKey, true);
        await created.close('socket gone');
        throw new DeepPhotoError('invalid_state', 'socket disconnected or already in a call');
      }
      effect = wanted;
      adopt(created);
      membership = { room, id: created.id, memberKey, name: displayName };
      const participants = room.add({
        id: created.id,
        name: displayName,
        session: created,
        notify: (event: string, payload: unknown) => (socket.emit as (e: string, p: unknown) => void)(event, payload),
      });
      logger.info(`room ${name}: ${displayName} joined (${room.size}/${room.capacity})`);
      void socket.join(ioRoom(name));
      cluster?.memberChanged(name, { id: memberKey, name: displayName, effect: { style: wanted.style, target: wanted.target }, joinedAt: Date.now() });
      return { participantId: created.id, room: name, slots: room.capacity - 1, participants, ...(clusterInfo ? { cluster: clusterInfo } : {}) };
    }));

    handle('room.leave', () => serially(async () => {
      if (!membership) throw new DeepPhotoError('invalid_state', 'not in a room');
      leaveRoom('left');
      const s = session;
      session = undefined;
      await s?.close('left the room');
    }));

    handle('media.mute', async (muted) => {
      if (!membership) throw new DeepPhotoError('invalid_state', 'not in a room');
      membership.room.setMuted(membership.id, muted);
    });

    handle('recording.start', () => serially(async () => {
      if (!session) throw new DeepPhotoError('invalid_state', 'no live session to record');
      return { id: session.startRecording() };
    }));

    handle('recording.stop', () => serially(async () => {
      if (!session) throw new DeepPhotoError('invalid_state', 'no live session');
      return await session.stopRecording();
    }));

    socket.on('disconnect', () => {
      leaveRoom('disconnected');
      void session?.close('socket disconnected');
      session = undefined;
    });
  });

  let closing: Promise<void> | undefined;
  return {
    io,
    sessions,
    store,
    rooms,
    moveRoom(room, target) {
      if (target) {
        logger.info(`room ${room}: moving to ${target.id} (${target.url})`);
        io.to(ioRoom(room)).emit('redirect', { url: target.url, room, reason: 'draining', node: target.id });
      } else {
        io.to(ioRoom(room)).emit('error', { code: 'busy', message: 'this server is stopping and no other filter server has room for the call' });
      }
    },
    close() {
      closing ??= (async () => {
        // This server's sockets only: with the Redis adapter, io.disconnectSockets() would close every node's.
        io.local.disconnectSockets(true);
        await sessions.closeAll();
        // io.close() would also close the HTTP server it is attached to; the caller owns that.
        io.removeAllListeners();
        for (const ns of io._nsps.values()) ns.removeAllListeners();
        io.engine?.close();
      })();
      return closing;
    },
  };
}
