/**
 * `npm start`: the product on one port — HTTP API, signaling and (when built) the web page.
 */
import { createPhotoContext } from './context.ts';
import { buildHttpApp } from './http/app.ts';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

const photo = await createPhotoContext();
const app = await buildHttpApp({ photo });
await app.listen({ port, host });
console.log(`DeepPhoto Live on http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: closing sessions and models`);
  await app.close();
  await photo.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
