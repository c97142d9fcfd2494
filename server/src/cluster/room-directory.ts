/**
 * Which node each room lives on, and who is in it, in Redis: the per-room state that must survive a node. A room's
 * owner entry carries a TTL that its node refreshes on every heartbeat, so the room of a dead node is free to be
 * placed again within `ttlMs`; its member list (names and effects) stays, so the participants who reconnect
 * elsewhere find their room as it was.
 */
import type { ClusterKeys } from './keys.ts';
import type { RedisClient } from './redis.ts';

export interface RoomMember {
  id: string;
  name: string;
  /** The participant's effect, as the protocol describes it (opaque here). */
  effect: unknown;
  joinedAt: number;
}

export interface RoomEntry {
  name: string;
  owner: string;
  members: RoomMember[];
}

/** Deletes or refreshes a key only while it still holds our node id (no one else's claim is touched). */
const RELEASE_IF_OURS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
/**
 * Refreshes our claim; recreates it when the key is gone (Redis restarted empty, or the key expired during an
 * outage) and no one else holds it: 1 kept, 2 recreated, 0 someone else's now.
 */
const REFRESH_OR_RECLAIM = `
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if owner == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0`;

/** Members outlive their room's owner by this much, so that a failover finds them. */
const MEMBERS_GRACE_MS = 10 * 60_000;

export class RoomDirectory {
  private readonly owned = new Set<string>();
  /** The members this node holds per room: written again after Redis lost them (restart). */
  private readonly local = new Map<string, Map<string, RoomMember>>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: ClusterKeys,
    private readonly nodeId: string,
    private readonly ttlMs = 5000,
  ) {}

  async owner(room: string): Promise<string | undefined> {
    return (await this.client.get(this.keys.room(room))) ?? undefined;
  }

  /** Records this node as the room's owner unless a live node already is; returns the owner either way. */
  async claim(room: string): Promise<string> {
    const set = await this.client.set(this.keys.room(room), this.nodeId, { NX: true, PX: this.ttlMs });
    if (set === 'OK') {
      this.owned.add(room);
      await this.client.sAdd(this.keys.rooms, room);
      return this.nodeId;
    }
    const owner = await this.owner(room);
    if (owner === this.nodeId) this.owned.add(room);
    // The claim expired between SET and GET: try once more.
    return owner ?? this.claim(room);
  }

  /**
   * Called on every heartbeat: keeps this node's rooms (and their member lists) from expiring, and writes them
   * again when Redis lost them (a restart without persistence).
   */
  async refreshOwned(): Promise<void> {
    for (const room of this.owned) {
      const kept = await this.client.eval(REFRESH_OR_RECLAIM, { keys: [this.keys.room(room)], arguments: [this.nodeId, String(this.ttlMs)] });
      if (kept === 0) {
        this.owned.delete(room); // another node took it over (we were presumed dead)
        continue;
      }
      const multi = this.client.multi();
      if (kept === 2) {
        multi.sAdd(this.keys.rooms, room);
        for (const member of this.local.get(room)?.values() ?? []) multi.hSet(this.keys.roomMembers(room), member.id, JSON.stringify(member));
      }
      await multi.pExpire(this.keys.roomMembers(room), MEMBERS_GRACE_MS).exec();
    }
  }

  /** Forgets recorded members that are not here (those of a dead owner who did not come back). */
  async pruneAbsent(room: string): Promise<void> {
    if (!this.owned.has(room)) return;
    const here = this.local.get(room) ?? new Map();
    const recorded = await this.client.hKeys(this.keys.roomMembers(room));
    const absent = recorded.filter((id) => !here.has(id));
    if (absent.length > 0) await this.client.hDel(this.keys.roomMembers(room), absent);
  }

  /** The room is empty here: give it up (only if it is still ours) and forget its members. */
  async release(room: string): Promise<void> {
    this.owned.delete(room);
    this.local.delete(room);
    const released = await this.client.eval(RELEASE_IF_OURS, { keys: [this.keys.room(room)], arguments: [this.nodeId] });
    if (released === 1) await this.client.multi().del(this.keys.roomMembers(room)).sRem(this.keys.rooms, room).exec();
  }

  /** Rooms this node holds now. */
  ownedRooms(): string[] {
    return [...this.owned];
  }

  async setMember(room: string, member: RoomMember): Promise<void> {
    let members = this.local.get(room);
    if (!members) this.local.set(room, (members = new Map()));
    members.set(member.id, member);
    await this.client.multi().hSet(this.keys.roomMembers(room), member.id, JSON.stringify(member)).pExpire(this.keys.roomMembers(room), MEMBERS_GRACE_MS).exec();
  }

  async removeMember(room: string, memberId: string): Promise<void> {
    this.local.get(room)?.delete(memberId);
    await this.client.hDel(this.keys.roomMembers(room), memberId);
  }

  async members(room: string): Promise<RoomMember[]> {
    const all = await this.client.hGetAll(this.keys.roomMembers(room));
    return Object.values(all)
      .map((text) => JSON.parse(text) as RoomMember)
      .sort((a, b) => a.joinedAt - b.joinedAt);
  }

  /** Every room with a live owner, for the operator's view. */
  async list(): Promise<RoomEntry[]> {
    const names = (await this.client.sMembers(this.keys.rooms)).sort();
    const entries: RoomEntry[] = [];
    for (const name of names) {
      const owner = await this.owner(name);
      if (owner) entries.push({ name, owner, members: await this.members(name) });
    }
    return entries;
  }
}
