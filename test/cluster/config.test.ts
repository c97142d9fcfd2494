/** Cluster settings: off without DEEPPHOTO_REDIS_URL (single node, no Redis), defaults, and clear errors. */
import { describe, expect, it } from 'vitest';
import { ConfigError, readClusterConfig, readLiveProcessor } from '../../server/src/config/config.ts';

const listen = { host: '127.0.0.1', port: 8080, maxSessions: 2, tls: false };

describe('readClusterConfig', () => {
  it('is off without DEEPPHOTO_REDIS_URL', () => {
    expect(readClusterConfig(listen, {})).toBeUndefined();
  });

  it('fills defaults from where the node listens', () => {
    const c = readClusterConfig(listen, { DEEPPHOTO_REDIS_URL: 'redis://10.0.0.5:6379', DEEPPHOTO_NODE_ID: 'n1' })!;
    expect(c).toMatchObject({ nodeId: 'n1', publicUrl: 'http://127.0.0.1:8080', capacity: 2, drainGraceMs: 30_000, heartbeatMs: 1000, ttlMs: 3000, prefix: 'deepphoto' });
  });

  it('names the variable of a bad value', () => {
    expect(() => readClusterConfig(listen, { DEEPPHOTO_REDIS_URL: 'http://x' })).toThrow(/DEEPPHOTO_REDIS_URL/);
    expect(() => readClusterConfig(listen, { DEEPPHOTO_REDIS_URL: 'redis://x', DEEPPHOTO_CLUSTER_CAPACITY: '0' })).toThrow(ConfigError);
    expect(() => readClusterConfig(listen, { DEEPPHOTO_REDIS_URL: 'redis://x', DEEPPHOTO_DRAIN_GRACE_MS: '-1' })).toThrow(/DEEPPHOTO_DRAIN_GRACE_MS/);
    expect(() => readClusterConfig(listen, { DEEPPHOTO_REDIS_URL: 'redis://x', DEEPPHOTO_CLUSTER_HEARTBEAT_MS: '2000', DEEPPHOTO_CLUSTER_TTL_MS: '3000' })).toThrow(/twice/);
    expect(() => readLiveProcessor({ DEEPPHOTO_LIVE_PROCESSOR: 'gpu' })).toThrow(/DEEPPHOTO_LIVE_PROCESSOR/);
  });
});
