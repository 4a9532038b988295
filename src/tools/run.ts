import { execa } from 'execa';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import stripAnsi from 'strip-ansi';

/**
 * The one process runner (STYLE §4). Every child process of the tool — pg_dump, pg_restore, psql, initdb,
 * pg_ctl, operator-configured commands — starts here, so that streaming, cancellation, secrets and error
 * reporting are handled once.
 */

export type Stream = 'stdout' | 'stderr';

export interface RunOptions {
  cwd?: string;
  /** Extra environment. `undefined` values remove a variable inherited from this process. */
  env?: Record<string, string | undefined>;
  /** Called once per output line, ANSI stripped, without the newline. */
  onLine?: (line: string, stream: Stream) => void;
  /** Aborting sends SIGINT, then SIGTERM after `graceMs`, then SIGKILL after another `graceMs`. */
  signal?: AbortSignal;
  graceMs?: number;
  /** Text written to the child's stdin, which is then closed. Without it stdin is closed at once. */
  input?: string;
  timeoutMs?: number;
  /** Run as this uid/gid (used to run PostgreSQL server binaries as the postgres user when we are root). */
  uid?: number;
  gid?: number;
  /** Run through /bin/sh -c (only for operator-configured command strings). */
  shell?: boolean;
}

export interface RunResult {
  command: string;
  exitCode: number | null;
  signal: string | null;
  ok: boolean;
  aborted: boolean;
  timedOut: boolean;
  durationMs: number;
  /** The last lines of each stream, kept for error messages (STYLE §9: command, exit code, last stderr lines). */
  stdoutTail: string[];
  stderrTail: string[];
}

export interface Running {
  pid: number | undefined;
  result: Promise<RunResult>;
}

const TAIL = 40;

export class ToolNotFoundError extends Error {
  constructor(public readonly tool: string) {
    // Callers that run PostgreSQL tools say which package to install (pgbin); this says only what is missing.
    super(`${tool} was not found: no such file, and not on PATH (${process.env.PATH ?? 'PATH is empty'}).`);
    this.name = 'ToolNotFoundError';
  }
}

/** Start a child process. Never rejects for a non-zero exit: the caller reads `ok` and the tails. */
export function runTool(file: string, args: readonly string[], opts: RunOptions = {}): Running {
  const started = Date.now();
  const stdoutTail: string[] = [];
  const stderrTail: string[] = [];
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v === undefined) delete env[k];

  const child = execa(file, args, {
    cwd: opts.cwd,
    env: env as Record<string, string>,
    extendEnv: false,
    reject: false,
    stripFinalNewline: true,
    buffer: false,
    input: opts.input,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    uid: opts.uid,
    gid: opts.gid,
    shell: opts.shell ?? false,
    timeout: opts.timeoutMs,
    killSignal: 'SIGTERM',
    forceKillAfterDelay: opts.graceMs ?? 3000,
    windowsHide: true,
  });

  let aborted = false;
  const timers: NodeJS.Timeout[] = [];
  const onAbort = (): void => {
    if (aborted) return;
    aborted = true;
    const grace = opts.graceMs ?? 3000;
    child.kill('SIGINT');
    timers.push(setTimeout(() => child.kill('SIGTERM'), grace).unref());
    timers.push(setTimeout(() => child.kill('SIGKILL'), grace * 2).unref());
  };
  if (opts.signal) {
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener('abort', onAbort, { once: true });
  }

  const pump = (stream: Readable | null, name: Stream, tail: string[]): Promise<void> => {
    if (!stream) return Promise.resolve();
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    rl.on('line', (raw) => {
      const line = stripAnsi(raw);
      tail.push(line);
      if (tail.length > TAIL) tail.shift();
      opts.onLine?.(line, name);
    });
    return new Promise((resolve) => rl.once('close', () => resolve()));
  };
  const pumps = Promise.all([pump(child.stdout, 'stdout', stdoutTail), pump(child.stderr, 'stderr', stderrTail)]);

  const result = (async (): Promise<RunResult> => {
    const r = await child;
    await pumps;
    for (const t of timers) clearTimeout(t);
    opts.signal?.removeEventListener('abort', onAbort);
    const notFound = (r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(r.message ?? ''));
    if (r.failed && notFound && r.exitCode === undefined) throw new ToolNotFoundError(file);
    const exitCode = r.exitCode ?? null;
    return {
      command: [file, ...args].join(' '),
      exitCode,
      signal: r.signal ?? null,
      ok: exitCode === 0 && !aborted,
      aborted,
      timedOut: Boolean(r.timedOut),
      durationMs: Date.now() - started,
      stdoutTail,
      stderrTail,
    };
  })();

  return { pid: child.pid, result };
}

/** Run to completion and return the result (convenience for short commands such as `pg_dump --version`). */
export async function runToEnd(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runTool(file, args, opts).result;
}

/** One line that explains a failed command: what ran, how it ended, and its last stderr lines. */
export function describeFailure(r: RunResult, max = 5): string {
  const how = r.aborted
    ? 'was stopped'
    : r.timedOut
      ? 'timed out'
      : r.signal
        ? `was killed by ${r.signal}`
        : `exited with code ${r.exitCode}`;
  const tail = (r.stderrTail.length ? r.stderrTail : r.stdoutTail).slice(-max).join('\n  ');
  return `${r.command.split(' ')[0]} ${how}${tail ? `:\n  ${tail}` : ''}`;
}
