/**
 * npm run bench:int8 -- [--models light-mosaic] [--runs 40] [--rounds 3] [--threads 1] [--limit N] [--shared DIR] [--json]
 *
 * Float32 light style net vs its int8 QDQ copy (`npm run models:quantize`, file `light_<style>_int8.onnx`):
 * - speed: ms per run at the live size 256x192, `--threads` ORT threads, A/B interleaved run by run (the order
 *   alternating) so that load from other processes on this shared machine hits both alike; `--rounds` rounds of
 *   `--runs` pairs, each round's min and median reported, plus the ratio of medians.
 * - fidelity on the held-out set (models/training/heldout.json, native size, the set eval:style uses; the
 *   calibration photos are disjoint from it): PSNR of int8 vs float32 output, and PSNR / PSNR@1/4 of each against
 *   the teacher. Outputs are clipped to 0..255 first, as the product does.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { findModel, MODELS_DIR, resolveModelPath, type ModelEntry } from '@deepphoto/models';
import { loadHeldout } from '../eval/heldout.ts';
import { mean, median } from '../eval/metrics.ts';
import { clip255, psnr, psnrQuarter, type PlanarImage } from '../eval/style-metrics.ts';
import { int8FileName, LIVE_HEIGHT, LIVE_WIDTH } from './quantize-style.ts';

async function open(path: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
}

async function stylize(session: ort.InferenceSession, entry: ModelEntry, image: PlanarImage): Promise<PlanarImage> {
  const { scale, offset } = entry.normalization;
  const input = scale === 1 && offset === 0 ? image.data : image.data.map((v) => v * scale + offset);
  const out = await session.run({ [entry.io.input.name]: new ort.Tensor('float32', input, [1, 3, image.height, image.width]) });
  return { ...image, data: clip255(new Float32Array(out[entry.io.output.name]!.data as Float32Array)) };
}

interface RoundTimes {
  float32: { min: number; median: number };
  int8: { min: number; median: number };
  speedup: number;
}

async function timeRound(float32: ort.InferenceSession, int8: ort.InferenceSession, inputName: string, runs: number): Promise<RoundTimes> {
  const picture = new Float32Array(3 * LIVE_WIDTH * LIVE_HEIGHT);
  // A fixed, picture-like input (smooth gradients + texture): speed does not depend on content, but keep it defined.
  for (let i = 0; i < picture.length; i++) picture[i] = (i * 7919) % 256;
  const feeds = { [inputName]: new ort.Tensor('float32', picture, [1, 3, LIVE_HEIGHT, LIVE_WIDTH]) };
  for (let i = 0; i < 5; i++) {
    await float32.run(feeds);
    await int8.run(feeds);
  }
  const a: number[] = [];
  const b: number[] = [];
  const timed = async (session: ort.InferenceSession, into: number[]) => {
    const start = performance.now();
    await session.run(feeds);
    into.push(performance.now() - start);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await timed(float32, a);
      await timed(int8, b);
    } else {
      await timed(int8, b);
      await timed(float32, a);
    }
  }
  const round = (v: number) => Number(v.toFixed(2));
  return {
    float32: { min: round(Math.min(...a)), median: round(median(a)) },
    int8: { min: round(Math.min(...b)), median: round(median(b)) },
    speedup: Number((median(a) / median(b)).toFixed(3)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      models: { type: 'string', default: 'light-mosaic' },
      runs: { type: 'string', default: '40' },
      rounds: { type: 'string', default: '3' },
      threads: { type: 'string', default: '1' },
      limit: { type: 'string' },
      shared: { type: 'string' },
      'skip-fidelity': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const rounds = Number(values.rounds);
  const threads = Number(values.threads);
  for (const [name, v] of [['runs', runs], ['rounds', rounds], ['threads', threads]] as const) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${name} must be a positive integer`);
  }
  const sharedDir = resolve(values.shared ?? process.env.DEEPPHOTO_SHARED ?? join(MODELS_DIR, '../../shared'));
  const mirrorDir = process.env.DEEPPHOTO_MODELS_MIRROR ?? (existsSync(join(sharedDir, 'models')) ? join(sharedDir, 'models') : undefined);
  const images = values['skip-fidelity'] ? [] : await loadHeldout(sharedDir, { limit: values.limit === undefined ? undefined : Number(values.limit) });

  const report: Record<string, unknown> = {};
  for (const id of values.models.split(',').map((s) => s.trim()).filter(Boolean)) {
    const entry = findModel(id);
    if (!entry || entry.task !== 'style' || entry.source.kind !== 'repo' || !entry.teacher) throw new Error(`"${id}" is not a distilled style net in the repository`);
    const floatPath = join(MODELS_DIR, entry.source.path);
    const int8Path = join(MODELS_DIR, 'style', int8FileName(entry.file));
    if (!existsSync(int8Path)) throw new Error(`${int8Path} not found: run npm run models:quantize -- --models ${id}`);
    const float32 = await open(floatPath, threads);
    const int8 = await open(int8Path, threads);
    try {
      const speed: RoundTimes[] = [];
      for (let r = 0; r < rounds; r++) speed.push(await timeRound(float32, int8, entry.io.input.name, runs));
      let fidelity: Record<string, number> | undefined;
      if (images.length > 0) {
        const teacherEntry = findModel(entry.teacher)!;
        const teacher = await open(await resolveModelPath(teacherEntry, { mirrorDir }), threads);
        try {
          const rows: { vsFloat: number; vsFloatQuarter: number; floatTeacher: number; int8Teacher: number; floatTeacherQ: number; int8TeacherQ: number }[] = [];
          for (const { image } of images) {
            const t = await stylize(teacher, teacherEntry, image);
            const f = await stylize(float32, entry, image);
            const q = await stylize(int8, entry, image);
            rows.push({
              vsFloat: psnr(q.data, f.data),
              vsFloatQuarter: psnrQuarter(q, f),
              floatTeacher: psnr(f.data, t.data),
              int8Teacher: psnr(q.data, t.data),
              floatTeacherQ: psnrQuarter(f, t),
              int8TeacherQ: psnrQuarter(q, t),
            });
          }
          const avg = (k: keyof (typeof rows)[number]) => Number(mean(rows.map((r) => r[k])).toFixed(3));
          fidelity = {
            images: rows.length,
            psnrInt8VsFloat: avg('vsFloat'),
            psnrQuarterInt8VsFloat: avg('vsFloatQuarter'),
            minPsnrInt8VsFloat: Number(Math.min(...rows.map((r) => r.vsFloat)).toFixed(3)),
            psnrFloatVsTeacher: avg('floatTeacher'),
            psnrInt8VsTeacher: avg('int8Teacher'),
            psnrQuarterFloatVsTeacher: avg('floatTeacherQ'),
            psnrQuarterInt8VsTeacher: avg('int8TeacherQ'),
          };
        } finally {
          await teacher.release();
        }
      }
      report[id] = { threads, size: [LIVE_WIDTH, LIVE_HEIGHT], runsPerRound: runs, speed, fidelity };
      if (!values.json) {
        for (const s of speed) console.error(`${id}: float32 min ${s.float32.min} / median ${s.float32.median} ms, int8 min ${s.int8.min} / median ${s.int8.median} ms, x${s.speedup}`);
        if (fidelity) console.error(`${id}: ${JSON.stringify(fidelity)}`);
      }
    } finally {
      await float32.release();
      await int8.release();
    }
  }
  if (values.json) console.log(JSON.stringify(report, null, 2));
}

await main();
