/**
 * Background pictures for the `image` effect: a few built-ins made by us (SVG drawn here and rendered with sharp
 * when first used: no third-party pictures, nothing to download) and each user's own uploads, kept on disk per
 * identity and deletable.
 *
 * A user's picture id is `u-` + 16 random hex digits; the live pipeline and the photo editor load pictures by id
 * (in their own threads, from the same folder), so the id is the handle and the owner is checked on list/delete.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import type { RgbImage } from '../pipeline/image.ts';
import type { BackgroundPictureSource } from '../pipeline/effect-stage.ts';
import { UnknownStyleError } from './catalog.ts';

const W = 1280;
const H = 720;

/** Deterministic pseudo-random numbers (mulberry32), so built-ins are the same picture on every start. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function svg(body: string, defs = ''): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><defs>${defs}</defs>${body}</svg>`;
}

function dawn(): string {
  const defs = `<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#28305e"/><stop offset="0.55" stop-color="#d9738c"/><stop offset="1" stop-color="#f7c58b"/></linearGradient>
    <radialGradient id="sun" cx="0.5" cy="0.5" r="0.5"><stop offset="0" stop-color="#fff4d0"/><stop offset="1" stop-color="#ffd08a" stop-opacity="0"/></radialGradient>`;
  return svg(
    `<rect width="${W}" height="${H}" fill="url(#sky)"/><circle cx="900" cy="470" r="220" fill="url(#sun)"/><circle cx="900" cy="470" r="60" fill="#fff1c4"/>
     <path d="M0 520 L180 400 L330 480 L520 350 L700 470 L880 390 L1080 500 L1280 420 V720 H0 Z" fill="#5b3f66"/>
     <path d="M0 600 L240 500 L460 580 L700 520 L960 600 L1280 540 V720 H0 Z" fill="#3a2947"/>`,
    defs,
  );
}

function studio(): string {
  const defs = `<radialGradient id="g" cx="0.5" cy="0.42" r="0.75"><stop offset="0" stop-color="#8d9aa6"/><stop offset="0.6" stop-color="#4c5660"/><stop offset="1" stop-color="#1f252b"/></radialGradient>`;
  return svg(`<rect width="${W}" height="${H}" fill="url(#g)"/>`, defs);
}

function shelves(): string {
  const rnd = random(12);
  const colours = ['#8e3b46', '#2f5d7c', '#c9a227', '#3f7d4e', '#d8d2c4', '#5c4a72', '#b5652b', '#23395b'];
  let books = '';
  for (let shelf = 0; shelf < 4; shelf++) {
    const baseY = 170 + shelf * 170;
    let x = 40;
    while (x < W - 60) {
      const w = 18 + Math.floor(rnd() * 26);
      const h = 90 + Math.floor(rnd() * 55);
      if (rnd() < 0.08) {
        x += w + 30; // a gap on the shelf
        continue;
      }
      books += `<rect x="${x}" y="${baseY - h}" width="${w}" height="${h}" fill="${colours[Math.floor(rnd() * colours.length)]}"/>`;
      x += w + 2;
    }
    books += `<rect x="20" y="${baseY}" width="${W - 40}" height="16" fill="#6b4a2f"/>`;
  }
  return svg(`<rect width="${W}" height="${H}" fill="#e8dcc8"/>${books}`);
}

function forest(): string {
  const rnd = random(7);
  const defs = `<linearGradient id="air" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#cfe6d8"/><stop offset="1" stop-color="#7fae8e"/></linearGradient>`;
  let trees = '';
  for (const [layer, colour] of [[0, '#5f8f6b'], [1, '#3f6f4c'], [2, '#24492f']] as const) {
    for (let i = 0; i < 14; i++) {
      const x = rnd() * W;
      const h = 260 + layer * 110 + rnd() * 120;
      const w = 70 + layer * 30 + rnd() * 40;
      const y = H - 40 + layer * 20;
      trees += `<path d="M${x} ${y - h} L${x + w / 2} ${y} L${x - w / 2} ${y} Z" fill="${colour}"/>`;
    }
  }
  return svg(`<rect width="${W}" height="${H}" fill="url(#air)"/>${trees}<rect y="${H - 40}" width="${W}" height="40" fill="#1d3a25"/>`, defs);
}

/** The built-in pictures, by id, in gallery order. */
export const BUILTIN_BACKGROUNDS: ReadonlyArray<{ id: string; title: string; draw: () => string }> = [
  { id: 'dawn', title: 'Dawn', draw: dawn },
  { id: 'studio', title: 'Studio', draw: studio },
  { id: 'shelves', title: 'Bookshelf', draw: shelves },
  { id: 'forest', title: 'Forest', draw: forest },
];

export async function renderBuiltinBackground(id: string): Promise<RgbImage> {
  const entry = BUILTIN_BACKGROUNDS.find((b) => b.id === id);
  if (!entry) throw new UnknownStyleError(`bg-${id}`, []);
  const { data, info } = await sharp(Buffer.from(entry.draw())).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

const USER_ID_RE = /^u-[0-9a-f]{16}$/;
/** What identifies a user's store until accounts exist: an opaque token the page keeps (see README). */
export const identitySchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'identity: 8-64 letters, digits, - and _');

