/**
 * The whole product on one HTTP server: photo API, recordings, socket.io signaling for live sessions, and (when
 * built) the web page. `main.ts` runs it; tests start it the same way on a free port.
 */
import type { FastifyInstance } from 'fastify';
import { createPhotoContext, type PhotoContext } from './context.ts';
import { buildHttpApp } from './http/app.ts';
import { webStatic } from './http/web-static.ts';
import { recordingRoutes } from './live/recording-routes.ts';
import type { RecordingStoreOptions } from './live/recording-store.ts';
import { attachSignaling, type SignalingHandle, type SignalingOptions } from './signaling/signaling.ts';
import type { Logger } from './runtime/onnx.ts';
import { loadTls, readConfig, securityConfigSchema, type Config, type SecurityConfig } from './config/config.ts';
import { createSecurityContext, type SecurityContext } from './security/guard.ts';

/** The live frame processor: segmentation + style (LivePipeline), loaded inside each session's worker. */
export const LIVE_PROCESSOR_MODULE = new URL('./pipeline/live-processor.ts', import.meta.url).href;

export interface ServerOptions {
  port?: number;
  host?: string;
  maxSessions?: number;
  recordings?: RecordingStoreOptions;
  /** Override the frame processor module (tests use the built-in ones). */
  processorModule?: string;
  signaling?: Partial<SignalingOptions>;
  logger?: Logger;
  /** Serve the built web page at `/` (default true; tests that bring their own page turn it off). */
  servePage?: boolean;
  /** Extra routes; registered before listening. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** Security settings; default: read from DEEPPHOTO_* environment variables (see README: Security). */
  security?: Partial<SecurityConfig>;
  /** Every setting (main.ts reads it once); default: read from the environment now (see README: Configuration). */
  config?: Config;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  photo: PhotoContext;
  signaling: SignalingHandle;
  security: SecurityContext;
  /** Idempotent: closes live sessions (finalizing recordings), then HTTP, then model sessions. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  // Validate before anything heavy starts: a bad setting or a missing secret stops here with a clear message.
  const settings = options.config ?? readConfig();
  const config: SecurityConfig = securityConfigSchema.parse({ ...settings.security, ...options.security });
  const security = createSecurityContext({ host, config });
  const tls = loadTls(config);
  const photo = await createPhotoContext({ logger: options.logger, editorThread: true, config: settings });
  const app = await buildHttpApp({ photo, security, ...(tls ? { https: tls } : {}) });
  const signaling = await attachSignaling(app.server, {
    knownStyles: () => photo.catalog.ids(),
    knownBackground: (id) => photo.backgrounds.exists(id),
    defaultEffect: { style: photo.catalog.ids()[0] ?? 'none', target: 'background' },
    maxSessions: options.maxSessions ?? settings.server.maxSessions,
    processorModule: options.processorModule ?? LIVE_PROCESSOR_MODULE,
    processorConfig: settings,
    ...(options.recordings ? { recordings: options.recordings } : {}),
    security,
    ...options.signaling,
    peer: {
      iceServers: config.iceServers,
      ...(config.rtcPortRange ? { portRange: config.rtcPortRange } : {}),
      // Announced address: werift adds it as an extra host candidate (with the bound port), which is what a
      // 1:1 NAT / container port mapping needs.
      iceAdditionalHostAddresses: ['127.0.0.1', ...(config.announcedAddress ? [config.announcedAddress] : [])],
      ...options.signaling?.peer,
    },
  });
  await app.register(recordingRoutes, { store: signaling.store, security });
  if (options.servePage ?? true) await app.register(webStatic, settings.paths.webDir ? { dir: settings.paths.webDir } : {});
  for (const plugin of options.plugins ?? []) await plugin(app);
  const url = await app.listen({ port: options.port ?? 0, host });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await signaling.close();
      await app.close();
      await photo.close();
    })());
  return { url, app, photo, signaling, security, close };
}
