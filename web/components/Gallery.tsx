'use client';
import type { StyleInfo } from '@deepphoto/shared';
import { thumbnailUrl } from '../lib/api.ts';
import { styleTitle, type UiError } from '../lib/messages.ts';
import { ErrorBanner } from './ErrorBanner.tsx';

export type PlaceTarget = 'whole' | 'background' | 'person';
export const PLACE_TARGETS: readonly { id: PlaceTarget; label: string; hint: string }[] = [
  { id: 'whole', label: 'Whole', hint: 'the whole picture' },
  { id: 'background', label: 'Background', hint: 'everything but the person' },
  { id: 'person', label: 'Person', hint: 'only the person' },
];

/** `style: null` is "none": the picture passes through unchanged (target `none` on the wire). */
export interface Selection {
  style: string | null;
  target: PlaceTarget;
}

interface GalleryProps {
  styles: StyleInfo[] | null;
  error: UiError | null;
  onRetry(): void;
  selection: Selection;
  onChange(selection: Selection): void;
  /** True while a mid-stream change waits for the server's acknowledgement. */
  pending: boolean;
}

export function Gallery({ styles, error, onRetry, selection, onChange, pending }: GalleryProps) {
  const choices: { id: string | null; title: string; thumb: string; tier?: StyleInfo['tier'] }[] = [
    { id: null, title: 'None', thumb: thumbnailUrl('none') },
    ...(styles ?? []).map((s) => ({ id: s.id, title: styleTitle(s.title), thumb: s.thumbnailUrl, tier: s.tier })),
  ];
  return (
    <section className="panel gallery" aria-labelledby="gallery-title" aria-busy={pending}>
      <div className="panel-head">
        <h2 id="gallery-title">Effect</h2>
        {pending ? (
          <span className="pill pill-quiet" aria-hidden="true">
            applying…
          </span>
        ) : null}
      </div>
      {error ? (
        <ErrorBanner error={error} compact>
          <button type="button" className="btn btn-small" onClick={onRetry}>
            Retry now
          </button>
        </ErrorBanner>
      ) : null}
      <fieldset className="styles">
        <legend className="label">Style</legend>
        <div className="style-grid">
          {choices.map((c) => {
            const id = `style-${c.id ?? 'none'}`;
            return (
              <label key={id} className="style-card" htmlFor={id} data-style={c.id ?? 'none'}>
                <input
                  id={id}
                  type="radio"
                  name="style"
                  className="visually-hidden"
                  checked={selection.style === c.id}
                  onChange={() => onChange({ ...selection, style: c.id })}
                />
                <span className="style-thumb">
                  {/* eslint-disable-next-line @next/next/no-img-element -- static export, thumbnails come from the API */}
                  <img
                    key={styles ? 'listed' : 'pending'}
                    src={c.thumb}
                    alt=""
                    width={160}
                    height={120}
                    loading="lazy"
                    decoding="async"
                    onError={(e) => {
                      e.currentTarget.style.visibility = 'hidden';
                    }}
                  />
                </span>
                <span className="style-name">
                  {c.title}
                  {c.tier === 'quality' ? (
                    <span className="tier" title="Full-quality network: best for photos; live on a GPU">
                      HQ
                    </span>
                  ) : null}
                </span>
              </label>
            );
          })}
          {styles === null && !error
            ? [0, 1, 2].map((i) => (
                <span key={i} className="style-card skeleton" aria-hidden="true">
                  <span className="style-thumb" />
                  <span className="style-name">&nbsp;</span>
                </span>
              ))
            : null}
        </div>
      </fieldset>
      {styles && styles.length === 0 ? (
        <p className="hint" data-testid="no-styles">
          The server has no style networks installed yet. Ask the operator to run <code>npm run setup</code> (see the README).
        </p>
      ) : null}
      <fieldset className="targets" disabled={selection.style === null}>
        <legend className="label">Apply to</legend>
        <div className="segmented" role="presentation">
          {PLACE_TARGETS.map((t) => (
            <label key={t.id} className="segment" title={t.hint}>
              <input
                type="radio"
                name="target"
                className="visually-hidden"
                value={t.id}
                checked={selection.target === t.id}
                onChange={() => onChange({ ...selection, target: t.id })}
              />
              <span>{t.label}</span>
            </label>
          ))}
        </div>
        <p className="hint">{selection.style === null ? 'Pick a style to choose where it applies.' : `Style on ${PLACE_TARGETS.find((t) => t.id === selection.target)?.hint}.`}</p>
      </fieldset>
    </section>
  );
}
