import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { areaDownscale, gramDistance, psnr, psnrQuarter, ssim, type PlanarImage } from '../../server/src/eval/style-metrics.ts';
import { REPO_ROOT, SHARED_DIR, hasSegDev } from '../support/paths.ts';

const run = promisify(execFile);

function image(width: number, height: number, value: (x: number, y: number, c: number) => number): PlanarImage {
  const data = new Float32Array(3 * width * height);
  for (let c = 0; c < 3; c++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[c * width * height + y * width + x] = value(x, y, c);
  return { width, height, channels: 3, data };
}

describe('style metrics', () => {
  it('PSNR: infinite for equal images, 20 log10(255/d) for a constant offset d', () => {
    const a = image(8, 8, (x, y) => x * 10 + y);
    expect(psnr(a.data, a.data)).toBe(Number.POSITIVE_INFINITY);
    const b = image(8, 8, (x, y) => x * 10 + y + 5);
    expect(psnr(a.data, b.data)).toBeCloseTo(20 * Math.log10(255 / 5), 6);
  });

  it('PSNR@1/4 ignores detail that averages out within 4x4 blocks, full PSNR does not', () => {
    const flat = image(16, 16, () => 128);
    const checker = image(16, 16, (x, y) => 128 + ((x + y) % 2 ? 40 : -40));
    expect(areaDownscale(checker, 4).data.every((v) => v === 128)).toBe(true);
    expect(psnrQuarter(flat, checker)).toBe(Number.POSITIVE_INFINITY);
    expect(psnr(flat.data, checker.data)).toBeLessThan(17);
  });

  it('SSIM: 1 for equal images, lower for a noisy copy, lower still for an unrelated image', () => {
    const a = image(32, 32, (x, y, c) => 100 + 60 * Math.sin(x / 3 + c) * Math.cos(y / 4));
    let seed = 1;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 40;
    const noisy = image(32, 32, (x, y, c) => a.data[c * 1024 + y * 32 + x]! + noise());
    const other = image(32, 32, (x, y) => (x * 7 + y * 3) % 256);
    expect(ssim(a, a)).toBeCloseTo(1, 10);
    const sNoisy = ssim(a, noisy);
    expect(sNoisy).toBeLessThan(0.95);
    expect(ssim(a, other)).toBeLessThan(sNoisy);
  });

  it('gram distance: 0 for equal Gram matrices, relative Frobenius norm summed over layers', () => {
    const g = [new Float32Array([1, 2, 2, 4]), new Float32Array([3, 0, 0, 4])];
    expect(gramDistance(g, g)).toBe(0);
    const h = [new Float32Array([1, 2, 2, 4]), new Float32Array([0, 0, 0, 0])];
    expect(gramDistance(h, g)).toBeCloseTo(1, 6); // layer 2: ‖-G‖/‖G‖ = 1
  });
});

interface Summary {
  n: number;
  psnr: number;
  psnrQuarter: number;
  ssim: number;
  gapClosed: number;
  inputPsnrQuarter: number;
}

interface EvalStyleResult {
  heldout: { photos: number; videoFrames: number };
  models: Record<
    string,
    | { skipped: string }
    | { teacher: string; all: Summary; perImage: { name: string }[] }
    | { reference: string; metric: string; all: Summary; looks: Record<string, { probeTeacher: string; all: Summary; perImage: { name: string }[] }> }
  >;
}

describe.skipIf(!hasSegDev)('npm run eval:style (real teachers, light net and arbitrary network, held-out subset)', () => {
  it('scores light candy against the candy teacher, and the arbitrary network per built-in look', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'server/src/tools/eval-style.ts'), '--json', '--limit', '1', '--models', 'light-candy,arbitrary-transfer-int8,arbitrary-transfer-f16'],
      { cwd: REPO_ROOT, env: { ...process.env, DEEPPHOTO_SHARED: SHARED_DIR } },
    );
    const result = JSON.parse(stdout) as EvalStyleResult;
    expect(result.heldout).toEqual({ photos: 1, videoFrames: 1, shared: expect.any(String) });
    const candy = result.models['light-candy']!;
    if (!('teacher' in candy)) throw new Error(`light-candy not scored against its teacher: ${JSON.stringify(candy)}`);
    expect(candy.teacher).toBe('candy');
    expect(candy.perImage.map((p) => p.name)).toEqual(['eg1800_00059', 'video_f222']);
    // A distilled net is close to, but not equal to, its teacher; far closer than the unstyled input (~13 dB).
    expect(candy.all.psnrQuarter).toBeGreaterThan(18);
    expect(candy.all.psnrQuarter).toBeLessThan(40);
    expect(candy.all.psnr).toBeLessThan(candy.all.psnrQuarter);
    expect(candy.all.inputPsnrQuarter).toBeLessThan(16);
    expect(candy.all.ssim).toBeGreaterThan(0.4);
    expect(candy.all.ssim).toBeLessThan(1);
    expect(candy.all.gapClosed).toBeGreaterThan(0.5);
    expect(candy.all.gapClosed).toBeLessThan(1);

    // int8 weights vs fp16 weights, same look: nearly the same picture, but not bit-equal.
    const int8 = result.models['arbitrary-transfer-int8']!;
    if (!('looks' in int8)) throw new Error(`arbitrary-transfer-int8 not scored: ${JSON.stringify(int8)}`);
    expect(int8.reference).toBe('arbitrary-transfer-f16');
    expect(Object.keys(int8.looks)).toEqual(['art-candy', 'art-mosaic', 'art-udnie']);
    expect(int8.looks['art-candy']!.perImage.map((p) => p.name)).toEqual(['eg1800_00059', 'video_f222']);
    expect(int8.all.n).toBe(6);
    expect(int8.all.psnrQuarter).toBeGreaterThan(35);
    expect(int8.all.psnrQuarter).toBeLessThan(80);
    expect(int8.all.gapClosed).toBeGreaterThan(0.8);

    // fp16 look vs the teacher trained on the same picture: a different network, so far from it, but scored.
    const f16 = result.models['arbitrary-transfer-f16']!;
    if (!('looks' in f16)) throw new Error(`arbitrary-transfer-f16 not scored: ${JSON.stringify(f16)}`);
    expect(f16.reference).toBe('teacher');
    expect(f16.looks['art-mosaic']!.probeTeacher).toBe('mosaic');
    expect(f16.all.psnrQuarter).toBeGreaterThan(10);
    expect(f16.all.psnrQuarter).toBeLessThan(int8.all.psnrQuarter);
  }, 240_000);

  it('rejects an unknown model id with a clear message', async () => {
    await expect(run(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'server/src/tools/eval-style.ts'), '--models', 'no-such-net'], { cwd: REPO_ROOT })).rejects.toThrow(/unknown model id\(s\) no-such-net/);
  });
});
