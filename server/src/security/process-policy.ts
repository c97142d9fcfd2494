/**
 * What happens to an error no call handled. Every per-call async path has its own handler (sessions, workers,
 * signaling), so anything reaching the process is a bug whose effect on shared state is unknown. The policy:
 * log it with context, close the server within a deadline (finalizing recordings, freeing workers and children),
 * and exit with code 70 (EX_SOFTWARE) so that a supervisor (systemd `Restart=on-failure`, Docker
 * `--restart=on-failure`) restarts a clean process. Serving on from unknown state is not an option we take.
 */
export interface ProcessPolicyOptions {
  /** Closes the server (idempotent). */
  shutdown: () => Promise<void>;
  log?: (message: string) => void;
  /** Give up finalizing after this long. */
  deadlineMs?: number;
  exit?: (code: number) => void;
  target?: NodeJS.Process;
}

export const FATAL_EXIT_CODE = 70;

/** Installs the handlers; returns a function that removes them. */
export function installProcessPolicy(options: ProcessPolicyOptions): () => void {
  const target = options.target ?? process;
  const log = options.log ?? ((m: string) => console.error(m));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let fatal = false;
  const onFatal = (kind: string) => (error: unknown) => {
    const detail = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    log(`[fatal] ${kind} (pid ${process.pid}, uptime ${Math.round(process.uptime())} s): ${detail}`);
    if (fatal) return; // a second error during shutdown: the first one is already being handled
    fatal = true;
    log('[fatal] closing live sessions and finalizing recordings, then exiting for the supervisor to restart');
    const deadline = setTimeout(() => exit(FATAL_EXIT_CODE), options.deadlineMs ?? 10_000);
    deadline.unref();
    options.shutdown().then(
      () => exit(FATAL_EXIT_CODE),
      () => exit(FATAL_EXIT_CODE),
    );
  };
  const onException = onFatal('uncaught exception');
  const onRejection = onFatal('unhandled rejection');
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}
