/**
 * VP8 decode/encode in process with node-av (FFmpeg's libvpx). The only module that imports node-av.
 * Buffers (AVFrames, packets, scaler contexts) are allocated once per size and reused for every frame.
 */
import { Codec, CodecContext, FFmpegError, Frame, Option, Packet, Rational, SoftwareScaleContext } from 'node-av/lib';
import { AV_CODEC_ID_VP8, AV_OPT_SEARCH_CHILDREN, AV_PICTURE_TYPE_I, AV_PICTURE_TYPE_NONE, AV_PIX_FMT_RGB24, AV_PIX_FMT_YUV420P, SWS_BILINEAR } from 'node-av/constants';
import type { RgbImage } from '../../pipeline/image.ts';
import { DEFAULT_ENCODER_OPTIONS, type DecodedPicture, type EncodedFrame, type EncoderOptions, type VideoDecoder, type VideoEncoder } from './types.ts';

export class NodeAvVp8Decoder implements VideoDecoder {
  private readonly ctx = new CodecContext();
  private readonly packet = new Packet();
  private readonly frame = new Frame();
  /** One YUV -> RGB context per output size (the frame, and the working size when asked for). */
  private readonly scalers = new Map<string, SoftwareScaleContext>();
  private hasPicture = false;
  private closed = false;

  constructor() {
    const codec = Codec.findDecoder(AV_CODEC_ID_VP8);
    if (!codec) throw new Error('node-av: no VP8 decoder');
    this.ctx.allocContext3(codec);
    this.ctx.threadCount = 1;
    FFmpegError.throwIfError(this.ctx.open2Sync(null, null), 'open VP8 decoder');
    this.packet.alloc();
    this.frame.alloc();
  }

  decode(data: Uint8Array): DecodedPicture | undefined {
    if (this.closed) throw new Error('decoder closed');
    this.packet.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const sent = this.ctx.sendPacketSync(this.packet);
    this.packet.unref();
    if (sent < 0) return undefined;
    // VP8 without frame threading: exactly zero or one picture per packet (receive unrefs the frame first).
    const r = this.ctx.receiveFrameSync(this.frame);
    this.hasPicture = r >= 0;
    return this.hasPicture ? { width: this.frame.width, height: this.frame.height } : undefined;
  }

  /** The last decoded picture, in the decoder's format (the encoder's pass-through path reads it). */
  get picture(): Frame | undefined {
    return this.hasPicture && !this.closed ? this.frame : undefined;
  }

  read(out: RgbImage): void {
    if (!this.hasPicture) throw new Error('no decoded picture');
    const { width, height } = this.frame;
    if (out.width > width || out.height > height) throw new TypeError(`read: output ${out.width}x${out.height} is larger than the picture ${width}x${height}`);
    const key = `${width}x${height}:${this.frame.format}->${out.width}x${out.height}`;
    let scaler = this.scalers.get(key);
    if (!scaler) {
      // A camera changes size rarely; drop contexts of other input sizes so that they do not pile up.
      for (const [k, s] of this.scalers) if (!k.startsWith(`${width}x${height}:${this.frame.format}->`)) s.freeContext(), this.scalers.delete(k);
      scaler = new SoftwareScaleContext();
      scaler.getContext(width, height, this.frame.format as never, out.width, out.height, AV_PIX_FMT_RGB24, SWS_BILINEAR);
      this.scalers.set(key, scaler);
    }
    const dst = Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength);
    scaler.scaleSync(this.frame.data!, this.frame.linesize, 0, height, [dst], [out.width * 3]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const scaler of this.scalers.values()) scaler.freeContext();
    this.scalers.clear();
    this.frame.free();
    this.packet.free();
    this.ctx.freeContext();
  }
}

export class NodeAvVp8Encoder implements VideoEncoder {
  private ctx: CodecContext | undefined;
  private readonly frame = new Frame();
  private readonly packet = new Packet();
  private scaler: SoftwareScaleContext | undefined;
  private width = 0;
  private height = 0;
  private closed = false;
  private readonly options: EncoderOptions;

  constructor(options: Partial<EncoderOptions> = {}) {
    this.options = { ...DEFAULT_ENCODER_OPTIONS, ...options };
    this.packet.alloc();
    this.frame.alloc();
  }

