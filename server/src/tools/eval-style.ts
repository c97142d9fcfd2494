/**
 * npm run eval:style -- [--json] [--models light-candy,light-mosaic] [--limit N] [--shared DIR] [--threads N]
 *
 * Style networks vs their teachers on the light-nets held-out set (models/training/heldout.json: 16 seg-dev photos
 * + 6 frames of the clip's last 2 s), keyed by model id: PSNR, PSNR@1/4, SSIM and style gap closed (definitions in
 * server/src/eval/style-metrics.ts), overall and for photos / video frames separately. The Node counterpart of
 * models/training/eval.py, runnable on a fresh clone beside ../shared: data from `--shared` (default
 * `DEEPPHOTO_SHARED` or ../shared), teachers resolved cache -> mirror -> origin like everywhere else (the mirror
 * defaults to <shared>/models when DEEPPHOTO_MODELS_MIRROR is unset).
 *
 * Subjects: every live (distilled) style net in the manifest, and its int8 copy if any, against its teacher; plus the arbitrary-style
 * network (int8 transfer vs its f16 original), reported as skipped with the reason while it is not in the manifest
 * or has no runner here.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { findModel, MODELS_DIR, modelsByTask, resolveModelPath, type ModelEntry, type ResolveOptions } from '@deepphoto/models';
import { loadHeldout, type HeldoutImage } from '../eval/heldout.ts';
import { mean } from '../eval/metrics.ts';
import { clip255, gramDistance, psnr, psnrQuarter, ssim, type PlanarImage } from '../eval/style-metrics.ts';
import { TeacherProbe } from '../eval/teacher-grams.ts';

/** The quality bar of issue 12: every light net at least this PSNR at 1/4 scale against its teacher. */
export const PSNR_QUARTER_TARGET_DB = 22;

interface ImageScores {
  name: string;
  kind: HeldoutImage['kind'];
  psnr: number;
  psnrQuarter: number;
  ssim: number;
  gapClosed: number;
}

type Summary = Pick<ImageScores, 'psnr' | 'psnrQuarter' | 'ssim' | 'gapClosed'> & { n: number };

export type SubjectResult =
  | { teacher: string; all: Summary; photos: Summary; video: Summary; meetsPsnrQuarterTarget: boolean; perImage: ImageScores[] }
  | { skipped: string };

/** A network to score and the reference it imitates. */
interface Subject {
  id: string;
  teacherId: string;
  /** Why the subject cannot be evaluated now, or null. */
  unavailable(): string | null;
}

function lightNetSubjects(): Subject[] {
  return modelsByTask('style')
    .filter((m) => (m.tier === 'live' || m.tier === 'live-int8') && m.teacher)
    .map((m) => ({ id: m.id, teacherId: m.teacher!, unavailable: () => (findModel(m.teacher!) ? null : `teacher "${m.teacher}" is not in the manifest`) }));
}

/**
 * The arbitrary-style network (Magenta, Ghiasi et al. 2017) lands with the `styles` work: its int8 transfer net
 * is to be scored against the f16 one with a fixed style vector. Until both entries and a runner exist it is
 * listed as skipped, so that the report says so instead of silently covering fewer networks.
 */
const ARBITRARY_SUBJECT: Subject = {
  id: 'arbitrary-transfer-int8',
  teacherId: 'arbitrary-transfer-f16',
  unavailable: () => {
    const missing = ['arbitrary-transfer-int8', 'arbitrary-transfer-f16', 'arbitrary-predict'].filter((id) => !findModel(id));
    if (missing.length > 0) return `not in models/manifest.json: ${missing.join(', ')} (the arbitrary-style networks land with the styles branch)`;
    return 'in the manifest, but eval:style has no runner for content + style-vector networks yet';
  },
};

function summarise(scores: readonly ImageScores[]): Summary {
  const pick = (k: keyof Summary) => Number(mean(scores.map((s) => s[k as keyof ImageScores] as number)).toFixed(k === 'ssim' || k === 'gapClosed' ? 4 : 3));
  return { n: scores.length, psnr: pick('psnr'), psnrQuarter: pick('psnrQuarter'), ssim: pick('ssim'), gapClosed: pick('gapClosed') };
}

async function openSession(path: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
}

async function runStudent(session: ort.InferenceSession, entry: ModelEntry, image: PlanarImage): Promise<PlanarImage> {
  const { scale, offset } = entry.normalization;
  const input = scale === 1 && offset === 0 ? image.data : image.data.map((v) => v * scale + offset);
  const r = await session.run({ [entry.io.input.name]: new ort.Tensor('float32', input, [1, 3, image.height, image.width]) });
  const data = clip255(new Float32Array(r[entry.io.output.name]!.data as Float32Array));
  return { ...image, data };
}

