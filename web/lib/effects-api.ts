/** The effect gallery and background uploads (`/api/effects`, `/api/backgrounds`), on behalf of this browser. */
import type { EffectInfo, ErrorBody } from '@deepphoto/shared';
import { ApiError } from './api.ts';
import { serverErrorMessage, UNREACHABLE } from './messages.ts';

const IDENTITY_KEY = 'deepphoto.identity';

/**
 * This browser's identity for its own uploads: an opaque random token kept in localStorage until accounts exist
 * (the server keeps each identity's pictures apart and lets only it list and delete them).
 */
export function browserIdentity(): string {
  try {
    const stored = localStorage.getItem(IDENTITY_KEY);
    if (stored && /^[A-Za-z0-9_-]{8,64}$/.test(stored)) return stored;
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    const fresh = `w-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
    localStorage.setItem(IDENTITY_KEY, fresh);
    return fresh;
  } catch {
    return 'w-no-storage-anonymous'; // private mode without storage: uploads last for this page only
  }
}

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store', ...init, headers: { 'x-deepphoto-identity': browserIdentity(), ...(init.headers ?? {}) } });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(UNREACHABLE);
  }
  if (response.ok) return response;
  let body: Partial<ErrorBody> = {};
  try {
    body = (await response.json()) as Partial<ErrorBody>;
  } catch {
    // not JSON
  }
  const code = body.error?.code ?? (response.status === 413 ? 'too_large' : response.status === 415 ? 'not_an_image' : 'internal');
  throw new ApiError(serverErrorMessage(code, body.error?.message ?? `HTTP ${response.status}.`));
}

export async function fetchEffects(signal?: AbortSignal): Promise<EffectInfo[]> {
  return ((await (await request('/api/effects', signal ? { signal } : {})).json()) as { effects: EffectInfo[] }).effects;
}

/** Uploads a picture as a background of this browser's own; resolves with its gallery entry. */
export async function uploadBackground(file: Blob, name: string): Promise<EffectInfo> {
  const body = new FormData();
  body.set('image', file, name);
  return ((await (await request('/api/backgrounds', { method: 'POST', body })).json()) as { effect: EffectInfo }).effect;
}

export async function deleteBackground(id: string): Promise<void> {
  await request(`/api/backgrounds/${encodeURIComponent(id)}`, { method: 'DELETE' });
}
