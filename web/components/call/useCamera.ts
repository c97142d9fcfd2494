'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { cameraErrorMessage, type UiError } from '../../lib/messages.ts';

/** The local camera + microphone for a call: opened on demand, stopped on release and on unmount. */
export function useCamera() {
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const ref = useRef<MediaStream | null>(null);

  const open = useCallback(async (): Promise<MediaStream | null> => {
    if (ref.current) return ref.current;
    try {
      const s = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30, max: 30 } },
        audio: { echoCancellation: true, noiseSuppression: true },
      });
      ref.current = s;
      setStream(s);
      setError(null);
      return s;
    } catch (e) {
      setError(cameraErrorMessage(e));
      return null;
    }
  }, []);

  const release = useCallback(() => {
    ref.current?.getTracks().forEach((t) => t.stop());
    ref.current = null;
    setStream(null);
  }, []);

  useEffect(() => () => ref.current?.getTracks().forEach((t) => t.stop()), []);
  return { stream, error, open, release };
}
