/**
 * `npm start`: the product on one port — web page, HTTP API, live sessions (socket.io + WebRTC).
 */
import { startServer } from './server.ts';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

const server = await startServer({ port, host });
const shown = host === '0.0.0.0' ? `http://localhost:${port}/` : `${server.url}/`;
console.log(`DeepPhoto Live on ${shown}  (styles: ${server.photo.catalog.ids().join(', ') || 'none — see README'})`);

async function shutdown(signal: string): Promise<void> {
  console.log(`${signal}: closing live sessions, recordings and models`);
  await server.close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
