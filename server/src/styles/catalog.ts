import { modelsByTask, resolveModelPath, type ModelEntry, type ResolveOptions } from '@deepphoto/models';
import { DeepPhotoError } from '../core/errors.ts';
import { builtinArbitraryLooks } from './builtin-looks.ts';
import { UserStyleStore } from './user-styles.ts';

/**
 * A "style" is a look the user picks (candy, mosaic, udnie). Each look may have several networks: the teacher
 * (`quality`, slow on CPU) and a distilled light net (`live`). Which one runs is a deployment choice — photos
 * prefer quality, live video on CPU prefers live — so clients only ever name the look.
 */
export type StyleTier = 'live' | 'quality' | 'live-int8';

export interface StyleLook {
  id: string;
  title: string;
  /** Available networks for this look, by tier (empty for arbitrary-style looks). */
  models: Partial<Record<StyleTier, ModelEntry>>;
  /** Arbitrary-style looks (a style vector for the one transfer network): built in, or from the user's picture. */
  arbitrary?: { vector: Float32Array; group: 'builtin' | 'user' };
}

/** The arbitrary-style networks found at start: the transfer net to run, and the prediction net for uploads. */
export interface ArbitraryNetworks {
  transferModelId: string;
  predictModelId: string | undefined;
}

/** Preference order: the fp16 weights are the closest to the trained ones; the int8 file is the fallback. */
const ARBITRARY_TRANSFER_IDS = ['arbitrary-transfer-f16', 'arbitrary-transfer-int8'];
const ARBITRARY_PREDICT_ID = 'arbitrary-predict';

/** Wire code `unknown_style` (HTTP 404). */
export class UnknownStyleError extends DeepPhotoError {
  constructor(
    readonly styleId: string,
    known: readonly string[],
  ) {
    super('unknown_style', `unknown style "${styleId}"; available: ${known.join(', ') || 'none'}`);
    this.name = 'UnknownStyleError';
  }
}

export class StyleCatalog {
  private constructor(
    private readonly looks: ReadonlyMap<string, StyleLook>,
    /** Networks in the manifest whose files could not be found, with the reason. */
    readonly unavailable: ReadonlyMap<string, string>,
    /** Undefined when no arbitrary-style transfer network is available (then no built-in or user art looks). */
    readonly arbitrary: ArbitraryNetworks | undefined = undefined,
    /** The user's own styles (files on disk, so every thread sees new ones at once). */
    readonly userStyles: UserStyleStore = new UserStyleStore(),
  ) {}

  /**
   * Builds the catalog from the manifest, keeping only the networks whose files resolve right now, and logs one
   * line naming the missing ones and the fix.
   */
  /** `userStylesDir`: where users' own styles live (config: DEEPPHOTO_STYLES_DIR; default var/styles). */
  static async discover(options: ResolveOptions & { userStylesDir?: string } = {}, log: (m: string) => void = console.warn): Promise<StyleCatalog> {
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
    const arbitrary = await StyleCatalog.discoverArbitrary(options, unavailable, log);
    if (arbitrary) {
      for (const look of builtinArbitraryLooks()) looks.set(look.id, { id: look.id, title: look.title, models: {}, arbitrary: { vector: look.vector, group: 'builtin' } });
    }
    return new StyleCatalog(looks, unavailable, arbitrary, new UserStyleStore(options.userStylesDir));
  }

  /** The arbitrary-style networks, if their files resolve (converted from Magenta's .tflite at install). */
  private static async discoverArbitrary(
    options: ResolveOptions,
    unavailable: Map<string, string>,
    log: (m: string) => void,
  ): Promise<ArbitraryNetworks | undefined> {
    // Downloads from the origin happen at install (`npm run models:prepare`), never while the server starts: every
    // thread builds a catalog, and a machine without internet must not wait on it.
    const atRunTime: ResolveOptions = { ...options, fetchImpl: options.fetchImpl ?? (() => Promise.reject(new Error('not downloaded at run time; run `npm run models:prepare`'))) };
    const resolves = async (id: string): Promise<boolean> => {
      const entry = modelsByTask('style_transfer').find((m) => m.id === id) ?? modelsByTask('style_predict').find((m) => m.id === id);
      if (!entry) return false;
      try {
        await resolveModelPath(entry, atRunTime);
        return true;
      } catch (error) {
        unavailable.set(id, (error as Error).message);
        return false;
      }
    };
    let transferModelId: string | undefined;
    for (const id of ARBITRARY_TRANSFER_IDS) {
      if (await resolves(id)) {
        transferModelId = id;
        break;
      }
    }
    const predictModelId = (await resolves(ARBITRARY_PREDICT_ID)) ? ARBITRARY_PREDICT_ID : undefined;
    if (!transferModelId || !predictModelId) {
      log(
        `arbitrary-style networks not found (${[...(transferModelId ? [] : ARBITRARY_TRANSFER_IDS), ...(predictModelId ? [] : [ARBITRARY_PREDICT_ID])].join(', ')}): ${
          transferModelId ? 'styles from your own pictures are off' : 'the art looks and styles from your own pictures are off'
        } — set DEEPPHOTO_MODELS_MIRROR to a folder holding arbitrary-style/*.tflite (e.g. ../shared/models) and run \`npm run models:prepare\``,
      );
    }
    return transferModelId ? { transferModelId, predictModelId } : undefined;
  }

  /** A user style as a look, if the arbitrary networks are here and the style exists on disk. */
  private userLook(styleId: string): StyleLook | undefined {
    if (!this.arbitrary) return undefined;
    const style = this.userStyles.get(styleId);
    return style ? { id: style.id, title: style.title, models: {}, arbitrary: { vector: style.vector, group: 'user' } } : undefined;
  }

  private look(styleId: string): StyleLook | undefined {
    return this.looks.get(styleId) ?? this.userLook(styleId);
  }

  ids(): string[] {
    return this.list().map((look) => look.id);
  }

  /** Built-in looks first, then the user's own (oldest first). */
  list(): StyleLook[] {
    const user: StyleLook[] = this.arbitrary
      ? this.userStyles.list().map((s) => ({ id: s.id, title: s.title, models: {}, arbitrary: { vector: s.vector, group: 'user' as const } }))
      : [];
    return [...this.looks.values(), ...user];
  }

  has(styleId: string): boolean {
    return this.look(styleId) !== undefined;
  }

  /** The style vector of an arbitrary-style look; undefined for the fixed networks (candy, mosaic, ...). */
  styleVectorFor(styleId: string): Float32Array | undefined {
    return this.look(styleId)?.arbitrary?.vector;
  }

  /** The model id to run for a look, preferring `tier` and falling back to the other tier. */
  modelFor(styleId: string, tier: StyleTier): string {
    const look = this.look(styleId);
    if (!look) throw new UnknownStyleError(styleId, this.ids());
    if (look.arbitrary && this.arbitrary) return this.arbitrary.transferModelId;
    // int8 copies of the light nets where they exist (`live-int8`), else the float light net; quality falls back to live.
    const order: StyleTier[] = tier === 'live-int8' ? ['live-int8', 'live', 'quality'] : tier === 'live' ? ['live', 'quality'] : ['quality', 'live'];
    const entry = order.map((t) => look.models[t]).find((e) => e !== undefined);
    if (!entry) throw new UnknownStyleError(styleId, this.ids());
    return entry.id;
  }
}
