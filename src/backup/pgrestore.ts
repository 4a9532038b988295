import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmitBackup } from '../core/backup.js';
import { describeFailure } from '../tools/run.js';
import { type BackupEnv } from './env.js';
import { parseTableName } from './counts.js';
import { listFiles } from './manifest.js';
import { initialRestoreProgress, parseToolLine, reduceRestore, restoreDone } from './progress.js';
import { pickFor, showCommand, runPgTool } from './tools.js';

/**
 * The low-level pg_restore runner shared by verification (the trial restore) and the restore engine. It never
 * reports a restore that hit an error as a success (DESIGN §9.12): --exit-on-error always, every error line kept,
 * ok only when the exit code is 0 *and* no error line was printed.
 */

export interface PgRestoreOptions {
  jobs?: number;
  /** --no-owner --no-privileges: everything belongs to the restoring role (scratch databases, missing roles). */
  noOwner?: boolean;
  /** Only these tables (schema.table or bare = public): their definition and data, nothing that depends on them. */
  tables?: string[];
  dataOnly?: boolean;
  schemaOnly?: boolean;
  /** Leave out FOREIGN KEY constraints (e.g. a chosen-tables archive whose FKs point at tables it does not hold). */
  skipForeignKeys?: boolean;
  /** The lowest pg_restore major that can read the archive (its pg_dump's major); default any. */
  minMajor?: number;
}

export interface PgRestoreResult {
  ok: boolean;
  aborted: boolean;
  /** pg_restore's error lines and the lines that explain them (Command was: …), in order. */
  errors: string[];
  ms: number;
  failure?: string;
}

export interface PgRestoreList {
  ok: boolean;
  /** Entries `pg_restore --list` prints (comment lines excluded). */
  entries: number;
  /** "schema.table" of every TABLE DATA entry. */
  tableData: string[];
  failure?: string;
}

/** Session settings that speed a restore up more than -j does on small machines (DESIGN §11). */
export const RESTORE_PGOPTIONS = '-c synchronous_commit=off -c maintenance_work_mem=256MB';

const MAX_ERROR_LINES = 200;
/** Lines kept after each error line (the failed command can be a whole CREATE TABLE). */
const CONTEXT_LINES = 12;
const PROGRESS_EVERY_MS = 500;

