'use client';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { Target } from '@deepphoto/shared';
import { ApiError, editPhoto, type EditProgress } from '../lib/api.ts';
import { cameraErrorMessage, describeBytes, type UiError } from '../lib/messages.ts';
import { ErrorBanner } from './ErrorBanner.tsx';
import { PhotoPeoplePicker, type PhotoPick } from './PhotoPeoplePicker.tsx';

interface Picture {
  blob: Blob;
  name: string;
  url: string;
}

interface PhotoModeProps {
  /** Hidden photo mode edits nothing; it catches up when shown. */
  active: boolean;
  effect: { style?: string; target: Target; strength?: number };
  /** The live view's camera stream when it runs (snapshots use it instead of opening the camera again). */
  cameraStream: MediaStream | null;
  announce(message: string): void;
}

async function grabFrame(stream: MediaStream): Promise<Blob> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = stream;
  await video.play();
  if (video.videoWidth === 0) await new Promise((r) => video.addEventListener('loadeddata', r, { once: true }));
  // one more frame, so a just-opened camera has exposed
  await new Promise((r) => setTimeout(r, 150));
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d')?.drawImage(video, 0, 0);
  video.srcObject = null;
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('snapshot failed'))), 'image/jpeg', 0.92));
}

function progressText(p: EditProgress): string {
  if (p.phase === 'uploading') return p.fraction !== undefined && p.fraction < 1 ? `Uploading… ${Math.round(p.fraction * 100)}%` : 'Uploading…';
  if (p.phase === 'processing') return 'Applying the style…';
  return 'Receiving the result…';
}

export function PhotoMode({ active, effect, cameraStream, announce }: PhotoModeProps) {
  const [source, setSource] = useState<Picture | null>(null);
  const [result, setResult] = useState<(Picture & { ms: number }) | null>(null);
  const [progress, setProgress] = useState<EditProgress | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  /** People clicked on the original (person selection); empty: the gallery's target applies. */
  const [picks, setPicks] = useState<PhotoPick[]>([]);
  const [dragging, setDragging] = useState(false);
  const [snapping, setSnapping] = useState(false);
  const [runId, setRunId] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  const lastEdit = useRef('');
  const announceRef = useRef(announce);
  announceRef.current = announce;

  function setPicture(blob: Blob, name: string): void {
    if (!blob.type.startsWith('image/')) {
      setError({ kind: 'not_an_image', title: 'That file is not a photo', detail: 'Choose a JPEG, PNG or WebP image.' });
      return;
    }
    setError(null);
    setPicks([]);
    setSource((old) => {
      if (old) URL.revokeObjectURL(old.url);
      return { blob, name, url: URL.createObjectURL(blob) };
    });
  }

  // Edit whenever the photo or the effect changes; a newer request aborts the older one.
  const effectKey = `${effect.style ?? ''}/${effect.target}/${effect.strength ?? ''}/${JSON.stringify(picks)}`;
  useEffect(() => {
    const key = `${source?.url}|${effectKey}|${runId}`;
    if (!source || !active || key === lastEdit.current) return;
    const controller = new AbortController();
    const t0 = performance.now();
    setError(null);
    setProgress({ phase: 'uploading', fraction: 0 });
    editPhoto(source.blob, source.name, picks.length ? { ...effect, target: 'people', picks } : effect, setProgress, controller.signal)
      .then(({ blob, fileName }) => {
        const ms = performance.now() - t0;
        lastEdit.current = key;
        setResult((old) => {
          if (old) URL.revokeObjectURL(old.url);
          return { blob, name: fileName, url: URL.createObjectURL(blob), ms };
        });
        setProgress(null);
        announceRef.current(`Photo ready (${describeBytes(blob.size)}). Use Download to save it.`);
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setProgress(null);
        const ui = e instanceof ApiError ? e.ui : { kind: 'internal' as const, title: 'The photo could not be edited', detail: String(e) };
        setError(ui);
        announceRef.current(`${ui.title}. ${ui.detail}`);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- effectKey is the identity of `effect`
  }, [source, effectKey, runId, active]);

  async function snapshot(): Promise<void> {
    setSnapping(true);
    let temporary: MediaStream | null = null;
    try {
      const stream = cameraStream ?? (temporary = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false }));
      setPicture(await grabFrame(stream), 'snapshot.jpg');
      announce('Snapshot taken.');
    } catch (e) {
      const ui = cameraErrorMessage(e);
      setError(ui);
      announce(`${ui.title}. ${ui.detail}`);
    } finally {
      temporary?.getTracks().forEach((t) => t.stop());
      setSnapping(false);
    }
  }

  function onDrop(e: DragEvent<HTMLDivElement>): void {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file) setPicture(file, file.name);
  }

  const working = progress !== null;
  return (
    <section className="panel photo" aria-labelledby="photo-title">
      <div className="panel-head">
        <h2 id="photo-title">Photo</h2>
      </div>
      <div
        className={`dropzone${dragging ? ' dropzone-active' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <input
          ref={fileInput}
          id="photo-file"
          type="file"
          accept="image/jpeg,image/png,image/webp,image/*"
          className="visually-hidden"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) setPicture(file, file.name);
            e.target.value = '';
          }}
        />
        <label htmlFor="photo-file" className="btn btn-primary">
          Choose a photo
        </label>
        <button type="button" className="btn" onClick={() => void snapshot()} disabled={snapping}>
          {snapping ? 'Taking snapshot…' : 'Snapshot from camera'}
        </button>
        <span className="hint">or drop an image here · JPEG, PNG, WebP up to 25 MB</span>
      </div>

      {error ? (
        <ErrorBanner error={error}>
          {source ? (
            <button type="button" className="btn btn-small" onClick={() => setRunId((n) => n + 1)}>
              Try again
            </button>
          ) : null}
        </ErrorBanner>
      ) : null}

      <div className="compare">
        <figure className="photo-frame">
          {source ? (
            // eslint-disable-next-line @next/next/no-img-element -- a local object URL
            <img src={source.url} alt="Your photo" />
          ) : null}
          {source ? (
            <PhotoPeoplePicker picks={picks} onChange={setPicks} />
          ) : (
            <div className="video-empty">
              <span>Your photo</span>
            </div>
          )}
          <figcaption>Original</figcaption>
        </figure>
        <figure className="photo-frame" aria-busy={working}>
          {result ? (
            // eslint-disable-next-line @next/next/no-img-element -- a local object URL
            <img src={result.url} alt="The edited photo" data-testid="photo-result" />
          ) : (
            <div className="video-empty">
              <span>The result appears here</span>
            </div>
          )}
          {working ? (
            <div className="progress-overlay" data-testid="photo-progress">
              <span className="spinner" aria-hidden="true" />
              <span>{progressText(progress)}</span>
              {progress.phase === 'uploading' && progress.fraction !== undefined ? (
                <progress max={1} value={progress.fraction} aria-label="Upload progress" />
              ) : (
                <progress aria-label="Working" />
              )}
            </div>
          ) : null}
          <figcaption>Result</figcaption>
        </figure>
      </div>
      <div className="controls">
        {result && !working ? (
          <a className="btn btn-primary" href={result.url} download={result.name} data-testid="photo-download">
            Download {result.name.split('.').pop()?.toUpperCase()} ({describeBytes(result.blob.size)})
          </a>
        ) : (
          <button type="button" className="btn btn-primary" disabled>
            {working ? 'Working…' : 'Download'}
          </button>
        )}
        {result && !working ? <span className="hint">Done in {(result.ms / 1000).toFixed(1)} s</span> : null}
      </div>
    </section>
  );
}