  encode(input: RgbImage, timestampMs: number, forceKeyframe: boolean): EncodedFrame[] {
    if (this.closed) throw new Error('encoder closed');
    if (!this.ctx || input.width !== this.width || input.height !== this.height) {
      this.open(input.width, input.height);
      forceKeyframe = true;
    }
    const ctx = this.ctx!;
    FFmpegError.throwIfError(this.frame.makeWritable(), 'frame writable');
    const src = Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength);
    this.scaler!.scaleSync([src], [input.width * 3], 0, input.height, this.frame.data!, this.frame.linesize);
    this.frame.pts = BigInt(Math.round(timestampMs));
    this.frame.pictType = forceKeyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    return this.send(this.frame);
  }

  encodeDecoded(decoder: VideoDecoder, timestampMs: number, forceKeyframe: boolean): EncodedFrame[] | undefined {
    if (this.closed) throw new Error('encoder closed');
    const picture = decoder instanceof NodeAvVp8Decoder ? decoder.picture : undefined;
    if (!picture || picture.format !== AV_PIX_FMT_YUV420P) return undefined;
    if (!this.ctx || picture.width !== this.width || picture.height !== this.height) {
      this.open(picture.width, picture.height);
      forceKeyframe = true;
    }
    picture.pts = BigInt(Math.round(timestampMs));
    picture.pictType = forceKeyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    return this.send(picture);
  }

  private send(frame: Frame): EncodedFrame[] {
    const ctx = this.ctx!;
    FFmpegError.throwIfError(ctx.sendFrameSync(frame), 'encode VP8');
    const out: EncodedFrame[] = [];
    while (ctx.receivePacketSync(this.packet) >= 0) {
      const data = this.packet.data;
      // Copy into memory we own (the packet is reused); this buffer is transferred to the main thread.
      if (data) out.push({ data: new Uint8Array(data), keyframe: this.packet.isKeyframe });
      this.packet.unref();
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.frame.free();
    this.packet.free();
  }

  private release(): void {
    this.scaler?.freeContext();
    this.scaler = undefined;
    this.ctx?.freeContext();
    this.ctx = undefined;
  }

  private open(width: number, height: number): void {
    this.release();
    const codec = Codec.findEncoder(AV_CODEC_ID_VP8);
    if (!codec) throw new Error('node-av: no VP8 encoder');
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = AV_PIX_FMT_YUV420P;
    ctx.timeBase = new Rational(1, 1000);
    ctx.framerate = new Rational(30, 1);
    ctx.bitRate = BigInt(this.options.bitrate);
    ctx.threadCount = 1; // 2 threads on 2 cores made latency spike (webrtc-notes)
    ctx.gopSize = this.options.keyframeInterval;
    ctx.maxBFrames = 0;
    // Private libvpx options are set on the context: node-av 6.1.1 double-frees a Dictionary passed to open2
    // (process crashes at exit with "double free or corruption").
    const privateOptions: Record<string, string> = {
      deadline: 'realtime',
      'cpu-used': String(this.options.cpuUsed),
      'lag-in-frames': '0',
      'auto-alt-ref': '0',
      'error-resilient': '1',
      'static-thresh': '0',
      'max-intra-rate': '300',
      'undershoot-pct': '95',
    };
    for (const [name, value] of Object.entries(privateOptions)) {
      FFmpegError.throwIfError(Option.set(ctx.getNative(), name, value, AV_OPT_SEARCH_CHILDREN), `libvpx option ${name}`);
    }
    FFmpegError.throwIfError(ctx.open2Sync(null, null), 'open VP8 encoder');
    this.ctx = ctx;
    this.width = width;
    this.height = height;
    this.frame.unref();
    this.frame.width = width;
    this.frame.height = height;
    this.frame.format = AV_PIX_FMT_YUV420P;
    FFmpegError.throwIfError(this.frame.getBuffer(32), 'frame buffer');
    this.scaler = new SoftwareScaleContext();
    this.scaler.getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR);
  }
}

export function createVp8Decoder(): VideoDecoder {
  return new NodeAvVp8Decoder();
}

export function createVp8Encoder(options?: Partial<EncoderOptions>): VideoEncoder {
  return new NodeAvVp8Encoder(options);
}
