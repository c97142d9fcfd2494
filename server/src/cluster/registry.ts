/**
 * Each node's entry in the cluster: written on every heartbeat with a TTL, so a node that dies (SIGKILL, lost
 * network) disappears by itself within `ttlMs`. `list()` is what placement and the operator's view read.
 */
import type { ClusterKeys } from './keys.ts';
import type { NodeStatus } from './placement.ts';
import type { RedisClient, RedisLog } from './redis.ts';

export interface NodeRegistryOptions {
  client: RedisClient;
  keys: ClusterKeys;
  /** This node's status now (called on every heartbeat). */
  status: () => Omit<NodeStatus, 'updatedAt'>;
  /** Also called on every heartbeat (e.g. to refresh the TTL of the rooms this node owns). */
  onHeartbeat?: () => Promise<void>;
  intervalMs?: number;
  ttlMs?: number;
  log: RedisLog;
}

export class NodeRegistry {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private beating: Promise<void> = Promise.resolve();

  private constructor(private readonly options: NodeRegistryOptions) {}

  /** Registers this node at once and keeps its entry alive until `close()`. */
  static async start(options: NodeRegistryOptions): Promise<NodeRegistry> {
    const registry = new NodeRegistry(options);
    await registry.heartbeat();
    registry.timer = setInterval(() => void registry.heartbeat(), options.intervalMs ?? 1000);
    registry.timer.unref();
    return registry;
  }

  get ttlMs(): number {
    return this.options.ttlMs ?? 5000;
  }

  /** Writes this node's entry now. Never throws: while Redis is away the beat is skipped (and logged once). */
  heartbeat(): Promise<void> {
    this.beating = this.beating.then(async () => {
      if (this.closed) return;
      const { client, keys } = this.options;
      const status: NodeStatus = { ...this.options.status(), updatedAt: Date.now() };
      try {
        await client.multi().set(keys.node(status.id), JSON.stringify(status), { PX: this.ttlMs }).sAdd(keys.nodes, status.id).exec();
        await this.options.onHeartbeat?.();
      } catch {
        // The client's `error` listener says that Redis is away; the next beat tries again.
      }
    });
    return this.beating;
  }

  /** Live nodes (entries that have not expired), sorted by id. Throws when Redis is unreachable. */
  async list(): Promise<NodeStatus[]> {
    const { client, keys } = this.options;
    const ids = (await client.sMembers(keys.nodes)).sort();
    if (ids.length === 0) return [];
    const entries = await client.mGet(ids.map((id) => keys.node(id)));
    const live: NodeStatus[] = [];
    const gone: string[] = [];
    entries.forEach((entry, i) => {
      const parsed = entry === null ? undefined : parseStatus(entry);
      if (parsed) live.push(parsed);
      else gone.push(ids[i]!);
    });
    if (gone.length > 0) await client.sRem(keys.nodes, gone).catch(() => undefined);
    return live;
  }

  /** Stops the heartbeat and removes this node's entry (a clean stop leaves at once; a crash leaves within ttlMs). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.beating;
    const { client, keys } = this.options;
    const id = this.options.status().id;
    await client.multi().del(keys.node(id)).sRem(keys.nodes, id).exec().catch(() => undefined);
  }
}

function parseStatus(text: string): NodeStatus | undefined {
  try {
    const value = JSON.parse(text) as NodeStatus;
    return typeof value.id === 'string' && typeof value.url === 'string' && Number.isFinite(value.capacity) ? value : undefined;
  } catch {
    return undefined;
  }
}
