'use client';
import type { RecordingReadyPayload } from '@deepphoto/shared';
import { describeBytes } from '../../lib/messages.ts';

/** The finished recording: an in-page player and a download. */
export function RecordedClip({ clip }: { clip: RecordingReadyPayload }) {
  return (
    <div className="clip" data-testid="clip">
      <video controls playsInline preload="metadata" src={clip.url} aria-label="Recorded clip" />
      <div className="clip-meta">
        <strong>Your clip</strong>
        <span>
          {(clip.durationMs / 1000).toFixed(1)} s · {describeBytes(clip.bytes)} · WebM
        </span>
        <a className="btn btn-primary" href={clip.url} download={`deepphoto-${clip.id}.webm`}>
          Download clip
        </a>
      </div>
    </div>
  );
}
