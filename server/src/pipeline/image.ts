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

/**
 * Person probability per pixel as 8-bit (0..255 for 0..1), row-major: the live path's full-frame mask, upsampled
 * natively and read through a 256-entry weight table when compositing.
 */
export interface Alpha8 {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function createAlpha8(width: number, height: number): Alpha8 {
  return { width, height, data: new Uint8Array(width * height) };
}

/** Float mask (0..1) -> 8-bit alpha of the same size, rounded and clipped. */
export function maskToAlpha8(mask: Mask, out: Alpha8): void {
  assertSameSize(mask, out, 'maskToAlpha8');
  const m = mask.data;
  const a = out.data;
  for (let i = 0; i < m.length; i++) {
    const v = m[i]! * 255 + 0.5;
    a[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
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
