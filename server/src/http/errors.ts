import type { ErrorBody, ErrorCode } from '@deepphoto/shared';

/** An error with an HTTP status and a stable code the client maps to a message. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}
