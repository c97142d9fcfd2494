/**
 * One message per cause, written for the person in front of the page: what happened and what to do next.
 * Error codes come from `@deepphoto/shared` (HTTP and signaling use the same ones).
 */
import type { ErrorCode } from '@deepphoto/shared';

export interface UiError {
  /** A stable key, used for the matching action button and by tests (`data-error`). */
  kind: ErrorCode | 'camera_denied' | 'no_camera' | 'camera_busy' | 'insecure_context' | 'unsupported' | 'unreachable' | 'media_failed' | 'network';
  title: string;
  detail: string;
}

export function serverErrorMessage(code: ErrorCode, message: string): UiError {
  switch (code) {
    case 'busy':
      return { kind: 'busy', title: 'The server is busy', detail: 'It is already serving as many sessions or photos as it can. Wait a moment and try again.' };
    case 'model_missing':
      return { kind: 'model_missing', title: 'This style is not installed on the server', detail: `${message} Ask the operator to run npm run setup, or pick another style.` };
    case 'unknown_style':
      return { kind: 'unknown_style', title: 'The server does not know this style', detail: `${message} Reload the page to get the current list.` };
    case 'unknown_target':
      return { kind: 'unknown_target', title: 'Unknown target', detail: message };
    case 'too_large':
      return { kind: 'too_large', title: 'That photo is too large', detail: `${message} Use a photo under 25 MB and 40 megapixels.` };
    case 'not_an_image':
      return { kind: 'not_an_image', title: 'That file is not a photo we can read', detail: 'Use a JPEG, PNG or WebP image.' };
    case 'invalid_state':
      return { kind: 'invalid_state', title: 'The live session is not running', detail: `${message} Start the camera again.` };
    case 'bad_request':
      return { kind: 'bad_request', title: 'The server refused the request', detail: message };
    case 'not_found':
      return { kind: 'not_found', title: 'Not found on the server', detail: `${message} It may have been removed to free disk space.` };
    case 'unauthorized':
      return { kind: 'unauthorized', title: 'Your access has expired or is missing', detail: `${message} Reload the page, or open the join link you were given again.` };
    case 'forbidden':
      return { kind: 'forbidden', title: 'Not allowed', detail: message };
    case 'rate_limited':
      return { kind: 'rate_limited', title: 'Too many requests', detail: `${message} Wait a moment and try again.` };
    case 'timeout':
      return { kind: 'timeout', title: 'The call was ended', detail: `${message} Start the camera again.` };
    default:
      return { kind: 'internal', title: 'Something went wrong on the server', detail: `${message} The server is still running; try again.` };
  }
}

export const UNREACHABLE: UiError = {
  kind: 'unreachable',
  title: 'Cannot reach the DeepPhoto server',
  detail: 'Check that the server is running (npm start) and that you are online. Retrying automatically…',
};

export const UNSUPPORTED: UiError = {
  kind: 'unsupported',
  title: 'This browser cannot do live video',
  detail: 'It lacks WebRTC or camera access. Use a current Chrome, Edge, Firefox or Safari. Photo mode still works.',
};

export const INSECURE: UiError = {
  kind: 'insecure_context',
  title: 'The camera needs a secure page',
  detail: 'Browsers only allow the camera on https:// or on localhost. Open the page that way. Photo mode still works.',
};

/** Maps a getUserMedia failure to what the user can do about it. */
export function cameraErrorMessage(error: unknown): UiError {
  const name = (error as { name?: string } | null)?.name ?? '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return {
      kind: 'camera_denied',
      title: 'Camera access was blocked',
      detail: 'Allow the camera for this site (the camera icon in the address bar, or the site settings), then press Try again.',
    };
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return { kind: 'no_camera', title: 'No camera found', detail: 'Connect a camera (or pick another one), then press Try again. Photo mode works without a camera.' };
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return { kind: 'camera_busy', title: 'The camera is in use', detail: 'Another app or tab is using it. Close that, then press Try again.' };
  }
  return { kind: 'camera_busy', title: 'The camera could not start', detail: `${(error as Error | null)?.message ?? String(error)}. Press Try again.` };
}

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function styleTitle(title: string): string {
  return title.length > 0 ? title[0]!.toUpperCase() + title.slice(1) : title;
}
