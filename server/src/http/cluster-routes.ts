/**
 * The operator's view of a cluster: `GET /api/cluster` (JSON: nodes with their load, rooms with their node and
 * members) and `GET /cluster`, a page that shows it and refreshes every 2 s. Both need a token for any room (an
 * operator's: `npx deepphoto token --room '*' --identity ops`, or the loopback zero-setup one).
 */
import type { FastifyInstance } from 'fastify';
import type { ClusterNode } from '../cluster/cluster-node.ts';
import { DeepPhotoError } from '../core/errors.ts';
import { authenticate, sendError, type SecurityContext } from '../security/guard.ts';
import { ANY_ROOM } from '../security/tokens.ts';

export function clusterRoutes(options: { cluster: ClusterNode; security: SecurityContext }) {
  const { cluster, security } = options;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/api/cluster', async (request, reply) => {
      const auth = await authenticate(security, request, reply);
      if (!auth) return reply;
      if (auth.room !== ANY_ROOM) return sendError(reply, new DeepPhotoError('forbidden', 'the cluster view needs a token for any room (--room "*")'));
      return reply.header('cache-control', 'no-store').send(await cluster.view());
    });
    app.get('/cluster', async (_request, reply) => reply.type('text/html').header('cache-control', 'no-store').send(CLUSTER_PAGE));
  };
}

const CLUSTER_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>DeepPhoto cluster</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}.down{color:#b00}</style>
</head><body><h1>DeepPhoto cluster</h1><p id="state">loading…</p>
<h2>Nodes</h2><table id="nodes"></table><h2>Rooms</h2><table id="rooms"></table>
<script>
const token = new URLSearchParams(location.search).get('token');
async function getToken() {
  if (token) return token;
  const r = await fetch('/api/token', { cache: 'no-store' });
  if (!r.ok) throw new Error('open this page with ?token=… (a token for any room)');
  return (await r.json()).token;
}
const cell = (tag, text) => { const c = document.createElement(tag); c.textContent = text; return c; };
function fill(table, head, rows) {
  table.replaceChildren();
  const h = table.insertRow(); for (const t of head) h.append(cell('th', t));
  for (const row of rows) { const r = table.insertRow(); for (const t of row) r.append(cell('td', String(t))); }
}
async function refresh() {
  const state = document.getElementById('state');
  try {
    const r = await fetch('/api/cluster', { headers: { authorization: 'Bearer ' + await getToken() }, cache: 'no-store' });
    const v = await r.json();
    if (!r.ok) throw new Error(v.error ? v.error.message : r.status);
    state.textContent = (v.redis ? 'Redis up' : 'Redis unreachable: showing this node only') + ' · seen from ' + v.self + ' at ' + new Date(v.at).toLocaleTimeString();
    state.className = v.redis ? '' : 'down';
    fill(document.getElementById('nodes'), ['node', 'url', 'cameras', 'capacity', 'CPU %', 'state', 'last beat'],
      v.nodes.map((n) => [n.id, n.url, n.sessions, n.capacity, n.cpuPercent, n.draining ? 'draining' : 'up', Math.round((v.at - n.updatedAt) / 100) / 10 + ' s ago']));
    fill(document.getElementById('rooms'), ['room', 'node', 'members'],
      v.rooms.map((r) => [r.name, r.owner, r.members.map((m) => m.name + ' (' + (m.effect && m.effect.style) + ')').join(', ')]));
  } catch (e) { state.textContent = 'cannot read the cluster: ' + e.message; state.className = 'down'; }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>`;
