/**
 * The server side of `npm run soak`: the real product (real pipeline) in its own process, so that its RSS, threads
 * and children are measured alone. Serves the soak page; prints `READY <url>` and then one JSON line per second.
 * SIGTERM: closes everything, prints a final line, exits.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { liveFrameWorkerCount } from '../live/frame-worker-client.ts';
import { liveRecorderChildren } from '../live/recorder.ts';
import { installProcessPolicy } from '../security/process-policy.ts';
import { startServer } from '../server.ts';

const page = await readFile(process.env.SOAK_PAGE_FILE!, 'utf8');
const socketIoJs = await readFile(path.join(path.dirname(createRequire(import.meta.url).resolve('socket.io-client/package.json')), 'dist/socket.io.min.js'));
const server = await startServer({
  servePage: false,
  maxSessions: 2,
  ...(process.env.SOAK_RECORDINGS ? { recordings: { dir: process.env.SOAK_RECORDINGS } } : {}),
  security: { maxSessionsPerIdentity: 2 },
  logger: { info: () => {}, warn: (m) => console.error(m) },
  plugins: [
    async (app) => {
      app.get('/', async (_q, reply) => reply.type('text/html').send(page));
      app.get('/socket.io.js', async (_q, reply) => reply.type('text/javascript').send(socketIoJs));
    },
  ],
});

const sample = () => ({
  t: Date.now(),
  rssMb: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
  sessions: server.signaling.sessions.size,
  workers: liveFrameWorkerCount(),
  children: liveRecorderChildren(),
  threads: readdirSync('/proc/self/task').length,
});
installProcessPolicy({ shutdown: () => server.close() }); // as `npm start` does: log with context, exit 70
console.log(`READY ${server.url}`);
const timer = setInterval(() => console.log(JSON.stringify(sample())), 1000);
process.once('SIGTERM', () => {
  clearInterval(timer);
  void server.close().then(() => {
    console.log(`FINAL ${JSON.stringify(sample())}`);
    process.exit(0);
  });
});
