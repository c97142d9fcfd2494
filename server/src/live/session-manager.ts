import { randomUUID } from 'node:crypto';
import { DeepPhotoError } from '../core/errors.ts';
import { InferenceOwner, wantsInferenceOwner } from '../runtime/inference-owner.ts';
import type { FrameWorker } from './frame-worker-client.ts';
import { Session, type SessionOptions } from './session.ts';

export interface SessionManagerOptions extends Omit<SessionOptions, 'id' | 'effect' | 'owner' | 'inference'> {
  maxSessions: number;
  /** Sessions one owner (token identity) may hold at once; default unlimited. */
  maxSessionsPerOwner?: number;
  /**
   * Frame workers kept started ahead of demand (0 or 1, default 0), so that a new session (joining a call) does
   * not wait for a worker to boot (0.5–2.5 s on a loaded 2-core machine). A spare is started only while the
   * limit leaves room for another session; it holds memory, not CPU.
   */
  spareWorkers?: number;
  /** The effect a spare worker starts with. */
  spareEffect?: SessionOptions['effect'];
}

/**
 * Owns the sessions; refuses beyond `maxSessions` with `busy`; `closeAll()` on shutdown. When the style providers
 * name a GPU it also owns the process's inference owner (one per GPU), which every session's worker connects to;
 * its thread starts with the first session and ends in `closeAll()`.
 */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  /** Sessions being created count against the limit too. */
  private starting = 0;
  private closed = false;
  private spare: { worker: Promise<FrameWorker | undefined>; effect: SessionOptions['effect'] } | undefined;

  private readonly inference: InferenceOwner | undefined;

  constructor(private readonly options: SessionManagerOptions) {
    if (!(options.maxSessions >= 1)) throw new TypeError('maxSessions must be at least 1');
    const runtime = options.processorConfig?.runtime;
    if (runtime && wantsInferenceOwner(runtime.providers.style)) this.inference = new InferenceOwner({ providers: runtime.providers.style, threads: runtime.threads });
    this.refillSpare();
  }

  /** Starts a spare worker when configured and the limit leaves room for one more session. */
  private refillSpare(): void {
    if (this.closed || this.spare || !(this.options.spareWorkers && this.options.spareWorkers > 0) || !this.options.spareEffect) return;
    if (this.sessions.size + this.starting >= this.options.maxSessions) return;
    const effect = this.options.spareEffect;
    this.spare = { effect, worker: Session.startWorker({ ...this.options, inference: this.inference, effect }).catch(() => undefined) };
  }

  /** Hands out the spare worker, if one is ready or starting. */
  private takeSpare(): { worker: Promise<FrameWorker | undefined>; effect: SessionOptions['effect'] } | undefined {
    const spare = this.spare;
    this.spare = undefined;
    return spare;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Spare workers held (started or starting), for tests and health checks. */
  get spares(): number {
    return this.spare ? 1 : 0;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Sessions (running or starting) per owner. */
  private readonly perOwner = new Map<string, number>();

  async create(effect: SessionOptions['effect'], owner = 'local'): Promise<Session> {
    if (this.closed) throw new DeepPhotoError('invalid_state', 'server is shutting down');
    const maxPerOwner = this.options.maxSessionsPerOwner ?? Infinity;
    if ((this.perOwner.get(owner) ?? 0) >= maxPerOwner) {
      throw new DeepPhotoError('busy', `"${owner}" already has ${maxPerOwner} live session(s); end one first`);
    }
    if (this.sessions.size + this.starting >= this.options.maxSessions) {
      throw new DeepPhotoError('busy', `the server runs its maximum of ${this.options.maxSessions} live session(s); try again later`);
    }
    this.starting++;
    this.perOwner.set(owner, (this.perOwner.get(owner) ?? 0) + 1);
    const release = () => {
      const n = (this.perOwner.get(owner) ?? 1) - 1;
      if (n <= 0) this.perOwner.delete(owner);
      else this.perOwner.set(owner, n);
    };
    let session: Session;
    try {
      const spare = this.takeSpare();
      const worker = await spare?.worker;
      const options = { ...this.options, inference: this.inference, id: randomUUID(), effect, owner };
      session = worker && spare ? await Session.adopt(options, worker, spare.effect) : await Session.create(options);
    } catch (error) {
      release();
      throw error;
    } finally {
      this.starting--;
    }
    this.refillSpare();
    session.once('close', release);
    if (this.closed) {
      await session.close('server shutting down');
      throw new DeepPhotoError('invalid_state', 'server is shutting down');
    }
    this.sessions.set(session.id, session);
    session.once('close', () => {
      this.sessions.delete(session.id);
      this.refillSpare();
    });
    return session;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const spare = this.takeSpare();
    await Promise.allSettled([
      ...[...this.sessions.values()].map((s) => s.close('server shutting down')),
      spare?.worker.then((w) => w?.close()),
    ]);
    this.sessions.clear();
    // After the sessions: their workers have let go of their ports by now.
    await this.inference?.close();
  }
}
