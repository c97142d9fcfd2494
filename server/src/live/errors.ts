import type { ErrorCode, ErrorPayload } from '@deepphoto/shared';

/** An error with a wire code; what a client sees in `error` events and acks. */
export class LiveError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LiveError';
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }

  static from(error: unknown): LiveError {
    if (error instanceof LiveError) return error;
    return new LiveError('internal', error instanceof Error ? error.message : String(error));
  }
}
