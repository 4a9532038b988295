import { chmod, link, lstat, mkdir, open, readdir, rename, rm, stat, statfs, unlink } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { backupName, formatSize, manifestName, type BackupKind, type BackupOutcome, type BackupRequest, type EmitBackup } from '../core/backup.js';
import { describeFailure, type RunResult } from '../tools/run.js';
import type { Manifest } from './catalog.js';
import { countRows, databaseSize, dataTableCount, keyTables, missingTables, parseTableName, qualified, serverVersion, tableKey, tablesSize, type TableRef } from './counts.js';
import { connectTo, scrub, type BackupEnv } from './env.js';
import { hashArchive, writeManifest, type ArchiveHash } from './manifest.js';
import { archiveBytes, pgRestoreList } from './pgrestore.js';
import { dumpDone, initialDumpProgress, parseCopyCount, parseToolLine, reduceDump } from './progress.js';
import { pickFor, runPgTool, shortVersion, showCommand, type ClientTool } from './tools.js';
import { verifyArchive } from './verify.js';

/**
 * Taking a backup (DESIGN §6–§7): checks first (versions, disk space, the chosen tables), then pg_dump (or psql
 * \copy for CSV) in a snapshot exported by a transaction of ours, so that the row counts in the manifest are the
 * archive's own. The archive is written under a hidden temporary name, 0600 inside a 0700 directory, and renamed
 * to its final name only once it is complete and hashed; a failure or an abort leaves nothing but the backups
 * that were there before.
 */

type DumpKind = Exclude<BackupKind, 'base'>;
type Format = 'custom' | 'directory' | 'csv';

/** Compressed custom-format archives come out at about this fraction of pg_database_size (DESIGN §11: 254 MB of 1.3 GB, rounded up). */
export const COMPRESSED_RATIO = 0.35;
const SCHEMA_ESTIMATE = 1_000_000;
const DEFAULT_JOBS = 2;
const PROGRESS_EVERY_MS = 500;

/** A refusal, a failure or a success, as the step shows it. */
const refuse = (summary: string, error: string, advice?: string): BackupOutcome => ({ ok: false, refused: true, summary, error, ...(advice ? { advice } : {}) });
const failed = (summary: string, error: string, advice?: string): BackupOutcome => ({ ok: false, summary, error, ...(advice ? { advice } : {}) });
const stopped = (): BackupOutcome => ({ ok: false, aborted: true, summary: 'Backup stopped; the partial archive was removed.' });

export function formatOf(kind: DumpKind): Format {
  return kind === 'directory' ? 'directory' : kind === 'csv' ? 'csv' : 'custom';
}

/** Free-space policy: refuse below the estimate, warn below twice the estimate. */
export function spaceVerdict(estimate: number, free: number): 'ok' | 'warn' | 'refuse' {
  if (free < estimate) return 'refuse';
  if (free < 2 * estimate) return 'warn';
  return 'ok';
}

/** The estimated archive size and how it was worked out (shown to the operator). */
export function estimateArchive(kind: DumpKind, bytes: number, compress?: number): { bytes: number; how: string } {
  if (kind === 'schema') return { bytes: SCHEMA_ESTIMATE, how: 'schema only' };
  const ratio = kind === 'csv' || compress === 0 ? 1 : COMPRESSED_RATIO;
  const of = kind === 'full' || kind === 'directory' ? "the database's" : "the chosen tables'";
  return { bytes: Math.ceil(bytes * ratio), how: `${ratio} × ${of} ${formatSize(bytes)}` };
}

/** pg_dump's arguments for a kind (everything but the snapshot and the output path). */
export function pgDumpArgs(kind: Exclude<DumpKind, 'csv'>, opts: { tables?: TableRef[]; jobs?: number; compress?: number }): string[] {
  const args = ['--verbose', '--no-password'];
  if (kind === 'directory') args.push('--format=directory', `--jobs=${opts.jobs ?? DEFAULT_JOBS}`);
  else args.push('--format=custom');
  // pg_dump's own compression (never gzip on top: DESIGN §9.6); a level only when asked for one.
  if (opts.compress !== undefined) args.push(`--compress=${opts.compress}`);
  if (kind === 'schema') args.push('--schema-only');
  if (kind === 'tables') {
    // Double-quoted pattern parts match literally: no case folding, no wildcards.
    for (const t of opts.tables ?? []) args.push(`--table=${qualified(t)}`);
    args.push('--strict-names');
  }
  return args;
}

