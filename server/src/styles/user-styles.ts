/**
 * Styles made from the user's own pictures: one small JSON file per style (its 100-d style vector, a title, when
 * it was made) under `<dir>/<identity>/`. The files are the single source of truth, so every thread (HTTP, the
 * photo editor's, each live session's) sees a new style as soon as it is written, without messages between them.
 *
 * Identity is `local` until accounts exist (the `sec` branch adds tokens); the layout already keeps users apart.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const LOCAL_IDENTITY = 'local';
/** `u-` + 12 hex digits of the picture's sha256: the same picture uploaded twice is the same style. */
export const USER_STYLE_ID_RE = /^u-[0-9a-f]{12}$/;
const IDENTITY_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A user's styles are bounded so that a loop of uploads cannot fill the disk; the oldest go first. */
export const MAX_USER_STYLES = 50;

const userStyleSchema = z.object({
  id: z.string().regex(USER_STYLE_ID_RE),
  title: z.string().max(80),
  createdAt: z.string(),
  vector: z.array(z.number()).length(100),
});

export interface UserStyle {
  id: string;
  title: string;
  createdAt: string;
  vector: Float32Array;
}

/** Where users' styles are kept unless the config says otherwise (DEEPPHOTO_STYLES_DIR). */
export function defaultUserStylesDir(): string {
  return path.resolve('var/styles');
}

export function userStyleId(pictureBytes: Uint8Array): string {
  return `u-${createHash('sha256').update(pictureBytes).digest('hex').slice(0, 12)}`;
}

/** A title from the upload's file name: letters, digits, spaces and a few marks, at most 40 characters. */
export function titleFromFileName(name: string | undefined): string {
  const base = (name ?? '').replace(/\.[^.]*$/, '').replace(/[^\p{L}\p{N} _.,'()-]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return base.slice(0, 40) || 'My style';
}

export function isUserStyleId(id: string): boolean {
  return USER_STYLE_ID_RE.test(id);
}

export class UserStyleStore {
  readonly dir: string;

  constructor(root = defaultUserStylesDir(), readonly identity = LOCAL_IDENTITY) {
    if (!IDENTITY_RE.test(identity)) throw new TypeError(`bad identity "${identity}"`);
    this.dir = path.join(root, identity);
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  /** A style by id, or undefined (unknown id, malformed id, or an unreadable file). */
  get(id: string): UserStyle | undefined {
    if (!isUserStyleId(id)) return undefined;
    const file = this.file(id);
    if (!existsSync(file)) return undefined;
    try {
      const parsed = userStyleSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      return { ...parsed, vector: Float32Array.from(parsed.vector) };
    } catch {
      return undefined;
    }
  }

  /** Oldest first. */
  list(): UserStyle[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => this.get(f.slice(0, -5)))
      .filter((s): s is UserStyle => s !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Writes atomically (other threads read these files at any time); replaces a style with the same id. */
  save(style: Omit<UserStyle, 'createdAt'> & { createdAt?: string }): UserStyle {
    if (!isUserStyleId(style.id)) throw new TypeError(`bad user style id "${style.id}"`);
    const saved: UserStyle = { ...style, createdAt: style.createdAt ?? new Date().toISOString() };
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file(style.id)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...saved, vector: Array.from(saved.vector) }));
    renameSync(tmp, this.file(style.id));
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - MAX_USER_STYLES))) this.delete(old.id);
    return saved;
  }

  /** True if it existed. */
  delete(id: string): boolean {
    if (!isUserStyleId(id) || !existsSync(this.file(id))) return false;
    rmSync(this.file(id), { force: true });
    return true;
  }
}
