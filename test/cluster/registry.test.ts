/**
 * The cluster's Redis state against a real redis-server on loopback: node entries that expire with their node,
 * room ownership that survives only while its node refreshes it, members that outlive a dead owner, and a Redis
 * restart that the registry rides out on its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterKeys } from '../../server/src/cluster/keys.ts';
import type { NodeStatus } from '../../server/src/cluster/placement.ts';
import { connectRedis, type RedisClient } from '../../server/src/cluster/redis.ts';
import { NodeRegistry } from '../../server/src/cluster/registry.ts';
import { RoomDirectory } from '../../server/src/cluster/room-directory.ts';
import { TestRedis } from '../support/redis.ts';

const log = { info: () => {}, warn: () => {} };
let redis: TestRedis;
const clients: RedisClient[] = [];

beforeAll(async () => {
  redis = await TestRedis.start();
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await redis?.close();
});

async function client(): Promise<RedisClient> {
  const c = await connectRedis(redis.url, log);
  clients.push(c);
  return c;
}

function status(id: string, sessions = 0): Omit<NodeStatus, 'updatedAt'> {
  return { id, url: `http://127.0.0.1:${id.length}`, capacity: 2, sessions, cpuPercent: 0, draining: false };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NodeRegistry', () => {
  it('lists live nodes; a node that stops beating disappears within its TTL; close() removes it at once', async () => {
    const keys = clusterKeys(`t1-${Date.now()}`);
    let sessionsA = 1;
    const a = await NodeRegistry.start({ client: await client(), keys, status: () => status('a', sessionsA), intervalMs: 100, ttlMs: 600, log });
    const b = await NodeRegistry.start({ client: await client(), keys, status: () => status('b'), intervalMs: 100, ttlMs: 600, log });
    expect((await a.list()).map((n) => n.id)).toEqual(['a', 'b']);
    sessionsA = 2;
    await a.heartbeat();
    expect((await b.list()).find((n) => n.id === 'a')?.sessions).toBe(2);

    // "SIGKILL" of b: its client goes away without a goodbye, so only the TTL can remove it.
    const bClient = clients[1]!;
    bClient.destroy();
    await sleep(900);
    expect((await a.list()).map((n) => n.id)).toEqual(['a']);

    await a.close();
    await a.close();
    await b.close(); // its client is gone: close() must still return
    const observer = await NodeRegistry.start({ client: await client(), keys, status: () => status('observer'), ttlMs: 600, log });
    expect((await observer.list()).map((n) => n.id)).toEqual(['observer']);
    await observer.close();
  });

  it('rides out a Redis restart: beats fail quietly while it is away and the entry is back within a beat after', async () => {
    const keys = clusterKeys(`t2-${Date.now()}`);
    const warnings: string[] = [];
    const c = await connectRedis(redis.url, { info: () => {}, warn: (m) => warnings.push(m) });
    clients.push(c);
    const registry = await NodeRegistry.start({ client: c, keys, status: () => status('a'), intervalMs: 100, ttlMs: 1000, log });
    await redis.stopProcess();
    await sleep(300);
    await expect(registry.heartbeat()).resolves.toBeUndefined(); // never throws
    await expect(registry.list()).rejects.toThrow();
    await redis.startProcess(); // empty: nothing was saved
    const deadline = Date.now() + 5000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = await registry.list().then((l) => l.map((n) => n.id)).catch(() => []);
      if (ids.includes('a')) break;
      await sleep(100);
    }
    expect(ids).toEqual(['a']);
    expect(warnings.length).toBe(1); // one line per outage, not one per reconnect attempt
    await registry.close();
  });
});

describe('RoomDirectory', () => {
  it('the first claim owns a room; others are told who does; release frees it only for its owner', async () => {
    const keys = clusterKeys(`t3-${Date.now()}`);
    const onA = new RoomDirectory(await client(), keys, 'a', 1000);
    const onB = new RoomDirectory(await client(), keys, 'b', 1000);
    expect(await onA.claim('blue')).toBe('a');
    expect(await onB.claim('blue')).toBe('a');
    await onB.release('blue'); // not b's to release
    expect(await onA.owner('blue')).toBe('a');
    await onA.setMember('blue', { id: 'p1', name: 'Ada', effect: { style: 'mosaic' }, joinedAt: 1 });
    expect((await onB.list()).map((r) => [r.name, r.owner, r.members.map((m) => m.name)])).toEqual([['blue', 'a', ['Ada']]]);
    await onA.release('blue');
    expect(await onB.owner('blue')).toBeUndefined();
    expect(await onB.list()).toEqual([]);
  });

  it("a dead owner's room expires and can be claimed elsewhere, members kept; a live owner's refresh keeps it", async () => {
    const keys = clusterKeys(`t4-${Date.now()}`);
    const onA = new RoomDirectory(await client(), keys, 'a', 400);
    const onB = new RoomDirectory(await client(), keys, 'b', 400);
    await onA.claim('kept');
    await onA.claim('lost');
    await onA.setMember('lost', { id: 'p1', name: 'Grace', effect: { style: 'candy' }, joinedAt: 1 });
    for (let i = 0; i < 5; i++) {
      await sleep(150);
      await onA.refreshOwned(); // a keeps beating for 'kept' only after we drop 'lost' below
      if (i === 0) (onA as unknown as { owned: Set<string> }).owned.delete('lost'); // as if a died holding 'lost'
    }
    expect(await onB.owner('kept')).toBe('a');
    expect(await onB.owner('lost')).toBeUndefined();
    expect(await onB.claim('lost')).toBe('b');
    expect((await onB.members('lost')).map((m) => m.name)).toEqual(['Grace']);
    // a, still refreshing what it believes it owns, never takes back a room that moved.
    (onA as unknown as { owned: Set<string> }).owned.add('lost');
    await onA.refreshOwned();
    expect(onA.ownedRooms()).toEqual(['kept']);
    expect(await onB.owner('lost')).toBe('b');
  });

  it('after Redis restarts empty, the owner writes its rooms and members again on its next refresh; pruneAbsent forgets the absent', async () => {
    const keys = clusterKeys(`t5-${Date.now()}`);
    const onA = new RoomDirectory(await client(), keys, 'a', 2000);
    await onA.claim('kept');
    await onA.setMember('kept', { id: 'ann/Ann', name: 'Ann', effect: { style: 'tint-red' }, joinedAt: 1 });
    await redis.stopProcess();
    await redis.startProcess(); // nothing saved: every key is gone
    const observer = new RoomDirectory(await client(), keys, 'observer', 2000);
    expect(await observer.list()).toEqual([]);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const done = await onA.refreshOwned().then(() => true, () => false);
      if (done) break;
      await sleep(100);
    }
    expect((await observer.list()).map((r) => [r.name, r.owner, r.members.map((m) => m.name)])).toEqual([['kept', 'a', ['Ann']]]);
    // a member recorded by a dead owner that never came back here is forgotten
    await observer.setMember('kept', { id: 'gone/Gus', name: 'Gus', effect: {}, joinedAt: 2 });
    await onA.pruneAbsent('kept');
    expect((await observer.members('kept')).map((m) => m.name)).toEqual(['Ann']);
  });
});
