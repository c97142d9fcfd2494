import type { RgbImage } from '../../pipeline/image.ts';

export interface DecodedPicture {
  width: number;
  height: number;
}

/** Turns encoded frames into RGB pictures. Synchronous: call it off the main thread. */
export interface VideoDecoder {
  /** Feeds one encoded frame; returns the size of the picture it produced, or undefined (none yet / corrupt). */
  decode(data: Uint8Array): DecodedPicture | undefined;
  /**
   * Converts the last decoded picture to RGB into `out`: at the picture's size, or (native scaling from the decoded
   * planes, one pass) at any other size, e.g. the working size the networks run at.
   */
  read(out: RgbImage): void;
  close(): void;
}

export interface EncodedFrame {
  data: Uint8Array;
  keyframe: boolean;
}

export interface EncoderOptions {
  bitrate: number;
  /** libvpx `cpu-used`: higher is faster; negative values are static speed levels. */
  cpuUsed: number;
  /** Keyframe interval in frames (a PLI forces one sooner). */
  keyframeInterval: number;
}

/** Turns RGB pictures into encoded frames. Synchronous: call it off the main thread. */
export interface VideoEncoder {
  /** Encodes one picture; `forceKeyframe` makes it an intra frame. Zero or more frames come out (zero-lag: one). */
  encode(input: RgbImage, timestampMs: number, forceKeyframe: boolean): EncodedFrame[];
  /**
   * Encodes `decoder`'s last picture as it is, in the codec's own pixel format: no colour conversion either way
   * (the pass-through path, e.g. target `none`). Undefined when this encoder cannot take that decoder's pictures.
   */
  encodeDecoded(decoder: VideoDecoder, timestampMs: number, forceKeyframe: boolean): EncodedFrame[] | undefined;
  close(): void;
}

/** cpu-used -16 (libvpx's fastest static speed): ~4 ms per 640x480 frame here vs ~14 ms at 8, on a loaded 2-core box. */
export const DEFAULT_ENCODER_OPTIONS: EncoderOptions = { bitrate: 1_500_000, cpuUsed: -16, keyframeInterval: 3000 };
