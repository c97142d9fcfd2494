/** Redis key names, in one place: every node of a cluster must agree on them. */
export const clusterKeys = (prefix = 'deepphoto') => ({
  node: (id: string) => `${prefix}:node:${id}`,
  nodes: `${prefix}:nodes`,
  room: (name: string) => `${prefix}:room:${name}`,
  roomMembers: (name: string) => `${prefix}:room:${name}:members`,
  rooms: `${prefix}:rooms`,
});
export type ClusterKeys = ReturnType<typeof clusterKeys>;
