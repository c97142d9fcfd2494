import { describe, expect, it } from 'vitest';
import { placeRoom, type NodeStatus } from '../../server/src/cluster/placement.ts';

function node(id: string, sessions: number, capacity = 4, extra: Partial<NodeStatus> = {}): NodeStatus {
  return { id, url: `https://${id}.example:8443`, capacity, sessions, cpuPercent: 50, draining: false, updatedAt: 0, ...extra };
}

describe('placeRoom', () => {
  it('a new room goes to the node with the most free cameras', () => {
    const nodes = [node('a', 3), node('b', 1), node('c', 2)];
    expect(placeRoom(nodes, undefined, 'a')).toMatchObject({ kind: 'redirect', node: { id: 'b' } });
    expect(placeRoom(nodes, undefined, 'b')).toMatchObject({ kind: 'here', node: { id: 'b' } });
  });

  it('ties go to the less loaded CPU, then to the deciding node', () => {
    expect(placeRoom([node('a', 1, 4, { cpuPercent: 90 }), node('b', 1, 4, { cpuPercent: 20 })], undefined, 'a')).toMatchObject({ node: { id: 'b' } });
    expect(placeRoom([node('a', 1), node('b', 1)], undefined, 'b')).toMatchObject({ kind: 'here', node: { id: 'b' } });
  });

  it('a join for an existing room goes to its live owner, even when another node is emptier', () => {
    expect(placeRoom([node('a', 3), node('b', 0)], 'a', 'b')).toMatchObject({ kind: 'redirect', node: { id: 'a' } });
  });

  it('a room whose owner is gone (its entry expired) is placed again like a new room', () => {
    expect(placeRoom([node('b', 2), node('c', 0)], 'a', 'b')).toMatchObject({ kind: 'redirect', node: { id: 'c' } });
  });

  it('draining nodes take no new rooms, and their rooms move', () => {
    expect(placeRoom([node('a', 0, 4, { draining: true }), node('b', 3)], undefined, 'a')).toMatchObject({ kind: 'redirect', node: { id: 'b' } });
    expect(placeRoom([node('a', 1, 4, { draining: true }), node('b', 3)], 'a', 'a')).toMatchObject({ kind: 'redirect', node: { id: 'b' } });
  });

  it('busy with the reason when the owner is full or the whole cluster is', () => {
    expect(placeRoom([node('a', 4), node('b', 0)], 'a', 'b')).toEqual({ kind: 'busy', reason: expect.stringMatching(/room is on a, which is full \(4\/4/) });
    expect(placeRoom([node('a', 4), node('b', 2, 2)], undefined, 'a')).toEqual({ kind: 'busy', reason: expect.stringMatching(/every filter server is full or draining \(2 nodes, 6 cameras/) });
    expect(placeRoom([], undefined, 'a')).toEqual({ kind: 'busy', reason: 'no filter server is up' });
  });
});
