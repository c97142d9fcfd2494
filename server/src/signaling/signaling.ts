/**
 * Socket.io signaling for live sessions. Every client payload is validated (zod); an invalid one is answered
 * with `error` {code: 'bad_request'} (and a failed ack) while the connection stays up. One session per socket;
 * a disconnect closes it.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { z } from 'zod';
import {
  clientEventSchemas,
  type ClientToServerEvents,
  type ErrorPayload,
  type ServerToClientEvents,
  type Target,
} from '@deepphoto/shared';
import type { EncoderOptions } from '../live/codec/types.ts';
import { LiveError } from '../live/errors.ts';
import type { LivePeerOptions } from '../live/peer.ts';
import { DEFAULT_PROCESSOR_MODULE } from '../live/processor.ts';
import { RecordingStore, type RecordingStoreOptions } from '../live/recording-store.ts';
import type { Session } from '../live/session.ts';
import { SessionManager } from '../live/session-manager.ts';
import { RoomRegistry } from '../rooms/room-registry.ts';
import type { Room, RoomOptions } from '../rooms/room.ts';

export interface SignalingOptions {
  /** Style ids a client may ask for (e.g. from the style catalog); anything else is `unknown_style`. */
  knownStyles: readonly string[] | (() => readonly string[]);
  /** Effect of a new session until the client sends `session.update`. */
  defaultEffect?: { style: string; target: Target };
  maxSessions?: number;
  /** Frame workers started ahead of demand (see SessionManagerOptions.spareWorkers). */
  spareWorkers?: number;
  /** Module exporting `createProcessor: ProcessorFactory`, loaded in each session's worker. */
  processorModule?: string;
  workingWidth?: number;
  recordings?: RecordingStore | RecordingStoreOptions;
  peer?: LivePeerOptions;
  encoder?: Partial<EncoderOptions>;
  statsIntervalMs?: number;
  /** socket.io path (default `/socket.io`). */
  path?: string;
  cors?: { origin: string | string[] | boolean };
  logger?: { info(message: string): void; warn(message: string): void };
  /** Room calls (slots per participant etc.). */
  rooms?: Partial<RoomOptions>;
}

export interface SignalingHandle {
  io: Server<ClientToServerEvents, ServerToClientEvents>;
  sessions: SessionManager;
  store: RecordingStore;
  rooms: RoomRegistry;
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
    processorModule: options.processorModule ?? DEFAULT_PROCESSOR_MODULE,
    workingWidth: options.workingWidth,
    encoder: options.encoder,
    peer: options.peer,
    store,
    statsIntervalMs: options.statsIntervalMs,
  });
  const rooms = new RoomRegistry(options.rooms);
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer, {
    path: options.path ?? '/socket.io',
    cors: options.cors,
    maxHttpBufferSize: 256 * 1024,
    serveClient: false,
  });

  function checkStyle(style: string | undefined): void {
    if (style !== undefined && !knownStyles().includes(style)) throw new LiveError('unknown_style', `unknown style "${style}"`);
  }

  io.on('connection', (socket: LiveSocket) => {
    let session: Session | undefined;
    /** Set while this socket is in a room call; its session was created by `room.join`, before the offer. */
    let membership: { room: Room; id: string } | undefined;
    let answered = false;
    let effect = options.defaultEffect ?? { style: knownStyles()[0] ?? 'none', target: 'whole' as Target };

    function fail(error: unknown, ack: AnyAck): void {
      const e = LiveError.from(error);
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
        if (payloadArgs.length > 1) return fail(new LiveError('bad_request', `${event}: expected one payload`), ack);
        const parsed = clientEventSchemas[event].safeParse(payloadArgs[0]);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const code = issue?.path[0] === 'target' ? 'unknown_target' : 'bad_request';
          const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
          return fail(new LiveError(code, `${event}: ${issue?.message ?? 'invalid payload'}${where}`), ack);
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
    }

    /** Makes `created` this socket's session: its events go to the socket; closing it leaves the room. */
    function adopt(created: Session): void {
      session = created;
      answered = false;
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
      let created: Session;
      if (membership) {
        // The room session exists since room.join; a room call negotiates once (slots are pre-allocated).
        if (!session || answered) throw new LiveError('invalid_state', 'this room call is already negotiated: leave and join again');
        created = session;
      } else {
        if (session) await session.close('renegotiated');
        session = undefined;
        created = await sessions.create(effect);
        if (socket.disconnected) {
          await created.close('socket gone');
          throw new LiveError('invalid_state', 'socket disconnected');
        }
        adopt(created);
      }
      answered = true;
      let answerSdp: string;
      try {
        answerSdp = await created.answer(sdp);
      } catch (error) {
        await created.close('bad offer');
        throw error instanceof LiveError ? error : new LiveError('bad_request', `offer: ${(error as Error).message}`);
      }
      socket.emit('answer', { sdp: answerSdp });
      return { sdp: answerSdp };
    });

    handle('ice', async ({ candidate }) => {
      if (!session) throw new LiveError('invalid_state', 'ice before offer');
      try {
        await session.addIceCandidate(candidate);
      } catch (error) {
        throw new LiveError('bad_request', `ice: ${(error as Error).message}`);
      }
    });

    handle('session.update', async (change) => {
      checkStyle(change.style);
      const next = { ...effect, ...change };
      if (session) await session.update(change);
      effect = next;
      if (membership) membership.room.effectChanged(membership.id);
      return { ...effect };
    });

    handle('room.join', async ({ room: name, name: displayName, ...change }) => {
      if (membership || session) throw new LiveError('invalid_state', 'already in a call: leave it first');
      checkStyle(change.style);
      const wanted = { ...effect, ...change };
      const room = rooms.reserve(name); // busy when the room is full
      let created: Session;
      try {
        created = await sessions.create(wanted);
      } catch (error) {
        room.release();
        rooms.collect(room);
        const e = LiveError.from(error);
        throw e.code === 'busy' ? new LiveError('busy', `the server cannot filter another camera now (${e.message})`) : e;
      }
      if (socket.disconnected || membership || session) {
        room.release();
        rooms.collect(room);
        await created.close('socket gone');
        throw new LiveError('invalid_state', 'socket disconnected or already in a call');
      }
      effect = wanted;
      adopt(created);
      membership = { room, id: created.id };
      const participants = room.add({
        id: created.id,
        name: displayName,
        session: created,
        notify: (event: string, payload: unknown) => (socket.emit as (e: string, p: unknown) => void)(event, payload),
      });
      logger.info(`room ${name}: ${displayName} joined (${room.size}/${room.capacity})`);
      return { participantId: created.id, room: name, slots: room.capacity - 1, participants };
    });

    handle('room.leave', async () => {
      if (!membership) throw new LiveError('invalid_state', 'not in a room');
      leaveRoom('left');
      const s = session;
      session = undefined;
      await s?.close('left the room');
    });

    handle('media.mute', async (muted) => {
      if (!membership) throw new LiveError('invalid_state', 'not in a room');
      membership.room.setMuted(membership.id, muted);
    });

    handle('recording.start', async () => {
      if (!session) throw new LiveError('invalid_state', 'no live session to record');
      return { id: session.startRecording() };
    });

    handle('recording.stop', async () => {
      if (!session) throw new LiveError('invalid_state', 'no live session');
      return await session.stopRecording();
    });

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
    close() {
      closing ??= (async () => {
        io.disconnectSockets(true);
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
