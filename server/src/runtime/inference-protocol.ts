/**
 * What a session says to the inference owner over its MessagePort (see inference-owner.ts), and the owner's
 * checks of it. Tensors never travel in messages: the session owns two SharedArrayBuffers per size (input and
 * output float32 tensors) and the messages only name them, so a frame crosses the thread boundary without a copy.
 */
import type { SerializedError } from '../core/errors.ts';
import type { ExecutionProvider } from './providers.ts';

/** Session → owner. */
export type ClientMessage =
  /** Load (once per owner) the batched copy of a model; answered with the provider it runs on. */
  | { type: 'load'; id: number; modelId: string }
  /**
   * Run one frame: `input` holds `dims` float32 values (dims[0] = 1); the owner writes the frame's output (same
   * number of values: the style nets keep the input's shape) into `output`, then answers.
   */
  | { type: 'run'; id: number; modelId: string; input: SharedArrayBuffer; dims: number[]; output: SharedArrayBuffer };

/** Owner → session. */
export type OwnerMessage =
  | { type: 'loaded'; id: number; provider: ExecutionProvider }
  /** `ms`: the batch's model run; `batch`: how many frames (of all sessions) it held. */
  | { type: 'ran'; id: number; ms: number; batch: number }
  | { type: 'failed'; id: number; error: SerializedError };

const MAX_VALUES = 4 * 3 * 2160 * 3840; // a 4K frame in float32, with room: anything larger is a bug, not a frame

/** A clear reason when a message from a session is malformed; undefined when it is fine. */
export function invalidClientMessage(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return 'message is not an object';
  const m = message as Partial<Record<string, unknown>>;
  if (typeof m.id !== 'number' || !Number.isInteger(m.id)) return 'message has no integer id';
  if (typeof m.modelId !== 'string' || m.modelId.length === 0) return 'message has no modelId';
  if (m.type === 'load') return undefined;
  if (m.type !== 'run') return `unknown message type ${String(m.type)}`;
  if (!(m.input instanceof SharedArrayBuffer) || !(m.output instanceof SharedArrayBuffer)) return 'run: input and output must be SharedArrayBuffers';
  const dims = m.dims;
  if (!Array.isArray(dims) || dims.length === 0 || !dims.every((d) => Number.isInteger(d) && (d as number) > 0)) return 'run: dims must be positive integers';
  if (dims[0] !== 1) return `run: one frame per message (dims[0] = 1, got ${String(dims[0])})`;
  const values = (dims as number[]).reduce((a, b) => a * b, 1);
  if (values > MAX_VALUES) return `run: ${values} values is more than a frame`;
  if (m.input.byteLength !== values * 4) return `run: input holds ${m.input.byteLength / 4} values, dims ${dims.join('x')} need ${values}`;
  if (m.output.byteLength !== values * 4) return `run: output must hold ${values} values (the input's shape), holds ${m.output.byteLength / 4}`;
  return undefined;
}
