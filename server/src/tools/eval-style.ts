/**
 * npm run eval:style -- [--json] [--models light-candy,arbitrary-transfer-f16] [--limit N] [--shared DIR] [--threads N]
 *
 * Style networks on the light-nets held-out set (models/training/heldout.json: 16 seg-dev photos + 6 frames of the
 * clip's last 2 s), keyed by model id: PSNR, PSNR@1/4, SSIM and style gap closed (definitions in
 * server/src/eval/style-metrics.ts), overall and for photos / video frames separately. The Node counterpart of
 * models/training/eval.py, runnable on a fresh clone beside ../shared: data from `--shared` (default
 * `DEEPPHOTO_SHARED` or ../shared), teachers resolved cache -> mirror -> origin like everywhere else (the mirror
 * defaults to <shared>/models when DEEPPHOTO_MODELS_MIRROR is unset).
 *
 * Subjects:
 *  - every live (distilled) style net in the manifest, and its int8 copy if any, against its teacher (the issue-12
 *    bar: PSNR@1/4 >= 22 dB);
 *  - the arbitrary-style transfer network (Magenta), which has no teacher of its own, scored for the built-in looks
 *    made from the pictures the fast-neural-style teachers were trained on (art-candy, art-mosaic, art-udnie):
 *      arbitrary-transfer-f16   vs that picture's teacher network: how close the arbitrary look comes to a network
 *                               trained for that one picture (gap closed = 1 - d(out, T) / d(input, T));
 *      arbitrary-transfer-int8  vs arbitrary-transfer-f16 with the same style vector: what the int8 weights cost
 *                               (gap closed = 1 - d(int8, f16) / d(input, f16)).
 *    d uses the look's teacher's first three ReLU layers as texture features, as for the light nets.
 *    (Our converted ONNX files against an independent TFLite interpreter: test/models, see README.)
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { findModel, MODELS_DIR, modelsByTask, resolveModelPath, type ModelEntry, type ResolveOptions } from '@deepphoto/models';
import { quietLogger } from '../context.ts';
import { loadHeldout, type HeldoutImage } from '../eval/heldout.ts';
import { mean } from '../eval/metrics.ts';
import { clip255, gramDistance, planarFromRgb, psnr, psnrQuarter, rgbFromPlanar, ssim, type PlanarImage } from '../eval/style-metrics.ts';
import { TeacherProbe, type TeacherRun } from '../eval/teacher-grams.ts';
import { stylizeRgbWithVector } from '../pipeline/arbitrary-style.ts';
import { ModelRuntime, type LoadedModel } from '../runtime/onnx.ts';
import { builtinArbitraryLooks } from '../styles/builtin-looks.ts';

/** The quality bar of issue 12: every light net at least this PSNR at 1/4 scale against its teacher. */
export const PSNR_QUARTER_TARGET_DB = 22;

interface ImageScores {
  name: string;
  kind: HeldoutImage['kind'];
  psnr: number;
  psnrQuarter: number;
  ssim: number;
  gapClosed: number;
  /** Baseline: the unstyled input against the same reference, at 1/4 scale. */
  inputPsnrQuarter: number;
}

type Summary = Pick<ImageScores, 'psnr' | 'psnrQuarter' | 'ssim' | 'gapClosed' | 'inputPsnrQuarter'> & { n: number };

interface ScoredSet {
  all: Summary;
  photos: Summary;
  video: Summary;
  perImage: ImageScores[];
}

/** Per look of the arbitrary network: the teacher whose features measure texture, and the scores. */
type LookResult = { probeTeacher: string } & ScoredSet;

export type SubjectResult =
  | ({ teacher: string; meetsPsnrQuarterTarget: boolean } & ScoredSet)
  | { reference: string; metric: string; all: Summary; looks: Record<string, LookResult> }
  | { skipped: string };

interface EvalContext {
  images: readonly HeldoutImage[];
  threads: number;
  resolveOptions: ResolveOptions;
}

/** A network to score; `evaluate` runs only when `unavailable()` gives no reason. */
interface Subject {
  id: string;
  /** Why the subject cannot be evaluated now, or null. */
  unavailable(): string | null;
  evaluate(context: EvalContext): Promise<SubjectResult>;
}

/** planar -> planar (0..255, clipped): one network applied to one held-out image. */
type Stylize = (image: PlanarImage) => Promise<PlanarImage>;
/** The reference output for an image; it may reuse the probe teacher's run on that image (its output is T). */
type Reference = (image: PlanarImage, onInput: TeacherRun) => Promise<PlanarImage>;

/**
 * Scores `candidate` against `reference` on every image: PSNR, PSNR@1/4, SSIM, and the style gap closed measured
 * with `probe`'s Gram matrices (1 - d(candidate, reference) / d(input, reference)).
 */
