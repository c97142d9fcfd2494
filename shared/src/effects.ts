import { z } from 'zod';

/** Where the style is applied. `none` passes the picture through unchanged. */
export const TARGETS = ['whole', 'background', 'person', 'none'] as const;
export const targetSchema = z.enum(TARGETS);
export type Target = z.infer<typeof targetSchema>;

/**
 * A style id as sent over the wire. Which ids exist is decided by the server's model manifest at run time, so the
 * schema checks only the shape; the server answers an unknown id with `unknown_style`.
 */
export const styleIdSchema = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'style id: lowercase letters, digits, - and _');
export type StyleId = z.infer<typeof styleIdSchema>;

export const effectSchema = z.object({ style: styleIdSchema, target: targetSchema });
export type Effect = z.infer<typeof effectSchema>;

/** What `GET /api/styles` returns for each style. */
export interface StyleInfo {
  id: StyleId;
  title: string;
  /** `live`: fast enough for video on CPU; `quality`: the teacher networks (photos, or live on a GPU). */
  tier: 'live' | 'quality';
  thumbnailUrl: string;
}

/** Error codes used by HTTP and signaling alike, so the client can show one message per cause. */
export const ERROR_CODES = [
  'bad_request',
  'unknown_style',
  'unknown_target',
  'too_large',
  'not_an_image',
  'busy',
  'model_missing',
  'invalid_state',
  'not_found',
  'internal',
  // access and limits (security)
  'unauthorized',
  'forbidden',
  'rate_limited',
  'timeout',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}
