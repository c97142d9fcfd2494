'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SessionUpdatePayload } from '@deepphoto/shared';
import { DeepPhotoClient, DeepPhotoError, type ClientState } from '../../lib/client/index.ts';
import { getAccessToken } from '../../lib/auth.ts';
import { serverErrorMessage, UNREACHABLE, type UiError } from '../../lib/messages.ts';

export interface CallTile {
  id: string;
  name: string;
  self: boolean;
  video: MediaStream | null;
  audio: MediaStream | null;
  muted: { video: boolean; audio: boolean };
  effect?: { style: string; target: string };
}

export function uiErrorOf(error: unknown): UiError {
  if (error instanceof DeepPhotoError) {
    if (error.code === 'network') return UNREACHABLE;
    if (error.code === 'media_failed' || error.code === 'no_camera') {
      return { kind: error.code, title: 'The call could not start', detail: `${error.message}. Press Join again.` };
    }
    const ui = serverErrorMessage(error.code, error.message.replace(/^[a-z_]+: /, ''));
    return error.code === 'busy' ? { ...ui, title: 'The call is full or the server is busy', detail: `${error.message.replace(/^busy: /, '')}. Try again later.` } : ui;
  }
  return { kind: 'internal', title: 'Something went wrong', detail: String((error as Error)?.message ?? error) };
}

/** One room call through the client library: tiles (self first), state, and the actions of the controls. */
export function useCall(announce: (message: string) => void) {
  const clientRef = useRef<DeepPhotoClient | null>(null);
  const [state, setState] = useState<ClientState>('idle');
  const [tiles, setTiles] = useState<CallTile[]>([]);
  const [error, setError] = useState<UiError | null>(null);
  const [muted, setMuted] = useState({ video: false, audio: false });
  const announceRef = useRef(announce);
  announceRef.current = announce;

  const upsert = useCallback((id: string, change: Partial<CallTile>) => {
    setTiles((list) => {
      const i = list.findIndex((t) => t.id === id);
      if (i < 0) return [...list, { id, name: '', self: false, video: null, audio: null, muted: { video: false, audio: false }, ...change }];
      const next = [...list];
      next[i] = { ...next[i]!, ...change };
      return next;
    });
  }, []);

  const join = useCallback(
    async (room: string, name: string, camera: MediaStream, effect: SessionUpdatePayload) => {
      clientRef.current?.close();
      const client = new DeepPhotoClient({ token: getAccessToken });
      clientRef.current = client;
      setError(null);
      setTiles([]);
      setMuted({ video: false, audio: false });
      client.on('state', (s) => {
        if (clientRef.current === client) setState(s);
      });
      client.on('error', (e) => {
        if (clientRef.current !== client) return;
        setError(uiErrorOf(e));
        announceRef.current(`Call problem: ${e.message}`);
      });
      client.on('participant.joined', (p) => {
        upsert(p.id, { name: p.name, muted: p.muted, effect: p.effect });
        announceRef.current(`${p.name} joined the call.`);
      });
      client.on('participant.updated', (p) => upsert(p.id, { name: p.name, muted: p.muted, effect: p.effect }));
      client.on('participant.left', ({ id }) => {
        setTiles((list) => {
          const gone = list.find((t) => t.id === id);
          if (gone) announceRef.current(`${gone.name} left the call.`);
          return list.filter((t) => t.id !== id);
        });
      });
      client.on('track.added', ({ participantId, kind, track, self }) => {
        const stream = new MediaStream([track]);
        if (self) upsert(participantId, { name: `${name} (you)`, self: true, video: stream });
        else upsert(participantId, kind === 'video' ? { video: stream } : { audio: stream });
      });
      try {
        const joined = await client.join(room, { name, camera, effect });
        for (const p of joined.participants) upsert(p.id, { name: p.name, muted: p.muted, effect: p.effect });
        announceRef.current(`Joined ${room}${joined.participants.length ? ` with ${joined.participants.map((p) => p.name).join(', ')}` : ''}.`);
        return true;
      } catch (e) {
        client.close();
        if (clientRef.current === client) clientRef.current = null;
        const ui = uiErrorOf(e);
        setError(ui);
        setState('idle');
        announceRef.current(`${ui.title}. ${ui.detail}`);
        return false;
      }
    },
    [upsert],
  );

  const leave = useCallback(async () => {
    const client = clientRef.current;
    clientRef.current = null;
    await client?.leave();
    setTiles([]);
    setState('idle');
    announceRef.current('You left the call.');
  }, []);

  const toggleMute = useCallback(async (kind: 'video' | 'audio') => {
    const next = { ...muted, [kind]: !muted[kind] };
    setMuted(next);
    await clientRef.current?.mute({ [kind]: next[kind] }).catch((e: unknown) => setError(uiErrorOf(e)));
    announceRef.current(`${kind === 'video' ? 'Camera' : 'Microphone'} ${next[kind] ? 'muted' : 'on'}.`);
  }, [muted]);

  const setEffect = useCallback(async (effect: SessionUpdatePayload) => {
    const client = clientRef.current;
    if (!client || client.state === 'idle' || client.state === 'closed') return;
    await client.setEffect(effect).catch((e: unknown) => setError(uiErrorOf(e)));
  }, []);

  useEffect(() => () => clientRef.current?.close(), []);

  return { state, tiles, error, muted, join, leave, toggleMute, setEffect };
}
