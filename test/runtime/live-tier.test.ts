import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPhotoContext, quietLogger, type PhotoContext } from '../../server/src/context.ts';
import { readProcessingConfig } from '../../server/src/config/config.ts';
import { chooseLiveTier } from '../../server/src/pipeline/live-processor.ts';
import type { ModelRuntime } from '../../server/src/runtime/onnx.ts';

let context: PhotoContext;
beforeAll(async () => {
  context = await createPhotoContext({ logger: quietLogger });
});
afterAll(() => context.close());

/** A runtime whose models report the given provider: the decision logic is what is under test here. */
function runtimeOn(provider: string): ModelRuntime {
  return { load: async () => ({ provider }) } as unknown as ModelRuntime;
}

describe('chooseLiveTier', () => {
  it('CPU only: light nets at 256 px', async () => {
    expect(await chooseLiveTier(runtimeOn('cpu'), context.catalog, 'mosaic', readProcessingConfig({}))).toEqual({ tier: 'live-int8', workingLongSide: 256 });
  });

  it('a GPU provider that really loaded the teacher: teachers at full frame size (640)', async () => {
    expect(await chooseLiveTier(runtimeOn('cuda'), context.catalog, 'mosaic', readProcessingConfig({ DEEPPHOTO_EP_STYLE: 'cuda,cpu' }))).toEqual({ tier: 'quality', workingLongSide: 640 });
  });

  it('a GPU asked for but not there (fell back to CPU): stays on light nets', async () => {
    expect(await chooseLiveTier(runtimeOn('cpu'), context.catalog, 'mosaic', readProcessingConfig({ DEEPPHOTO_EP: 'webgpu,cpu' }))).toEqual({ tier: 'live-int8', workingLongSide: 256 });
  });

  it('DEEPPHOTO_LIVE_TIER and DEEPPHOTO_LIVE_WORKING_SIZE override', async () => {
    expect(await chooseLiveTier(runtimeOn('cpu'), context.catalog, 'mosaic', readProcessingConfig({ DEEPPHOTO_LIVE_TIER: 'quality', DEEPPHOTO_LIVE_WORKING_SIZE: '480' }))).toEqual({
      tier: 'quality',
      workingLongSide: 480,
    });
  });
});
