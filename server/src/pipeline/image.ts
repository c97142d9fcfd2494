/**
 * Pixel containers shared by every stage. Stages are pure functions over these typed arrays; callers own the
 * buffers and may pass preallocated outputs so that the per-frame path allocates nothing.
 */

/** 8-bit RGB, row-major, interleaved (HWC), `data.length === width * height * 3`. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Person probability per pixel in 0..1, row-major, `data.length === width * height`. */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export function createRgbImage(width: number, height: number): RgbImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

export function createMask(width: number, height: number): Mask {
  return { width, height, data: new Float32Array(width * height) };
}

export function assertSameSize(a: { width: number; height: number }, b: { width: number; height: number }, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new TypeError(`${what}: size mismatch ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}
