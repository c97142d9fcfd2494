'use client';
import { useEffect, useRef } from 'react';
import type { CallTile } from './useCall.ts';

/** One participant: their filtered video, name, and what they muted. Remote audio plays from a hidden element. */
export function Tile({ tile }: { tile: CallTile }) {
  const video = useRef<HTMLVideoElement>(null);
  const audio = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    if (video.current) video.current.srcObject = tile.video;
  }, [tile.video]);
  useEffect(() => {
    if (audio.current) audio.current.srcObject = tile.audio;
  }, [tile.audio]);
  return (
    <figure className={`video tile${tile.self ? ' tile-self' : ''}`} data-testid="tile" data-participant={tile.id} data-self={tile.self}>
      <video ref={video} autoPlay playsInline muted aria-label={`${tile.name}${tile.self ? ', your filtered camera' : ''}`} />
      {tile.self ? null : <audio ref={audio} autoPlay />}
      <figcaption>
        <span className="tile-name">{tile.name || 'Joining…'}</span>
        {tile.self ? <span className="tile-badge">you · filtered</span> : null}
        {tile.muted.video ? <span className="tile-badge">camera off</span> : null}
        {tile.muted.audio ? <span className="tile-badge">muted</span> : null}
      </figcaption>
    </figure>
  );
}
