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
import { ConfigError, loadTls, readClusterConfig, readConfig, readLiveProcessor, securityConfigSchema, type ClusterConfig, type Config, type SecurityConfig } from './config/config.ts';
import { ClusterNode } from './cluster/cluster-node.ts';
import { clusterRoutes } from './http/cluster-routes.ts';
import { BUILTIN_STYLE_IDS, TOY_PROCESSOR_MODULE } from './live/builtin-processors.ts';
import { PIPELINE_PROCESSOR_MODULE } from './pipeline/processor.ts';
import { createSecurityContext, type SecurityContext } from './security/guard.ts';


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
  /** Cluster settings; default: read from DEEPPHOTO_REDIS_URL etc. (none: a single node, no Redis). */
  cluster?: ClusterConfig | null;
  /** Every setting (main.ts reads it once); default: read from the environment now (see README: Configuration). */
  config?: Config;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  photo: PhotoContext;
  signaling: SignalingHandle;
  security: SecurityContext;
  /** Cluster mode only: this node in the cluster. */
  cluster?: ClusterNode;
  /**
   * SIGTERM: in cluster mode, stops taking new rooms, lets calls go on for the grace period, then sends their
   * participants to other nodes. Single node: nothing to do (close() ends the calls).
   */
  drain(): Promise<void>;
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
  const port = options.port ?? 0;
  const maxSessions = options.maxSessions ?? settings.server.maxSessions;
  const clusterConfig = options.cluster === undefined ? readClusterConfig({ host, port, maxSessions, tls: Boolean(tls) }) : (options.cluster ?? undefined);
  if (clusterConfig && port === 0) throw new ConfigError('cluster mode needs a fixed PORT (its public URL is registered in Redis)');
  // Model-free colour effects instead of the real pipeline (tests and demos on small machines).
  const builtinProcessor = !options.processorModule && readLiveProcessor() === 'builtin';
  const photo = await createPhotoContext({ logger: options.logger, editorThread: true, config: settings });
  const app = await buildHttpApp({ photo, security, ...(tls ? { https: tls } : {}) });
  const log = { info: (m: string) => console.log(m), warn: (m: string) => console.warn(m) };
  let sessionCount = () => 0;
  const cluster = clusterConfig ? await ClusterNode.connect({ config: clusterConfig, sessions: () => sessionCount(), log }) : undefined;
  const signaling = await attachSignaling(app.server, {
    knownStyles: builtinProcessor ? BUILTIN_STYLE_IDS : () => photo.catalog.ids(),
    knownBackground: (id) => photo.backgrounds.exists(id),
    defaultEffect: builtinProcessor ? { style: 'tint-blue', target: 'whole' } : { style: photo.catalog.ids()[0] ?? 'none', target: 'background' },
    maxSessions,
    processorModule: options.processorModule ?? (builtinProcessor ? TOY_PROCESSOR_MODULE : PIPELINE_PROCESSOR_MODULE),
    processorConfig: settings,
    // A cluster node says what it does with rooms (placements, moves): the operator reads it across nodes.
    ...(cluster ? { cluster, adapter: cluster.adapter(), logger: log } : {}),
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
  sessionCount = () => signaling.sessions.size;
  await app.register(recordingRoutes, { store: signaling.store, security });
  if (cluster) await app.register(clusterRoutes({ cluster, security }));
  if (options.servePage ?? true) await app.register(webStatic, settings.paths.webDir ? { dir: settings.paths.webDir } : {});
  for (const plugin of options.plugins ?? []) await plugin(app);
  const url = await app.listen({ port, host });
  await cluster?.register();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await signaling.close();
      await cluster?.close();
      await app.close();
      await photo.close();
    })());
  let draining: Promise<void> | undefined;
  const drain = () =>
    (draining ??= (async () => {
      if (!cluster) return;
      await cluster.drain(() => signaling.rooms.names(), (room, target) => signaling.moveRoom(room, target));
      // Let the redirects reach the browsers before close() disconnects them.
      await new Promise((r) => setTimeout(r, 500));
    })());
  return { url, app, photo, signaling, security, ...(cluster ? { cluster } : {}), drain, close };
}
