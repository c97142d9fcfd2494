import { PhotoEditor } from './photo/editor.ts';
import { ModelRuntime, type Logger } from './runtime/onnx.ts';
import { StyleCatalog } from './styles/catalog.ts';

/** What the CLI, the HTTP server and the benchmarks share: one runtime, the style catalog, the photo editor. */
export interface PhotoContext {
  runtime: ModelRuntime;
  catalog: StyleCatalog;
  editor: PhotoEditor;
  close(): Promise<void>;
}

export async function createPhotoContext(options: { logger?: Logger } = {}): Promise<PhotoContext> {
  const runtime = new ModelRuntime({ logger: options.logger });
  const catalog = await StyleCatalog.discover({}, (m) => (options.logger ?? console).warn(m));
  const editor = new PhotoEditor(runtime, catalog);
  return { runtime, catalog, editor, close: () => runtime.close() };
}

export const quietLogger: Logger = { info: () => {}, warn: (m) => console.error(m) };
