import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PG_LIB_ROOT, isExecutableFile, pgToolVersion } from '../tools/pgbin.js';
import { runTool, type RunOptions, type RunResult, type Running, type Stream } from '../tools/run.js';
import { scrub, type BackupEnv } from './env.js';

/**
 * Which pg_dump / pg_restore / psql talks to a given server (DESIGN §9.13: a pg_dump older than the server refuses
 * to dump it). The operator's PATH wins when its tool is new enough; otherwise the newest Debian-layout
 * `/usr/lib/postgresql/<N>/bin` tool with N ≥ the server's major. Checked before the maintenance window, not during.
 */

export type ClientToolName = 'pg_dump' | 'pg_restore' | 'psql';

export interface ClientTool {
  path: string;
  major: number;
  /** The tool's version line, e.g. `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  version: string;
}

export interface ToolCandidate extends ClientTool {
  from: 'PATH' | 'lib';
}

/** No usable client tool; the message names what was found, the server's version and the fix. */
export class ClientToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientToolError';
  }
}

/** The pure choice: PATH's tool when new enough, else the newest library tool that is. */
export function chooseClientTool(candidates: readonly ToolCandidate[], serverMajor: number): ToolCandidate | undefined {
  const onPath = candidates.find((c) => c.from === 'PATH');
  if (onPath && onPath.major >= serverMajor) return onPath;
  return candidates
    .filter((c) => c.from === 'lib' && c.major >= serverMajor)
    .sort((a, b) => b.major - a.major)[0];
}

/** What to tell the operator when nothing fits. */
export function noClientToolMessage(name: ClientToolName, serverMajor: number, found: readonly ToolCandidate[], serverVersion?: string): string {
  const server = serverVersion ? `PostgreSQL ${serverVersion}` : `PostgreSQL ${serverMajor}`;
  const seen = found.length
    ? `found ${found.map((c) => `${c.path} (${shortVersion(c.version) || `major ${c.major}`})`).join(', ')}`
    : 'none was found on PATH or under /usr/lib/postgresql';
  const why = name === 'pg_dump' ? ' A pg_dump older than the server refuses to dump it.' : '';
  return (
    `No ${name} of version ${serverMajor} or newer for the server (${server}): ${seen}.${why} ` +
    `Install postgresql-client-${serverMajor} (e.g. apt-get install postgresql-client-${serverMajor}), or put a ${name} ≥ ${serverMajor} first on PATH.`
  );
}

/** `pg_dump (PostgreSQL) 15.18 (Debian …)` → `15.18`. */
export function shortVersion(versionLine: string): string {
  return /\(PostgreSQL\)\s+(\S+)/.exec(versionLine)?.[1] ?? versionLine.trim();
}


/** The first PATH entry holding the tool. Relative entries are skipped, as in pgbin: the working directory is not trusted. */
function firstOnPath(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function libTools(name: string, libRoot: string): string[] {
  let names: string[];
  try {
    names = readdirSync(libRoot);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+(\.\d+)?$/.test(n))
    .map((n) => path.join(libRoot, n, 'bin', name))
    .filter(isExecutableFile);
}

async function describeTool(file: string, from: ToolCandidate['from']): Promise<ToolCandidate | undefined> {
  try {
    const v = await pgToolVersion(file);
    return { path: file, major: v.major, version: v.text, from };
  } catch {
    // A file that does not answer --version like PostgreSQL's tool is not a candidate.
    return undefined;
  }
}

/** Every candidate, PATH's first. */
export async function clientToolCandidates(name: ClientToolName, pathEnv: string, libRoot = DEFAULT_PG_LIB_ROOT): Promise<ToolCandidate[]> {
  const out: ToolCandidate[] = [];
  const onPath = firstOnPath(name, pathEnv);
  if (onPath) {
    const c = await describeTool(onPath, 'PATH');
    if (c) out.push(c);
  }
  for (const file of libTools(name, libRoot)) {
    if (file === onPath) continue;
    const c = await describeTool(file, 'lib');
    if (c) out.push(c);
  }
  return out;
}

/**
 * The client tool for a server of this major version. `serverMajor` 0 means "any" (e.g. reading an archive whose
 * origin is unknown). Throws ClientToolError naming what was found and what to install.
 */
export async function pickClientTool(
  name: ClientToolName,
  serverMajor: number,
  pathEnv: string,
  opts: { libRoot?: string; serverVersion?: string } = {},
): Promise<ClientTool> {
  const candidates = await clientToolCandidates(name, pathEnv, opts.libRoot);
  const chosen = chooseClientTool(candidates, serverMajor);
  if (!chosen) throw new ClientToolError(noClientToolMessage(name, serverMajor, candidates, opts.serverVersion));
  return { path: chosen.path, major: chosen.major, version: chosen.version };
}

/** pickClientTool with the environment's PATH and library root. */
export function pickFor(env: BackupEnv, name: ClientToolName, serverMajor: number, serverVersion?: string): Promise<ClientTool> {
  return pickClientTool(name, serverMajor, env.pathEnv, { ...(env.pgLibRoot ? { libRoot: env.pgLibRoot } : {}), ...(serverVersion ? { serverVersion } : {}) });
}

export interface PgToolRunOptions {
  /** Another database of the same server (PGDATABASE); default the target's. */
  database?: string;
  /** More environment on top of env.childEnv (e.g. PGOPTIONS). */
  env?: Record<string, string | undefined>;
  onLine?: (line: string, stream: Stream) => void;
  signal?: AbortSignal;
  input?: string;
  timeoutMs?: number;
  graceMs?: number;
}

/**
 * Run a PostgreSQL client tool with the child environment (PG* and the 0600 PGPASSFILE: nothing secret in argv),
 * every output line and the result's tails scrubbed of secrets before anyone sees them.
 */
export function runPgTool(env: BackupEnv, file: string, args: readonly string[], opts: PgToolRunOptions = {}): Running {
  const run: RunOptions = {
    env: { ...env.childEnv, ...(opts.database !== undefined ? { PGDATABASE: opts.database } : {}), ...opts.env },
  };
  if (opts.onLine) {
    const onLine = opts.onLine;
    run.onLine = (line, stream) => onLine(scrub(env, line), stream);
  }
  if (opts.signal) run.signal = opts.signal;
  if (opts.input !== undefined) run.input = opts.input;
  if (opts.timeoutMs !== undefined) run.timeoutMs = opts.timeoutMs;
  if (opts.graceMs !== undefined) run.graceMs = opts.graceMs;
  const running = runTool(file, args, run);
  return { pid: running.pid, result: running.result.then((r) => scrubResult(env, r)) };
}

function scrubResult(env: BackupEnv, r: RunResult): RunResult {
  return {
    ...r,
    command: scrub(env, r.command),
    stdoutTail: r.stdoutTail.map((l) => scrub(env, l)),
    stderrTail: r.stderrTail.map((l) => scrub(env, l)),
  };
}

/** A command as shown to the operator: the tool's short name and its arguments, quoted where a shell would need it. */
export function showCommand(file: string, args: readonly string[]): string {
  return [path.basename(file), ...args].map(shellQuote).join(' ');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
