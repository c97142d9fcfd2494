'use client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { SessionUpdatePayload, StyleInfo } from '@deepphoto/shared';
import { ApiError, fetchStyles } from '../lib/api.ts';
import { UNREACHABLE, type UiError } from '../lib/messages.ts';
import { EffectGallery } from './EffectGallery.tsx';
import { roomFromUrl } from '../lib/client/room-link.ts';
import { CallView } from './call/CallView.tsx';
import type { Selection } from './selection.ts';
import { LiveView } from './LiveView.tsx';
import { PhotoMode } from './PhotoMode.tsx';
import { YourStyles } from './YourStyles.tsx';

type Mode = 'live' | 'call' | 'photo';
const RETRY_MS = 3000;

export function App() {
  const [mode, setMode] = useState<Mode>('live');
  const [styles, setStyles] = useState<StyleInfo[] | null>(null);
  const [stylesError, setStylesError] = useState<UiError | null>(null);
  const [selection, setSelection] = useState<Selection>({ style: null, target: 'background' });
  const [pending, setPending] = useState(false);
  const [strength, setStrength] = useState(100);
  const [status, setStatus] = useState('');
  const [camera, setCamera] = useState<MediaStream | null>(null);
  const [loadRun, setLoadRun] = useState(0);
  const chosen = useRef(false);
  const [initialRoom, setInitialRoom] = useState<string | null>(null);

  // An invite link (/r/NAME, redirected by the server to /?room=NAME) opens the call in that room.
  useEffect(() => {
    const room = roomFromUrl(window.location.href);
    if (room) {
      setInitialRoom(room);
      setMode('call');
    }
  }, []);

  // Style list; while the server is unreachable, retry every few seconds (and on "Retry now").
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    fetchStyles(controller.signal)
      .then((list) => {
        setStyles(list.styles);
        setStylesError(null);
        if (!chosen.current && list.styles[0]) setSelection((s) => ({ ...s, style: list.styles[0]!.id }));
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        setStylesError(e instanceof ApiError ? e.ui : UNREACHABLE);
        timer = setTimeout(() => setLoadRun((n) => n + 1), RETRY_MS);
      });
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [loadRun]);

  const announce = useCallback((message: string) => setStatus(message), []);
  const onSelect = useCallback((next: Selection) => {
    chosen.current = true;
    setSelection(next);
  }, []);

  // Strength applies to arbitrary-style looks (art pictures, your own); other styles ignore it.
  const selectedGroup = styles?.find((s) => s.id === selection.style)?.group;
  const strengthApplies = selectedGroup === 'art' || selectedGroup === 'user';
  const effect = useMemo<SessionUpdatePayload & { target: NonNullable<SessionUpdatePayload['target']> }>(
    () =>
      selection.style === null
        ? { target: 'none' }
        : { style: selection.style, target: selection.target, ...(strengthApplies ? { strength } : {}) },
    [selection.style, selection.target, strengthApplies, strength],
  );
  const onStyleCreated = useCallback((style: StyleInfo) => {
    setStyles((list) => [...(list ?? []).filter((s) => s.id !== style.id), style]);
    chosen.current = true;
    setSelection((s) => ({ ...s, style: style.id }));
  }, []);
  const onStyleDeleted = useCallback((id: string) => {
    setStyles((list) => (list ?? []).filter((s) => s.id !== id));
    setSelection((s) => (s.style === id ? { ...s, style: null } : s));
  }, []);

  const reachable = stylesError?.kind !== 'unreachable';

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span>
            DeepPhoto <em>Live</em>
          </span>
        </div>
        <nav className="tabs" aria-label="Mode">
          <button type="button" className="tab" aria-pressed={mode === 'live'} onClick={() => setMode('live')}>
            Live video
          </button>
          <button type="button" className="tab" aria-pressed={mode === 'call'} onClick={() => setMode('call')} data-testid="tab-call">
            Call
          </button>
          <button type="button" className="tab" aria-pressed={mode === 'photo'} onClick={() => setMode('photo')}>
            Photo
          </button>
        </nav>
        <span className={`pill ${reachable ? (styles ? 'pill-live' : 'pill-busy') : 'pill-error'}`} data-testid="server-status">
          {reachable ? (styles ? 'Server ready' : 'Connecting…') : 'Server unreachable'}
        </span>
      </header>

      <main id="main" className="layout">
        <div className="stage">
          <div hidden={mode !== 'live'}>
            <LiveView effect={effect} onPending={setPending} announce={announce} onCameraStream={setCamera} />
          </div>
          <div hidden={mode !== 'call'}>
            <CallView initialRoom={initialRoom} effect={effect} announce={announce} />
          </div>
          <div hidden={mode !== 'photo'}>
            <PhotoMode active={mode === 'photo'} effect={effect} cameraStream={camera} announce={announce} />
          </div>
        </div>
        <aside className="side">
          <EffectGallery
            styles={styles}
            error={stylesError}
            onRetry={() => setLoadRun((n) => n + 1)}
            selection={selection}
            onChange={onSelect}
            pending={pending}
          />
          <YourStyles
            styles={(styles ?? []).filter((s) => s.group === 'user')}
            strengthApplies={strengthApplies}
            strength={strength}
            onStrength={setStrength}
            onCreated={onStyleCreated}
            onDeleted={onStyleDeleted}
          />
        </aside>
      </main>

      <footer className="statusbar">
        <p role="status" aria-live="polite" data-testid="status">
          {status}
        </p>
      </footer>
    </div>
  );
}
