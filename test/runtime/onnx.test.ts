import { describe, expect, it } from 'vitest';
import {
  createSessionWithFallback,
  describeProviderFailure,
  ModelRuntime,
  parseProviderList,
  providersForTask,
  resetProviderProbe,
  type Logger,
  type SessionFactory,
} from '../../server/src/runtime/onnx.ts';

function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

describe('execution provider selection', () => {
  it('parses a preference list and always ends with cpu', () => {
    expect(parseProviderList('webgpu,cuda')).toEqual(['webgpu', 'cuda', 'cpu']);
    expect(parseProviderList(' WebGPU , cpu ')).toEqual(['webgpu', 'cpu']);
    expect(parseProviderList(undefined)).toEqual(['cpu']);
    expect(parseProviderList('cpu,cuda')).toEqual(['cuda', 'cpu']);
  });

  it('rejects an unknown provider naming the known ones', () => {
    expect(() => parseProviderList('webgpu,tpu')).toThrow(/unknown execution provider "tpu".*cpu, webgpu, cuda, tensorrt/);
  });

  it('lets segmentation and style choose differently', () => {
    const env = { DEEPPHOTO_EP: 'cuda,cpu', DEEPPHOTO_EP_STYLE: 'webgpu' };
    expect(providersForTask('segmentation', env)).toEqual(['cuda', 'cpu']);
    expect(providersForTask('style', env)).toEqual(['webgpu', 'cpu']);
  });

  it('tries providers one at a time, logs each skip once, and returns the first that loads', async () => {
    const tried: string[] = [];
    const factory: SessionFactory = async (_path, options) => {
      const name = String(options.executionProviders?.[0]);
      tried.push(name);
      if (name !== 'cpu') throw new Error(`${name} init failed\nstack...`);
      return { inputNames: [], outputNames: [] } as never;
    };
    const logger = collectingLogger();
    const choice = await createSessionWithFallback('m.onnx', ['webgpu', 'cuda', 'cpu'], { factory, logger, label: 'm' });
    expect(tried).toEqual(['webgpu', 'cuda', 'cpu']);
    expect(choice.provider).toBe('cpu');
    expect(choice.skipped.map((s) => s.provider)).toEqual(['webgpu', 'cuda']);
    expect(logger.lines).toEqual(['warn m: webgpu unavailable (webgpu init failed); trying cuda', 'warn m: cuda unavailable (cuda init failed); trying cpu']);
  });

  it('fails with every reason when no provider loads', async () => {
    const factory: SessionFactory = async () => {
      throw new Error('broken');
    };
    await expect(createSessionWithFallback('m.onnx', ['cpu'], { factory, logger: collectingLogger(), label: 'm' })).rejects.toThrow(/no execution provider.*cpu: broken/);
  });

  it('turns ORT native messages into short reasons and tells a missing provider from a model problem', () => {
    const webgpu = describeProviderFailure(
      'webgpu',
      new Error('/onnxruntime_src/.../webgpu_context.cc:136 ... adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n'),
    );
    expect(webgpu).toEqual({ reason: 'no WebGPU adapter (No supported adapters)', missing: true });
    const cuda = describeProviderFailure('cuda', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'));
    expect(cuda.missing).toBe(true);
    expect(cuda.reason).toMatch(/cuda provider libraries are not installed/);
    expect(describeProviderFailure('webgpu', new Error('Unsupported op Foo')).missing).toBe(false);
  });
  // The real fallback (a machine without a Vulkan driver) is tested in webgpu.test.ts, in a process of its own.
});

describe('ModelRuntime', () => {
  it('loads a model once, runs it, and close() is idempotent', async () => {
    const runtime = new ModelRuntime({ logger: collectingLogger(), threads: 1 });
    const [a, b] = await Promise.all([runtime.load('selfie-landscape'), runtime.load('selfie-landscape')]);
    expect(a).toBe(b);
    const { dims, data } = await a.run(new Float32Array(144 * 256 * 3).fill(0.5), [1, 144, 256, 3]);
    expect(dims).toEqual([1, 144, 256, 1]);
    expect(data.every((v) => v >= 0 && v <= 1)).toBe(true);
    await runtime.close();
    await runtime.close();
    await expect(runtime.load('selfie-landscape')).rejects.toThrow(/closed/);
  });

  it('names an unknown model and a missing file clearly', async () => {
    const runtime = new ModelRuntime({ logger: collectingLogger(), resolve: { cacheDir: '/nonexistent', mirrorDir: undefined } });
    await expect(runtime.load('no-such-model')).rejects.toThrow(/unknown model "no-such-model"/);
    await expect(runtime.load('selfie-general')).rejects.toThrow(/Run `npm run models:prepare`/);
    await expect(runtime.load('candy')).rejects.toThrow(/DEEPPHOTO_MODELS_MIRROR/);
    await runtime.close();
  });
});
