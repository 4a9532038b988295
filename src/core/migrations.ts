import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Migration files as data (sql/migrations/README.md, "File conventions"): discovery, headers, statement
 * splitting, checksums and the rules checked before anything runs. Pure apart from reading the directory;
 * the runner that talks to PostgreSQL lives in src/db/migrate/.
 */

export const DIRECTIVES = ['no-transaction', 'repeat-until-zero-rows'] as const;
export type Directive = (typeof DIRECTIVES)[number];

export interface Statement {
  text: string;
  /** 1-based line in the file where the statement starts. */
  line: number;
}

export interface SqlFile {
  path: string;
  text: string;
  /** sha256 of the text with CRLF normalised to LF (a checkout on Windows is not drift). */
  sha256: string;
  directives: Directive[];
}

export interface Migration {
  /** `0001` — the order key, compared numerically. */
  version: string;
  name: string;
  up: SqlFile;
  down?: SqlFile;
  verify?: SqlFile;
}

export class MigrationFileError extends Error {
  constructor(
    message: string,
    public readonly file: string,
    public readonly line?: number,
  ) {
    super(message);
    this.name = 'MigrationFileError';
  }
}

const FILE_RE = /^(\d{4,})_([a-z0-9_]+)\.(up|down|verify)\.sql$/;
const HEADER_RE = /^-- runbook: ([a-z-]+)$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/** The `-- runbook: <directive>` lines of the leading comment block. An unknown directive refuses the file. */
export function parseDirectives(text: string, file: string): Directive[] {
  const out: Directive[] = [];
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trimEnd();
    if (line.trim() === '') continue;
    if (!line.startsWith('--')) break;
    if (/^--\s*runbook:/i.test(line)) {
      const m = HEADER_RE.exec(line);
      const d = m?.[1];
      if (!d || !(DIRECTIVES as readonly string[]).includes(d)) {
        throw new MigrationFileError(
          `${path.basename(file)} line ${i + 1}: unknown header "${line}". Known: ${DIRECTIVES.map((x) => `-- runbook: ${x}`).join(', ')}. ` +
            'The engine refuses files it does not fully understand.',
          file,
          i + 1,
        );
      }
      out.push(d as Directive);
    }
  }
  return out;
}

/**
 * Split a no-transaction file into statements: a statement ends at a line whose last non-blank character is
 * `;`; lines starting with `--` are comments and never end one (the README's contract).
 */
