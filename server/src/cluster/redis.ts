/**
 * The cluster's Redis connection. Commands fail fast while Redis is away (no offline queue: a heartbeat that cannot
 * be written is skipped, not replayed late), and the client reconnects by itself with a capped backoff, so a Redis
 * restart costs the cluster view a few seconds and never touches the media of calls in progress.
 */
import { createClient } from 'redis';

function createClusterClient(url: string, offlineQueue = false) {
  return createClient({
    url,
    disableOfflineQueue: !offlineQueue,
    socket: { connectTimeout: 3000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
  });
}

export type RedisClient = ReturnType<typeof createClusterClient>;

export interface RedisLog {
  warn(message: string): void;
  info(message: string): void;
}

export async function connectRedis(url: string, log: RedisLog): Promise<RedisClient> {
  return connectLogged(createClusterClient(url), url, log, '');
}

/**
 * The publish and subscribe connections of socket.io's Redis adapter. These keep node-redis' offline queue: a
 * broadcast made while Redis is away waits for it instead of rejecting (a rejection nobody awaits would be an
 * unhandled one), and the subscriber resubscribes by itself once Redis is back.
 */
export async function connectAdapterClients(url: string, log: RedisLog): Promise<{ pub: RedisClient; sub: RedisClient }> {
  const pub = await connectLogged(createClusterClient(url, true), url, log, ' (adapter publish)');
  const sub = await connectLogged(createClusterClient(url, true), url, log, ' (adapter subscribe)');
  return { pub, sub };
}

async function connectLogged(client: RedisClient, url: string, log: RedisLog, role: string): Promise<RedisClient> {
  let down = false;
  // node-redis emits `error` on every failed reconnect: say it once per outage, and that it is back.
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log.warn(`redis ${redactUrl(url)}${role}: ${error instanceof Error ? error.message : String(error)}; reconnecting`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info(`redis ${redactUrl(url)}${role}: connected again`);
  });
  await client.connect();
  return client;
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(invalid redis url)';
  }
}