const metaSchema = z.object({ id: z.string().regex(USER_ID_RE), owner: identitySchema, title: z.string().max(120), createdAt: z.number() });
export type UserBackground = z.infer<typeof metaSchema>;

export interface BackgroundLibraryOptions {
  /** Folder of user uploads (default `var/backgrounds`, or `DEEPPHOTO_BACKGROUNDS_DIR`). */
  dir?: string;
  /** Uploads kept per identity; the oldest go first. */
  maxPerIdentity?: number;
  /** Long side uploads are stored at (cover-fit to the frame happens later; this bounds disk and memory). */
  maxSide?: number;
}

/**
 * Built-ins plus user uploads. Loaded pictures are cached (a few, newest kept) so that switching back and forth
 * does not decode again.
 */
export class BackgroundLibrary implements BackgroundPictureSource {
  readonly dir: string;
  private readonly maxPerIdentity: number;
  private readonly maxSide: number;
  private readonly cache = new Map<string, Promise<RgbImage>>();
  /** Pictures given for this process only (the CLI's `--background FILE`), never written to disk. */
  private readonly transient = new Map<string, RgbImage>();

  constructor(options: BackgroundLibraryOptions = {}) {
    this.dir = path.resolve(options.dir ?? 'var/backgrounds'); // config: DEEPPHOTO_BACKGROUNDS_DIR
    this.maxPerIdentity = options.maxPerIdentity ?? 20;
    this.maxSide = options.maxSide ?? 1920;
  }

  static isUserId(id: string): boolean {
    return USER_ID_RE.test(id);
  }

  has(id: string): boolean {
    return BUILTIN_BACKGROUNDS.some((b) => b.id === id) || BackgroundLibrary.isUserId(id);
  }

  /** Whether a picture id can be loaded now (built-in, or an upload still on disk). */
  async exists(id: string): Promise<boolean> {
    if (BUILTIN_BACKGROUNDS.some((b) => b.id === id)) return true;
    if (!BackgroundLibrary.isUserId(id)) return false;
    return access(path.join(this.dir, `${id}.jpg`)).then(
      () => true,
      () => false,
    );
  }

  /** Makes `picture` loadable by the returned id in this process only. */
  addTransient(picture: RgbImage): string {
    const id = `t-${randomBytes(8).toString('hex')}`;
    this.transient.set(id, picture);
    return id;
  }

  load(id: string): Promise<RgbImage> {
    const given = this.transient.get(id);
    if (given) return Promise.resolve(given);
    let pending = this.cache.get(id);
    if (!pending) {
      pending = BackgroundLibrary.isUserId(id) ? this.loadUser(id) : renderBuiltinBackground(id);
      this.cache.set(id, pending);
      pending.catch(() => this.cache.delete(id));
      while (this.cache.size > 6) this.cache.delete(this.cache.keys().next().value!);
    }
    return pending;
  }

  private async loadUser(id: string): Promise<RgbImage> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(this.dir, `${id}.jpg`));
    } catch {
      throw new UnknownStyleError(`bg-${id}`, []);
    }
    const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }

  /** Stores a decoded picture for `owner`; returns its entry. Beyond the per-identity cap the oldest is deleted. */
  async add(owner: string, picture: RgbImage, title: string): Promise<UserBackground> {
    identitySchema.parse(owner);
    await mkdir(this.dir, { recursive: true });
    const id = `u-${randomBytes(8).toString('hex')}`;
    const jpeg = await sharp(picture.data, { raw: { width: picture.width, height: picture.height, channels: 3 } })
      .resize(this.maxSide, this.maxSide, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 90, mozjpeg: true })
      .toBuffer();
    // Sub-millisecond time: uploads in the same millisecond still have an order (the cap deletes the oldest).
    const meta: UserBackground = { id, owner, title: title.slice(0, 120), createdAt: performance.timeOrigin + performance.now() };
    await writeFile(path.join(this.dir, `${id}.jpg`), jpeg);
    await writeFile(path.join(this.dir, `${id}.json`), JSON.stringify(meta));
    const mine = await this.list(owner);
    for (const old of mine.slice(0, Math.max(0, mine.length - this.maxPerIdentity))) await this.remove(owner, old.id);
    return meta;
  }

  /** The owner's uploads, oldest first. */
  async list(owner: string): Promise<UserBackground[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const entries: UserBackground[] = [];
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      try {
        const meta = metaSchema.parse(JSON.parse(await readFile(path.join(this.dir, name), 'utf8')));
        if (meta.owner === owner) entries.push(meta);
      } catch {
        // a half-written or foreign file: not listed
      }
    }
    return entries.sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Deletes one of the owner's uploads; false when it does not exist or belongs to someone else. */
  async remove(owner: string, id: string): Promise<boolean> {
    if (!BackgroundLibrary.isUserId(id)) return false;
    const mine = (await this.list(owner)).some((m) => m.id === id);
    if (!mine) return false;
    await rm(path.join(this.dir, `${id}.json`), { force: true });
    await rm(path.join(this.dir, `${id}.jpg`), { force: true });
    this.cache.delete(id);
    return true;
  }
}