export function splitStatements(text: string): Statement[] {
  const out: Statement[] = [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let buf: string[] = [];
  let start = 0;
  lines.forEach((raw, i) => {
    const trimmed = raw.trim();
    if (buf.length === 0 && (trimmed === '' || trimmed.startsWith('--'))) return;
    if (buf.length === 0) start = i + 1;
    buf.push(raw);
    if (!trimmed.startsWith('--') && trimmed.endsWith(';')) {
      out.push({ text: buf.join('\n'), line: start });
      buf = [];
    }
  });
  const rest = buf.filter((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  if (rest.length) out.push({ text: buf.join('\n'), line: start });
  return out;
}

/** Comments and string literals removed: what the rules below look at (a `--` comment may say CONCURRENTLY). */
export function codeOnly(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (c === "'") {
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
      out += "''";
    } else if (c === '$') {
      const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i));
      if (m) {
        const end = text.indexOf(m[0], i + m[0].length);
        i = end < 0 ? text.length : end + m[0].length;
        out += "''";
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The rules checked before anything runs; every problem at once. */
export function fileProblems(f: SqlFile, kind: 'up' | 'down' | 'verify'): string[] {
  const name = path.basename(f.path);
  const problems: string[] = [];
  const code = codeOnly(f.text);
  const noTx = f.directives.includes('no-transaction');
  // Look at how each statement starts (comments and literals removed). `BEGIN ATOMIC … END` bodies are fine; a
  // bare END can close one, so only END WORK / END TRANSACTION count.
  const starts = code.split(';').map((x) => x.trim());
  if (starts.some((x) => /^(BEGIN(?!\s+ATOMIC\b)|START\s+TRANSACTION|COMMIT|END\s+(WORK|TRANSACTION)|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\b/i.test(x))) {
    problems.push(`${name}: contains transaction control (BEGIN/COMMIT/ROLLBACK/SAVEPOINT); the engine owns transactions — remove it.`);
  }
  if (starts.some((x) => /^(SET|RESET)\b/i.test(x))) {
    problems.push(`${name}: contains SET or RESET; session settings (lock_timeout, statement_timeout, search_path) are the engine's — remove it.`);
  }
  if (/^\s*\\/m.test(code)) problems.push(`${name}: contains a psql meta-command (a line starting with \\); the engine does not run psql.`);
  if (kind === 'verify') {
    if (f.directives.length) problems.push(`${name}: a verify file takes no "-- runbook:" headers.`);
    return problems;
  }
  if (!noTx && /\bCONCURRENTLY\b/i.test(code)) {
    problems.push(
      `${name}: uses CONCURRENTLY but runs in one transaction, where PostgreSQL refuses it. ` +
        'Put concurrent index builds in a file of their own headed "-- runbook: no-transaction".',
    );
  }
  if (noTx) {
    const stmts = splitStatements(f.text);
    if (stmts.length === 0) problems.push(`${name}: holds no statement.`);
    const concurrent = stmts.filter((s) => /\bCONCURRENTLY\b/i.test(codeOnly(s.text)));
    if (concurrent.length > 0 && concurrent.length < stmts.length) {
      const other = stmts.find((s) => !/\bCONCURRENTLY\b/i.test(codeOnly(s.text)));
      problems.push(
        `${name}: mixes CONCURRENTLY index statements with other statements (line ${other?.line}). ` +
          'A file with concurrent builds holds nothing else, so that a failure can only leave an INVALID index behind.',
      );
    }
  }
  if (f.directives.includes('repeat-until-zero-rows')) {
    if (!noTx) problems.push(`${name}: "repeat-until-zero-rows" needs "-- runbook: no-transaction" too (each batch commits on its own).`);
    const stmts = splitStatements(f.text);
    const dml = stmts.length === 1 && /\b(INSERT|UPDATE|DELETE)\b/i.test(codeOnly(stmts[0]?.text ?? ''));
    if (!dml) problems.push(`${name}: "repeat-until-zero-rows" needs exactly one INSERT, UPDATE or DELETE statement (found ${stmts.length} statements).`);
  }
  return problems;
}

async function readSqlFile(file: string): Promise<SqlFile> {
  const text = await readFile(file, 'utf8');
  return { path: file, text, sha256: sha256(text), directives: parseDirectives(text, file) };
}

/**
 * The migrations in a directory, in version order, every file checked. Problems in any file refuse the
 * whole set before anything runs (flyway's validate-on-migrate): a half-understood set is not applied.
 */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new MigrationFileError(`Cannot read the migrations directory ${dir}: ${(e as Error).message}`, dir);
  }
  const byVersion = new Map<string, { name: string; files: Partial<Record<'up' | 'down' | 'verify', string>> }>();
  const problems: string[] = [];
  for (const n of names.sort()) {
    if (!n.endsWith('.sql')) continue;
    const m = FILE_RE.exec(n);
    if (!m) {
      problems.push(`${n}: not a migration file name (NNNN_name.up.sql, .down.sql or .verify.sql).`);
      continue;
    }
    const [, version = '', name = '', kind = 'up'] = m;
    const same = [...byVersion.keys()].find((v) => v !== version && Number(v) === Number(version));
    if (same) problems.push(`${n}: version ${version} is the same number as ${same}; versions must differ.`);
    const entry = byVersion.get(version) ?? { name, files: {} };
    if (entry.name !== name) problems.push(`${n}: version ${version} is already used by "${entry.name}".`);
    entry.files[kind as 'up' | 'down' | 'verify'] = path.join(dir, n);
    byVersion.set(version, entry);
  }
  const out: Migration[] = [];
  for (const [version, { name, files }] of [...byVersion].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    if (!files.up) {
      problems.push(`${version}_${name}: has no .up.sql file.`);
      continue;
    }
    try {
      const mig: Migration = { version, name, up: await readSqlFile(files.up) };
      if (files.down) mig.down = await readSqlFile(files.down);
      if (files.verify) mig.verify = await readSqlFile(files.verify);
      problems.push(...fileProblems(mig.up, 'up'));
      if (mig.down) problems.push(...fileProblems(mig.down, 'down'));
      if (mig.verify) problems.push(...fileProblems(mig.verify, 'verify'));
      out.push(mig);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) {
    throw new MigrationFileError(`The migration files in ${dir} are not safe to run:\n  - ${problems.join('\n  - ')}`, dir);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// State, status and plans

/** What the tracking table says about one version. */
export interface AppliedRecord {
  version: string;
  name: string;
  sha256: string;
  /** applied: done. failed: the last attempt failed. running: started and never finished (a no-transaction file). */
  state: 'applied' | 'failed' | 'running';
  appliedAt?: string;
  appliedBy?: string;
  durationMs?: number;
  error?: string;
}

export type MigrationState = 'applied' | 'pending' | 'failed' | 'interrupted' | 'drift' | 'missing-file';

export interface StatusRow {
  version: string;
  name: string;
  state: MigrationState;
  appliedAt?: string;
  appliedBy?: string;
  durationMs?: number;
  /** Drift: both checksums; failed: the error. */
  detail?: string;
}

/** Disk × tracking table → one row per version. */
export function migrationStatus(files: readonly Migration[], applied: readonly AppliedRecord[]): StatusRow[] {
  const rec = new Map(applied.map((a) => [a.version, a]));
  const rows: StatusRow[] = [];
  for (const m of files) {
    const a = rec.get(m.version);
    rec.delete(m.version);
    if (!a) {
      rows.push({ version: m.version, name: m.name, state: 'pending' });
      continue;
    }
    const base = { version: m.version, name: m.name, appliedAt: a.appliedAt, appliedBy: a.appliedBy, durationMs: a.durationMs };
    if (a.state === 'applied' && a.sha256 !== m.up.sha256) {
      rows.push({ ...base, state: 'drift', detail: `applied ${short(a.sha256)}, on disk ${short(m.up.sha256)}` });
    } else if (a.state === 'applied') rows.push({ ...base, state: 'applied' });
    else if (a.state === 'failed') rows.push({ ...base, state: 'failed', detail: a.error });
    else rows.push({ ...base, state: 'interrupted', detail: 'started and never finished (the process was killed or lost its connection)' });
  }
  for (const a of rec.values()) {
    rows.push({ version: a.version, name: a.name, state: 'missing-file', appliedAt: a.appliedAt, appliedBy: a.appliedBy, detail: 'applied, but its file is gone from disk' });
  }
  return rows.sort((x, y) => Number(x.version) - Number(y.version));
}

export function short(sha: string): string {
  return sha.slice(0, 12);
}

export interface MigrationRequest {
  /** The directory holding the NNNN_name.{up,down,verify}.sql files. */
  dir: string;
  direction: 'up' | 'down';
  /** up: apply through this version (inclusive). down: roll back every version above this one (0 = all). */
  to?: string;
  /** Apply or roll back exactly these versions (hot-migrate phases). */
  only?: readonly string[];
  lockTimeoutMs: number;
  /** statement_timeout for DDL; the last attempt is never without a timeout. */
  statementTimeoutMs: number;
  /** Timeout for concurrent index builds (no-transaction files), where lock_timeout is 0. */
  concurrentTimeoutMs: number;
  retries: number;
  /** How long to wait for another migrator's advisory lock before giving up. */
  lockWaitMs: number;
  /** Pause between batches of a repeat-until-zero-rows file (replication lag, autovacuum). */
  batchPauseMs: number;
  maxBatches?: number;
  dryRun: boolean;
  runId?: string;
  operator: string;
}

/**
 * Which files to run, in which order, or why not. Drift and missing files refuse everything (the operator
 * must look); a failed or interrupted version is pending again (its file is written to be re-run).
 */
export function planMigrations(
  files: readonly Migration[],
  status: readonly StatusRow[],
  req: Pick<MigrationRequest, 'direction' | 'to' | 'only'>,
  /** A dry run of one phase of several (hot-migrate): the earlier phases would have applied the gap by then. */
  opts: { allowGap?: boolean } = {},
): { ok: true; steps: { migration: Migration; file: SqlFile; rerun: boolean }[] } | { ok: false; error: string } {
  const drift = status.filter((s) => s.state === 'drift');
  if (drift.length) {
    const lines = drift.map((d) => {
      const m = files.find((f) => f.version === d.version);
      return `${m ? path.basename(m.up.path) : d.version}: ${d.detail}`;
    });
    return {
      ok: false,
      error:
        `Refused: ${drift.length === 1 ? 'an applied migration file has' : `${drift.length} applied migration files have`} changed on disk since it was applied (drift):\n  ${lines.join('\n  ')}\n` +
        'Restore the file as it was applied (git log/checkout), or write the change as a new migration. Never edit an applied migration.',
    };
  }
  // An applied version whose files are gone: the files on disk are not what this database was migrated with
  // (a wrong checkout, a deleted file). Neither direction is safe until the operator looks.
  const missing = status.filter((s) => s.state === 'missing-file');
  if (missing.length) {
    return {
      ok: false,
      error:
        `Refused: ${missing.map((m) => `${m.version}_${m.name}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} applied to this database but not on disk. ` +
        'Check out the migration files this database was migrated with (parlant-runbook status lists what is applied).',
    };
  }
  const byVersion = new Map(files.map((f) => [f.version, f]));
  const wanted = (v: string): boolean => (req.only ? req.only.includes(v) : true);
  if (req.only) {
    const unknown = req.only.filter((v) => !byVersion.has(v));
    if (unknown.length) return { ok: false, error: `Unknown migration version ${unknown.join(', ')}; known: ${files.map((f) => f.version).join(', ')}.` };
  }
  if (req.to !== undefined && req.to !== '0' && !byVersion.has(req.to)) {
    return { ok: false, error: `Unknown migration version ${req.to}; known: ${files.map((f) => f.version).join(', ')}.` };
  }
  const steps: { migration: Migration; file: SqlFile; rerun: boolean }[] = [];
  if (req.direction === 'up') {
    for (const s of status) {
      const m = byVersion.get(s.version);
      if (!m || s.state === 'applied' || s.state === 'missing-file' || !wanted(s.version)) continue;
      if (req.to !== undefined && Number(s.version) > Number(req.to)) continue;
      steps.push({ migration: m, file: m.up, rerun: s.state === 'failed' || s.state === 'interrupted' });
    }
    // Never apply past a gap: an earlier pending version that was not asked for would be skipped.
    const first = steps[0];
    if (first && req.only && !opts.allowGap) {
      const earlier = status.find((s) => Number(s.version) < Number(first.migration.version) && s.state !== 'applied' && !req.only?.includes(s.version));
      if (earlier) return { ok: false, error: `Refused: ${earlier.version}_${earlier.name} is ${earlier.state}; apply it before ${first.migration.version}.` };
    }
  } else {
    for (const s of [...status].reverse()) {
      const m = byVersion.get(s.version);
      if (!m || s.state === 'pending' || !wanted(s.version)) continue;
      // A transactional file whose last up failed was rolled back whole by the server: there is nothing of it
      // to undo, and its down file would fail on objects that were never created.
      if (s.state === 'failed' && !m.up.directives.includes('no-transaction')) continue;
      if (req.to !== undefined && Number(s.version) <= Number(req.to)) continue;
      if (!m.down) return { ok: false, error: `Refused: ${m.version}_${m.name} has no down file; it cannot be rolled back by script — restore from a backup instead.` };
      steps.push({ migration: m, file: m.down, rerun: false });
    }
  }
  return { ok: true, steps };
}

/** A verify row after a down is fine when it only says something is missing (or workspaces lack an agent). */
export function isAbsenceProblem(problem: string): boolean {
  return /^missing\b/.test(problem) || problem === 'workspaces without an agent';
}

// ---------------------------------------------------------------------------------------------------------
// Events: what the runner tells the step (and so the screen and the journal) while it works

export interface LockHolder {
  pid: number;
  applicationName: string;
  clientAddr: string | null;
  state: string | null;
  since: string | null;
  query: string | null;
}

export interface Blocker {
  pid: number;
  applicationName: string;
  state: string | null;
  /** Seconds since the blocker's transaction began (or its query, outside a transaction). */
  ageSeconds: number | null;
  query: string | null;
}

/** `pid 4121 (sim-web) idle in transaction for 38s: UPDATE workspace …` — for messages and prompts. */
export function describeBlocker(b: Blocker): string {
  const age = b.ageSeconds !== null ? ` for ${b.ageSeconds}s` : '';
  return `pid ${b.pid} (${b.applicationName || 'no application_name'}) ${b.state ?? ''}${age}${b.query ? `: ${oneLine(b.query).slice(0, 60)}` : ''}`;
}

/** SQL on one line, comments and literals blanked, cut to 120 characters. */
export function oneLine(sql: string): string {
  return codeOnly(sql).replace(/\s+/g, ' ').trim().slice(0, 120);
}

export type MigrationEvent =
  | { type: 'lock-wait'; holder?: LockHolder; waitedMs: number }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'plan'; files: string[]; direction: 'up' | 'down' }
  | { type: 'file-start'; version: string; name: string; file: string; mode: 'transaction' | 'statements' | 'batches'; attempt: number }
  | { type: 'statement'; file: string; index: number; total: number; summary: string; ms: number }
  | { type: 'radar'; file: string; waitingMs: number; blockers: Blocker[]; queued: number }
  | { type: 'retry'; file: string; attempt: number; of: number; delayMs: number; reason: string }
  /** The operator chose to cancel or terminate a blocker: whether the server did it, and why not. */
  | { type: 'signalled'; pid: number; action: 'cancel' | 'terminate'; ok: boolean; detail?: string }
  | { type: 'batch'; file: string; batch: number; rows: number; total: number; ms: number }
  | { type: 'invalid-index'; index: string; action: 'dropped' | 'found' }
  | { type: 'file-done'; version: string; file: string; ms: number }
  | { type: 'verify'; file: string; problems: { problem: string; object: string; detail: string }[] }
  | { type: 'dry-run'; file: string; statements: { line: number; text: string; locks: string }[] };

export interface MigrationOutcome {
  ok: boolean;
  applied: string[];
  /** Human summary: "Applied 0001, 0002, 0003 in 4.2 s" / "Nothing to do: all 3 applied". */
  summary: string;
  /** On failure: file, statement, line and column, server message, and what state the database is in. */
  error?: string;
  advice?: string;
  refused?: boolean;
  aborted?: boolean;
}

/** What to do when lock_timeout retries are used up and the radar names the sessions in the way. */
export type BlockerAction = 'wait' | 'cancel' | 'terminate' | 'stop';

export interface MigrationPort {
  status(dir: string): Promise<{ rows: StatusRow[]; tracking: boolean }>;
  run(
    req: MigrationRequest,
    on: (e: MigrationEvent) => void,
    signal: AbortSignal,
    onBlocked?: (blockers: Blocker[], file: string) => Promise<BlockerAction>,
  ): Promise<MigrationOutcome>;
}
