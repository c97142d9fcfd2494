/**
 * The one error type of the server: a wire code (what the client maps to a message), an HTTP status, a message.
 * HTTP routes, signaling acks and `error` events all send `{code, message}`; worker threads send a serialized form
 * that turns back into the same error on the other side, so a code such as `unknown_person` survives the thread
 * boundary instead of collapsing into `internal`.
 */
import { ERROR_CODES, type ErrorBody, type ErrorCode, type ErrorPayload } from '@deepphoto/shared';

/** The HTTP status each wire code answers with unless the thrower says otherwise. */
export const HTTP_STATUS_OF: Readonly<Record<ErrorCode, number>> = Object.freeze({
  bad_request: 400,
  unknown_style: 404,
  unknown_target: 400,
  too_large: 413,
  not_an_image: 415,
  busy: 503,
  model_missing: 503,
  invalid_state: 409,
  not_found: 404,
  unknown_person: 400,
  internal: 500,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  // server-side: a thread or a peer did not answer in time (the client's request itself was fine)
  timeout: 503,
  // cluster: the room lives on another node (the client follows the redirect)
  moved: 409,
});

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

export class DeepPhotoError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeepPhotoError';
    this.status = options.status ?? HTTP_STATUS_OF[code];
  }

  /** What signaling sends (acks, `error` events). */
  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }

  /** What an HTTP route answers with (beside `status`). */
  toBody(): ErrorBody {
    return { error: this.toPayload() };
  }

  /** The error as it is, when it carries a wire code; `internal` with the original message otherwise. */
  static from(error: unknown): DeepPhotoError {
    if (error instanceof DeepPhotoError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return new DeepPhotoError(isErrorCode(code) ? code : 'internal', message, { cause: error });
  }
}

/** An error as it crosses a thread boundary (structured-clone safe: plain strings and numbers). */
export interface SerializedError {
  name: string;
  message: string;
  code?: ErrorCode;
  status?: number;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  const status = (error as { status?: unknown }).status;
  return {
    name: error.name,
    message: error.message,
    ...(isErrorCode(code) ? { code } : {}),
    ...(isErrorCode(code) && typeof status === 'number' ? { status } : {}),
  };
}

/** A DeepPhotoError when the error had a wire code (its name kept for logs), a plain Error otherwise. */
export function deserializeError(serialized: SerializedError): Error {
  const error = serialized.code
    ? new DeepPhotoError(serialized.code, serialized.message, serialized.status === undefined ? {} : { status: serialized.status })
    : new Error(serialized.message);
  error.name = serialized.name;
  return error;
}
