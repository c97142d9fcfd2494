/**
 * A cluster on one machine, for real: a Debian `redis-server` and three filter servers, each its own process
 * (`node --import tsx server/src/main.ts`, what `npm start` runs, configured by environment variables), six
 * Chromium participants in three rooms. Then a node is SIGKILLed, another is drained with SIGTERM, and Redis is
 * restarted mid-call. The nodes run the model-free colour processor (DEEPPHOTO_LIVE_PROCESSOR=builtin): a tinted
 * frame is still a filtered one, and two cores cannot run six real style pipelines next to six browsers.
 *
 * Every participant enters through the first node's address; the client library follows redirects and moves
 * calls by itself. Figures (failover and drain times) are logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterView } from '../../server/src/cluster/cluster-node.ts';
import { TokenAuthority } from '../../server/src/security/tokens.ts';
import { chromiumAvailable, launchChromium } from '../support/browser.ts';
import { clientBundle } from '../support/client-bundle.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { freeLoopbackPort, REDIS_SERVER, TestRedis } from '../support/redis.ts';
import { existsSync } from 'node:fs';
import { CLUSTER_TEST_PAGE } from './cluster-page.ts';

const run = chromiumAvailable() && existsSync(REDIS_SERVER) ? describe : describe.skip;

const SECRET = 'cluster-test-secret-0123456789abcdef';
const GRACE_MS = 4000;
const TTL_MS = 2000;
const HEARTBEAT_MS = 500;

type Rgb = [number, number, number];
interface Frame { t: number; m: Rgb }
interface Tile { id: string; self: boolean; addedAt: number; removedAt: number | null; frames: Frame[] }
interface PageState { tiles: Record<string, Tile>; errors: Array<[number, string]>; states: Array<[string, number]>; moves: Array<{ from: string; to: string; reason: string; ms: number; at: number }>; selfId: string }

/** The colour processor's tints: one channel at 128+, the others 0 (after VP8, small). */
const TINTS: Record<string, (m: Rgb) => boolean> = {
  'tint-red': (m) => m[0] > 100 && m[1] < 40 && m[2] < 40,
  'tint-green': (m) => m[1] > 100 && m[0] < 40 && m[2] < 40,
  'tint-blue': (m) => m[2] > 100 && m[0] < 40 && m[1] < 40,
};
/** Two per room, each with their own tint: a tile's colour says whose effect (so whose camera) it carries. */
const PEOPLE = [
  { name: 'Ann', room: 'alpha', style: 'tint-red' },
  { name: 'Bob', room: 'alpha', style: 'tint-green' },
  { name: 'Cid', room: 'bravo', style: 'tint-green' },
  { name: 'Dee', room: 'bravo', style: 'tint-blue' },
  { name: 'Eve', room: 'charlie', style: 'tint-blue' },
  { name: 'Fay', room: 'charlie', style: 'tint-red' },
] as const;

