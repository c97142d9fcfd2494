'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SessionUpdatePayload, StatsPayload } from '@deepphoto/shared';
import { LiveCallError, LiveClient, liveSupport, type ClientStats, type LiveState } from '../lib/live-client.ts';
import { cameraErrorMessage, formatElapsed, INSECURE, UNSUPPORTED, type UiError } from '../lib/messages.ts';
import { ErrorBanner } from './ErrorBanner.tsx';
import { CameraSettings } from './live/CameraSettings.tsx';
import { RecordedClip } from './live/RecordedClip.tsx';
import { useRecording } from './live/useRecording.ts';
import { StatsOverlay } from './StatsOverlay.tsx';
import { PersonPicker } from './PersonPicker.tsx';

export { RESOLUTIONS } from './live/CameraSettings.tsx';

type View = 'both' | 'filtered' | 'camera';
type Phase = 'idle' | 'camera' | LiveState;

interface LiveViewProps {
  effect: SessionUpdatePayload;
  /** Reports whether a mid-stream effect change is waiting for the server. */
  onPending(pending: boolean): void;
  announce(message: string): void;
  /** The running camera stream, for photo snapshots. */
  onCameraStream(stream: MediaStream | null): void;
}

function constraints(deviceId: string, resolution: string): MediaStreamConstraints {
  const [w, h] = resolution.split('x').map(Number);
  return {
    audio: false,
    video: {
      ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
      width: { ideal: w ?? 640 },
      height: { ideal: h ?? 480 },
      frameRate: { ideal: 30, max: 30 },
    },
  };
}

function stopTracks(stream: MediaStream | null | undefined): void {
  stream?.getTracks().forEach((t) => t.stop());
}

const PHASE_TEXT: Record<Phase, string> = {
  idle: 'Camera off',
  camera: 'Starting camera…',
  connecting: 'Connecting to the server…',
  unreachable: 'Server unreachable, retrying…',
  negotiating: 'Starting the live video…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  error: 'Stopped',
};

