import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { meanIoU } from '../../server/src/eval/metrics.ts';
import { hasSegDev, REPO_ROOT, SEG_DEV_DIR } from '../support/paths.ts';

const run = promisify(execFile);

interface EvalResult {
  model: string;
  subsets: Record<string, { mIoU: number; n: number }>;
  n: number;
  msPerImage: number;
}

async function evalSeg(dir: string): Promise<EvalResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server/src/tools/eval-seg.ts'), '--data', dir, '--json'], { cwd: REPO_ROOT });
  return JSON.parse(stdout) as EvalResult;
}

describe('meanIoU', () => {
  it('is 1 for a perfect mask, 0.5 for an all-person guess on a half-person picture, and handles empty classes', () => {
    const truth = new Uint8Array([255, 255, 0, 0]);
    expect(meanIoU(new Float32Array([1, 1, 0, 0]), truth)).toBe(1);
    expect(meanIoU(new Float32Array([1, 1, 1, 1]), truth)).toBeCloseTo(0.25, 6); // person 0.5, background 0
    expect(meanIoU(new Float32Array([0, 0, 0, 0]), new Uint8Array(4))).toBe(1);
  });
});

describe.skipIf(!hasSegDev)('npm run eval:seg', () => {
  it('reports per-subset mIoU as JSON for a folder of photos and masks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deepphoto-eval-'));
    try {
      for (const name of ['eg1800_00904', 'eg1800_00883', 'hsd_0176']) {
        for (const ext of ['jpg', 'png']) copyFileSync(join(SEG_DEV_DIR, `${name}.${ext}`), join(dir, `${name}.${ext}`));
      }
      const result = await evalSeg(dir);
      expect(result.model).toBe('selfie-general');
      expect(result.n).toBe(3);
      expect(result.subsets.eg1800?.n).toBe(2);
      expect(result.subsets.hsd?.n).toBe(1);
      expect(result.subsets.eg1800!.mIoU).toBeGreaterThan(0.85);
      expect(result.msPerImage).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the eg1800 subset at mIoU >= 0.945 with the default pipeline (quality regression guard)', async () => {
    const result = await evalSeg(SEG_DEV_DIR);
    expect(result.subsets.eg1800!.n).toBe(96);
    expect(result.subsets.eg1800!.mIoU).toBeGreaterThanOrEqual(0.945);
  });
});
