/**
 * Where recordings live: one `<id>.webm` per recording under a directory, with bounded disk use (a cap per
 * recording, enforced by the recorder, and a cap for all of them: the oldest are deleted first).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RecordingStoreOptions {
  dir?: string;
  maxBytesPerRecording?: number;
  maxTotalBytes?: number;
}

const ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class RecordingStore {
  readonly dir: string;
  readonly maxBytesPerRecording: number;
  readonly maxTotalBytes: number;

  constructor(options: RecordingStoreOptions = {}) {
    this.dir = path.resolve(options.dir ?? 'var/recordings');
    this.maxBytesPerRecording = options.maxBytesPerRecording ?? 200 * 1024 * 1024;
    this.maxTotalBytes = options.maxTotalBytes ?? 2 * 1024 * 1024 * 1024;
    if (this.maxBytesPerRecording <= 0 || this.maxTotalBytes <= 0) throw new TypeError('recording limits must be positive');
  }

  /** Creates the directory and deletes `.part` files a crash left behind (no live recorder exists yet). */
  async init(): Promise<string[]> {
    await mkdir(this.dir, { recursive: true });
    const stale = (await readdir(this.dir)).filter((n) => n.endsWith('.part'));
    await Promise.all(stale.map((n) => rm(path.join(this.dir, n), { force: true })));
    return stale;
  }

  private ownerPath(id: string): string {
    if (!RecordingStore.isValidId(id)) throw new TypeError(`bad recording id "${id}"`);
    return path.join(this.dir, `${id}.owner`);
  }

  async setOwner(id: string, owner: string): Promise<void> {
    await writeFile(this.ownerPath(id), owner, 'utf8');
  }

  /** Owner identity of a recording; undefined for unknown ids (and for clips from before ownership: nobody's). */
  async owner(id: string): Promise<string | undefined> {
    try {
      return await readFile(this.ownerPath(id), 'utf8');
    } catch {
      return undefined;
    }
  }

  newId(): string {
    return randomUUID();
  }

  static isValidId(id: string): boolean {
    return ID_RE.test(id);
  }

  /** Path of a finished recording; throws on an id that is not ours (no path tricks). */
  webmPath(id: string): string {
    if (!RecordingStore.isValidId(id)) throw new TypeError(`bad recording id "${id}"`);
    return path.join(this.dir, `${id}.webm`);
  }

  /** Path of the raw IVF while recording. */
  partPath(id: string): string {
    if (!RecordingStore.isValidId(id)) throw new TypeError(`bad recording id "${id}"`);
    return path.join(this.dir, `${id}.ivf.part`);
  }

  url(id: string): string {
    return `/api/recordings/${id}`;
  }

  /** Size of a finished recording, or undefined if there is none. */
  async size(id: string): Promise<number | undefined> {
    if (!RecordingStore.isValidId(id)) return undefined;
    try {
      const s = await stat(this.webmPath(id));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Deletes the oldest finished recordings until the total fits `maxTotalBytes` (keeping `keep` if given). With
   * `owner`, only that owner's clips are candidates: one caller cannot evict another's recordings.
   */
  async enforceQuota(keep?: string, owner?: string): Promise<string[]> {
    let entries: Array<{ id: string; file: string; size: number; mtime: number }> = [];
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    for (const name of names) {
      if (!name.endsWith('.webm')) continue;
      const file = path.join(this.dir, name);
      try {
        const s = await stat(file);
        entries.push({ id: name.slice(0, -5), file, size: s.size, mtime: s.mtimeMs });
      } catch {
        // deleted meanwhile
      }
    }
    entries = entries.sort((a, b) => a.mtime - b.mtime);
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    const deleted: string[] = [];
    for (const e of entries) {
      if (total <= this.maxTotalBytes) break;
      if (e.id === keep) continue;
      if (owner !== undefined && (await this.owner(e.id)) !== owner) continue;
      await rm(e.file, { force: true });
      await rm(path.join(this.dir, `${e.id}.owner`), { force: true });
      total -= e.size;
      deleted.push(e.id);
    }
    return deleted;
  }
}
