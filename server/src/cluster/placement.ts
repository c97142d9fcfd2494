/**
 * Where a room lives in a cluster: pure decisions over what the registry says, so they are tested without Redis.
 * A room lives on one node (its media is forwarded there). A join for a room that has a live owner goes to that
 * owner; a new room goes to the node with the most free capacity; draining and full nodes take no new rooms.
 */

export interface NodeStatus {
  id: string;
  /** Where clients reach this node (https://host:port). */
  url: string;
  /** Cameras this node can filter at once (configured, or measured by its benchmark). */
  capacity: number;
  /** Cameras it filters now. */
  sessions: number;
  /** Process CPU over the last heartbeat interval, 0..100 per core. */
  cpuPercent: number;
  /** Stopping: keeps its calls for the grace period, takes no new rooms. */
  draining: boolean;
  /** Milliseconds since the epoch of the last heartbeat. */
  updatedAt: number;
}

export type Placement =
  | { kind: 'here'; node: NodeStatus }
  | { kind: 'redirect'; node: NodeStatus }
  | { kind: 'busy'; reason: string };

export function freeCapacity(node: NodeStatus): number {
  return Math.max(0, node.capacity - node.sessions);
}

/**
 * Chooses the node for a participant joining `room`. `owner` is the node id the room is recorded on, if any (its
 * entry expires with the node, so a recorded owner missing from `nodes` is dead). `self` is the node deciding.
 */
export function placeRoom(nodes: readonly NodeStatus[], owner: string | undefined, self: string): Placement {
  const live = new Map(nodes.map((n) => [n.id, n]));
  const ownerNode = owner === undefined ? undefined : live.get(owner);
  if (ownerNode && !ownerNode.draining) {
    if (freeCapacity(ownerNode) === 0) return { kind: 'busy', reason: `room is on ${ownerNode.id}, which is full (${ownerNode.sessions}/${ownerNode.capacity} cameras)` };
    return ownerNode.id === self ? { kind: 'here', node: ownerNode } : { kind: 'redirect', node: ownerNode };
  }
  const candidates = nodes.filter((n) => !n.draining && freeCapacity(n) > 0);
  if (candidates.length === 0) {
    const total = nodes.reduce((sum, n) => sum + n.capacity, 0);
    return { kind: 'busy', reason: nodes.length === 0 ? 'no filter server is up' : `every filter server is full or draining (${nodes.length} nodes, ${total} cameras in all)` };
  }
  // Most free cameras first; ties go to the less loaded CPU, then to the deciding node (no redirect), then by id.
  candidates.sort((a, b) => freeCapacity(b) - freeCapacity(a) || a.cpuPercent - b.cpuPercent || Number(b.id === self) - Number(a.id === self) || a.id.localeCompare(b.id));
  const best = candidates[0]!;
  return best.id === self ? { kind: 'here', node: best } : { kind: 'redirect', node: best };
}
