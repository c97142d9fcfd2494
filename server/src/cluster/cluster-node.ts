/**
 * This server as one node of a cluster: its entry in Redis (heartbeat + TTL), the rooms it holds, where a join
 * goes (here, another node, or `busy`), and the drain on SIGTERM. Everything media stays in the process: Redis
 * only says where rooms live, so Redis going away costs the cluster view and new placements, never a call.
 *
 * One owner for the Redis connections: `close()` (idempotent) stops the heartbeat, leaves the registry and quits.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import type { ClusterInfo } from '@deepphoto/shared';
import type { ClusterConfig } from '../config/config.ts';
import { clusterKeys } from './keys.ts';
import { placeRoom, type NodeStatus } from './placement.ts';
import { connectAdapterClients, connectRedis, redactUrl, type RedisClient, type RedisLog } from './redis.ts';
import { NodeRegistry } from './registry.ts';
import { RoomDirectory, type RoomEntry, type RoomMember } from './room-directory.ts';

export type JoinPlacement =
  | { kind: 'here'; cluster: ClusterInfo }
  | { kind: 'redirect'; url: string; node: string }
  | { kind: 'busy'; reason: string };

export interface ClusterView {
  self: string;
  /** False while Redis is unreachable (the figures below are then this node's own only). */
  redis: boolean;
  nodes: NodeStatus[];
  rooms: RoomEntry[];
  at: number;
}

export interface ClusterNodeOptions {
  config: ClusterConfig;
  /** Cameras this node filters now (read on every heartbeat). */
  sessions: () => number;
  log: RedisLog;
}

/** Members of a dead node's room have this long to come back before the directory forgets them. */
const REJOIN_WINDOW_MS = 20_000;

