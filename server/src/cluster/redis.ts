/**
 * The cluster's Redis connection. Commands fail fast while Redis is away (no offline queue: a heartbeat that cannot
 * be written is skipped, not replayed late), and the client reconnects by itself with a capped backoff, so a Redis
 * restart costs the cluster view a few seconds and never touches the media of calls in progress.
 */
import { createClient } from 'redis';

function createClusterClient(url: string) {
  return createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 3000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
  });
}

export type RedisClient = ReturnType<typeof createClusterClient>;

export interface RedisLog {
  warn(message: string): void;
  info(message: string): void;
}

export async function connectRedis(url: string, log: RedisLog): Promise<RedisClient> {
  const client = createClusterClient(url);
  let down = false;
  // node-redis emits `error` on every failed reconnect: say it once per outage, and that it is back.
  client.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    log.warn(`redis ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}; reconnecting`);
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    log.info(`redis ${redactUrl(url)}: connected again`);
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
