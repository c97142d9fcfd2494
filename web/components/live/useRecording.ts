'use client';
import { useCallback, useEffect, useState } from 'react';
import type { RecordingReadyPayload } from '@deepphoto/shared';
import { LiveCallError, type LiveClient } from '../../lib/live-client.ts';
import { describeBytes, type UiError } from '../../lib/messages.ts';

/** Recording of the own filtered stream: start/stop, a running clock, and the finished clip. */
export function useRecording(client: () => LiveClient | null, announce: (message: string) => void, onError: (error: UiError) => void) {
  const [since, setSince] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [now, setNow] = useState(0);
  const [clip, setClip] = useState<RecordingReadyPayload | null>(null);

  // the clock of a running recording
  useEffect(() => {
    if (since === null) return;
    setNow(performance.now());
    const timer = setInterval(() => setNow(performance.now()), 250);
    return () => clearInterval(timer);
  }, [since]);

  const toggle = useCallback(async (): Promise<void> => {
    const c = client();
    if (!c || busy) return;
    setBusy(true);
    try {
      if (since === null) {
        await c.startRecording();
        setClip(null);
        setSince(performance.now());
        announce('Recording started.');
      } else {
        setSince(null);
        announce('Recording stopped; preparing the clip.');
        const ready = await c.stopRecording();
        setClip(ready);
        announce(`Clip ready: ${(ready.durationMs / 1000).toFixed(1)} seconds, ${describeBytes(ready.bytes)}. Download it below the video.`);
      }
    } catch (e) {
      setSince(null);
      if (e instanceof LiveCallError) {
        onError(e.ui);
        announce(`${e.ui.title}. ${e.ui.detail}`);
      }
    } finally {
      setBusy(false);
    }
  }, [client, busy, since, announce, onError]);

  /** A clip announced by the server (e.g. when the call ended while recording). */
  const ready = useCallback((r: RecordingReadyPayload) => setClip((c) => (c?.id === r.id ? c : r)), []);
  const reset = useCallback(() => setSince(null), []);

  return { since, busy, elapsedMs: since === null ? 0 : now - since, clip, setClip, toggle, ready, reset };
}
