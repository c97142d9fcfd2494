'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { EffectGroup, EffectInfo, StyleInfo } from '@deepphoto/shared';
import { ApiError, thumbnailUrl } from '../lib/api.ts';
import { deleteBackground, fetchEffects, uploadBackground } from '../lib/effects-api.ts';
import { styleTitle, UNREACHABLE, type UiError } from '../lib/messages.ts';
import { ErrorBanner } from './ErrorBanner.tsx';
import { PLACE_TARGETS, type PlaceTarget, type Selection } from './selection.ts';

const GROUP_TITLES: Record<Exclude<EffectGroup, 'none'>, string> = { backgrounds: 'Backgrounds', styles: 'Styles', 'your-styles': 'Your styles' };

interface EffectGalleryProps {
  /** The style list App loads (and retries); the effect list is fetched whenever it arrives. */
  styles: StyleInfo[] | null;
  error: UiError | null;
  onRetry(): void;
  selection: Selection;
  onChange(selection: Selection): void;
  pending: boolean;
}

/** What an effect does to its target, for the hint under the target picker. */
function effectHint(effect: EffectInfo | undefined, target: PlaceTarget): string {
  const where = PLACE_TARGETS.find((t) => t.id === target)?.hint ?? '';
  if (!effect) return 'Pick an effect to choose where it applies.';
  if (effect.kind === 'image') return 'The picture replaces everything but the person.';
  if (effect.kind === 'blur') return `Blur on ${where}.`;
  return `Style on ${where}.`;
}

/**
 * The effect gallery, grouped: Backgrounds (blurs, built-in pictures, this browser's own uploads, with an upload
 * button), Styles, Your styles, None. Every card is a radio of one group, so arrow keys move through all of them.
 * Choosing a picture moves the target to the background (the only place a picture can go). The target picker sits
 * on top so that it stays in view however long the gallery grows.
 */
