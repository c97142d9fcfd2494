import { afterEach, describe, expect, it } from 'vitest';
import { createRgbImage, type RgbImage } from '../../server/src/pipeline/image.ts';
import { createVp8Decoder, createVp8Encoder } from '../../server/src/live/codec/node-av.ts';
import { FrameWorker, liveFrameWorkerCount, type EncodedOutput } from '../../server/src/live/frame-worker-client.ts';
import { TOY_PROCESSOR_MODULE } from '../../server/src/live/builtin-processors.ts';

function pattern(width: number, height: number, shift: number): RgbImage {
  const img = createRgbImage(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      img.data[i] = 200;
      img.data[i + 1] = (x + shift) & 0xff;
      img.data[i + 2] = 40;
    }
  }
  return img;
}

function meanChannel(img: RgbImage, c: number): number {
  let s = 0;
  for (let i = c; i < img.data.length; i += 3) s += img.data[i]!;
  return s / (img.data.length / 3);
}

let worker: FrameWorker | undefined;
afterEach(async () => {
  await worker?.close();
  worker = undefined;
});

describe('frame worker', () => {
  it('decodes, inverts and re-encodes frames in a worker thread, then exits on close()', async () => {
    worker = await FrameWorker.start({ processorModule: TOY_PROCESSOR_MODULE, processor: { style: 'invert', target: 'whole' }, encoder: {} });
    expect(liveFrameWorkerCount()).toBe(1);
    const encoder = createVp8Encoder();
    const decoder = createVp8Decoder();
    const outputs: EncodedOutput[] = [];
    worker.on('encoded', (o) => outputs.push(o));
    for (let f = 0; f < 10; f++) {
      const [frame] = encoder.encode(pattern(160, 120, f), f * 33, f === 0);
      worker.pushFrame(frame!.data, f * 3000, f * 33, performance.now(), frame!.keyframe);
      await new Promise((r) => setTimeout(r, 40));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(outputs.length).toBeGreaterThanOrEqual(8);
    expect(outputs[0]!.keyframe).toBe(true);
    expect(outputs[0]!.rtpTimestamp).toBe(0);
    const back = createRgbImage(160, 120);
    for (const o of outputs) {
      if (decoder.decode(o.data)) decoder.read(back);
    }
    // Input red 200 / blue 40 becomes 55 / 215 after inversion (lossy codec: allow a margin).
    expect(meanChannel(back, 0)).toBeLessThan(80);
    expect(meanChannel(back, 2)).toBeGreaterThan(190);
    encoder.close();
    decoder.close();
    await worker.close();
    await worker.close(); // idempotent
    expect(liveFrameWorkerCount()).toBe(0);
  });

  it('update() switches the style and rejects an unknown one without stopping the worker', async () => {
    worker = await FrameWorker.start({ processorModule: TOY_PROCESSOR_MODULE, processor: { style: 'none', target: 'whole' }, encoder: {} });
    await worker.update({ style: 'tint-blue' });
    await expect(worker.update({ style: 'no-such-style' })).rejects.toThrow(/unknown style/);
    const encoder = createVp8Encoder();
    const decoder = createVp8Decoder();
    const outputs: EncodedOutput[] = [];
    worker.on('encoded', (o) => outputs.push(o));
    const [frame] = encoder.encode(pattern(160, 120, 0), 0, true);
    worker.pushFrame(frame!.data, 0, 0, performance.now(), true);
    await new Promise((r) => setTimeout(r, 300));
    expect(outputs).toHaveLength(1);
    const back = createRgbImage(160, 120);
    expect(decoder.decode(outputs[0]!.data)).toEqual({ width: 160, height: 120 });
    decoder.read(back);
    expect(meanChannel(back, 0)).toBeLessThan(30);
    expect(meanChannel(back, 2)).toBeGreaterThan(120);
    encoder.close();
    decoder.close();
  });

  it('start() rejects when the processor module cannot be loaded and leaves no worker', async () => {
    await expect(
      FrameWorker.start({ processorModule: new URL('./no-such-module.ts', import.meta.url).href, processor: { style: 'none', target: 'whole' }, encoder: {} }),
    ).rejects.toThrow();
    expect(liveFrameWorkerCount()).toBe(0);
  });

  it('with the real pipeline, target none re-encodes decoded frames without processing; a style switch processes again', async () => {
    const pipelineModule = new URL('../../server/src/pipeline/live-processor.ts', import.meta.url).href;
    worker = await FrameWorker.start({ processorModule: pipelineModule, processor: { style: 'mosaic', target: 'none' }, encoder: {} });
    const encoder = createVp8Encoder();
    const decoder = createVp8Decoder();
    const outputs: EncodedOutput[] = [];
    worker.on('encoded', (o) => outputs.push(o));
    const send = async (from: number, to: number) => {
      for (let f = from; f < to; f++) {
        const [frame] = encoder.encode(pattern(320, 240, f), f * 33, f === 0);
        worker!.pushFrame(frame!.data, f * 3000, f * 33, performance.now(), frame!.keyframe);
        await new Promise((r) => setTimeout(r, 60));
      }
      await new Promise((r) => setTimeout(r, 300));
    };
    await send(0, 6);
    const passed = outputs.splice(0);
    expect(passed.length).toBeGreaterThanOrEqual(5);
    // Pass-through: no processing stage ran, the picture comes back as it went in (lossy codec: a margin).
    for (const o of passed) expect(o.timings.processMs).toBe(0);
    const back = createRgbImage(320, 240);
    for (const o of passed) if (decoder.decode(o.data)) decoder.read(back);
    expect(Math.abs(meanChannel(back, 0) - 200)).toBeLessThan(6);
    expect(Math.abs(meanChannel(back, 2) - 40)).toBeLessThan(6);

    await worker.update({ target: 'whole' });
    await send(6, 12);
    const styled = outputs.splice(0);
    expect(styled.length).toBeGreaterThanOrEqual(4);
    expect(styled.at(-1)!.timings.styleMs).toBeGreaterThan(0);
    for (const o of styled) if (decoder.decode(o.data)) decoder.read(back);
    // Mosaic on the whole frame: far from the flat red/blue input.
    expect(Math.abs(meanChannel(back, 0) - 200) + Math.abs(meanChannel(back, 2) - 40)).toBeGreaterThan(30);
    encoder.close();
    decoder.close();
  });
});
