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
  private constructor(private readonly looks: ReadonlyMap<string, StyleLook>) {}

  /** Builds the catalog from the manifest, keeping only the networks whose files resolve right now. */
  static async discover(options: ResolveOptions = {}, log: (m: string) => void = console.warn): Promise<StyleCatalog> {
    const looks = new Map<string, StyleLook>();
    for (const entry of modelsByTask('style')) {
      try {
        await resolveModelPath(entry, options);
      } catch (error) {
        log(`style ${entry.id} unavailable: ${(error as Error).message}`);
        continue;
      }
      const lookId = entry.teacher ?? entry.id;
      const look = looks.get(lookId) ?? { id: lookId, title: entry.teacher ? lookId : entry.title, models: {} };
      if (!entry.teacher) look.title = entry.title;
      look.models[entry.tier ?? 'quality'] = entry;
      looks.set(lookId, look);
    }
    return new StyleCatalog(looks);
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
