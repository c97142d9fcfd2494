/**
 * Signaling alone on a loopback HTTP server, with socket.io clients that the harness disconnects on close: the
 * setup the signaling tests share.
 */
import { TOY_PROCESSOR_MODULE } from '../../server/src/live/builtin-processors.ts';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '@deepphoto/shared';
import { attachSignaling, type SignalingHandle, type SignalingOptions } from '../../server/src/signaling/signaling.ts';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SignalingHarness {
  handle: SignalingHandle;
  url: string;
  /** A connected client (websocket), closed with the harness. */
  client(): Promise<Client>;
  close(): Promise<void>;
}

/** `options.recordings` defaults to a temporary folder, removed on close. */
export async function startSignaling(options: Omit<SignalingOptions, 'recordings'>): Promise<SignalingHarness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-sig-'));
  const server: Server = createServer();
  // The toy processor (colour effects, no models) unless a test asks for another: signaling is what is under test.
  const handle = await attachSignaling(server, { processorModule: TOY_PROCESSOR_MODULE, ...options, recordings: { dir } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const clients: Client[] = [];
  return {
    handle,
    url,
    async client() {
      const c: Client = connect(url, { transports: ['websocket'], forceNew: true });
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('connect_error', reject);
      });
      return c;
    },
    async close() {
      for (const c of clients) c.disconnect();
      await handle.close();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