/** The file name of a table's CSV: portable characters only, unique within the export. */
export function csvFileNames(tables: readonly TableRef[]): string[] {
  const used = new Set<string>();
  return tables.map((t) => {
    const base = `${t.schema}.${t.table}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    let name = `${base}.csv`;
    for (let i = 2; used.has(name); i++) name = `${base}~${i}.csv`;
    used.add(name);
    return name;
  });
}

/** The psql script of a CSV export: one REPEATABLE READ transaction in the exported snapshot, one \copy per table. */
export function csvScript(snapshot: string, tables: readonly TableRef[], files: readonly string[]): string {
  const lines = ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;', `SET TRANSACTION SNAPSHOT '${snapshot}';`];
  tables.forEach((t, i) => {
    lines.push(`\\echo parlant-table:${i}`);
    lines.push(`\\copy (SELECT * FROM ${qualified(t)}) TO '${files[i]}' WITH (FORMAT csv, HEADER)`);
  });
  lines.push('COMMIT;');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------

interface Plan {
  kind: DumpKind;
  format: Format;
  tool: ClientTool;
  server: { text: string; major: number };
  tables: TableRef[];
  total: number;
  jobs: number;
  finalName: string;
  args: string[];
}

/** Validate the request's shape before touching anything. */
function requestProblem(req: BackupRequest): string | undefined {
  if (!['full', 'directory', 'schema', 'tables', 'csv'].includes(req.kind)) return `Unknown backup kind ${String(req.kind)}: use full, directory, schema, tables or csv.`;
  if ((req.kind === 'tables' || req.kind === 'csv') && !req.tables?.length) return `A ${req.kind} backup needs the tables to export: name them (schema.table, or table for public).`;
  if (req.compress !== undefined && (!Number.isInteger(req.compress) || req.compress < 0 || req.compress > 9)) return `Compression level ${req.compress} is not 0–9.`;
  if (req.jobs !== undefined && (!Number.isInteger(req.jobs) || req.jobs < 1 || req.jobs > 64)) return `jobs must be a whole number from 1 to 64 (got ${req.jobs}).`;
  return undefined;
}

/** The nearest existing directory at or above p (the backup directory may not exist yet). */
async function nearestExisting(p: string): Promise<string> {
  let dir = path.resolve(p);
  for (;;) {
    try {
      if ((await stat(dir)).isDirectory()) return dir;
    } catch {
      // keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) return dir;
    dir = up;
  }
}

async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(await nearestExisting(dir));
  return Number(s.bavail) * Number(s.bsize);
}

/** Checks that need the database: versions, tables, space. Emits what it finds; returns a refusal or the plan. */
async function makePlan(env: BackupEnv, client: pg.Client, req: BackupRequest, emit: EmitBackup, now: Date): Promise<Plan | BackupOutcome> {
  const server = await serverVersion(client);
  const format = formatOf(req.kind);
  let tool: ClientTool;
  try {
    // psql is not tied to the server's version the way pg_dump is (\copy works across versions).
    tool = format === 'csv' ? await pickFor(env, 'psql', 0) : await pickFor(env, 'pg_dump', server.major, server.text);
  } catch (e) {
    return refuse(
      `No ${format === 'csv' ? 'psql' : 'pg_dump'} that can back up PostgreSQL ${server.text}`,
      (e as Error).message,
      `Install postgresql-client-${server.major} (apt-get install postgresql-client-${server.major}) before the maintenance window, then run the backup again.`,
    );
  }
  emit({ type: 'info', text: `${path.basename(tool.path)} ${shortVersion(tool.version)} (${tool.path}) · server PostgreSQL ${server.text}` });

  let tables: TableRef[] = [];
  if (req.kind === 'tables' || req.kind === 'csv') {
    try {
      tables = (req.tables ?? []).map(parseTableName);
    } catch (e) {
      return refuse('A table name cannot be read', (e as Error).message);
    }
    const missing = await missingTables(client, req.tables ?? []);
    if (missing.length) {
      return refuse(
        `${missing.length === 1 ? 'A chosen table does' : 'Chosen tables do'} not exist`,
        `Not found in ${env.target.database}: ${missing.join(', ')}. Nothing was written.`,
        'Check the names (schema.table; a bare name means public). Names are matched exactly, without case folding.',
      );
    }
    if (req.kind === 'csv' && tables.some((t) => /[\r\n]/.test(t.schema + t.table))) {
      return refuse('A table name cannot be exported to CSV', 'A chosen table name contains a line break, which a psql \\copy line cannot carry.', 'Use a tables backup (custom format) for it.');
    }
  }
  if (req.kind === 'csv' && /['\r\n]/.test(env.backupDir)) {
    return refuse(
      'The backup directory cannot hold a CSV export',
      `${env.backupDir} contains a single quote or a line break, which psql's \\copy file name cannot carry.`,
      'Choose a backup directory without quotes.',
    );
  }

  const dataBytes = req.kind === 'full' || req.kind === 'directory' ? await databaseSize(client) : req.kind === 'schema' ? 0 : await tablesSize(client, tables.map(tableKey));
  const est = estimateArchive(req.kind, dataBytes, req.compress);
  const free = await freeBytes(env.backupDir);
  const verdict = spaceVerdict(est.bytes, free);
  emit({ type: 'info', text: `Estimated archive ≈ ${formatSize(est.bytes)} (${est.how}); free in ${env.backupDir}: ${formatSize(free)}` });
  if (verdict === 'refuse') {
    return refuse(
      'Not enough disk space for the backup',
      `The archive needs about ${formatSize(est.bytes)} but ${env.backupDir} has ${formatSize(free)} free.`,
      'Free space there, or point the backup directory at a larger disk.',
    );
  }
  if (verdict === 'warn') {
    emit({ type: 'info', stream: 'stderr', text: `Warning: less than twice the estimate is free (${formatSize(free)} for ≈ ${formatSize(est.bytes)}); estimates can be low for data that compresses badly.` });
  }

  const jobs = req.kind === 'directory' ? (req.jobs ?? DEFAULT_JOBS) : 1;
  const total = req.kind === 'full' || req.kind === 'directory' ? await dataTableCount(client) : req.kind === 'schema' ? 0 : tables.length;
  const args = format === 'csv' ? ['-X', '-v', 'ON_ERROR_STOP=1', '--no-password', '--file=-'] : pgDumpArgs(req.kind as Exclude<DumpKind, 'csv'>, { tables, jobs, ...(req.compress !== undefined ? { compress: req.compress } : {}) });
  return { kind: req.kind, format, tool, server, tables, total, jobs, finalName: backupName(env.target.database, req.kind, now), args };
}