interface NodeProcess { id: string; port: number; url: string; child: ChildProcess; log: string[] }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out (${timeoutMs} ms) waiting for ${what}`);
    await sleep(everyMs);
  }
}

run('a cluster of three filter servers and Redis, six participants in three rooms', () => {
  let redis: TestRedis;
  let pageServer: FastifyInstance;
  let pageOrigin: string;
  let browser: Browser;
  const authority = new TokenAuthority(SECRET);
  const nodes: NodeProcess[] = [];
  const pages: Page[] = [];
  const prefix = `cl${Date.now()}`;

  async function startNode(id: string): Promise<NodeProcess> {
    const port = await freeLoopbackPort();
    const log: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        MALLOC_ARENA_MAX: '2',
        PORT: String(port),
        HOST: '127.0.0.1',
        DEEPPHOTO_SECRET: SECRET,
        DEEPPHOTO_ALLOWED_ORIGINS: pageOrigin,
        DEEPPHOTO_LIVE_PROCESSOR: 'builtin',
        DEEPPHOTO_MAX_SESSIONS: '6',
        DEEPPHOTO_REDIS_URL: redis.url,
        DEEPPHOTO_NODE_ID: id,
        DEEPPHOTO_CLUSTER_PREFIX: prefix,
        DEEPPHOTO_CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS),
        DEEPPHOTO_CLUSTER_TTL_MS: String(TTL_MS),
        DEEPPHOTO_DRAIN_GRACE_MS: String(GRACE_MS),
      },
    });
    const node: NodeProcess = { id, port, url: `http://127.0.0.1:${port}`, child, log };
    const collect = (chunk: Buffer) => log.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await waitFor(async () => log.some((l) => l.startsWith('cluster node ')), 60_000, `node ${id} to start`, 100).catch((error: Error) => {
      throw new Error(`${error.message}\n${log.join('\n')}`);
    });
    nodes.push(node);
    return node;
  }

  async function clusterView(node: NodeProcess): Promise<ClusterView> {
    const token = await authority.issue({ identity: 'ops', room: '*' });
    const response = await fetch(`${node.url}/api/cluster`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`cluster view: ${response.status} ${await response.text()}`);
    return (await response.json()) as ClusterView;
  }

  const state = (page: Page): Promise<PageState> => page.evaluate(() => (window as unknown as { S: PageState }).S);
  const view = (page: Page): Promise<{ server: string; state: string; selfId: string; names: Record<string, string> }> =>
    page.evaluate(() => (window as unknown as { view(): { server: string; state: string; selfId: string; names: Record<string, string> } }).view());

  /** The page shows its own filtered camera and the other participant of its room, each with their tint. */
  async function seesRoom(i: number, since: number, minFrames = 5): Promise<boolean> {
    const page = pages[i]!;
    const s = await state(page);
    const v = await view(page);
    const other = PEOPLE.findIndex((p, k) => k !== i && p.room === PEOPLE[i]!.room);
    const selfFrames = (s.tiles[v.selfId]?.frames ?? []).filter((f) => f.t >= since);
    const otherId = Object.keys(v.names).find((id) => v.names[id] === PEOPLE[other]!.name);
    const otherFrames = otherId ? (s.tiles[otherId]?.frames ?? []).filter((f) => f.t >= since) : [];
    return (
      v.state === 'live' &&
      selfFrames.filter((f) => TINTS[PEOPLE[i]!.style]!(f.m)).length >= minFrames &&
      otherFrames.filter((f) => TINTS[PEOPLE[other]!.style]!(f.m)).length >= minFrames
    );
  }

  /** First filtered self-view frame after `since` (on a tile added after it: the new call). */
  async function firstFilteredAfter(i: number, since: number): Promise<number | undefined> {
    const s = await state(pages[i]!);
    const tiles = Object.values(s.tiles).filter((t) => t.self && t.addedAt >= since);
    const times = tiles.flatMap((t) => t.frames.filter((f) => TINTS[PEOPLE[i]!.style]!(f.m)).map((f) => f.t));
    return times.length ? Math.min(...times) : undefined;
  }

  /** Longest pause between presented frames of every tile of the page over [from, to]. */
  async function longestGap(i: number, from: number, to: number): Promise<number> {
    const s = await state(pages[i]!);
    let worst = 0;
    for (const tile of Object.values(s.tiles)) {
      if (tile.removedAt !== null) continue;
      const times = [from, ...tile.frames.map((f) => f.t).filter((t) => t > from && t < to), to];
      for (let k = 1; k < times.length; k++) worst = Math.max(worst, times[k]! - times[k - 1]!);
    }
    return worst;
  }

  const ownerOf = async (room: string, via: NodeProcess): Promise<string | undefined> => (await clusterView(via)).rooms.find((r) => r.name === room)?.owner;
  const nodeById = (id: string) => nodes.find((n) => n.id === id)!;
  const alive = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);

  beforeAll(async () => {
    redis = await TestRedis.start();
    const bundle = await clientBundle();
    pageServer = Fastify();
    pageServer.get('/', async (_q, reply) => reply.type('text/html').send(CLUSTER_TEST_PAGE));
    pageServer.get('/deepphoto-client.js', async (_q, reply) => reply.type('text/javascript').send(bundle));
    await pageServer.listen({ host: '127.0.0.1', port: 0 });
    const addr = pageServer.server.address();
    pageOrigin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    await Promise.all(['node-a', 'node-b', 'node-c'].map((id) => startNode(id)));
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    // CLUSTER_TEST_LOGS=1: each node's own log, to see what it decided and when
    if (process.env.CLUSTER_TEST_LOGS) for (const n of nodes) console.log(`---- ${n.id} ----\n${n.log.join('\n')}`);
    await browser?.close().catch(() => {});
    for (const n of nodes) {
      if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
      const exited = new Promise((r) => n.child.once('exit', r));
      n.child.kill('SIGKILL');
      await exited;
    }
    await pageServer?.close();
    await redis?.close();
  });

  it('1. rooms spread over the nodes by load; each participant sees the other of its room', async () => {
    const entry = nodes[0]!;
    const servers: string[] = [];
    for (let i = 0; i < PEOPLE.length; i++) {
      const p = PEOPLE[i]!;
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(pageOrigin + '/');
      const token = await authority.issue({ identity: `id-${p.name}`, room: p.room });
      const joined = await page.evaluate(([u, t, r, n, s]) => (window as unknown as { join(...a: string[]): Promise<{ server: string }> }).join(u, t, r, n, s), [entry.url, token, p.room, p.name, p.style] as const);
      await page.evaluate(() => ((window as unknown as { loadMark: string }).loadMark = 'first load'));
      pages.push(page);
      servers.push(joined.server);
    }
    const v = await waitFor(async () => {
      const current = await clusterView(entry);
      return current.nodes.every((n) => n.sessions === 2) && current.rooms.length === 3 && current;
    }, 5000, 'the registry to show two cameras per node');
    const owners = Object.fromEntries(v.rooms.map((r) => [r.name, r.owner]));
    console.log('placement:', JSON.stringify(owners), 'nodes:', JSON.stringify(v.nodes.map((n) => [n.id, n.sessions, n.cpuPercent])));
    expect(new Set(Object.values(owners)).size).toBe(3); // one room per node: each new room went to the emptiest
    expect(v.nodes.map((n) => n.sessions)).toEqual([2, 2, 2]);
    for (let i = 0; i < PEOPLE.length; i++) {
      expect(servers[i], `${PEOPLE[i]!.name} is on the node of room ${PEOPLE[i]!.room}`).toBe(nodeById(owners[PEOPLE[i]!.room]!).url);
      expect(v.rooms.find((r) => r.name === PEOPLE[i]!.room)!.members.map((m) => m.name)).toContain(PEOPLE[i]!.name);
    }
    const started = Date.now();
    for (let i = 0; i < PEOPLE.length; i++) await waitFor(() => seesRoom(i, 0), 30_000, `${PEOPLE[i]!.name} sees self and the other of ${PEOPLE[i]!.room}`);
    console.log(`all six see their room ${Date.now() - started} ms after the last join`);
  }, 120_000);

  it('2. SIGKILL of a node: its participants get filtered video again within 10 s, no reload; other rooms undisturbed', async () => {
    const victim = nodeById((await ownerOf('alpha', nodes[1]!))!);
    const others = PEOPLE.map((p, i) => i).filter((i) => PEOPLE[i]!.room !== 'alpha');
    const before = await Promise.all(others.map(async (i) => (await state(pages[i]!)).moves.length));
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const figures: string[] = [];
    for (const i of [0, 1]) {
      const first = await waitFor(() => firstFilteredAfter(i, killedAt), 15_000, `${PEOPLE[i]!.name}: filtered self-view after the kill`);
      await waitFor(() => seesRoom(i, killedAt, 3), 15_000, `${PEOPLE[i]!.name} sees the room again`);
      const seen = Date.now() - killedAt;
      const s = await state(pages[i]!);
      figures.push(`${PEOPLE[i]!.name}: filtered self-view ${first - killedAt} ms after SIGKILL (client move ${s.moves.at(-1)?.ms} ms; room whole again by ${seen} ms)`);
      expect(first - killedAt).toBeLessThan(10_000);
      expect(s.moves.at(-1)?.reason).toBe('failover');
      expect(await pages[i]!.evaluate(() => (window as unknown as { loadMark?: string }).loadMark)).toBe('first load'); // no reload
    }
    console.log(figures.join('\n'));
    const newOwner = await ownerOf('alpha', nodes.find((n) => n !== victim)!);
    expect(newOwner).not.toBe(victim.id);
    expect(alive().map((n) => n.id)).not.toContain(victim.id);
    // Rooms on the other nodes: never moved, and frames kept coming through the failover.
    const now = Date.now();
    for (const [k, i] of others.entries()) {
      const gap = await longestGap(i, killedAt, now);
      console.log(`${PEOPLE[i]!.name} (${PEOPLE[i]!.room}): longest pause between frames during the failover ${gap} ms`);
      expect((await state(pages[i]!)).moves.length).toBe(before[k]);
      expect((await view(pages[i]!)).state).toBe('live');
      expect(gap).toBeLessThan(2000);
    }
    const v = await clusterView(alive()[0]!);
    expect(v.nodes.map((n) => n.id)).not.toContain(victim.id);
  }, 60_000);

  it('3. drain: SIGTERM lets the call go on for the grace period, places no new room there, then moves the call', async () => {
    const live = alive();
    // The node holding only one room (the other took alpha over and holds two).
    const views = await clusterView(live[0]!);
    const drained = nodeById(views.nodes.find((n) => n.sessions === 2)!.id);
    const room = views.rooms.find((r) => r.owner === drained.id)!.name;
    const members = PEOPLE.map((p, i) => i).filter((i) => PEOPLE[i]!.room === room);
    const bystanders = PEOPLE.map((p, i) => i).filter((i) => PEOPLE[i]!.room !== room);
    const termAt = Date.now();
    drained.child.kill('SIGTERM');
    await waitFor(async () => (await clusterView(drained)).nodes.find((n) => n.id === drained.id)?.draining, 5000, 'draining in the registry');

    // A new room asked of the draining node goes elsewhere.
    const token = await authority.issue({ identity: 'late', room: 'delta' });
    const socket = connectSocket(drained.url, { transports: ['websocket'], forceNew: true, auth: { token } });
    try {
      const redirect = new Promise<{ url: string; node: string }>((resolve) => socket.once('redirect', resolve));
      const ack = await socket.timeout(5000).emitWithAck('room.join', { room: 'delta', name: 'Late', style: 'tint-red', target: 'whole' });
      expect(ack.ok).toBe(false);
      expect(ack.error.code).toBe('moved');
      const to = await redirect;
      console.log(`new room "delta" asked of the draining ${drained.id}: redirected to ${to.node} (${ack.error.message})`);
      expect(to.node).not.toBe(drained.id);
    } finally {
      socket.disconnect();
    }

    // During the grace period the call stays where it is, with media.
    await sleep(GRACE_MS - 1500);
    for (const i of members) {
      expect((await state(pages[i]!)).moves.filter((m) => m.at >= termAt)).toEqual([]);
      expect(await longestGap(i, termAt, Date.now())).toBeLessThan(2000);
      expect((await view(pages[i]!)).server).toBe(drained.url);
    }
    // Then it moves, by itself, and has filtered video again.
    for (const i of members) {
      const move = await waitFor(async () => (await state(pages[i]!)).moves.find((m) => m.at >= termAt), GRACE_MS + 15_000, `${PEOPLE[i]!.name} moved`);
      const first = await waitFor(() => firstFilteredAfter(i, termAt + GRACE_MS), 15_000, `${PEOPLE[i]!.name}: filtered video after the move`);
      await waitFor(() => seesRoom(i, termAt + GRACE_MS, 3), 15_000, `${PEOPLE[i]!.name} sees the room after the move`);
      const st = await state(pages[i]!);
      console.log(`${PEOPLE[i]!.name} states after SIGTERM`, JSON.stringify(st.states.filter(([, t]) => t >= termAt).map(([x, t]) => [x, t - termAt])));
      console.log(`${PEOPLE[i]!.name}: drain (grace ${GRACE_MS} ms) moved the call ${move.at - termAt} ms after SIGTERM to ${move.to} (move ${move.ms} ms); filtered self-view ${first - termAt} ms after SIGTERM`);
      expect(move.reason).toBe('draining');
      expect(move.at - termAt).toBeGreaterThanOrEqual(GRACE_MS);
      expect(move.to).not.toBe(drained.url);
    }
    await waitFor(async () => drained.child.exitCode !== null, 10_000, 'the drained node exits');
    // The other rooms never moved (a node that stops closes its own sockets only) and kept their media.
    for (const i of bystanders) {
      const gap = await longestGap(i, termAt, Date.now());
      console.log(`${PEOPLE[i]!.name} (${PEOPLE[i]!.room}, not drained): longest pause between frames during the drain ${gap} ms`);
      expect((await state(pages[i]!)).moves.filter((m) => m.at >= termAt)).toEqual([]);
      expect(gap).toBeLessThan(2000);
    }
    console.log(`drained node exit code ${drained.child.exitCode}`);
    expect(drained.child.exitCode).toBe(0);
  }, 60_000);

  it('4. Redis restarted mid-call: calls keep their media; the cluster view recovers', async () => {
    const [last] = alive();
    expect(alive()).toHaveLength(1);
    const before = await clusterView(last!);
    expect(before.rooms.map((r) => r.name).sort()).toEqual(['alpha', 'bravo', 'charlie']);
    const stoppedAt = Date.now();
    await redis.stopProcess();
    await sleep(1000);
    const during = await clusterView(last!);
    expect(during.redis).toBe(false);
    await sleep(2000);
    await redis.startProcess(); // empty: nothing was saved
    const restartedAt = Date.now();
    const after = await waitFor(async () => {
      const v = await clusterView(last!);
      return v.redis && v.nodes.some((n) => n.id === last!.id) && v.rooms.length === 3 && v.rooms.every((r) => r.members.length === 2) && v;
    }, 10_000, 'the cluster view back with its node, rooms and members');
    console.log(`cluster view whole again ${Date.now() - restartedAt} ms after Redis came back (Redis away ${restartedAt - stoppedAt} ms): ${JSON.stringify(after.rooms.map((r) => [r.name, r.owner, r.members.map((m) => m.name)]))}`);
    const now = Date.now();
    for (let i = 0; i < PEOPLE.length; i++) {
      const gap = await longestGap(i, stoppedAt, now);
      console.log(`${PEOPLE[i]!.name}: longest pause between frames across the Redis restart ${gap} ms`);
      expect(gap).toBeLessThan(2000);
      expect((await view(pages[i]!)).state).toBe('live');
      expect((await state(pages[i]!)).moves.filter((m) => m.at >= stoppedAt)).toEqual([]);
    }
    // and placement works again: a new room is taken
    const token = await authority.issue({ identity: 'after', room: 'echo' });
    const socket = connectSocket(last!.url, { transports: ['websocket'], forceNew: true, auth: { token } });
    try {
      const ack = await socket.timeout(5000).emitWithAck('room.join', { room: 'echo', name: 'After', style: 'tint-red', target: 'whole' });
      // the last node holds 6 of 6 cameras: the cluster is full, and says so
      expect(ack.ok).toBe(false);
      expect(ack.error.code).toBe('busy');
      console.log(`a new room with the last node full: ${ack.error.code}: ${ack.error.message}`);
    } finally {
      socket.disconnect();
    }
  }, 60_000);
});
