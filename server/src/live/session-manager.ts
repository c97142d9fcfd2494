import { randomUUID } from 'node:crypto';
import { LiveError } from './errors.ts';
import { Session, type SessionOptions } from './session.ts';

export interface SessionManagerOptions extends Omit<SessionOptions, 'id' | 'effect' | 'owner'> {
  maxSessions: number;
  /** Sessions one owner (token identity) may hold at once; default unlimited. */
  maxSessionsPerOwner?: number;
}

/** Owns the sessions; refuses beyond `maxSessions` with `busy`; `closeAll()` on shutdown. */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  /** Sessions being created count against the limit too. */
  private starting = 0;
  private closed = false;

  constructor(private readonly options: SessionManagerOptions) {
    if (!(options.maxSessions >= 1)) throw new TypeError('maxSessions must be at least 1');
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  /** Sessions (running or starting) per owner. */
  private readonly perOwner = new Map<string, number>();

  async create(effect: SessionOptions['effect'], owner = 'local'): Promise<Session> {
    if (this.closed) throw new LiveError('invalid_state', 'server is shutting down');
    const maxPerOwner = this.options.maxSessionsPerOwner ?? Infinity;
    if ((this.perOwner.get(owner) ?? 0) >= maxPerOwner) {
      throw new LiveError('busy', `"${owner}" already has ${maxPerOwner} live session(s); end one first`);
    }
    if (this.sessions.size + this.starting >= this.options.maxSessions) {
      throw new LiveError('busy', `the server runs its maximum of ${this.options.maxSessions} live session(s); try again later`);
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
      session = await Session.create({ ...this.options, id: randomUUID(), effect, owner });
    } catch (error) {
      release();
      throw error;
    } finally {
      this.starting--;
    }
    session.once('close', release);
    if (this.closed) {
      await session.close('server shutting down');
      throw new LiveError('invalid_state', 'server is shutting down');
    }
    this.sessions.set(session.id, session);
    session.once('close', () => this.sessions.delete(session.id));
    return session;
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.sessions.values()].map((s) => s.close('server shutting down')));
    this.sessions.clear();
  }
}
