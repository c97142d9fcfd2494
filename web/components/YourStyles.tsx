'use client';
import { useRef, useState } from 'react';
import type { StyleInfo } from '@deepphoto/shared';
import { ApiError } from '../lib/api.ts';
import type { UiError } from '../lib/messages.ts';
import { deleteStyle, uploadStyle } from '../lib/styles-api.ts';
import { ErrorBanner } from './ErrorBanner.tsx';

interface YourStylesProps {
  /** The user's own styles (group `user`), as listed by the server. */
  styles: StyleInfo[];
  /** The selected style is an arbitrary-style look (art or yours): the strength slider applies to it. */
  strengthApplies: boolean;
  strength: number;
  onStrength(strength: number): void;
  /** A new style exists on the server: add it to the gallery and select it. */
  onCreated(style: StyleInfo): void;
  onDeleted(id: string): void;
}

/**
 * "Style from your own picture": upload any picture and it becomes a style (the server computes its style vector
 * in well under a second); a strength slider for art and own styles; delete what you made.
 */
export function YourStyles({ styles, strengthApplies, strength, onStrength, onCreated, onDeleted }: YourStylesProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UiError | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function onFile(file: File | undefined) {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      onCreated(await uploadStyle(file, file.name));
    } catch (e) {
      setError(e instanceof ApiError ? e.ui : { kind: 'internal', title: 'Upload failed', detail: String(e) });
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  }

  async function onDelete(id: string) {
    try {
      await deleteStyle(id);
      onDeleted(id);
    } catch (e) {
      setError(e instanceof ApiError ? e.ui : { kind: 'internal', title: 'Delete failed', detail: String(e) });
    }
  }

  return (
    <section className="panel your-styles" aria-labelledby="your-styles-title" aria-busy={busy} data-testid="your-styles">
      <div className="panel-head">
        <h2 id="your-styles-title">Your styles</h2>
        {busy ? <span className="pill pill-quiet">making style…</span> : null}
      </div>
      {error ? <ErrorBanner error={error} compact /> : null}
      <label className="btn btn-small" htmlFor="style-upload">
        Use your own picture…
      </label>
      <input
        id="style-upload"
        ref={input}
        type="file"
        accept="image/*"
        className="visually-hidden"
        data-testid="style-upload"
        disabled={busy}
        onChange={(e) => void onFile(e.currentTarget.files?.[0])}
      />
      <p className="hint">Any painting or photo becomes a style, live and for photos.</p>
      {styles.length > 0 ? (
        <ul className="your-style-list">
          {styles.map((s) => (
            <li key={s.id}>
              <span>{s.title}</span>
              <button type="button" className="btn btn-small btn-ghost" aria-label={`Delete style ${s.title}`} onClick={() => void onDelete(s.id)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <label className="field strength" htmlFor="style-strength">
        <span className="label">Strength {strength} %</span>
        <input
          id="style-strength"
          type="range"
          min={0}
          max={100}
          step={5}
          value={strength}
          disabled={!strengthApplies}
          onChange={(e) => onStrength(Number(e.currentTarget.value))}
        />
      </label>
      {!strengthApplies ? <p className="hint">Strength applies to the art looks and your own styles.</p> : null}
    </section>
  );
}
