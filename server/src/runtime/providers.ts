/**
 * Execution-provider names and preference lists, without onnxruntime itself (the config module validates them at
 * start without loading the runtime).
 */
import type { ModelTask } from '@deepphoto/models';

export const KNOWN_PROVIDERS = ['cpu', 'webgpu', 'cuda', 'tensorrt'] as const;
export type ExecutionProvider = (typeof KNOWN_PROVIDERS)[number];

/** ORT intra-op threads when the caller does not say (config: DEEPPHOTO_THREADS). */
export const DEFAULT_THREADS = 2;

export const MODEL_TASKS = ['segmentation', 'style', 'style_predict', 'style_transfer', 'detection'] as const satisfies readonly ModelTask[];

/**
 * Parses `webgpu,cuda,cpu`. Unknown names are a configuration error (TypeError naming the valid ones); `cpu` is
 * always appended so that there is something that works.
 */
export function parseProviderList(spec: string | undefined): ExecutionProvider[] {
  const names = (spec ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  const result: ExecutionProvider[] = [];
  for (const name of names) {
    if (!(KNOWN_PROVIDERS as readonly string[]).includes(name)) {
      throw new TypeError(`unknown execution provider "${name}" (known: ${KNOWN_PROVIDERS.join(', ')})`);
    }
    if (!result.includes(name as ExecutionProvider)) result.push(name as ExecutionProvider);
  }
  if (!result.includes('cpu')) result.push('cpu');
  else if (result.at(-1) !== 'cpu') {
    // CPU can't fail to load, so anything listed after it would never be tried: keep it last.
    result.splice(result.indexOf('cpu'), 1);
    result.push('cpu');
  }
  return result;
}

/** The variable that sets a task's providers (`DEEPPHOTO_EP_STYLE`); `DEEPPHOTO_EP` covers the tasks without one. */
export function providerVariable(task: ModelTask): string {
  return `DEEPPHOTO_EP_${task.toUpperCase()}`;
}

/** Per-task preference from an environment: `DEEPPHOTO_EP_<TASK>` overrides `DEEPPHOTO_EP` (default cpu). */
export function providersForTask(task: ModelTask, env: Readonly<Record<string, string | undefined>>): ExecutionProvider[] {
  return parseProviderList(env[providerVariable(task)] ?? env.DEEPPHOTO_EP);
}
