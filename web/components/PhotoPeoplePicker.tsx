'use client';
import type { MouseEvent } from 'react';

export interface PhotoPick {
  x: number;
  y: number;
}

interface PhotoPeoplePickerProps {
  picks: readonly PhotoPick[];
  onChange(picks: PhotoPick[]): void;
}

/**
 * Click a person on the original photo to put the style on them only (click the badge again to take it off).
 * Overlaid on the photo figure; coordinates are normalised to the picture, whose frame has its aspect ratio.
 */
export function PhotoPeoplePicker({ picks, onChange }: PhotoPeoplePickerProps) {
  function click(event: MouseEvent<HTMLDivElement>): void {
    const img = event.currentTarget.parentElement?.querySelector('img');
    if (!img || !img.naturalWidth) return;
    const box = img.getBoundingClientRect();
    // object-fit: contain inside the figure: find the shown picture's rectangle.
    const scale = Math.min(box.width / img.naturalWidth, box.height / img.naturalHeight);
    const w = img.naturalWidth * scale;
    const h = img.naturalHeight * scale;
    const x = (event.clientX - box.left - (box.width - w) / 2) / w;
    const y = (event.clientY - box.top - (box.height - h) / 2) / h;
    if (x < 0 || x > 1 || y < 0 || y > 1) return;
    const near = picks.findIndex((p) => Math.hypot(p.x - x, p.y - y) < 0.05);
    onChange(near >= 0 ? picks.filter((_, i) => i !== near) : [...picks, { x, y }]);
  }
  return (
    <div className="person-picker" data-testid="photo-person-picker" onClick={click} role="button" aria-label="Click a person to style only them">
      {picks.map((p, i) => (
        <span key={`${p.x},${p.y}`} className="person-badge" style={{ left: `${p.x * 100}%`, top: `${p.y * 100}%` }}>
          {i + 1}
        </span>
      ))}
    </div>
  );
}
