/**
 * Tiny processors without models, for tests and for running the live path before the real pipeline is plugged
 * in. The effect per style id comes from a registry lookup; a style switch is visible in the picture.
 */
import type { RgbImage } from '../pipeline/image.ts';
import type { FrameProcessor, FrameTimings, ProcessorFactory, ProcessorOptions } from '../pipeline/processor.ts';

/**
 * This module as a processor module: colour effects without models (tests, demos on small machines,
 * `DEEPPHOTO_LIVE_PROCESSOR=builtin`). Sessions load the real pipeline (`PIPELINE_PROCESSOR_MODULE`) unless told to
 * load this one.
 */
export const TOY_PROCESSOR_MODULE = import.meta.url;

type PixelEffect = (input: Uint8Array, output: Uint8Array) => void;

function copy(input: Uint8Array, output: Uint8Array): void {
  output.set(input);
}

function invert(input: Uint8Array, output: Uint8Array): void {
  for (let i = 0; i < input.length; i++) output[i] = 255 - input[i]!;
}

/** Keeps one channel's luminance-ish value and zeroes the others: an unmistakable colour per style. */
function tint(channel: 0 | 1 | 2): PixelEffect {
  return (input, output) => {
    for (let i = 0; i < input.length; i += 3) {
      const y = (input[i]! * 77 + input[i + 1]! * 150 + input[i + 2]! * 29) >> 8;
      output[i] = channel === 0 ? Math.max(y, 128) : 0;
      output[i + 1] = channel === 1 ? Math.max(y, 128) : 0;
      output[i + 2] = channel === 2 ? Math.max(y, 128) : 0;
    }
  };
}

function gray(input: Uint8Array, output: Uint8Array): void {
  for (let i = 0; i < input.length; i += 3) {
    const y = (input[i]! * 77 + input[i + 1]! * 150 + input[i + 2]! * 29) >> 8;
    output[i] = y;
    output[i + 1] = y;
    output[i + 2] = y;
  }
}

export const BUILTIN_EFFECTS: Readonly<Record<string, PixelEffect>> = {
  none: copy,
  invert,
  gray,
  'tint-red': tint(0),
  'tint-green': tint(1),
  'tint-blue': tint(2),
};

export const BUILTIN_STYLE_IDS = Object.keys(BUILTIN_EFFECTS);

/** Applies the style's pixel effect to the whole frame (`target: 'none'` passes the picture through). */
export class ColourEffectProcessor implements FrameProcessor {
  private effect: PixelEffect;
  private options: ProcessorOptions;

  constructor(options: ProcessorOptions) {
    this.options = { ...options };
    this.effect = resolve(options);
  }

  process(input: RgbImage, _timestampMs: number, output: RgbImage): FrameTimings {
    const t0 = performance.now();
    if (input.data.length !== output.data.length) throw new TypeError('process: input and output sizes differ');
    this.effect(input.data, output.data);
    const ms = performance.now() - t0;
    return { segmentMs: 0, styleMs: ms, smoothMs: 0, compositeMs: 0, totalMs: ms };
  }

  async update(change: Partial<ProcessorOptions>): Promise<void> {
    const next = { ...this.options, ...change };
    const effect = resolve(next); // make before break: throws before anything changes
    this.options = next;
    this.effect = effect;
  }

  close(): void {}
}

function resolve(options: ProcessorOptions): PixelEffect {
  if (options.target === 'none') return copy;
  const effect = BUILTIN_EFFECTS[options.style];
  if (!effect) throw new TypeError(`unknown style "${options.style}"`);
  return effect;
}

export const createProcessor: ProcessorFactory = async (options) => new ColourEffectProcessor(options);
