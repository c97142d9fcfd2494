/** Pure limiters, recording ownership in the store, TURN REST credentials, config validation. */
import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, readSecurityConfig } from '../../server/src/config/config.ts';
import { RecordingStore } from '../../server/src/live/recording-store.ts';
import { ByteRateWindow, TokenBucket } from '../../server/src/security/rate-limit.ts';
import { checkRequest, createOriginPolicy } from '../../server/src/security/origin.ts';
import { iceServersFor, turnCredential } from '../../server/src/security/turn.ts';

describe('limiters', () => {
  it('token bucket: capacity at once, then the refill rate', () => {
    let t = 0;
    const b = new TokenBucket({ capacity: 3, perSecond: 2 }, () => t);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    t += 500;
    expect([b.take(), b.take()]).toEqual([true, false]);
  });

  it('incoming media budget per second drops what exceeds it', () => {
    let t = 0;
    const w = new ByteRateWindow(8 * 10_000, () => t); // 10 kB per second
    let admitted = 0;
    for (let i = 0; i < 100; i++) if (w.admit(1000)) admitted++;
    expect(admitted).toBe(10);
    expect(w.dropped).toBe(90);
    t += 1000;
    expect(w.admit(1000)).toBe(true);
  });
});

describe('recordings belong to their identity', () => {
  it('the quota evicts only the owner’s oldest clips, never another identity’s', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'deepphoto-owner-'));
    try {
      const store = new RecordingStore({ dir, maxTotalBytes: 2500 });
      await store.init();
      const ids = ['a1', 'b1', 'a2', 'a3'].map((n, i) => ({ n, id: `0000000${i}-0000-4000-8000-000000000000` }));
      let time = Date.now() / 1000 - 100;
      for (const { n, id } of ids) {
        await writeFile(store.webmPath(id), Buffer.alloc(1000));
        await utimes(store.webmPath(id), time, time++);
        await store.setOwner(id, n.startsWith('a') ? 'alice' : 'bob');
      }
      // 4000 bytes > 2500: alice's newest recording triggers eviction of alice's oldest ones only
      const deleted = await store.enforceQuota(ids[3]!.id, 'alice');
      expect(deleted).toEqual([ids[0]!.id, ids[2]!.id]);
      expect(await store.owner(ids[1]!.id)).toBe('bob');
      expect(await store.size(ids[1]!.id)).toBe(1000);
      expect((await readdir(dir)).filter((f) => f.endsWith('.webm'))).toHaveLength(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('TURN REST credentials', () => {
  it('username "<expiry>:<identity>", credential = base64 HMAC-SHA1(secret, username), as coturn checks', () => {
    const now = 1_700_000_000_000;
    const c = turnCredential('s3cret-turn', 'alice', 600, now);
    expect(c.username).toBe(`${1_700_000_000 + 600}:alice`);
    expect(c.credential).toBe(createHmac('sha1', 's3cret-turn').update(c.username).digest('base64'));
    const servers = iceServersFor({ iceServers: [{ urls: 'stun:stun.example.org' }], turn: { secret: 's3cret-turn', urls: ['turn:t.example.org'], ttlSeconds: 60 } }, 'bob');
    expect(servers).toHaveLength(2);
    expect(servers[1]).toMatchObject({ urls: ['turn:t.example.org'], username: expect.stringMatching(/:bob$/) });
  });
});

describe('config', () => {
  it('reads and validates the variables, naming the bad one', () => {
    const c = readSecurityConfig({
      DEEPPHOTO_ICE_SERVERS: '[{"urls":"stun:127.0.0.1:3478"}]',
      DEEPPHOTO_RTC_PORT_RANGE: '40000-40100',
      DEEPPHOTO_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(c.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);
    expect(c.rtcPortRange).toEqual([40000, 40100]);
    expect(c.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(() => readSecurityConfig({ DEEPPHOTO_SECRET: 'short' })).toThrow(/DEEPPHOTO_SECRET/);
    expect(() => readSecurityConfig({ DEEPPHOTO_TLS_CERT: 'x.pem' })).toThrow(ConfigError);
    expect(() => readSecurityConfig({ DEEPPHOTO_RTC_PORT_RANGE: '5000-4000' })).toThrow(/RTC_PORT_RANGE/);
    expect(() => readSecurityConfig({ DEEPPHOTO_NO_MEDIA_TIMEOUT_MS: '-1' })).toThrow(/NO_MEDIA/);
  });

  it('Origin/Host policy: own origin and allow-list pass, rebinding Host and foreign Origin do not', () => {
    const p = createOriginPolicy({ bindHost: '127.0.0.1', allowedHosts: ['live.example.org'], allowedOrigins: ['https://app.example.org'] });
    expect(checkRequest(p, { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' })).toBeUndefined();
    expect(checkRequest(p, { host: 'localhost:8080' })).toBeUndefined();
    expect(checkRequest(p, { host: 'live.example.org', origin: 'https://app.example.org' })).toBeUndefined();
    expect(checkRequest(p, { host: 'attacker.example:8080' })).toMatch(/Host/);
    expect(checkRequest(p, { host: '127.0.0.1:8080', origin: 'https://evil.example' })).toMatch(/Origin/);
    expect(checkRequest(p, { host: undefined })).toMatch(/Host/);
  });
});
