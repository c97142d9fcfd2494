import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, VIDEO_CLIP } from '../support/paths.ts';

const run = promisify(execFile);

interface TemporalReport {
  frameSize: string;
  styles: Record<string, { model: string; frames: number; inputChange: number; ratio: number; ratioWithout: number; smearing: { motionKeptOnMovingPixels: number }; byInputChange: Record<string, { pixelShare: number }> }>;
}

describe.skipIf(!existsSync(VIDEO_CLIP))('npm run eval:temporal (real LivePipeline on the shared clip, first frames)', () => {
  it('reports a shimmer ratio per style that the temporal blend lowers, with the smearing check', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server/src/tools/eval-temporal.ts'), '--json', '--styles', 'candy', '--frames', '20', '--width', '320', '--height', '180'], {
      cwd: REPO_ROOT,
    });
    const report = JSON.parse(stdout) as TemporalReport;
    expect(report.frameSize).toBe('320x180');
    const candy = report.styles.candy!;
    expect(candy.model).toBe('light-candy-int8'); // the CPU live default (pipeline/live-processor.ts CPU_LIVE_TIER)
    expect(candy.frames).toBe(20);
    expect(candy.inputChange).toBeGreaterThan(0);
    // The light net shimmers more than the camera; the blend removes a good part of it.
    expect(candy.ratioWithout).toBeGreaterThan(1);
    expect(candy.ratio).toBeLessThan(candy.ratioWithout * 0.85);
    expect(candy.smearing.motionKeptOnMovingPixels).toBeGreaterThan(0.8);
    const shares = Object.values(candy.byInputChange).reduce((s, b) => s + b.pixelShare, 0);
    expect(shares).toBeCloseTo(1, 2);
  }, 180_000);
});