export async function evaluateSubject(subject: Subject, images: readonly HeldoutImage[], threads: number, resolveOptions: ResolveOptions): Promise<SubjectResult> {
  const reason = subject.unavailable();
  if (reason) return { skipped: reason };
  const studentEntry = findModel(subject.id)!;
  const teacherEntry = findModel(subject.teacherId)!;
  let teacherPath: string;
  let studentPath: string;
  try {
    [teacherPath, studentPath] = await Promise.all([resolveModelPath(teacherEntry, resolveOptions), resolveModelPath(studentEntry, resolveOptions)]);
  } catch (error) {
    return { skipped: (error as Error).message };
  }
  const probe = await TeacherProbe.open(teacherPath, threads);
  const student = await openSession(studentPath, threads);
  try {
    const perImage: ImageScores[] = [];
    for (const { name, kind, image } of images) {
      const onInput = await probe.run(image); // teacher output T and the input's Gram matrices
      const teacherOut = onInput.output;
      const onTeacher = await probe.run(teacherOut);
      const studentOut = await runStudent(student, studentEntry, image);
      const onStudent = await probe.run(studentOut);
      const dStudent = gramDistance(onStudent.grams, onTeacher.grams);
      const dInput = gramDistance(onInput.grams, onTeacher.grams);
      perImage.push({
        name,
        kind,
        psnr: psnr(studentOut.data, teacherOut.data),
        psnrQuarter: psnrQuarter(studentOut, teacherOut),
        ssim: ssim(studentOut, teacherOut),
        gapClosed: 1 - dStudent / dInput,
      });
    }
    const all = summarise(perImage);
    return {
      teacher: subject.teacherId,
      all,
      photos: summarise(perImage.filter((s) => s.kind === 'photo')),
      video: summarise(perImage.filter((s) => s.kind === 'video')),
      meetsPsnrQuarterTarget: all.psnrQuarter >= PSNR_QUARTER_TARGET_DB,
      perImage: perImage.map((s) => ({ ...s, psnr: +s.psnr.toFixed(3), psnrQuarter: +s.psnrQuarter.toFixed(3), ssim: +s.ssim.toFixed(4), gapClosed: +s.gapClosed.toFixed(4) })),
    };
  } finally {
    await probe.close();
    await student.release();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      models: { type: 'string' },
      limit: { type: 'string' },
      shared: { type: 'string' },
      threads: { type: 'string', default: '1' },
    },
  });
  const sharedDir = resolve(values.shared ?? process.env.DEEPPHOTO_SHARED ?? join(MODELS_DIR, '../../shared'));
  const mirrorDir = process.env.DEEPPHOTO_MODELS_MIRROR ?? (existsSync(join(sharedDir, 'models')) ? join(sharedDir, 'models') : undefined);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new Error(`--limit must be a positive integer, got ${values.limit}`);
  const threads = Number(values.threads);

  const all = [...lightNetSubjects(), ARBITRARY_SUBJECT];
  const wanted = values.models?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((id) => !all.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown model id(s) ${unknown.join(', ')}; known: ${all.map((s) => s.id).join(', ')}`);
  const subjects = wanted ? all.filter((s) => wanted.includes(s.id)) : all;

  const started = performance.now();
  const images = await loadHeldout(sharedDir, { limit });
  const models: Record<string, SubjectResult> = {};
  for (const subject of subjects) {
    models[subject.id] = await evaluateSubject(subject, images, threads, { mirrorDir });
    if (!values.json) {
      const r = models[subject.id]!;
      console.error('skipped' in r ? `${subject.id}: skipped (${r.skipped})` : `${subject.id}: PSNR ${r.all.psnr} dB, PSNR@1/4 ${r.all.psnrQuarter} dB, SSIM ${r.all.ssim}, gap closed ${r.all.gapClosed}`);
    }
  }
  const result = {
    heldout: { photos: images.filter((i) => i.kind === 'photo').length, videoFrames: images.filter((i) => i.kind === 'video').length, shared: sharedDir },
    psnrQuarterTargetDb: PSNR_QUARTER_TARGET_DB,
    models,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    for (const [id, r] of Object.entries(models)) {
      if ('skipped' in r) continue;
      console.log(`${id} (teacher ${r.teacher}): PSNR ${r.all.psnr} | PSNR@1/4 ${r.all.psnrQuarter} | SSIM ${r.all.ssim} | gap closed ${r.all.gapClosed} | photos ${r.photos.psnrQuarter} / video ${r.video.psnrQuarter} dB@1/4`);
    }
  }
}

await main();