export function EffectGallery({ styles, error, onRetry, selection, onChange, pending }: EffectGalleryProps) {
  const [effects, setEffects] = useState<EffectInfo[] | null>(null);
  const [uploadError, setUploadError] = useState<UiError | null>(null);
  const [uploading, setUploading] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const reload = useCallback(async (signal?: AbortSignal) => {
    try {
      setEffects(await fetchEffects(signal));
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setUploadError(e instanceof ApiError ? e.ui : UNREACHABLE);
    }
  }, []);

  useEffect(() => {
    if (styles === null) return;
    const controller = new AbortController();
    void reload(controller.signal);
    return () => controller.abort();
  }, [styles, reload]);

  // Without the effect list (older server, or still loading), the styles alone, as before.
  const list: EffectInfo[] =
    effects ??
    (styles ?? []).map((s) => ({ id: s.id, kind: 'style', group: s.group === 'user' ? 'your-styles' : 'styles', title: s.title, targets: ['background', 'whole', 'person'], thumbnailUrl: s.thumbnailUrl }));
  const selected = list.find((e) => e.id === selection.style);

  const choose = (effect: EffectInfo | null) => {
    if (!effect) return onChange({ ...selection, style: null });
    const allowed = effect.targets.filter((t): t is PlaceTarget => t !== 'none');
    onChange({ style: effect.id, target: allowed.includes(selection.target) ? selection.target : (allowed[0] ?? 'background') });
  };

  const onUpload = async (file: File | undefined) => {
    if (!file) return;
    setUploading(true);
    setUploadError(null);
    try {
      const added = await uploadBackground(file, file.name);
      await reload();
      choose(added);
    } catch (e) {
      setUploadError(e instanceof ApiError ? e.ui : UNREACHABLE);
    } finally {
      setUploading(false);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  const onDelete = async (effect: EffectInfo) => {
    try {
      await deleteBackground(effect.id);
      if (selection.style === effect.id) choose(list.find((e) => e.kind === 'blur') ?? null);
      await reload();
    } catch (e) {
      setUploadError(e instanceof ApiError ? e.ui : UNREACHABLE);
    }
  };

  const card = (effect: EffectInfo) => {
    const isStyle = effect.kind === 'style';
    return (
      <label
        key={effect.id}
        className="style-card"
        htmlFor={`style-${effect.id}`}
        {...(isStyle ? { 'data-style': effect.id } : { 'data-effect': effect.id })}
        data-kind={effect.kind}
      >
        <input id={`style-${effect.id}`} type="radio" name="style" className="visually-hidden" checked={selection.style === effect.id} onChange={() => choose(effect)} />
        <span className="style-thumb">
          {/* eslint-disable-next-line @next/next/no-img-element -- static export, thumbnails come from the API */}
          <img
            src={effect.thumbnailUrl}
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
          {styleTitle(effect.title)}
          {isStyle && styles?.find((s) => s.id === effect.id)?.tier === 'quality' ? (
            <span className="tier" title="Full-quality network: best for photos; live on a GPU">
              HQ
            </span>
          ) : null}
          {effect.deletable ? (
            <button
              type="button"
              className="card-delete"
              aria-label={`Delete ${effect.title}`}
              onClick={(e) => {
                e.preventDefault();
                void onDelete(effect);
              }}
            >
              ×
            </button>
          ) : null}
        </span>
      </label>
    );
  };

  const groups = (['backgrounds', 'styles', 'your-styles'] as const).map((group) => ({ group, items: list.filter((e) => e.group === group) }));
  const allowedTargets = new Set(selected?.targets ?? []);

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
                disabled={selected !== undefined && !allowedTargets.has(t.id)}
                checked={selection.target === t.id}
                onChange={() => onChange({ ...selection, target: t.id })}
              />
              <span>{t.label}</span>
            </label>
          ))}
        </div>
        <p className="hint">{effectHint(selected, selection.target)}</p>
      </fieldset>
      {groups.map(({ group, items }) =>
        items.length > 0 || group === 'backgrounds' ? (
          <fieldset key={group} className="styles effect-group" data-group={group}>
            <legend className="label">{GROUP_TITLES[group]}</legend>
            <div className="style-grid">
              {items.map(card)}
              {styles === null && !error && group === 'styles'
                ? [0, 1, 2].map((i) => (
                    <span key={i} className="style-card skeleton" aria-hidden="true">
                      <span className="style-thumb" />
                      <span className="style-name">&nbsp;</span>
                    </span>
                  ))
                : null}
            </div>
            {group === 'backgrounds' ? (
              <div className="upload-row">
                <label className={`btn btn-small${uploading ? ' is-busy' : ''}`}>
                  {uploading ? 'Uploading…' : 'Upload a background picture'}
                  <input
                    ref={fileInput}
                    type="file"
                    accept="image/*"
                    className="visually-hidden"
                    data-testid="background-upload"
                    disabled={uploading}
                    onChange={(e) => void onUpload(e.currentTarget.files?.[0])}
                  />
                </label>
              </div>
            ) : null}
          </fieldset>
        ) : null,
      )}
      {uploadError ? <ErrorBanner error={uploadError} compact /> : null}
      <fieldset className="styles effect-group" data-group="none">
        <legend className="label">None</legend>
        <div className="style-grid">
          <label className="style-card" htmlFor="style-none" data-style="none" data-kind="none">
            <input id="style-none" type="radio" name="style" className="visually-hidden" checked={selection.style === null} onChange={() => choose(null)} />
            <span className="style-thumb">
              {/* eslint-disable-next-line @next/next/no-img-element -- static export, thumbnails come from the API */}
              <img src={thumbnailUrl('none')} alt="" width={160} height={120} loading="lazy" decoding="async" />
            </span>
            <span className="style-name">None</span>
          </label>
        </div>
      </fieldset>
      {styles && styles.length === 0 ? (
        <p className="hint" data-testid="no-styles">
          The server has no style networks installed yet. Ask the operator to run <code>npm run setup</code> (see the README).
        </p>
      ) : null}
    </section>
  );
}
