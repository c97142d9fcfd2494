import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { PhotoEditing } from './editor.ts';
import { encodePhoto } from './io.ts';

const SAMPLE_SVG = new URL('../../assets/sample.svg', import.meta.url);

/**
 * One JPEG per style, rendered once from the embedded sample scene with the style's quality network and kept in
 * memory: the gallery shows what each style does without shipping third-party photos.
 */
export class ThumbnailCache {
  private readonly rendered = new Map<string, Promise<Buffer>>();
  private sample: Promise<{ width: number; height: number; data: Uint8Array }> | undefined;

  constructor(
    private readonly editor: PhotoEditing,
    private readonly size = { width: 160, height: 120 },
  ) {}

  private loadSample() {
    this.sample ??= sharp(readFileSync(SAMPLE_SVG))
      .resize(this.size.width, this.size.height)
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ data, info }) => ({ width: info.width, height: info.height, data: new Uint8Array(data) }));
    return this.sample;
  }

  /** `none` renders the sample itself. `styleId` may be any effect id (blur thumbnails use target background). */
  get(styleId: string, target: 'whole' | 'background' = 'whole'): Promise<Buffer> {
    const key = `${styleId}/${target}`;
    let pending = this.rendered.get(key);
    if (!pending) {
      pending = this.loadSample().then(async (sample) => {
        const effect = styleId === 'none' ? { style: 'none', target: 'none' as const } : { style: styleId, target };
        const { image } = await this.editor.edit(sample, effect, { styleMaxSide: Math.max(this.size.width, this.size.height) });
        return encodePhoto(image, 'jpeg', 85);
      });
      this.rendered.set(key, pending);
      pending.catch(() => this.rendered.delete(key));
    }
    return pending;
  }
}