async function scoreImages(images: readonly HeldoutImage[], probe: TeacherProbe, reference: Reference, candidate: Stylize): Promise<ImageScores[]> {
  const perImage: ImageScores[] = [];
  for (const { name, kind, image } of images) {
    const onInput = await probe.run(image);
    const referenceOut = await reference(image, onInput);
    const candidateOut = await candidate(image);
    const [onReference, onCandidate] = [await probe.run(referenceOut), await probe.run(candidateOut)];
    perImage.push({
      name,
      kind,
      psnr: psnr(candidateOut.data, referenceOut.data),
      psnrQuarter: psnrQuarter(candidateOut, referenceOut),
      ssim: ssim(candidateOut, referenceOut),
      gapClosed: 1 - gramDistance(onCandidate.grams, onReference.grams) / gramDistance(onInput.grams, onReference.grams),
      inputPsnrQuarter: psnrQuarter(image, referenceOut),
    });
  }
  return perImage;
}

function summarise(scores: readonly ImageScores[]): Summary {
  const pick = (k: keyof Summary) => Number(mean(scores.map((s) => s[k as keyof ImageScores] as number)).toFixed(k === 'ssim' || k === 'gapClosed' ? 4 : 3));
  return { n: scores.length, psnr: pick('psnr'), psnrQuarter: pick('psnrQuarter'), ssim: pick('ssim'), gapClosed: pick('gapClosed'), inputPsnrQuarter: pick('inputPsnrQuarter') };
}