export function LiveView({ effect, onPending, announce, onCameraStream }: LiveViewProps) {
  const [support, setSupport] = useState<'ok' | 'insecure' | 'unsupported'>('ok');
  const [phase, setPhase] = useState<Phase>('idle');
  const [error, setError] = useState<UiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [local, setLocal] = useState<MediaStream | null>(null);
  const [remote, setRemote] = useState<MediaStream | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [deviceId, setDeviceId] = useState('');
  const [resolution, setResolution] = useState<string>('640x480');
  const [view, setView] = useState<View>('both');
  const [showStats, setShowStats] = useState(true);
  const [serverStats, setServerStats] = useState<StatsPayload | null>(null);
  const [clientStats, setClientStats] = useState<ClientStats | null>(null);

  const clientRef = useRef<LiveClient | null>(null);
  const localRef = useRef<MediaStream | null>(null);
  const localVideo = useRef<HTMLVideoElement>(null);
  const remoteVideo = useRef<HTMLVideoElement>(null);
  const effectRef = useRef(effect);
  const announceRef = useRef(announce);
  announceRef.current = announce;
  const recording = useRecording(
    useCallback(() => clientRef.current, []),
    announce,
    useCallback((e: UiError) => setError(e), []),
  );
  const recordingRef = useRef(recording);
  recordingRef.current = recording;

  useEffect(() => {
    setSupport(liveSupport());
    // on a phone the read-out would cover most of the picture: start with it hidden there
    if (window.matchMedia?.('(max-width: 640px)').matches) setShowStats(false);
  }, []);

  const client = useCallback((): LiveClient => {
    clientRef.current ??= new LiveClient({
      state: (state, detail) => {
        setPhase(state);
        if (state === 'unreachable') setAttempt(detail?.attempt ?? 0);
        if (detail?.error) setError(detail.error);
        if (state === 'live') {
          setError(null);
          announceRef.current('Live: the filtered video is playing.');
        }
        if (state === 'error' && detail?.error) {
          announceRef.current(`${detail.error.title}. ${detail.error.detail}`);
          // the call is over: release the camera
          stopTracks(localRef.current);
          localRef.current = null;
          setLocal(null);
          recordingRef.current.reset();
        }
        if (state === 'reconnecting') {
          recordingRef.current.reset();
          announceRef.current('Lost the connection to the server; reconnecting.');
        }
      },
      remoteStream: setRemote,
      serverStats: setServerStats,
      clientStats: setClientStats,
      error: (e) => {
        setError(e);
        announceRef.current(`${e.title}. ${e.detail}`);
      },
      recordingReady: (r) => recordingRef.current.ready(r),
    });
    return clientRef.current;
  }, []);

  useEffect(() => {
    return () => {
      clientRef.current?.stop();
      stopTracks(localRef.current);
    };
  }, []);

  useEffect(() => {
    if (localVideo.current) localVideo.current.srcObject = local;
    onCameraStream(local);
  }, [local, onCameraStream]);
  useEffect(() => {
    if (remoteVideo.current) remoteVideo.current.srcObject = remote;
  }, [remote]);


  // Style/target changes go to the server at once, mid-stream.
  const effectKey = JSON.stringify(effect);
  useEffect(() => {
    effectRef.current = effect;
    const c = clientRef.current;
    if (!c) return;
    let current = true;
    onPending(true);
    c.update(effect)
      .catch((e: unknown) => {
        if (current && e instanceof LiveCallError) setError(e.ui);
      })
      .finally(() => {
        if (current) onPending(false);
      });
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- effectKey is the identity of `effect`
  }, [effectKey, onPending]);

  async function refreshDevices(): Promise<void> {
    const all = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    setDevices(all.filter((d) => d.kind === 'videoinput'));
  }

  async function openCamera(id: string, res: string): Promise<MediaStream | null> {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints(id, res));
    } catch (e) {
      const ui = cameraErrorMessage(e);
      setError(ui);
      announce(`${ui.title}. ${ui.detail}`);
      return null;
    }
  }

  async function start(): Promise<void> {
    setError(null);
    recording.setClip(null);
    setPhase('camera');
    const stream = await openCamera(deviceId, resolution);
    if (!stream) {
      setPhase('idle');
      return;
    }
    localRef.current = stream;
    setLocal(stream);
    void refreshDevices();
    try {
      await client().start(stream, effectRef.current);
    } catch {
      // the state callback has shown the error
    }
  }

  async function stop(): Promise<void> {
    if (recording.since !== null) await recording.toggle();
    clientRef.current?.stop();
    stopTracks(localRef.current);
    localRef.current = null;
    setLocal(null);
    setRemote(null);
    setServerStats(null);
    setClientStats(null);
    setPhase('idle');
    announce('Camera stopped.');
  }

  /** Camera or resolution change: mid-call the new track replaces the old one without renegotiating. */
  async function changeCamera(id: string, res: string): Promise<void> {
    setDeviceId(id);
    setResolution(res);
    if (!localRef.current) return;
    const stream = await openCamera(id, res);
    if (!stream) return;
    const old = localRef.current;
    localRef.current = stream;
    setLocal(stream);
    await clientRef.current?.replaceStream(stream);
    stopTracks(old);
    const s = stream.getVideoTracks()[0]?.getSettings();
    announce(`Camera switched${s?.width ? ` (${s.width}×${s.height})` : ''}.`);
  }

  const running = phase !== 'idle' && phase !== 'error';
  const live = phase === 'live';
  const blocked = support !== 'ok';

  return (
    <section className="panel live" aria-labelledby="live-title">
      <div className="panel-head">
        <h2 id="live-title">Live</h2>
        <span className={`pill pill-${live ? 'live' : running ? 'busy' : 'off'}`} data-testid="live-phase" data-phase={phase}>
          {phase === 'unreachable' && attempt > 0 ? `${PHASE_TEXT[phase]} (${attempt})` : PHASE_TEXT[phase]}
        </span>
      </div>

      {blocked ? <ErrorBanner error={support === 'insecure' ? INSECURE : UNSUPPORTED} /> : null}
      {error && !blocked ? (
        <ErrorBanner error={error}>
          {phase === 'unreachable' || phase === 'reconnecting' ? (
            <button type="button" className="btn btn-small" onClick={() => clientRef.current?.reconnectNow()}>
              Reconnect now
            </button>
          ) : !running ? (
            <button type="button" className="btn btn-small" onClick={() => void start()}>
              Try again
            </button>
          ) : (
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setError(null)}>
              Dismiss
            </button>
          )}
        </ErrorBanner>
      ) : null}

      <div className={`videos view-${view}`}>
        <figure className="video filtered">
          <video ref={remoteVideo} autoPlay muted playsInline aria-label="Filtered video from the server" data-testid="remote-video" />
          {!remote ? (
            <div className="video-empty" aria-hidden="true">
              {running ? <span className="spinner" /> : null}
              <span>{running ? PHASE_TEXT[phase] : 'The filtered video appears here'}</span>
            </div>
          ) : null}
          <figcaption>Filtered</figcaption>
          {recording.since !== null ? (
            <span className="rec-badge" data-testid="rec-badge">
              <span className="rec-dot" aria-hidden="true" /> REC {formatElapsed(recording.elapsedMs)}
            </span>
          ) : null}
          {showStats && running && remote ? <StatsOverlay server={serverStats} client={clientStats} /> : null}
          {running && remote ? (
            <PersonPicker
              videoRef={remoteVideo}
              update={(change) => clientRef.current?.update(change) ?? Promise.resolve({})}
              announce={announce}
              onError={(detail) => setError({ kind: 'bad_request', title: 'Could not pick that person', detail })}
            />
          ) : null}
        </figure>
        <figure className="video camera">
          <video ref={localVideo} autoPlay muted playsInline aria-label="Your camera" data-testid="local-video" />
          {!local ? (
            <div className="video-empty" aria-hidden="true">
              <span>Camera preview</span>
            </div>
          ) : null}
          <figcaption>Camera</figcaption>
        </figure>
      </div>

      <div className="controls">
        {running ? (
          <button type="button" className="btn btn-danger" onClick={() => void stop()}>
            Stop camera
          </button>
        ) : (
          <button type="button" className="btn btn-primary" onClick={() => void start()} disabled={blocked}>
            Start camera
          </button>
        )}
        <button
          type="button"
          className={`btn ${recording.since !== null ? 'btn-recording' : ''}`}
          onClick={() => void recording.toggle()}
          disabled={!live || recording.busy}
          aria-pressed={recording.since !== null}
        >
          {recording.since !== null ? `Stop recording (${formatElapsed(recording.elapsedMs)})` : recording.busy ? 'Preparing clip…' : 'Record'}
        </button>
        <div className="segmented segmented-small" role="group" aria-label="Show">
          {(['both', 'filtered', 'camera'] as const).map((v) => (
            <button key={v} type="button" className="segment-btn" aria-pressed={view === v} onClick={() => setView(v)}>
              {v === 'both' ? 'Both' : v === 'filtered' ? 'Filtered' : 'Camera'}
            </button>
          ))}
        </div>
        <button type="button" className="btn btn-ghost" aria-pressed={showStats} onClick={() => setShowStats((s) => !s)}>
          {showStats ? 'Hide stats' : 'Show stats'}
        </button>
      </div>

      <CameraSettings devices={devices} deviceId={deviceId} resolution={resolution} disabled={blocked} onChange={(id, res) => void changeCamera(id, res)} />

      {recording.clip ? <RecordedClip clip={recording.clip} /> : null}
    </section>
  );
}
