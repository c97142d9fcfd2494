import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hasSegDev, REPO_ROOT, SEG_DEV_DIR } from '../support/paths.ts';

const run = promisify(execFile);

interface HaloResult {
  n: number;
  bleedOurs: number;
  bleedPlain: number;
  reduction: number;
  subsets: Record<string, { n: number; reduction: number }>;
}

describe.skipIf(!hasSegDev)('npm run eval:halo', () => {
  it('measures far less colour bleed of the person into the blurred background than a plain blur (>= 80 %)', async () => {
    // The first 24 photos keep the test short; the README figure is over all of seg-dev.
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server/src/tools/eval-halo.ts'), '--data', SEG_DEV_DIR, '--limit', '24', '--json'], {
      cwd: REPO_ROOT,
    });
    const result = JSON.parse(stdout) as HaloResult;
    expect(result.n).toBe(24);
    expect(result.bleedPlain).toBeGreaterThan(5); // the measure sees a plain blur's halo
    expect(result.bleedOurs).toBeLessThan(result.bleedPlain);
    expect(result.reduction).toBeGreaterThanOrEqual(0.8);
  });

  it('refuses a bad strength', async () => {
    await expect(run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server/src/tools/eval-halo.ts'), '--strength', 'huge'], { cwd: REPO_ROOT })).rejects.toMatchObject({ code: 2 });
  });
});