function scoredSet(perImage: readonly ImageScores[]): ScoredSet {
  return {
    all: summarise(perImage),
    photos: summarise(perImage.filter((s) => s.kind === 'photo')),
    video: summarise(perImage.filter((s) => s.kind === 'video')),
    perImage: perImage.map((s) => ({
      ...s,
      psnr: +s.psnr.toFixed(3),
      psnrQuarter: +s.psnrQuarter.toFixed(3),
      ssim: +s.ssim.toFixed(4),
      gapClosed: +s.gapClosed.toFixed(4),
      inputPsnrQuarter: +s.inputPsnrQuarter.toFixed(3),
    })),
  };
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

// ---------------------------------------------------------------------------------------------------------------
// Light (distilled) nets vs their teachers
// ---------------------------------------------------------------------------------------------------------------

function lightNetSubject(entry: ModelEntry): Subject {
  const teacherId = entry.teacher!;
  return {
    id: entry.id,
    unavailable: () => (findModel(teacherId) ? null : `teacher "${teacherId}" is not in the manifest`),
    async evaluate({ images, threads, resolveOptions }) {
      const teacherEntry = findModel(teacherId)!;
      let teacherPath: string;
      let studentPath: string;
      try {
        [teacherPath, studentPath] = await Promise.all([resolveModelPath(teacherEntry, resolveOptions), resolveModelPath(entry, resolveOptions)]);
      } catch (error) {
        return { skipped: (error as Error).message };
      }
      const probe = await TeacherProbe.open(teacherPath, threads);
      const student = await openSession(studentPath, threads);
      try {
        const teacher: Reference = async (_image, onInput) => onInput.output;
        const set = scoredSet(await scoreImages(images, probe, teacher, (image) => runStudent(student, entry, image)));
        return { teacher: teacherId, ...set, meetsPsnrQuarterTarget: set.all.psnrQuarter >= PSNR_QUARTER_TARGET_DB };
      } finally {
        await probe.close();
        await student.release();
      }
    },
  };
}

function lightNetSubjects(): Subject[] {
  return modelsByTask('style')
    .filter((m) => (m.tier === 'live' || m.tier === 'live-int8') && m.teacher)
    .map(lightNetSubject);
}

// ---------------------------------------------------------------------------------------------------------------
// The arbitrary-style transfer network (no teacher of its own)
// ---------------------------------------------------------------------------------------------------------------

/** Built-in looks made from the very pictures a fast-neural-style teacher was trained on: look id -> teacher id. */
export const ARBITRARY_EVAL_LOOKS = { 'art-candy': 'candy', 'art-mosaic': 'mosaic', 'art-udnie': 'udnie' } as const;

async function stylizeWith(transfer: LoadedModel, image: PlanarImage, vector: Float32Array): Promise<PlanarImage> {
  const out = await stylizeRgbWithVector(transfer, { width: image.width, height: image.height, data: rgbFromPlanar(image) }, vector);
  return planarFromRgb(out.data, out.width, out.width, out.height);
}

/**
 * `candidateId` (a transfer network) for each look in ARBITRARY_EVAL_LOOKS against `reference`: the same look on
 * another transfer network (a model id), or, with 'teacher', the fast-neural-style teacher of the look's picture.
 */
function arbitrarySubject(candidateId: string, reference: string, metric: string): Subject {
  const networks = [candidateId, ...(reference === 'teacher' ? [] : [reference])];
  return {
    id: candidateId,
    unavailable: () => {
      const missing = [...networks, ...Object.values(ARBITRARY_EVAL_LOOKS)].filter((id) => !findModel(id));
      if (missing.length > 0) return `not in models/manifest.json: ${missing.join(', ')}`;
      const vectors = new Set(builtinArbitraryLooks().map((l) => l.id));
      const noVector = Object.keys(ARBITRARY_EVAL_LOOKS).filter((id) => !vectors.has(id));
      if (noVector.length > 0) return `no committed style vector for ${noVector.join(', ')} (npm run styles:vectors)`;
      return null;
    },
    async evaluate({ images, threads, resolveOptions }) {
      const runtime = new ModelRuntime({ threads, logger: quietLogger, resolve: resolveOptions, providers: { style_transfer: ['cpu'] } });
      try {
        let loaded: LoadedModel[];
        try {
          loaded = await Promise.all(networks.map((id) => runtime.load(id)));
        } catch (error) {
          return { skipped: (error as Error).message };
        }
        const [candidate, referenceNet] = loaded as [LoadedModel, LoadedModel | undefined];
        const looks: Record<string, LookResult> = {};
        const everyImage: ImageScores[] = [];
        for (const [lookId, teacherId] of Object.entries(ARBITRARY_EVAL_LOOKS)) {
          const vector = builtinArbitraryLooks().find((l) => l.id === lookId)!.vector;
          let teacherPath: string;
          try {
            teacherPath = await resolveModelPath(findModel(teacherId)!, resolveOptions);
          } catch (error) {
            return { skipped: (error as Error).message };
          }
          const probe = await TeacherProbe.open(teacherPath, threads);
          try {
            const referenceRun: Reference = referenceNet ? (image) => stylizeWith(referenceNet, image, vector) : async (_image, onInput) => onInput.output;
            const perImage = await scoreImages(images, probe, referenceRun, (image) => stylizeWith(candidate, image, vector));
            everyImage.push(...perImage);
            looks[lookId] = { probeTeacher: teacherId, ...scoredSet(perImage) };
          } finally {
            await probe.close();
          }
        }
        return { reference, metric, all: summarise(everyImage), looks };
      } finally {
        await runtime.close();
      }
    },
  };
}

const ARBITRARY_SUBJECTS: Subject[] = [
  arbitrarySubject(
    'arbitrary-transfer-f16',
    'teacher',
    'each built-in look vs the fast-neural-style teacher trained on the same picture (a different network: expect a low PSNR); gap closed = how much of the input-to-teacher texture distance the look covers',
  ),
  arbitrarySubject(
    'arbitrary-transfer-int8',
    'arbitrary-transfer-f16',
    'int8-weight transfer network vs the fp16 one, same content and style vector (outputs rounded to 8 bits); gap closed = 1 - d(int8, f16) / d(input, f16)',
  ),
];

function printLine(id: string, r: SubjectResult): string {
  if ('skipped' in r) return `${id}: skipped (${r.skipped})`;
  if ('teacher' in r) {
    return `${id} (teacher ${r.teacher}): PSNR ${r.all.psnr} | PSNR@1/4 ${r.all.psnrQuarter} | SSIM ${r.all.ssim} | gap closed ${r.all.gapClosed} | photos ${r.photos.psnrQuarter} / video ${r.video.psnrQuarter} dB@1/4`;
  }
  const looks = Object.entries(r.looks).map(([look, s]) => `${look} ${s.all.psnrQuarter} dB@1/4, gap ${s.all.gapClosed}`);
  return `${id} (vs ${r.reference}): PSNR ${r.all.psnr} | PSNR@1/4 ${r.all.psnrQuarter} | SSIM ${r.all.ssim} | gap closed ${r.all.gapClosed} | ${looks.join('; ')}`;
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
  if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`--threads must be a positive integer, got ${values.threads}`);

  const all = [...lightNetSubjects(), ...ARBITRARY_SUBJECTS];
  const wanted = values.models?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted?.filter((id) => !all.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown model id(s) ${unknown.join(', ')}; known: ${all.map((s) => s.id).join(', ')}`);
  const subjects = wanted ? all.filter((s) => wanted.includes(s.id)) : all;

  const started = performance.now();
  const images = await loadHeldout(sharedDir, { limit });
  const context: EvalContext = { images, threads, resolveOptions: { mirrorDir } };
  const models: Record<string, SubjectResult> = {};
  for (const subject of subjects) {
    const reason = subject.unavailable();
    models[subject.id] = reason ? { skipped: reason } : await subject.evaluate(context);
    if (!values.json) console.error(`${subject.id}: done`);
  }
  const result = {
    heldout: { photos: images.filter((i) => i.kind === 'photo').length, videoFrames: images.filter((i) => i.kind === 'video').length, shared: sharedDir },
    psnrQuarterTargetDb: PSNR_QUARTER_TARGET_DB,
    models,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else for (const [id, r] of Object.entries(models)) console.log(printLine(id, r));
}

await main();