export class ClusterNode {
  private draining = false;
  private closed = false;
  private lastCpu = process.cpuUsage();
  private lastCpuAt = performance.now();
  private cpuPercent = 0;
  private readonly pruneTimers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly options: ClusterNodeOptions,
    private readonly client: RedisClient,
    private readonly adapterClients: { pub: RedisClient; sub: RedisClient },
    readonly directory: RoomDirectory,
    private registry: NodeRegistry | undefined,
  ) {}

  /** Connects to Redis (waits for it). The node takes rooms once `register()` has put it in the registry. */
  static async connect(options: ClusterNodeOptions): Promise<ClusterNode> {
    const { config, log } = options;
    const client = await connectRedis(config.redisUrl, log);
    const adapterClients = await connectAdapterClients(config.redisUrl, log);
    const directory = new RoomDirectory(client, clusterKeys(config.prefix), config.nodeId, config.ttlMs);
    return new ClusterNode(options, client, adapterClients, directory, undefined);
  }

  /** Registers this node (call once it listens: other nodes send clients to it from now on). */
  async register(): Promise<void> {
    if (this.registry || this.closed) return;
    const { config, log } = this.options;
    this.registry = await NodeRegistry.start({
      client: this.client,
      keys: clusterKeys(config.prefix),
      status: () => this.status(),
      onHeartbeat: () => this.directory.refreshOwned(),
      intervalMs: config.heartbeatMs,
      ttlMs: config.ttlMs,
      log,
    });
    log.info(`cluster: node ${config.nodeId} (${config.publicUrl}, ${config.capacity} cameras) registered in ${redactUrl(config.redisUrl)}`);
  }

  private get nodes(): NodeRegistry {
    if (!this.registry) throw new Error('this node is not registered yet');
    return this.registry;
  }

  get id(): string {
    return this.options.config.nodeId;
  }

  get url(): string {
    return this.options.config.publicUrl;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** socket.io's Redis adapter over this node's own pub/sub connections. */
  adapter(): ReturnType<typeof createAdapter> {
    // A short request timeout: fetchSockets() across nodes must not hang the operator's view on a dead node.
    return createAdapter(this.adapterClients.pub, this.adapterClients.sub, { key: `${this.options.config.prefix}:io`, requestsTimeout: 1500 });
  }

  private status(): Omit<NodeStatus, 'updatedAt'> {
    const now = performance.now();
    const used = process.cpuUsage(this.lastCpu);
    const elapsedMs = now - this.lastCpuAt;
    if (elapsedMs > 200) {
      this.cpuPercent = Math.round(((used.user + used.system) / 1000 / elapsedMs) * 1000) / 10;
      this.lastCpu = process.cpuUsage();
      this.lastCpuAt = now;
    }
    const { config } = this.options;
    return { id: config.nodeId, url: config.publicUrl, capacity: config.capacity, sessions: this.options.sessions(), cpuPercent: this.cpuPercent, draining: this.draining };
  }

  /** Writes this node's load now (after a join or leave), so the next placement anywhere sees it. */
  beat(): void {
    void this.registry?.heartbeat();
  }

  /**
   * Where a join for `room` goes. `heldHere`: the room has people on this node already (its call goes on here,
   * even while draining). Throws when Redis cannot be asked (the caller answers busy: try again).
   */
  async place(room: string, heldHere: boolean): Promise<JoinPlacement> {
    if (heldHere) return { kind: 'here', cluster: await this.info() };
    const nodes = await this.nodes.list();
    const owner = await this.directory.owner(room);
    // Our own entry may be missing (first beat after a Redis restart): decide with our status as it is now.
    const withSelf = nodes.some((n) => n.id === this.id) ? nodes : [...nodes, { ...this.status(), updatedAt: Date.now() }];
    const placement = placeRoom(withSelf, owner === this.id ? undefined : owner, this.id);
    if (placement.kind === 'busy') return placement;
    if (placement.kind === 'redirect') return { kind: 'redirect', url: placement.node.url, node: placement.node.id };
    const claimedBy = await this.directory.claim(room);
    if (claimedBy !== this.id) {
      const other = withSelf.find((n) => n.id === claimedBy);
      if (!other) return { kind: 'busy', reason: `room "${room}" is being moved; try again in a few seconds` };
      return { kind: 'redirect', url: other.url, node: other.id };
    }
    // Members a dead owner left behind get a while to come back, then are forgotten.
    const timer = setTimeout(() => {
      this.pruneTimers.delete(timer);
      this.directory.pruneAbsent(room).catch(() => undefined);
    }, REJOIN_WINDOW_MS);
    timer.unref();
    this.pruneTimers.add(timer);
    return { kind: 'here', cluster: { node: this.id, nodes: [this.url, ...nodes.filter((n) => n.id !== this.id).map((n) => n.url)] } };
  }

  private async info(): Promise<ClusterInfo> {
    const nodes = await this.nodes.list().catch(() => []);
    return { node: this.id, nodes: [this.url, ...nodes.filter((n) => n.id !== this.id).map((n) => n.url)] };
  }

  /** Records a member (joined, or changed effect). Never throws: Redis away is logged by the client. */
  memberChanged(room: string, member: RoomMember): void {
    this.directory.setMember(room, member).catch(() => undefined);
    this.beat();
  }

  /** A member left; an empty room is given up (only if still ours). */
  memberLeft(room: string, memberId: string, roomEmpty: boolean): void {
    const work = roomEmpty ? this.directory.release(room) : this.directory.removeMember(room, memberId);
    work.catch(() => undefined);
    this.beat();
  }

  /**
   * SIGTERM: takes no new rooms from now on (the registry says `draining`), lets calls go on for the grace period
   * (or until they end), then gives up its rooms and says, per room, which node to move to (undefined: none).
   */
  async drain(roomsHere: () => string[], moveRoom: (room: string, target: NodeStatus | undefined) => void): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    await this.registry?.heartbeat();
    const { drainGraceMs } = this.options.config;
    this.options.log.info(`cluster: draining ${this.id}: ${roomsHere().length} room(s) go on here for up to ${drainGraceMs} ms`);
    const end = Date.now() + drainGraceMs;
    while (Date.now() < end && roomsHere().length > 0) await new Promise((r) => setTimeout(r, Math.min(250, end - Date.now())));
    const nodes = await this.nodes.list().catch(() => []);
    for (const room of roomsHere()) {
      await this.directory.release(room).catch(() => undefined);
      const placement = placeRoom(nodes.filter((n) => n.id !== this.id), undefined, this.id);
      moveRoom(room, placement.kind === 'busy' ? undefined : placement.node);
    }
  }

  /** The operator's view: every live node with its load, every room with its node and members. */
  async view(): Promise<ClusterView> {
    try {
      const [nodes, rooms] = await Promise.all([this.nodes.list(), this.directory.list()]);
      return { self: this.id, redis: true, nodes, rooms, at: Date.now() };
    } catch {
      return { self: this.id, redis: false, nodes: [{ ...this.status(), updatedAt: Date.now() }], rooms: [], at: Date.now() };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.pruneTimers) clearTimeout(t);
    await this.registry?.close();
    for (const room of this.directory.ownedRooms()) await this.directory.release(room).catch(() => undefined);
    for (const c of [this.client, this.adapterClients.pub, this.adapterClients.sub]) {
      // quit() needs Redis; destroy() does not (and is what is left when it is away).
      await Promise.race([c.quit(), new Promise((r) => setTimeout(r, 500))]).catch(() => undefined);
      if (c.isOpen) c.destroy();
    }
  }
}