/** A database name as pg_restore's --dbname: bare when libpq would not read it as a connection string. */
export function dbnameArg(database: string): string {
  if (!database.includes('=') && !/^postgres(ql)?:\/\//i.test(database)) return `--dbname=${database}`;
  return `--dbname=dbname='${database.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** PGOPTIONS for the restore session: the operator's own first, ours after. */
export function restorePgOptions(existing: string | undefined): string {
  return [existing?.trim(), RESTORE_PGOPTIONS].filter((s) => s).join(' ');
}

/** The argument list (exported for tests and for showing the command). */
export function pgRestoreArgs(archive: string, database: string, opts: PgRestoreOptions, listFile?: string): string[] {
  const args = ['--verbose', '--exit-on-error', '--no-password', dbnameArg(database)];
  if ((opts.jobs ?? 1) > 1) args.push(`--jobs=${opts.jobs}`);
  if (opts.noOwner) args.push('--no-owner', '--no-privileges');
  if (opts.dataOnly) args.push('--data-only');
  if (opts.schemaOnly) args.push('--schema-only');
  if (listFile) args.push(`--use-list=${listFile}`);
  if (opts.tables?.length) {
    // pg_restore matches -n and -t separately: tables of several schemas restore any chosen name in any chosen schema.
    const refs = opts.tables.map(parseTableName);
    for (const s of [...new Set(refs.map((r) => r.schema))]) args.push(`--schema=${s}`);
    for (const r of refs) args.push(`--table=${r.table}`);
  }
  args.push(archive);
  return args;
}

/** Bytes a process has read so far (Linux /proc; 0 where it cannot be read). */
export async function bytesRead(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  try {
    const io = await readFile(`/proc/${pid}/io`, 'utf8');
    return Number(/^rchar:\s*(\d+)/m.exec(io)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

interface RawList {
  ok: boolean;
  lines: string[];
  failure?: string;
}

async function listLines(env: BackupEnv, archive: string, signal?: AbortSignal, minMajor = 0): Promise<RawList> {
  let tool;
  try {
    tool = await pickFor(env, 'pg_restore', minMajor);
  } catch (e) {
    return { ok: false, lines: [], failure: (e as Error).message };
  }
  const lines: string[] = [];
  const r = await runPgTool(env, tool.path, ['--list', archive], {
    onLine: (l, stream) => {
      if (stream === 'stdout') lines.push(l);
    },
    ...(signal ? { signal } : {}),
  }).result;
  if (!r.ok) return { ok: false, lines, failure: describeFailure(r) };
  return { ok: true, lines };
}

const isEntry = (l: string): boolean => l.trim() !== '' && !l.startsWith(';');

/** `pg_restore --list`: does the archive's table of contents read, how many entries, which tables have data. */
export async function pgRestoreList(env: BackupEnv, archive: string, signal?: AbortSignal, opts: { minMajor?: number } = {}): Promise<PgRestoreList> {
  const raw = await listLines(env, archive, signal, opts.minMajor);
  const entries = raw.lines.filter(isEntry);
  const tableData = entries.flatMap((l) => {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (.+) (\S+)$/.exec(l);
    return m ? [`${m[1]}.${m[2]}`] : [];
  });
  return { ok: raw.ok, entries: entries.length, tableData, ...(raw.failure ? { failure: raw.failure } : {}) };
}

/** A --use-list file without FK constraints; in a private temporary directory that the caller removes. */
async function listWithoutForeignKeys(env: BackupEnv, archive: string, signal: AbortSignal, minMajor: number): Promise<{ file?: string; dir?: string; failure?: string }> {
  const raw = await listLines(env, archive, signal, minMajor);
  if (!raw.ok) return { failure: raw.failure ?? 'pg_restore --list failed' };
  const dir = await mkdtemp(path.join(env.tmpDir, 'parlant-restore-list-'));
  const file = path.join(dir, 'toc.list');
  const kept = raw.lines.map((l) => (isEntry(l) && / FK CONSTRAINT /.test(l) ? `;${l}` : l));
  await writeFile(file, `${kept.join('\n')}\n`, { flag: 'wx', mode: 0o600 });
  return { file, dir };
}

/**
 * Restore an archive into an existing database. Progress (items done of the TOC's entries, the current item) is
 * emitted at most every 500 ms; error lines are collected, not streamed away.
 */
export async function pgRestoreInto(
  env: BackupEnv,
  archive: string,
  database: string,
  opts: PgRestoreOptions,
  emit: EmitBackup,
  signal: AbortSignal,
): Promise<PgRestoreResult> {
  const started = Date.now();
  const took = (): number => Date.now() - started;
  const minMajor = opts.minMajor ?? 0;
  let tool;
  try {
    tool = await pickFor(env, 'pg_restore', minMajor);
  } catch (e) {
    return { ok: false, aborted: false, errors: [], ms: took(), failure: (e as Error).message };
  }
  const toc = await pgRestoreList(env, archive, signal, { minMajor });
  if (!toc.ok) return { ok: false, aborted: signal.aborted, errors: [], ms: took(), failure: `The archive's table of contents can't be read: ${toc.failure ?? ''}` };
  let listDir: string | undefined;
  let listFile: string | undefined;
  if (opts.skipForeignKeys) {
    const l = await listWithoutForeignKeys(env, archive, signal, minMajor);
    if (!l.file) return { ok: false, aborted: signal.aborted, errors: [], ms: took(), failure: l.failure ?? 'pg_restore --list failed' };
    listFile = l.file;
    listDir = l.dir;
  }
  try {
    return await runRestore(env, tool.path, pgRestoreArgs(archive, database, opts, listFile), database, opts.tables?.length ? undefined : toc.entries, emit, signal, started);
  } finally {
    if (listDir) await rm(listDir, { recursive: true, force: true });
  }
}

async function runRestore(
  env: BackupEnv,
  file: string,
  args: string[],
  database: string,
  total: number | undefined,
  emit: EmitBackup,
  signal: AbortSignal,
  started: number,
): Promise<PgRestoreResult> {
  const errors: string[] = [];
  let context = 0;
  let progress = initialRestoreProgress();
  const archiveSize = await archiveBytes(args[args.length - 1] as string);
  emit({ type: 'command', text: `${showCommand(file, args)}  (PGDATABASE=${database}, PGOPTIONS='${RESTORE_PGOPTIONS}')` });

  const keep = (l: string): void => {
    if (errors.length < MAX_ERROR_LINES) errors.push(l);
  };
  const running = runPgTool(env, file, args, {
    database,
    env: { PGOPTIONS: restorePgOptions(env.childEnv.PGOPTIONS ?? process.env.PGOPTIONS) },
    signal,
    onLine: (line, stream) => {
      const parsed = parseToolLine(line);
      if (parsed.kind === 'message' && parsed.level === 'error') {
        keep(line);
        context = CONTEXT_LINES;
        return;
      }
      if (parsed.kind === 'message' && /^(pg_restore: )?warning: errors ignored on restore/.test(line)) {
        keep(line);
        return;
      }
      if (context > 0 && (parsed.kind === 'message' || stream === 'stdout')) {
        keep(line);
        context--;
        return;
      }
      context = 0;
      progress = reduceRestore(progress, parsed);
      if (parsed.kind === 'message') emit({ type: 'output', text: line, stream });
    },
  });

  let ticking = false;
  let closed = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    void bytesRead(running.pid)
      .then((read) => {
        // A read of /proc that resolves after the end must not bring the live block back.
        if (closed) return;
        emit({
          type: 'progress',
          progress: {
            action: 'restoring',
            unit: 'items',
            done: total !== undefined ? Math.min(restoreDone(progress), total) : restoreDone(progress),
            ...(total !== undefined ? { total } : {}),
            bytes: archiveSize ? Math.min(read, archiveSize) : read,
            ...(archiveSize ? { bytesTotal: archiveSize } : {}),
            elapsedMs: Date.now() - started,
            ...(progress.current ? { current: progress.current } : {}),
          },
        });
      })
      .finally(() => {
        ticking = false;
      });
  }, PROGRESS_EVERY_MS);

  let r;
  try {
    r = await running.result;
  } finally {
    clearInterval(timer);
    closed = true;
    emit({ type: 'progress', progress: null });
  }
  const ok = r.ok && errors.length === 0;
  const result: PgRestoreResult = { ok, aborted: r.aborted, errors, ms: Date.now() - started };
  if (!ok) {
    result.failure = r.aborted
      ? 'pg_restore was stopped.'
      : r.exitCode === 0
        ? `pg_restore exited 0 but printed ${errors.filter((e) => /error/i.test(e)).length || errors.length} error line(s); the restore is not complete.`
        : describeFailure(r);
  }
  return result;
}

/** Bytes of an archive: a file's size, or the sum of a directory's files. 0 when it cannot be read. */
export async function archiveBytes(p: string): Promise<number> {
  try {
    const st = await stat(p);
    if (!st.isDirectory()) return st.size;
    let total = 0;
    for (const name of await listFiles(p)) total += (await stat(path.join(p, name)).catch(() => ({ size: 0 }))).size;
    return total;
  } catch {
    return 0;
  }
}
