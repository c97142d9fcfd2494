/**
 * A model-free frame processor for the web page's end-to-end tests (loaded in each live session's worker, like
 * `server/src/live/builtin-processors.ts`). Any style id is accepted and shown as an unmistakable colour, and the
 * target is visible as a region, so a test can check the returned <video> with a few pixel means:
 * - style → a tint channel (`channelFor`): the channel keeps max(luma, 128), the other two are 0;
 * - target `whole` tints the frame, `background` only the left half, `person` only the right half, `none` nothing.
 */
import type { Target } from '@deepphoto/shared';
import type { RgbImage } from '../../server/src/pipeline/image.ts';
import type { FrameProcessor, FrameTimings, ProcessorFactory, ProcessorOptions } from '../../server/src/pipeline/processor.ts';

/** 0 red, 1 green, 2 blue: the first letter's char code modulo 3 (candy → red, mosaic → green, udnie → red). */
export function channelFor(style: string): 0 | 1 | 2 {
  return ((style.charCodeAt(0) || 0) % 3) as 0 | 1 | 2;
}

/** The half of the frame a target tints, as [from, to) fractions of the width. */
export function tintedSpan(target: Target): [number, number] {
  return target === 'whole' ? [0, 1] : target === 'background' ? [0, 0.5] : target === 'person' ? [0.5, 1] : [0, 0];
}

class ColourProcessor implements FrameProcessor {
  constructor(private options: ProcessorOptions) {}

  process(input: RgbImage, _timestampMs: number, output: RgbImage): FrameTimings {
    const t0 = performance.now();
    const { width, height } = input;
    const src = input.data;
    const dst = output.data;
    dst.set(src);
    const [from, to] = tintedSpan(this.options.target);
    const x0 = Math.round(from * width);
    const x1 = Math.round(to * width);
    const c = channelFor(this.options.style);
    for (let y = 0; y < height; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * width + x) * 3;
        const luma = (src[i]! * 77 + src[i + 1]! * 150 + src[i + 2]! * 29) >> 8;
        dst[i] = c === 0 ? Math.max(luma, 128) : 0;
        dst[i + 1] = c === 1 ? Math.max(luma, 128) : 0;
        dst[i + 2] = c === 2 ? Math.max(luma, 128) : 0;
      }
    }
    const ms = performance.now() - t0;
    return { segmentMs: 0, styleMs: ms, smoothMs: 0, compositeMs: 0, totalMs: ms };
  }

  async update(change: Partial<ProcessorOptions>): Promise<void> {
    this.options = { ...this.options, ...change };
  }

  close(): void {}
}

export const createProcessor: ProcessorFactory = async (options) => new ColourProcessor({ ...options });
