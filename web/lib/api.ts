/** The HTTP API on the same origin: style list and still-photo editing. */
import { getAccessToken } from './auth.ts';
import type { ErrorBody, ErrorCode, StyleInfo, Target } from '@deepphoto/shared';
import { serverErrorMessage, UNREACHABLE, type UiError } from './messages.ts';

export interface StylesResponse {
  styles: StyleInfo[];
  targets: readonly Target[];
}

export class ApiError extends Error {
  constructor(readonly ui: UiError) {
    super(ui.title);
  }
}

function parseErrorBody(text: string, status: number): UiError {
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error?.code) return serverErrorMessage(body.error.code, body.error.message ?? '');
  } catch {
    // not JSON: a proxy or a server that is not ours
  }
  const code: ErrorCode = status === 503 ? 'busy' : status === 413 ? 'too_large' : status === 415 ? 'not_an_image' : 'internal';
  return serverErrorMessage(code, `HTTP ${status}.`);
}

export async function fetchStyles(signal?: AbortSignal): Promise<StylesResponse> {
  let response: Response;
  try {
    response = await fetch('/api/styles', { signal, cache: 'no-store' });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(UNREACHABLE);
  }
  if (!response.ok) throw new ApiError(response.status >= 502 && response.status !== 503 ? UNREACHABLE : parseErrorBody(await response.text(), response.status));
  return (await response.json()) as StylesResponse;
}

export function thumbnailUrl(styleId: string): string {
  return `/api/styles/${encodeURIComponent(styleId)}/thumbnail.jpg`;
}

export interface EditProgress {
  phase: 'uploading' | 'processing' | 'downloading';
  /** 0..1 for uploading/downloading when known. */
  fraction?: number;
}

export interface EditResult {
  blob: Blob;
  fileName: string;
  /** Server-side timings, when the server sent them. */
  timings?: Record<string, number>;
}

/** `POST /api/edit` with upload progress (XHR: fetch has no upload progress). Abort with the signal. */
export function editPhoto(
  image: Blob,
  fileName: string,
  effect: { style?: string; target: Target; strength?: number; picks?: readonly { x: number; y: number }[] },
  onProgress: (p: EditProgress) => void,
  signal?: AbortSignal,
): Promise<EditResult> {
  return getAccessToken().then((token) => new Promise<EditResult>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const body = new FormData();
    if (effect.style) body.set('style', effect.style);
    body.set('target', effect.target);
    if (effect.strength !== undefined) body.set('strength', String(effect.strength));
    // Person selection on the still: the clicked points; the server finds who is there.
    if (effect.picks?.length) body.set('picks', effect.picks.map((p) => `${p.x.toFixed(4)},${p.y.toFixed(4)}`).join(';'));
    body.set('image', image, fileName);
    xhr.open('POST', '/api/edit');
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.responseType = 'blob';
    xhr.upload.onprogress = (e) => onProgress({ phase: 'uploading', ...(e.lengthComputable ? { fraction: e.loaded / e.total } : {}) });
    xhr.upload.onload = () => onProgress({ phase: 'processing' });
    xhr.onprogress = (e) => onProgress({ phase: 'downloading', ...(e.lengthComputable ? { fraction: e.loaded / e.total } : {}) });
    xhr.onerror = () => reject(new ApiError(UNREACHABLE));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    xhr.onload = async () => {
      const blob = xhr.response as Blob;
      if (xhr.status !== 200) return reject(new ApiError(parseErrorBody(await blob.text(), xhr.status)));
      const disposition = xhr.getResponseHeader('content-disposition') ?? '';
      const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'deepphoto.jpg';
      let timings: Record<string, number> | undefined;
      try {
        timings = JSON.parse(xhr.getResponseHeader('x-deepphoto-timings') ?? 'null') ?? undefined;
      } catch {
        timings = undefined;
      }
      resolve({ blob, fileName: name, ...(timings ? { timings } : {}) });
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    onProgress({ phase: 'uploading', fraction: 0 });
    xhr.send(body);
  }), (error: unknown) => Promise.reject(new ApiError({ ...UNREACHABLE, detail: (error as Error).message })));
}
