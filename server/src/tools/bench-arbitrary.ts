/**
 * The arbitrary-style figures for `npm run bench -- --arbitrary`: transfer-network ms at the sizes the issue names
 * (both weight files), prediction ms, and the live pipeline in process (640x480 frames, target background) with a
 * style made from a picture, next to the light mosaic net measured the same way at the same moment, so that the
 * comparison holds on a loaded machine.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { ArbitraryStylizer, predictStyleVector } from '../pipeline/arbitrary-style.ts';
import { createRgbImage, type RgbImage } from '../pipeline/image.ts';
import { DEFAULT_LIVE_OPTIONS, LivePipeline } from '../pipeline/live-pipeline.ts';
import { decodePhoto } from '../photo/io.ts';
import { ModelRuntime } from '../runtime/onnx.ts';
import { StyleCatalog } from '../styles/catalog.ts';
import { userStyleId } from '../styles/user-styles.ts';
import { quietLogger } from '../context.ts';
import { readRuntimeConfig } from '../config/config.ts';

type Timer = (fn: () => unknown | Promise<unknown>) => Promise<{ medianMs: number; p90Ms: number; n: number }>;

export interface ArbitraryBenchOptions {
  time: Timer;
  frame: (width: number, height: number) => RgbImage;
  /** The picture the own style is made from (a synthetic frame when missing). */
  stylePicture: string;
  liveSeconds: number;
  /** Long sides to run the arbitrary look at, live. */
  liveSizes: number[];
}

async function livePipelineFps(catalog: StyleCatalog, style: string, options: Partial<typeof DEFAULT_LIVE_OPTIONS>, frame: RgbImage, seconds: number) {
  // As the product runs a live session: one ORT thread for segmentation here, one in the style thread.
  const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger, threads: 1 });
  const pipeline = await LivePipeline.create(runtime, catalog, { style, target: 'background', ...options });
  const out = createRgbImage(frame.width, frame.height);
  const styleMs: number[] = [];
  let t = 0;
  for (let i = 0; i < 5; i++) await pipeline.process(frame, (t += 33.3), out); // warm-up
  let frames = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    styleMs.push((await pipeline.process(frame, (t += 33.3), out)).styleMs);
    frames++;
  }
  const model = pipeline.effect.modelId;
  pipeline.close();
  await runtime.close();
  styleMs.sort((a, b) => a - b);
  return { fps: Math.round((frames / seconds) * 10) / 10, styleMedianMs: Math.round((styleMs[styleMs.length >> 1] ?? 0) * 10) / 10, model };
}

export async function benchArbitrary(options: ArbitraryBenchOptions): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100) };
  const runtime = new ModelRuntime({ ...readRuntimeConfig(), logger: quietLogger });
  const stylesDir = mkdtempSync(join(tmpdir(), 'deepphoto-bench-styles-'));
  try {
    // The bench's own style goes to a temporary folder, never into the user styles of this checkout.
    const catalog = await StyleCatalog.discover({ userStylesDir: stylesDir }, () => {});
    if (!catalog.arbitrary?.predictModelId) return { unavailable: [...catalog.unavailable.entries()].filter(([id]) => id.startsWith('arbitrary')) };
    const predict = await runtime.load(catalog.arbitrary.predictModelId);
    const pictureBytes = existsSync(options.stylePicture) ? readFileSync(options.stylePicture) : undefined;
    const picture = pictureBytes ? (await decodePhoto(pictureBytes)).image : options.frame(512, 512);
    out.predictMs = await options.time(() => predictStyleVector(predict, picture));
    const vector = await predictStyleVector(predict, picture);

    for (const id of ['arbitrary-transfer-f16', 'arbitrary-transfer-int8']) {
      const transfer = await runtime.load(id);
      const stylizer = new ArbitraryStylizer(transfer, vector, undefined);
      for (const [width, height] of [[256, 192], [320, 240], [640, 480]] as const) {
        const frame = options.frame(width, height);
        const styled = createRgbImage(width, height);
        out[`transfer.${id}.${width}x${height}`] = await options.time(() => stylizer.stylize(frame, styled, Math.max(width, height)));
      }
    }

    // A style from the picture, as POST /api/styles makes it, then the live pipeline with it.
    const own = catalog.userStyles.save({ id: userStyleId(pictureBytes ?? picture.data), title: 'bench', vector });
    const frame = options.frame(640, 480);
    const live: Record<string, unknown> = {};
    live['light-mosaic@256 (reference)'] = await livePipelineFps(catalog, 'mosaic', {}, frame, options.liveSeconds);
    for (const size of options.liveSizes) live[`own-style@${size}`] = await livePipelineFps(catalog, own.id, { arbitraryLongSide: size }, frame, options.liveSeconds);
    live['light-mosaic@256 (reference, again)'] = await livePipelineFps(catalog, 'mosaic', {}, frame, options.liveSeconds);
    out.liveInProcess640x480Background = live;
    out.defaultArbitraryWorkingSize = DEFAULT_LIVE_OPTIONS.arbitraryLongSide;
    out.loadAverageAtEnd = loadavg().map((v) => Math.round(v * 100) / 100);
    return out;
  } finally {
    await runtime.close();
    rmSync(stylesDir, { recursive: true, force: true });
  }
}
