/**
 * Loads one model with a provider list in a fresh process and prints what happened as one JSON line:
 * `{providers: {MODEL_ID: provider}, warnings}`. Provider availability is learnt once per process, so a fallback test needs its own.
 * Usage: node --import tsx test/support/provider-probe.ts MODEL_ID[,MODEL_ID...] webgpu,cpu
 */
import { ModelRuntime, parseProviderList } from '../../server/src/runtime/onnx.ts';

const [modelIds = 'light-mosaic', providers = 'webgpu,cpu'] = process.argv.slice(2);
const warnings: string[] = [];
const runtime = new ModelRuntime({ logger: { info: () => {}, warn: (m) => warnings.push(m) }, providers: { style: parseProviderList(providers), segmentation: parseProviderList(providers) } });
try {
  const loaded: Record<string, string> = {};
  for (const id of modelIds.split(',')) loaded[id] = (await runtime.load(id)).provider;
  console.log(JSON.stringify({ providers: loaded, warnings }));
} finally {
  await runtime.close();
}
