/**
 * `npm start`: the product on one port — web page, HTTP API, live sessions (socket.io + WebRTC).
 */
import { ConfigError, readConfig, type Config } from './config/config.ts';
import { installProcessPolicy } from './security/process-policy.ts';
import { startServer, type RunningServer } from './server.ts';

let config: Config;
let server: RunningServer;
try {
  config = readConfig(); // the one read of the environment; everything below gets its part of it
  server = await startServer({ port: config.server.port, host: config.server.host, config });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`DeepPhoto Live did not start: ${error.message}`);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}
installProcessPolicy({ shutdown: () => server.close() });
const scheme = server.security.config.tls ? 'https' : 'http';
const shown = config.server.host === '0.0.0.0' ? `${scheme}://localhost:${config.server.port}/` : `${server.url}/`;
console.log(`DeepPhoto Live on ${shown}  (styles: ${server.photo.catalog.ids().join(', ') || 'none — see README'})`);
if (server.security.localTokens) console.log('access: loopback zero-setup (the page gets a short-lived token from this machine only)');

if (server.cluster) console.log(`cluster node ${server.cluster.id} (${server.cluster.url}); cluster view: ${server.url}/cluster`);

async function shutdown(signal: string): Promise<void> {
  // In a cluster, SIGTERM drains first: calls go on for the grace period, then move to other nodes. A second
  // signal (or SIGINT) does not wait.
  if (signal === 'SIGTERM' && server.cluster) {
    console.log(`${signal}: draining (no new rooms here; calls move to other nodes after the grace period)`);
    await server.drain();
  }
  console.log(`${signal}: closing live sessions, recordings and models`);
  await server.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => {
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  void shutdown('SIGTERM');
});
