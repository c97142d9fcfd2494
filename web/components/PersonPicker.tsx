'use client';
import { useState, type MouseEvent, type RefObject } from 'react';
import type { PeopleTarget, SessionUpdatePayload } from '@deepphoto/shared';

interface PersonPickerProps {
  /** The filtered video the picker lies over. */
  videoRef: RefObject<HTMLVideoElement | null>;
  /** Sends a change to the live session; resolves with the selection after it. */
  update(change: SessionUpdatePayload): Promise<{ people?: number[] }>;
  announce(message: string): void;
  onError(message: string): void;
}

/**
 * Click or tap a person in the filtered video to put the style on them (or, in "everyone but" mode, to leave them
 * out); click again to unselect. The server resolves the click against its own person split of that frame, so
 * what is picked is exactly what gets styled. Overlaid on the video; off until a mode is chosen.
 */
export function PersonPicker({ videoRef, update, announce, onError }: PersonPickerProps) {
  const [mode, setMode] = useState<PeopleTarget | 'off'>('off');
  const [selected, setSelected] = useState<number[]>([]);
  const [marks, setMarks] = useState<{ id: number; x: number; y: number }[]>([]);

  async function choose(next: PeopleTarget | 'off'): Promise<void> {
    setMode(next);
    if (next === 'off') return;
    try {
      await update({ target: next });
      announce(next === 'people' ? 'Click a person to style only them' : 'Click a person to leave them out');
    } catch (e) {
      onError(e instanceof Error ? e.message : String(e));
    }
  }

  /** Click position in the video picture (0..1), allowing for the letterbox of object-fit: contain. */
  function pointInPicture(event: MouseEvent<HTMLDivElement>): { x: number; y: number } | null {
    const video = videoRef.current;
    if (!video || !video.videoWidth) return null;
    const box = event.currentTarget.getBoundingClientRect();
    const scale = Math.min(box.width / video.videoWidth, box.height / video.videoHeight);
    const shownW = video.videoWidth * scale;
    const shownH = video.videoHeight * scale;
    const x = (event.clientX - box.left - (box.width - shownW) / 2) / shownW;
    const y = (event.clientY - box.top - (box.height - shownH) / 2) / shownH;
    return x >= 0 && x <= 1 && y >= 0 && y <= 1 ? { x, y } : null;
  }

  async function pick(event: MouseEvent<HTMLDivElement>): Promise<void> {
    const point = pointInPicture(event);
    if (!point || mode === 'off') return;
    const box = event.currentTarget.getBoundingClientRect();
    const mark = { x: ((event.clientX - box.left) / box.width) * 100, y: ((event.clientY - box.top) / box.height) * 100 };
    try {
      const { people = [] } = await update({ target: mode, pick: point });
      const added = people.filter((id) => !selected.includes(id));
      setSelected(people);
      setMarks((old) => [...old.filter((m) => people.includes(m.id)), ...added.map((id) => ({ id, ...mark }))]);
      announce(people.length ? `Selected: person ${people.join(', ')}` : 'Nobody selected');
    } catch (e) {
      onError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <>
      {mode !== 'off' ? (
        <div className="person-picker" data-testid="person-picker" onClick={(e) => void pick(e)} role="button" aria-label="Click a person to select or unselect them">
          {marks.map((m) => (
            <span key={m.id} className="person-badge" style={{ left: `${m.x}%`, top: `${m.y}%` }} data-testid="person-badge">
              {m.id}
            </span>
          ))}
        </div>
      ) : null}
      <div className="person-modes" role="group" aria-label="Pick people">
        <button type="button" aria-pressed={mode === 'people'} onClick={() => void choose(mode === 'people' ? 'off' : 'people')} data-testid="pick-people">
          Only who I click
        </button>
        <button type="button" aria-pressed={mode === 'people-except'} onClick={() => void choose(mode === 'people-except' ? 'off' : 'people-except')} data-testid="pick-people-except">
          Everyone but
        </button>
        {selected.length ? <span className="person-count">{selected.length} selected</span> : null}
      </div>
    </>
  );
}
