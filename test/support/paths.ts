import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Read-only development material beside the project (never copied into it). */
export const SHARED_DIR = join(REPO_ROOT, '../shared');
export const SEG_DEV_DIR = join(SHARED_DIR, 'data/seg-dev');
export const VIDEO_CLIP = join(SHARED_DIR, 'data/video/liveportrait_s18_upperbody.mp4');
export const hasSegDev = existsSync(SEG_DEV_DIR);