/** Create the backup directory 0700, or tighten an existing one that is ours and not a shared directory. */
async function ensureBackupDir(dir: string, emit: EmitBackup): Promise<string | undefined> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    emit({ type: 'info', text: `Created the backup directory ${dir} (mode 0700).` });
    return undefined;
  }
  if (!st.isDirectory()) return `${dir} exists and is not a directory.`;
  if ((st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    const ours = st.uid === process.getuid?.();
    // Never chmod a shared directory such as /tmp (sticky bit) or someone else's.
    if (ours && (st.mode & 0o1000) === 0) {
      await chmod(dir, 0o700);
      emit({ type: 'info', text: `Tightened ${dir} from mode ${mode} to 0700: backups hold the whole database.` });
    } else {
      emit({ type: 'info', stream: 'stderr', text: `Warning: ${dir} has mode ${mode} and is not ours to tighten; the archive itself is 0600. Prefer a private backup directory.` });
    }
  }
  return undefined;
}

/** Files 0600, directories 0700, all the way down (pg_dump -Fd and psql create files under the umask). */
async function tighten(p: string): Promise<void> {
  const st = await lstat(p);
  if (st.isDirectory()) {
    await chmod(p, 0o700);
    for (const name of await readdir(p)) await tighten(path.join(p, name));
  } else if (st.isFile()) {
    await chmod(p, 0o600);
  }
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** `sim_full_…Z.dump` → `sim_full_…Z_2.dump` when the first name is taken (two backups in one second). */
function nthName(name: string, n: number): string {
  if (n === 1) return name;
  return name.endsWith('.dump') ? `${name.slice(0, -5)}_${n}.dump` : `${name}_${n}`;
}

/**
 * Move the finished archive to its final name without ever replacing another backup: a file is hard-linked
 * (which fails if the name exists) then unlinked; a directory is renamed only to a name that does not exist.
 */
async function publish(partial: string, dir: string, name: string, isDir: boolean): Promise<string> {
  for (let n = 1; n <= 20; n++) {
    const final = path.join(dir, nthName(name, n));
    if ((await exists(final)) || (await exists(path.join(dir, manifestName(nthName(name, n)))))) continue;
    if (isDir) {
      await rename(partial, final);
      return final;
    }
    try {
      await link(partial, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    await unlink(partial);
    return final;
  }
  throw new Error(`Could not find a free name for ${name} in ${dir}.`);
}

/** Why a dump failed, in the operator's words. */
function dumpAdvice(r: RunResult): string | undefined {
  const tail = r.stderrTail.join('\n');
  if (r.signal === 'SIGXFSZ' || /File too large/i.test(tail)) return 'The file-size limit (ulimit -f) was reached: raise it for this shell, or back up fewer tables.';
  if (/No space left on device/i.test(tail)) return 'The disk filled up while dumping: free space in the backup directory, or use another one.';
  if (/permission denied/i.test(tail)) return `The role lacks a privilege pg_dump needs (see the message): back up as the database owner, or choose tables with the tables kind.`;
  if (/server version mismatch|aborting because of server version mismatch/i.test(tail)) return 'Install a pg_dump of the server\'s major version (postgresql-client-<major>).';
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------

interface DumpRun {
  result: RunResult;
  /** csv: the row counts psql reported, by table key. */
  copied: Record<string, number>;
}

/** Run pg_dump or psql, emitting progress every 500 ms and only the lines that are not progress. */
async function runDump(env: BackupEnv, plan: Plan, partial: string, snapshot: string, csvFiles: string[], emit: EmitBackup, signal: AbortSignal): Promise<DumpRun> {
  const started = Date.now();
  let dump = initialDumpProgress();
  const copied: Record<string, number> = {};
  let csvIndex = -1;
  let csvDone = 0;
  const csv = plan.format === 'csv';
  const args = csv ? plan.args : [...plan.args, `--snapshot=${snapshot}`, `--file=${partial}`];
  const input = csv ? csvScript(snapshot, plan.tables, csvFiles.map((f) => path.join(partial, f))) : undefined;

  const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
    if (csv) {
      const marker = /^parlant-table:(\d+)$/.exec(line);
      if (marker) {
        csvIndex = Number(marker[1]);
        return;
      }
      const n = parseCopyCount(line);
      const t = plan.tables[csvIndex];
      if (n !== null && t) {
        copied[tableKey(t)] = n;
        csvDone++;
        return;
      }
      if (stream === 'stdout' && /^(BEGIN|SET|COMMIT)$/.test(line)) return;
      emit({ type: 'output', text: line, stream });
      return;
    }
    const parsed = parseToolLine(line);
    dump = reduceDump(dump, parsed);
    if (parsed.kind === 'message') emit({ type: 'output', text: line, stream });
  };

  let closed = false;
  const report = (bytes: number, ended: boolean): void => {
    // A tick whose stat() resolves after the end must not bring the live block back.
    if (closed) return;
    const done = csv ? csvDone : dumpDone(dump, ended);
    const t = plan.tables[csvIndex];
    const current = ended ? undefined : csv ? (t ? tableKey(t) : undefined) : dump.current;
    emit({
      type: 'progress',
      progress: { action: 'dumping', done: Math.min(done, plan.total), total: plan.total, bytes, elapsedMs: Date.now() - started, ...(current ? { current } : {}) },
    });
  };

  emit({ type: 'command', text: dumpCommand(env, plan, args, snapshot) });
  report(0, false);
  const running = runPgTool(env, plan.tool.path, args, { onLine, signal, ...(input !== undefined ? { input } : {}) });
  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    void archiveBytes(partial)
      .then((bytes) => report(bytes, false))
      .finally(() => {
        ticking = false;
      });
  }, PROGRESS_EVERY_MS);
  try {
    const result = await running.result;
    clearInterval(timer);
    // The last word: all tables done (a fast dump can finish between two ticks).
    if (result.ok) report(await archiveBytes(partial), true);
    return { result, copied };
  } finally {
    clearInterval(timer);
    closed = true;
    emit({ type: 'progress', progress: null });
  }
}

/** Create the partial archive: one 0600 file (pg_dump's fopen keeps the mode), or a 0700 directory with 0600 CSV files. */
async function createPartial(plan: Plan, partial: string, csvFiles: string[]): Promise<void> {
  if (plan.format === 'custom') {
    const fh = await open(partial, 'wx', 0o600);
    await fh.close();
    return;
  }
  await mkdir(partial, { mode: 0o700 });
  await chmod(partial, 0o700);
  for (const f of csvFiles) {
    const fh = await open(path.join(partial, f), 'wx', 0o600);
    await fh.close();
  }
}

/** The command as shown: the real arguments (the snapshot id once exported), how it connects, no password. */
function dumpCommand(env: BackupEnv, plan: Plan, args: readonly string[], snapshot?: string): string {
  const how = `(PGDATABASE=${env.target.database}, password from PGPASSFILE${snapshot ? '' : ', in a snapshot exported when it starts'})`;
  const tail = plan.format === 'csv' ? `  \\copy of ${plan.tables.map(tableKey).join(', ')}${snapshot ? ` in snapshot ${snapshot}` : ''}` : '';
  return `${showCommand(plan.tool.path, args)}  ${how}${tail}`;
}

/**
 * Take a backup. Never throws for an operator-fixable problem: refusals and failures come back as outcomes
 * with the problem and the fix.
 */
export async function runBackup(env: BackupEnv, req: BackupRequest, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome> {
  const problem = requestProblem(req);
  if (problem) return refuse('The backup request is not valid', problem);
  if (signal.aborted) return stopped();
  let client: pg.Client;
  try {
    client = await connectTo(env, env.target.database, 'backup');
  } catch (e) {
    return failed(`Can't connect to ${env.target.database}`, scrub(env, (e as Error).message));
  }
  try {
    return await backupWith(env, client, req, emit, signal);
  } catch (e) {
    // An abort can surface as an AbortError from a read in progress (hashing); it is still an abort.
    if (signal.aborted) return stopped();
    return failed('The backup failed', scrub(env, (e as Error).message));
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function backupWith(env: BackupEnv, client: pg.Client, req: BackupRequest, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome> {
  const startedAt = new Date();
  const planned = await makePlan(env, client, req, emit, startedAt);
  if (!('finalName' in planned)) return planned;
  const plan = planned;
  const finalPath = path.join(env.backupDir, plan.finalName);
  if (req.dryRun) {
    const shown = plan.format === 'csv' ? plan.args : [...plan.args, `--file=${finalPath}`];
    emit({ type: 'command', text: dumpCommand(env, plan, shown) });
    return { ok: true, summary: `Dry run: the checks passed; the backup would be written to ${finalPath}. Nothing was created.`, file: finalPath };
  }
  if (signal.aborted) return stopped();

  const dirProblem = await ensureBackupDir(env.backupDir, emit);
  if (dirProblem) return refuse('The backup directory is not usable', dirProblem, 'Point the backup directory at a directory.');
  const partial = path.join(env.backupDir, `.${plan.finalName}.partial-${process.pid}`);
  const csvFiles = plan.format === 'csv' ? csvFileNames(plan.tables) : [];
  await createPartial(plan, partial, csvFiles);
  try {
    const outcome = await dumpAndPublish(env, client, req, plan, partial, csvFiles, startedAt, emit, signal);
    if (!outcome.ok || !outcome.file) return outcome;
    return await verifyAfter(env, req, outcome, emit, signal);
  } finally {
    // Only the partial we created; whatever got published is no longer at this name.
    await rm(partial, { recursive: true, force: true });
  }
}

async function dumpAndPublish(
  env: BackupEnv,
  client: pg.Client,
  req: BackupRequest,
  plan: Plan,
  partial: string,
  csvFiles: string[],
  startedAt: Date,
  emit: EmitBackup,
  signal: AbortSignal,
): Promise<BackupOutcome> {
  // The snapshot the dump reads and the counts are taken in; held open until the dump has finished.
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let dumpRun: DumpRun;
  let counts: Record<string, number> = {};
  try {
    const snap = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id ?? '';
    if (!/^[0-9A-Fa-f-]+$/.test(snap)) throw new Error(`pg_export_snapshot() returned an unexpected id (${snap}).`);
    if (plan.kind === 'full' || plan.kind === 'directory') counts = await countRows(client, await keyTables(client));
    else if (plan.kind === 'tables') counts = await countRows(client, plan.tables.map(tableKey));
    dumpRun = await runDump(env, plan, partial, snap, csvFiles, emit, signal);
  } finally {
    await client.query('COMMIT').catch(() => undefined);
  }
  const r = dumpRun.result;
  if (r.aborted || signal.aborted) return stopped();
  if (!r.ok) {
    const advice = dumpAdvice(r);
    return failed(`${path.basename(plan.tool.path)} failed; nothing was kept`, describeFailure(r), advice);
  }
  if (plan.format === 'csv') counts = dumpRun.copied;
  if (plan.format !== 'custom') await tighten(partial);

  const hash = await hashArchive(partial, { signal });
  let toc: number | undefined;
  if (plan.format !== 'csv') {
    const list = await pgRestoreList(env, partial, signal, { minMajor: plan.tool.major });
    if (signal.aborted) return stopped();
    if (!list.ok) return failed('The new archive cannot be read back; nothing was kept', list.failure ?? 'pg_restore --list failed');
    toc = list.entries;
  }
  if (signal.aborted) return stopped();

  const file = await publish(partial, env.backupDir, plan.finalName, plan.format !== 'custom');
  const finishedAt = new Date();
  const manifestPath = `${file}.manifest.json`;
  try {
    await writeManifest(manifestPath, manifestFor(env, req, plan, file, hash, toc, counts, csvFiles, startedAt, finishedAt));
  } catch (e) {
    await rm(file, { recursive: true, force: true });
    return failed('The manifest could not be written; the archive was removed', scrub(env, (e as Error).message));
  }
  const secs = ((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(1);
  emit({ type: 'info', text: `Backup written: ${file} (${formatSize(hash.size)}, ${secs} s)` });
  return { ok: true, summary: `Backup written: ${path.basename(file)} (${formatSize(hash.size)}, ${secs} s)`, file, manifestPath };
}

function manifestFor(
  env: BackupEnv,
  req: BackupRequest,
  plan: Plan,
  file: string,
  hash: ArchiveHash,
  toc: number | undefined,
  counts: Record<string, number>,
  csvFiles: string[],
  startedAt: Date,
  finishedAt: Date,
): Manifest {
  const m: Manifest = {
    file: path.basename(file),
    kind: plan.kind,
    format: plan.format,
    database: env.target.database,
    host: env.target.host,
    port: env.target.port,
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
    sha256: hash.sha256,
    size: hash.size,
    ...(hash.files ? { files: hash.files } : {}),
    [plan.format === 'csv' ? 'psql_version' : 'pg_dump_version']: shortVersion(plan.tool.version),
    server_version: plan.server.text,
    ...(toc !== undefined ? { toc_entries: toc } : {}),
    ...(plan.tables.length ? { tables: plan.tables.map(tableKey) } : {}),
    ...(plan.kind !== 'schema' ? { row_counts: counts } : {}),
    ...(plan.format === 'csv' ? { csv_files: Object.fromEntries(plan.tables.map((t, i) => [tableKey(t), csvFiles[i]])) } : {}),
    options: { compression: req.compress ?? 'default', jobs: plan.jobs },
    created_by: { operator: req.operator, run_id: req.runId, tool_version: env.toolVersion },
    verification: { status: 'unverified' },
  };
  return m;
}

async function verifyAfter(env: BackupEnv, req: BackupRequest, done: BackupOutcome, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome> {
  if (req.verify === false || !done.file) return done;
  const v = await verifyArchive(env, { file: done.file, upload: true, ...(req.trialRestore ? { trialRestore: true } : {}), ...(req.jobs ? { jobs: req.jobs } : {}) }, emit, signal);
  if (v.aborted) return { ...done, ok: false, aborted: true, summary: `${done.summary}; verification was stopped (the archive stays, unverified).` };
  if (!v.ok) {
    return {
      ...done,
      ok: false,
      summary: `${done.summary}, but verification failed`,
      error: v.error ?? v.summary,
      advice: v.advice ?? 'The archive is kept and marked failed in its manifest; take a new backup before relying on it.',
    };
  }
  return { ...done, summary: `${done.summary}; ${v.summary}` };
}
