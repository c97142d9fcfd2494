/** `npm run fuzz -- --quick --json` in CI: 1,000 socket payloads and 5,000 media packets, pass criteria in the tool. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('fuzz --quick', () => {
  it('0 crashes, 0 leaked sessions/workers/children, health 200, RSS bounded', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'server/src/tools/fuzz.ts', '--quick', '--json'], { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 }).catch(
      (e: { stdout: string }) => ({ stdout: e.stdout }),
    );
    const line = stdout.trim().split('\n').at(-1)!;
    const result = JSON.parse(line) as Record<string, number | boolean>;
    console.log(line);
    expect(result.socketPayloads).toBeGreaterThanOrEqual(1000);
    expect(result.mediaPackets).toBeGreaterThanOrEqual(5000);
    expect(result.crashes).toBe(0);
    expect(result.workerFailures).toBe(0);
    expect(result.leakedSessions).toBe(0);
    expect(result.leakedWorkers).toBe(0);
    expect(result.leakedChildren).toBe(0);
    expect(result.healthAfter).toBe(200);
    expect(result.pass).toBe(true);
  }, 300_000);
});
