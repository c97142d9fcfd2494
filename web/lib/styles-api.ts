/** Styles from the user's own pictures: `POST /api/styles` (upload) and `DELETE /api/styles/:id`. */
import type { ErrorBody, StyleInfo } from '@deepphoto/shared';
import { ApiError } from './api.ts';
import { serverErrorMessage, UNREACHABLE } from './messages.ts';

async function failure(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as Partial<ErrorBody>;
    if (body.error?.code) return new ApiError(serverErrorMessage(body.error.code, body.error.message ?? ''));
  } catch {
    // not our JSON
  }
  const code = response.status === 413 ? 'too_large' : response.status === 415 ? 'not_an_image' : response.status === 503 ? 'busy' : 'internal';
  return new ApiError(serverErrorMessage(code, `HTTP ${response.status}.`));
}

/** Uploads a picture; resolves with the new style (usable at once, live and for photos). */
export async function uploadStyle(picture: Blob, fileName: string): Promise<StyleInfo> {
  const body = new FormData();
  body.set('image', picture, fileName);
  let response: Response;
  try {
    response = await fetch('/api/styles', { method: 'POST', body });
  } catch {
    throw new ApiError(UNREACHABLE);
  }
  if (response.status !== 201 && response.status !== 200) throw await failure(response);
  return ((await response.json()) as { style: StyleInfo }).style;
}

export async function deleteStyle(id: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`/api/styles/${encodeURIComponent(id)}`, { method: 'DELETE' });
  } catch {
    throw new ApiError(UNREACHABLE);
  }
  if (response.status !== 204 && response.status !== 404) throw await failure(response);
}
