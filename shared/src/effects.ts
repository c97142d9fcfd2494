import { z } from 'zod';

/** Where the style is applied. `none` passes the picture through unchanged. */
export const TARGETS = ['whole', 'background', 'person', 'none', 'people', 'people-except'] as const;
export const targetSchema = z.enum(TARGETS);
export type Target = z.infer<typeof targetSchema>;

/**
 * A style id as sent over the wire. Which ids exist is decided by the server's model manifest at run time, so the
 * schema checks only the shape; the server answers an unknown id with `unknown_style`.
 */
export const styleIdSchema = z.string().min(1).max(64).regex(/^[a-z0-9][a-z0-9_-]*$/, 'style id: lowercase letters, digits, - and _');
export type StyleId = z.infer<typeof styleIdSchema>;

/** Arbitrary-style looks (art pictures, your own pictures): how much of the picture's style, in percent. */
export const styleStrengthSchema = z.number().min(0).max(100);
export const DEFAULT_STYLE_STRENGTH = 100;

export const effectSchema = z.object({ style: styleIdSchema, target: targetSchema, strength: styleStrengthSchema.optional() });
export type Effect = z.infer<typeof effectSchema>;

/** What `GET /api/styles` returns for each style. */
export interface StyleInfo {
  id: StyleId;
  title: string;
  /** `live`: fast enough for video on CPU; `quality`: the teacher networks (photos, or live on a GPU). */
  tier: 'live' | 'quality';
  thumbnailUrl: string;
  /** Gallery group: `art` = built-in arbitrary-style looks, `user` = made from the user's own picture. */
  group?: 'styles' | 'art' | 'user';
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
  /** A person id / number that is not in the picture (person selection). */
  'unknown_person',
  'internal',
  // access and limits (security)
  'unauthorized',
  'forbidden',
  'rate_limited',
  'timeout',
  /** Cluster: this request belongs on another node; a `redirect` event just before says which (the client follows). */
  'moved',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

// ---- the effect model ------------------------------------------------------------------------------------------
//
// An effect is `{kind, target, params}`: a neural `style`, a `blur`, a background `image`, or `none`. On the wire
// (session.update, HTTP, CLI) it may also be given as a compact *effect id* — a plain style id (`candy`, as
// before), `blur-light` / `blur-strong`, `bg-<picture>` — which the server resolves to the same object. The id is
// what the live pipeline carries between threads; the object is what code reasons about.

export const EFFECT_KINDS = ['style', 'blur', 'image', 'none'] as const;
export type EffectKind = (typeof EFFECT_KINDS)[number];

/** Blur strengths: radius as a fraction of the picture's long side (so a strength looks the same at any size). */
export const BLUR_STRENGTHS = { light: 0.012, strong: 0.035 } as const;
export type BlurStrength = keyof typeof BLUR_STRENGTHS;
export const blurStrengthSchema = z.enum(Object.keys(BLUR_STRENGTHS) as [BlurStrength, ...BlurStrength[]]);

/** A background picture: built-in (`dawn`, ...) or a user's upload (`u-` + 16 hex digits). */
export const backgroundIdSchema = z.string().min(1).max(40).regex(/^[a-z0-9][a-z0-9-]*$/, 'background id: lowercase letters, digits and -');
export type BackgroundId = z.infer<typeof backgroundIdSchema>;

/** Effect ids starting with these name a blur or a picture, never a style network. */
export const BLUR_ID_PREFIX = 'blur-';
export const BACKGROUND_ID_PREFIX = 'bg-';

const styleSpecSchema = z.object({ kind: z.literal('style'), target: targetSchema, params: z.object({ style: styleIdSchema }).strict() }).strict();
const blurSpecSchema = z
  .object({ kind: z.literal('blur'), target: targetSchema, params: z.object({ strength: blurStrengthSchema.default('strong') }).strict().default({ strength: 'strong' }) })
  .strict();
/** A picture replaces the background; on any other target it would hide the person, so only `background` is valid. */
const imageSpecSchema = z.object({ kind: z.literal('image'), target: z.literal('background'), params: z.object({ image: backgroundIdSchema }).strict() }).strict();
const noneSpecSchema = z.object({ kind: z.literal('none'), target: targetSchema.default('none'), params: z.object({}).strict().default({}) }).strict();

export const effectSpecSchema = z.discriminatedUnion('kind', [styleSpecSchema, blurSpecSchema, imageSpecSchema, noneSpecSchema]);
export type EffectSpec = z.output<typeof effectSpecSchema>;
export type EffectSpecInput = z.input<typeof effectSpecSchema>;

/** The compact id of an effect's look (target aside): what gallery entries and the live pipeline carry. */
export function effectIdOf(spec: EffectSpec): string {
  switch (spec.kind) {
    case 'style':
      return spec.params.style;
    case 'blur':
      return `${BLUR_ID_PREFIX}${spec.params.strength}`;
    case 'image':
      return `${BACKGROUND_ID_PREFIX}${spec.params.image}`;
    case 'none':
      return 'none';
  }
}

/**
 * Resolves an effect id (plain style ids included) plus a target into the effect object, or explains why not.
 * Style ids are only checked for shape here; whether the style exists is the server's catalog's call.
 */
export function effectFromId(id: string, target: Target): { ok: true; effect: EffectSpec } | { ok: false; code: ErrorCode; message: string } {
  let candidate: unknown;
  if (id === 'none') candidate = { kind: 'none', target };
  else if (id.startsWith(BLUR_ID_PREFIX)) candidate = { kind: 'blur', target, params: { strength: id.slice(BLUR_ID_PREFIX.length) } };
  else if (id.startsWith(BACKGROUND_ID_PREFIX)) candidate = { kind: 'image', target, params: { image: id.slice(BACKGROUND_ID_PREFIX.length) } };
  else candidate = { kind: 'style', target, params: { style: id } };
  const parsed = effectSpecSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, effect: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue?.path[0] === 'target') return { ok: false, code: 'unknown_target', message: `effect "${id}" cannot be applied to target "${target}"` };
  return { ok: false, code: 'unknown_style', message: `unknown effect "${id}": ${issue?.message ?? 'invalid'}` };
}

/** Gallery groups, in the order the page shows them. */
export const EFFECT_GROUPS = ['backgrounds', 'styles', 'your-styles', 'none'] as const;
export type EffectGroup = (typeof EFFECT_GROUPS)[number];

/** What `GET /api/effects` returns for each gallery entry. */
export interface EffectInfo {
  /** The effect id to send (`session.update {style: id}` or `{effect}`), e.g. `candy`, `blur-strong`, `bg-dawn`. */
  id: string;
  kind: EffectKind;
  group: EffectGroup;
  title: string;
  /** Targets this effect may be applied to; the first is the natural default. */
  targets: Target[];
  thumbnailUrl: string;
  /** For a user's own upload: it may be deleted. */
  deletable?: boolean;
}
