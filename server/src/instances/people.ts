/**
 * People in a still picture: person mask + faces -> one soft mask per person, numbered left to right (person 1 is
 * the leftmost face). Used by photo editing (CLI `--person N`, HTTP) and `eval:instances`.
 */
import type { ModelRuntime } from '../runtime/onnx.ts';
import { createMask, type Mask, type RgbImage } from '../pipeline/image.ts';
import { PersonMasker, type PersonMaskOptions } from '../pipeline/person-mask.ts';
import { ResamplerCache } from '../pipeline/resample.ts';
import type { FaceBox } from './blazeface.ts';
import { FaceDetector, type FaceModelId } from './face-detector.ts';
import { DEFAULT_SPLIT, InstanceSplitter, seedsLeftToRight, type SplitOptions } from './split.ts';

export interface PeopleOptions {
  faceModel: FaceModelId;
  /** The split runs at this long side (labels are then upsampled): the partition is coarse, the soft edge is not. */
  splitLongSide: number;
  split: SplitOptions;
  mask: Partial<PersonMaskOptions>;
}

export const DEFAULT_PEOPLE: PeopleOptions = { faceModel: 'face-full', splitLongSide: 320, split: DEFAULT_SPLIT, mask: {} };

export interface PeopleResult {
  /** Full-resolution soft person mask (everyone). */
  mask: Mask;
  /** Full-resolution labels: 0 = nobody, k = person k (1-based, left to right). */
  labels: Uint8Array;
  /** Faces in picture pixels, index k-1 = person k. */
  faces: FaceBox[];
}

/** Nearest-neighbour label upsampling (labels are categories: never interpolated). */
export function upsampleLabels(src: Uint8Array, srcWidth: number, srcHeight: number, dst: Uint8Array, dstWidth: number, dstHeight: number): void {
  const xs = new Int32Array(dstWidth);
  for (let x = 0; x < dstWidth; x++) xs[x] = Math.min(srcWidth - 1, Math.floor(((x + 0.5) * srcWidth) / dstWidth));
  for (let y = 0; y < dstHeight; y++) {
    const sy = Math.min(srcHeight - 1, Math.floor(((y + 0.5) * srcHeight) / dstHeight));
    const srcRow = sy * srcWidth;
    const dstRow = y * dstWidth;
    for (let x = 0; x < dstWidth; x++) dst[dstRow + x] = src[srcRow + xs[x]!]!;
  }
}

export class PeopleFinder {
  private readonly splitter = new InstanceSplitter();
  private readonly downMask = new ResamplerCache();

  private constructor(
    private readonly masker: PersonMasker,
    private readonly detector: FaceDetector,
    readonly options: PeopleOptions,
  ) {}

  static async create(runtime: ModelRuntime, options: Partial<PeopleOptions> = {}): Promise<PeopleFinder> {
    const resolved = { ...DEFAULT_PEOPLE, ...options };
    const [masker, detector] = await Promise.all([PersonMasker.create(runtime, resolved.mask), FaceDetector.create(runtime, resolved.faceModel)]);
    return new PeopleFinder(masker, detector, resolved);
  }

  async find(image: RgbImage): Promise<PeopleResult> {
    const mask = createMask(image.width, image.height);
    await this.masker.mask(image, mask);
    const faces = seedsLeftToRight(await this.detector.detect(image));
    const labels = new Uint8Array(image.width * image.height);
    const scale = Math.min(1, this.options.splitLongSide / Math.max(image.width, image.height));
    const sw = Math.max(1, Math.round(image.width * scale));
    const sh = Math.max(1, Math.round(image.height * scale));
    const small = createMask(sw, sh);
    this.downMask.get({ srcWidth: image.width, srcHeight: image.height, dstWidth: sw, dstHeight: sh, channels: 1 }).resize(mask.data, 'HWC', small.data, 'HWC');
    const smallLabels = new Uint8Array(sw * sh);
    const sx = sw / image.width;
    const sy = sh / image.height;
    const seeds = faces.map((f) => ({ x: f.x * sx, y: f.y * sy, width: f.width * sx, height: f.height * sy }));
    this.splitter.split(small, seeds, smallLabels, this.options.split);
    upsampleLabels(smallLabels, sw, sh, labels, image.width, image.height);
    return { mask, labels, faces };
  }
}
