import { modelsByTask, resolveModelPath, type ModelEntry, type ResolveOptions } from '@deepphoto/models';

/**
 * A "style" is a look the user picks (candy, mosaic, udnie). Each look may have several networks: the teacher
 * (`quality`, slow on CPU) and a distilled light net (`live`). Which one runs is a deployment choice — photos
 * prefer quality, live video on CPU prefers live — so clients only ever name the look.
 */
export type StyleTier = 'live' | 'quality';

export interface StyleLook {
  id: string;
  title: string;
  /** Available networks for this look, by tier. */
  models: Partial<Record<StyleTier, ModelEntry>>;
}

export class UnknownStyleError extends Error {
  override readonly name = 'UnknownStyleError';
  constructor(
    readonly styleId: string,
    known: readonly string[],
  ) {
    super(`unknown style "${styleId}"; available: ${known.join(', ') || 'none'}`);
  }
}

export class StyleCatalog {
  private constructor(
    private readonly looks: ReadonlyMap<string, StyleLook>,
    /** Networks in the manifest whose files could not be found, with the reason. */
    readonly unavailable: ReadonlyMap<string, string>,
  ) {}

  /**
   * Builds the catalog from the manifest, keeping only the networks whose files resolve right now, and logs one
   * line naming the missing ones and the fix.
   */
  static async discover(options: ResolveOptions = {}, log: (m: string) => void = console.warn): Promise<StyleCatalog> {
    const looks = new Map<string, StyleLook>();
    const unavailable = new Map<string, string>();
    for (const entry of modelsByTask('style')) {
      try {
        await resolveModelPath(entry, options);
      } catch (error) {
        unavailable.set(entry.id, (error as Error).message);
        continue;
      }
      const lookId = entry.teacher ?? entry.id;
      const look = looks.get(lookId) ?? { id: lookId, title: entry.teacher ? lookId.charAt(0).toUpperCase() + lookId.slice(1) : entry.title, models: {} };
      if (!entry.teacher) look.title = entry.title;
      look.models[entry.tier ?? 'quality'] = entry;
      looks.set(lookId, look);
    }
    if (unavailable.size > 0) {
      const missing = [...unavailable.keys()];
      const fallback = missing.filter((id) => looks.has(id)).length === missing.length ? ' (their light nets are used instead)' : '';
      log(
        `style networks not found: ${missing.join(', ')}${fallback} — to add them, set DEEPPHOTO_MODELS_MIRROR to a folder that has them (e.g. ../shared/models) or put the files in the model cache (see README)`,
      );
    }
    return new StyleCatalog(looks, unavailable);
  }

  ids(): string[] {
    return [...this.looks.keys()];
  }

  list(): StyleLook[] {
    return [...this.looks.values()];
  }

  has(styleId: string): boolean {
    return this.looks.has(styleId);
  }

  /** The model id to run for a look, preferring `tier` and falling back to the other tier. */
  modelFor(styleId: string, tier: StyleTier): string {
    const look = this.looks.get(styleId);
    if (!look) throw new UnknownStyleError(styleId, this.ids());
    const entry = look.models[tier] ?? look.models[tier === 'live' ? 'quality' : 'live'];
    if (!entry) throw new UnknownStyleError(styleId, this.ids());
    return entry.id;
  }
}
