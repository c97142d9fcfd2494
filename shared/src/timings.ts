/**
 * Stage timings: one `Stage -> ms` shape for a frame processor's report, the frame worker's per-frame figures and
 * the `stats` event's per-second means. Keys end in `Ms` because they are on the wire (stats) as such.
 */
import { z } from 'zod';

/** Every stage a frame's timings can name, in frame order. */
export const STAGES = ['decodeMs', 'segmentMs', 'peopleMs', 'styleMs', 'smoothMs', 'temporalMs', 'compositeMs', 'processMs', 'encodeMs', 'totalMs'] as const;
export type Stage = (typeof STAGES)[number];

/** `Stage -> ms`. `Always`: the stages always present; the others appear where their stage ran. */
export type StageTimings<Always extends Stage = Stage> = { [K in Always]: number } & { [K in Exclude<Stage, Always>]?: number };

/**
 * What a frame processor reports per frame (pipeline/processor.ts). `totalMs` is the processor's own time;
 * `peopleMs` (person selection) and `temporalMs` (temporal blending) appear where those stages ran.
 */
export const PROCESSOR_STAGES = ['segmentMs', 'styleMs', 'smoothMs', 'compositeMs', 'totalMs'] as const;
export type ProcessorTimings = StageTimings<(typeof PROCESSOR_STAGES)[number]>;

/**
 * What a live session reports: the processor's stages plus the frame worker's decode, process and encode. In the
 * `stats` event `totalMs` is the server time from the last RTP packet of a frame to its processed version being
 * handed to the network.
 */
export const SESSION_STAGES = ['decodeMs', 'segmentMs', 'styleMs', 'smoothMs', 'compositeMs', 'processMs', 'encodeMs', 'totalMs'] as const;
export type SessionTimings = StageTimings<(typeof SESSION_STAGES)[number]>;

/** All-zero timings with the given stages present. */
export function zeroTimings<const S extends readonly Stage[]>(stages: S): StageTimings<S[number]> {
  return Object.fromEntries(stages.map((stage) => [stage, 0])) as StageTimings<S[number]>;
}

const ms = z.number().nonnegative();
export const sessionTimingsSchema = z
  .object({
    decodeMs: ms,
    segmentMs: ms,
    peopleMs: ms.optional(),
    styleMs: ms,
    smoothMs: ms,
    temporalMs: ms.optional(),
    compositeMs: ms,
    processMs: ms,
    encodeMs: ms,
    totalMs: ms,
  })
  .strict() satisfies z.ZodType<SessionTimings>;
