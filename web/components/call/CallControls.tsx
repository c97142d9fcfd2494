'use client';
import { useState } from 'react';
import { inviteLink } from '../../lib/client/room-link.ts';

interface Props {
  room: string;
  muted: { video: boolean; audio: boolean };
  onToggle(kind: 'video' | 'audio'): void;
  onLeave(): void;
  announce(message: string): void;
}

/** Mute camera / microphone, copy the invite link, leave. */
export function CallControls({ room, muted, onToggle, onLeave, announce }: Props) {
  const [copied, setCopied] = useState(false);
  async function copy(): Promise<void> {
    const link = inviteLink(window.location.origin, room);
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
      announce(`Invite link copied: ${link}`);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      announce(`Copy this invite link: ${link}`);
    }
  }
  return (
    <div className="controls call-controls">
      <button type="button" className="btn" aria-pressed={muted.video} onClick={() => onToggle('video')} data-testid="mute-camera">
        {muted.video ? 'Camera on' : 'Camera off'}
      </button>
      <button type="button" className="btn" aria-pressed={muted.audio} onClick={() => onToggle('audio')} data-testid="mute-mic">
        {muted.audio ? 'Unmute' : 'Mute'}
      </button>
      <button type="button" className="btn" onClick={() => void copy()} data-testid="copy-invite">
        {copied ? 'Link copied' : 'Copy invite link'}
      </button>
      <button type="button" className="btn btn-danger" onClick={onLeave} data-testid="leave">
        Leave
      </button>
    </div>
  );
}
