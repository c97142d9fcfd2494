import { readProcessingConfig, type ProcessingConfig } from './config/config.ts';
import { PhotoEditor, type PhotoEditing } from './photo/editor.ts';
import { WorkerPhotoEditor } from './photo/worker-editor.ts';
import { ModelRuntime, type Logger } from './runtime/onnx.ts';
import { BackgroundLibrary } from './styles/backgrounds.ts';
import { StyleCatalog } from './styles/catalog.ts';

/** What photo editing needs of the config (the editor thread gets it as workerData). */
export type PhotoConfig = Pick<ProcessingConfig, 'runtime' | 'paths'>;

function readPhotoConfig(): PhotoConfig {
  const { runtime, paths } = readProcessingConfig();
  return { runtime, paths };
}

/** What the CLI, the HTTP server and the benchmarks share: one runtime, the style catalog, the photo editor. */
export interface PhotoContext {
  runtime: ModelRuntime;
  catalog: StyleCatalog;
  editor: PhotoEditing;
  /** Background pictures (built-ins and uploads) for `bg-*` effects. */
  backgrounds: BackgroundLibrary;
  close(): Promise<void>;
}

/**
 * `editorThread`: edit photos in a worker thread (the server: inference must not block its event loop); otherwise
 * in this thread (CLI, tools, tests of the flow itself).
 */
export async function createPhotoContext(options: { logger?: Logger; editorThread?: boolean; config?: PhotoConfig } = {}): Promise<PhotoContext> {
  // The CLI, tools and tests start here: without a config from their caller, this is where the environment is read.
  const config = options.config ?? readPhotoConfig();
  const runtime = new ModelRuntime({ logger: options.logger, threads: config.runtime.threads, providers: config.runtime.providers });
  const catalog = await StyleCatalog.discover({ userStylesDir: config.paths.stylesDir }, (m) => (options.logger ?? console).warn(m));
  const backgrounds = new BackgroundLibrary({ dir: config.paths.backgroundsDir });
  if (options.editorThread) {
    const editor = await WorkerPhotoEditor.start({ config });
    return {
      runtime,
      catalog,
      editor,
      backgrounds,
      close: async () => {
        await editor.close();
        await runtime.close();
      },
    };
  }
  const editor = new PhotoEditor(runtime, catalog, {}, backgrounds);
  return { runtime, catalog, editor, backgrounds, close: () => runtime.close() };
}

export const quietLogger: Logger = { info: () => {}, warn: (m) => console.error(m) };
