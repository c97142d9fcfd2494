'use client';
import { useEffect, useRef, useState } from 'react';
import type { SessionUpdatePayload } from '@deepphoto/shared';
import { isRoomName, randomRoomName } from '../../lib/client/room-link.ts';
import { ErrorBanner } from '../ErrorBanner.tsx';
import { CallControls } from './CallControls.tsx';
import { Tile } from './Tile.tsx';
import { useCall } from './useCall.ts';
import { useCamera } from './useCamera.ts';

interface Props {
  /** The room from the link (/r/NAME), if any. */
  initialRoom: string | null;
  effect: SessionUpdatePayload;
  announce(message: string): void;
}

/** A room call: a join form, then a grid of tiles (own filtered self-view first) with the call controls. */
export function CallView({ initialRoom, effect, announce }: Props) {
  const [room, setRoom] = useState(initialRoom ?? '');
  const [name, setName] = useState('');
  const [joinedRoom, setJoinedRoom] = useState<string | null>(null);
  const camera = useCamera();
  const call = useCall(announce);
  const effectRef = useRef(effect);
  effectRef.current = effect;

  useEffect(() => {
    if (initialRoom) setRoom(initialRoom);
    else setRoom((r) => r || randomRoomName());
  }, [initialRoom]);

  // the gallery drives the own camera's effect mid-call
  const effectKey = JSON.stringify(effect);
  useEffect(() => {
    if (joinedRoom) void call.setEffect(effect);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- effectKey is the identity of `effect`
  }, [effectKey, joinedRoom]);

  async function join(): Promise<void> {
    const stream = await camera.open();
    if (!stream) return;
    if (await call.join(room, name.trim(), stream, effectRef.current)) {
      setJoinedRoom(room);
      window.history.replaceState(null, '', `/?room=${encodeURIComponent(room)}`);
    } else camera.release();
  }

  async function leave(): Promise<void> {
    await call.leave();
    camera.release();
    setJoinedRoom(null);
  }

  const valid = isRoomName(room) && name.trim().length > 0 && name.trim().length <= 40;
  const tiles = [...call.tiles].sort((a, b) => Number(b.self) - Number(a.self));
  return (
    <section className="panel call" aria-labelledby="call-title">
      <div className="panel-head">
        <h2 id="call-title">{joinedRoom ? `Call: ${joinedRoom}` : 'Call'}</h2>
        <span className={`pill pill-${call.state === 'live' ? 'live' : joinedRoom ? 'busy' : 'off'}`} data-testid="call-state" data-state={call.state}>
          {joinedRoom ? `${tiles.length} in the call` : 'Not in a call'}
        </span>
      </div>
      {camera.error ? <ErrorBanner error={camera.error} /> : null}
      {call.error ? <ErrorBanner error={call.error} /> : null}
      {joinedRoom ? (
        <>
          <div className="call-grid" data-count={tiles.length} data-testid="call-grid">
            {tiles.map((t) => (
              <Tile key={t.id} tile={t} />
            ))}
          </div>
          <CallControls room={joinedRoom} muted={call.muted} onToggle={(k) => void call.toggleMute(k)} onLeave={() => void leave()} announce={announce} />
        </>
      ) : (
        <form
          className="call-join"
          onSubmit={(e) => {
            e.preventDefault();
            if (valid) void join();
          }}
        >
          <label className="field">
            <span className="label">Room</span>
            <input value={room} onChange={(e) => setRoom(e.target.value)} maxLength={64} pattern="[A-Za-z0-9][A-Za-z0-9_\-]*" required data-testid="room-name" />
          </label>
          <label className="field">
            <span className="label">Your name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} maxLength={40} required autoComplete="nickname" data-testid="display-name" />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!valid} data-testid="join">
            Join with camera and microphone
          </button>
          <p className="hint">Everyone in the room sees your camera with the effect you pick in the gallery, and hears you.</p>
        </form>
      )}
    </section>
  );
}
