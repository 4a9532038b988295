import { open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { fitName, type EmitBackup, type RestoreOutcome, type RestoreRequest, type SessionInfo } from '../core/backup.js';
import { packageRoot } from '../core/paths.js';
import { ConnectionError } from '../db/connect.js';
import { newestVerifiedFor, readCatalog, resolveArchive, type ArchiveRef, type Manifest } from './catalog.js';
import { countRows, missingTables, quoteIdent } from './counts.js';
import { connectTo, scrub, type BackupEnv } from './env.js';
import { pgRestoreArgs, pgRestoreInto, pgRestoreList } from './pgrestore.js';
import { showCommand } from './tools.js';

/**
 * Restoring an archive into a database (DESIGN §6–§7, §9 item 12). Two modes:
 * - new (blue-green, the default): the database must not exist; it is created and restored, the old one is not
 *   touched, and the operator switches the application over when the checks pass.
 * - replace (after a typed confirmation): sessions on the database are cut off and it is dropped; the archive is
 *   restored under a staging name the application does not know, and renamed into place only when pg_restore has
 *   finished without an error. So the application never connects to a half-restored database.
 * A restore with errors is a failed restore, and every restore ends with checks: row counts against the manifest,
 * sequences not behind their tables, no invalid index, and ANALYZE (statistics are not in a dump).
 */

const RESTORABLE_KINDS = ['full', 'directory', 'schema', 'tables'];
/**
 * One job unless the step asks for more: measured on 2 cores with one table holding most of the data (DESIGN §11
 * and npm run bench:backup), -j 2 was slower than one job — a single table's data cannot be split between jobs.
 * Many big tables on a server with cores to spare: `jobs:` in the runbook, or --var-driven runbooks.
 */
const DEFAULT_JOBS = 1;
/** Databases a restore never creates over or drops. */
const PROTECTED = new Set(['postgres', 'template0', 'template1']);

// ---------------------------------------------------------------------------------------------------------------
// Small shared helpers (partial.ts uses them too)

const sqlCache = new Map<string, string>();

/** A file under sql/ (e.g. 'restore/sessions.sql'), read once. */
export async function readSql(rel: string): Promise<string> {
  const hit = sqlCache.get(rel);
  if (hit !== undefined) return hit;
  const text = await readFile(path.join(packageRoot(), 'sql', rel), 'utf8');
  sqlCache.set(rel, text);
  return text;
}

/** The server's message, with its detail and hint when it gave them, secrets removed. Never a stack trace. */
export function pgMessage(env: BackupEnv, e: unknown): string {
  const err = e as { message?: unknown; detail?: unknown; hint?: unknown };
  const parts = [String(err.message ?? e)];
  if (typeof err.detail === 'string' && err.detail) parts.push(err.detail);
  if (typeof err.hint === 'string' && err.hint) parts.push(`Hint: ${err.hint}`);
  return scrub(env, parts.join(' — '));
}

function sqlState(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** host:port/dbname — what to point the application at (never a password). */
export function connectionHint(env: BackupEnv, database: string): string {
  return `${env.target.host}:${env.target.port}/${database}`;
}

/**
 * A connection for CREATE/DROP/ALTER DATABASE: to `postgres`, or `template1` where `postgres` was dropped or may
 * not be connected to. Never to the database being replaced (one cannot drop the database one is connected to).
 * When neither works, the error about `postgres` is the one the operator sees.
 */
export async function maintenanceConnection(env: BackupEnv, purpose: string): Promise<pg.Client> {
  try {
    return await connectTo(env, 'postgres', purpose);
  } catch (first) {
    // A server that cannot be reached at all fails the same way for template1: do not try twice.
    if (first instanceof ConnectionError && ['unknown-host', 'refused', 'timeout', 'ssl', 'starting'].includes(first.kind)) throw first;
    try {
      return await connectTo(env, 'template1', purpose);
    } catch {
      throw first;
    }
  }
}

interface Failure {
  summary: string;
  error?: string;
  advice?: string;
  refused?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Which archive, and may it be restored?

/**
 * The archive a request names: "newest" (the newest verified backup of the target database) or a name resolved
 * in the backup directory. Refuses what must not be restored; warns about what was not checked.
 */
export async function resolveSource(env: BackupEnv, file: string, emit: EmitBackup): Promise<{ ref: ArchiveRef } | { failure: Failure }> {
  let ref: ArchiveRef;
  try {
    ref = file === 'newest' ? await newestArchive(env, emit) : await resolveArchive(env.backupDir, file);
  } catch (e) {
    if (e instanceof NoVerifiedBackup) return { failure: { summary: e.message, error: e.message, advice: e.advice } };
    return { failure: { summary: `Archive ${file} not found`, error: scrub(env, (e as Error).message), advice: 'Name an archive or manifest in the backup directory, or use "newest".' } };
  }
  const problem = checkManifest(ref, emit) ?? (await checkArchiveFormat(ref));
  return problem ? { failure: problem } : { ref };
}

class NoVerifiedBackup extends Error {
  constructor(
    message: string,
    readonly advice: string,
  ) {
    super(message);
  }
}

async function newestArchive(env: BackupEnv, emit: EmitBackup): Promise<ArchiveRef> {
  const { entries } = await readCatalog(env.backupDir);
  const t = { host: env.target.host, port: env.target.port, database: env.target.database };
  const newest = newestVerifiedFor(entries, t);
  if (newest) {
    emit({ type: 'info', text: `Newest verified backup of ${t.database}: ${newest.manifest.file} (finished ${newest.manifest.finished_at})` });
    return resolveArchive(path.dirname(newest.path), newest.manifest.file);
  }
  const unverified = entries.filter(
    (e) => e.manifest.database === t.database && e.manifest.host === t.host && e.manifest.port === t.port && ['full', 'directory'].includes(e.manifest.kind),
  );
  for (const e of unverified) {
    emit({ type: 'info', text: `not verified (${e.manifest.verification?.status ?? 'unverified'}): ${e.manifest.file}, finished ${e.manifest.finished_at}`, stream: 'stderr' });
  }
  const message = `No verified backup of ${t.database} on ${t.host}:${t.port} in ${env.backupDir}`;
  const unverifiedOnly = unverified.filter((e) => e.manifest.verification?.status !== 'failed');
  const advice = unverifiedOnly.length
    ? `${plural(unverifiedOnly.length, 'backup')} of it ${unverifiedOnly.length === 1 ? 'is' : 'are'} not verified. Verify one first: parlant-runbook backups verify ${unverifiedOnly[0]!.manifest.file} — or name it explicitly to restore it unverified.`
    : 'Take a backup with the backup runbook and verify it, or name an archive explicitly.';
  throw new NoVerifiedBackup(message, advice);
}

/** A refusal, or null; warnings go out as info lines on stderr. */
function checkManifest(ref: ArchiveRef, emit: EmitBackup): Failure | null {
  const name = path.basename(ref.archive);
  const warn = (text: string): void => emit({ type: 'info', text, stream: 'stderr' });
  if (!ref.manifest) {
    warn(
      ref.manifestProblem
        ? `The manifest of ${name} is ${ref.manifestProblem}: restoring without its checks (no row counts to compare).`
        : `${name} has no manifest: it was never verified, and there are no row counts to compare with.`,
    );
    return null;
  }
  const m = ref.manifest;
  if (m.kind === 'csv') {
    return {
      summary: `${name} is a CSV export, not a restorable archive`,
      error: `${name} holds CSV files; the restore runbook restores custom and directory archives made by pg_dump.`,
      advice: 'Load the CSV files with \\copy <table> FROM <file> CSV HEADER in psql, or restore a full backup.',
      refused: true,
    };
  }
  if (m.kind === 'base') {
    return {
      summary: `${name} is a base backup (pg_basebackup)`,
      error: `${name} is a copy of the whole cluster's files; pg_restore cannot read it.`,
      advice: 'Use the pitr runbook to recover from a base backup.',
      refused: true,
    };
  }
  const status = m.verification?.status ?? 'unverified';
  if (status === 'failed') {
    const problems = m.verification?.problems?.length ? `: ${m.verification.problems.join('; ')}` : '';
    return {
      summary: `${name} failed verification`,
      error: `Verification of ${name}${m.verification?.at ? ` at ${m.verification.at}` : ''} failed${problems}. A damaged archive restores wrong data or stops half-way.`,
      advice: 'Restore another backup ("newest" picks the newest verified one).',
      refused: true,
    };
  }
  if (!RESTORABLE_KINDS.includes(m.kind)) warn(`${name} is of kind "${m.kind}", which this tool does not know; trying pg_restore on it.`);
  if (status !== 'verified') warn(`${name} was never verified: it may be truncated or damaged. pg_restore will stop at the first error.`);
  if (m.kind === 'schema') emit({ type: 'info', text: `${name} is schema-only: the restored tables will be empty.` });
  if (m.kind === 'tables') emit({ type: 'info', text: `${name} holds only chosen tables (${(m.tables ?? []).join(', ') || 'see its manifest'}).` });
  return null;
}

/** pg_restore reads custom archives (a file starting with PGDMP) and directory archives (with toc.dat). */
async function checkArchiveFormat(ref: ArchiveRef): Promise<Failure | null> {
  const name = path.basename(ref.archive);
  const st = await stat(ref.archive);
  if (st.isDirectory()) {
    const toc = await stat(path.join(ref.archive, 'toc.dat')).catch(() => null);
    if (toc) return null;
    return {
      summary: `${name} is not a pg_dump directory archive`,
      error: `${ref.archive} is a directory without toc.dat.`,
      advice: 'Name a custom (.dump) or directory archive made by pg_dump.',
      refused: true,
    };
  }
  const fh = await open(ref.archive, 'r');
  try {
    const head = Buffer.alloc(5);
    await fh.read(head, 0, 5, 0);
    if (head.toString('latin1') === 'PGDMP') return null;
  } finally {
    await fh.close();
  }
  return {
    summary: `${name} is not a pg_dump custom archive`,
    error: `${ref.archive} does not start with PGDMP: it is not a custom-format archive (a plain SQL dump, or damaged).`,
    advice: 'A plain SQL dump is restored with psql -X -v ON_ERROR_STOP=1 -1 -f <file>; otherwise name another archive.',
    refused: true,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Sessions

function toSession(r: Record<string, unknown>): SessionInfo {
  return {
    pid: Number(r.pid),
    user: String(r.user ?? '?'),
    applicationName: String(r.application_name ?? ''),
    client: String(r.client ?? ''),
    state: String(r.state ?? ''),
    ageSeconds: Number(r.age_seconds ?? 0),
    query: String(r.query ?? ''),
  };
}

async function sessionsOn(client: pg.Client, database: string): Promise<SessionInfo[]> {
  const r = await client.query(await readSql('restore/sessions.sql'), [database]);
  return r.rows.map(toSession);
}

/** The sessions connected to `database`, other than the one asking (which is on the maintenance database). */
export async function listSessions(env: BackupEnv, database: string): Promise<SessionInfo[]> {
  const client = await maintenanceConnection(env, 'sessions');
  try {
    return await sessionsOn(client, database);
  } finally {
    await client.end().catch(() => {});
  }
}

function emitSessions(emit: EmitBackup, sessions: SessionInfo[]): void {
  emit({
    type: 'rows',
    columns: ['pid', 'user', 'application', 'client', 'state', 'connected', 'query'],
    rows: sessions.map((s) => [String(s.pid), s.user, s.applicationName || '-', s.client || 'local', s.state, `${s.ageSeconds}s`, s.query || '-']),
    total: sessions.length,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Post-restore checks

export interface CheckProblem {
  problem: string;
  object: string;
  detail: string;
}

async function problems(client: pg.Client, file: string): Promise<CheckProblem[]> {
  const r = await client.query<CheckProblem>(await readSql(file));
  return r.rows.map((x) => ({ problem: String(x.problem), object: String(x.object), detail: String(x.detail) }));
}

/** Sequences owned by a column whose next value is not past the column's max (sql/restore/sequences-behind.sql). */
export function checkSequences(client: pg.Client): Promise<CheckProblem[]> {
  return problems(client, 'restore/sequences-behind.sql');
}

/** INVALID or not-ready indexes (sql/restore/invalid-indexes.sql). */
export function checkInvalidIndexes(client: pg.Client): Promise<CheckProblem[]> {
  return problems(client, 'restore/invalid-indexes.sql');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * ANALYZE, row counts against the manifest, sequences, invalid indexes — each a stage. Returns the failures
 * (empty = all passed). A check that cannot run is a failure too: an unchecked restore is not a good one.
 */
export async function postRestoreChecks(env: BackupEnv, database: string, manifest: Manifest | undefined, emit: EmitBackup): Promise<string[]> {
  const failed: string[] = [];
  const stage = (name: string, ok: boolean, detail: string, warn?: boolean): void => {
    emit({ type: 'stage', name, ok, detail, ...(warn ? { warn } : {}) });
    if (!ok) failed.push(`${name}: ${detail}`);
  };
  let client: pg.Client;
  try {
    client = await connectTo(env, database, 'restore check');
  } catch (e) {
    stage('connect', false, `cannot connect to ${database} to check it: ${pgMessage(env, e)}`);
    return failed;
  }
  try {
    await runStage(env, stage, 'analyze', () => analyze(client));
    await runStage(env, stage, 'row counts', () => compareCounts(client, manifest, emit));
    await runStage(env, stage, 'sequences', () => sequencesStage(client, emit));
    await runStage(env, stage, 'indexes', () => indexesStage(client, emit));
  } finally {
    await client.end().catch(() => {});
  }
  return failed;
}

type StageFn = (name: string, ok: boolean, detail: string, warn?: boolean) => void;
type StageResult = { ok: boolean; detail: string; warn?: boolean };

async function runStage(env: BackupEnv, stage: StageFn, name: string, fn: () => Promise<StageResult>): Promise<void> {
  try {
    const r = await fn();
    stage(name, r.ok, r.detail, r.warn);
  } catch (e) {
    stage(name, false, `could not check: ${pgMessage(env, e)}`);
  }
}

async function analyze(client: pg.Client): Promise<StageResult> {
  const t0 = Date.now();
  // Tables another role owns are skipped with a warning by the server; with --no-owner everything is ours.
  await client.query('ANALYZE');
  return { ok: true, detail: `statistics gathered in ${seconds(Date.now() - t0)} (a dump holds none: without ANALYZE the planner guesses)` };
}

async function compareCounts(client: pg.Client, manifest: Manifest | undefined, emit: EmitBackup): Promise<StageResult> {
  const expected = manifest?.row_counts ?? {};
  const tables = Object.keys(expected);
  if (!tables.length) return { ok: true, warn: true, detail: 'no row counts in the manifest to compare with' };
  // One missing table would fail the whole count statement: count the others, show that one as missing.
  const missing = new Set(await missingTables(client, tables));
  const actual = await countRows(client, tables.filter((t) => !missing.has(t)));
  const rows = tables.map((t) => {
    const want = expected[t]!;
    const got = actual[t];
    return { t, want, got, same: got === want };
  });
  emit({
    type: 'rows',
    columns: ['table', 'manifest', 'restored', ''],
    rows: rows.map((r) => [r.t, String(r.want), r.got === undefined ? 'missing' : String(r.got), r.same ? '✔' : '✖']),
    total: rows.length,
  });
  const bad = rows.filter((r) => !r.same);
  if (!bad.length) return { ok: true, detail: `${plural(rows.length, 'table')}: the same row counts as when dumped` };
  const first = bad[0]!;
  return {
    ok: false,
    detail: `${plural(bad.length, 'table')} differ from the manifest, e.g. ${first.t}: ${first.got ?? 'missing'} restored, ${first.want} dumped`,
  };
}

async function sequencesStage(client: pg.Client, emit: EmitBackup): Promise<StageResult> {
  const found = await checkSequences(client);
  if (found.length) emitProblems(emit, found);
  const behind = found.filter((p) => p.problem === 'sequence behind');
  if (behind.length) return { ok: false, detail: `${plural(behind.length, 'sequence')} behind its table, e.g. ${behind[0]!.object}: ${behind[0]!.detail}` };
  if (found.length) return { ok: true, warn: true, detail: `${plural(found.length, 'sequence')} could not be checked: ${found[0]!.detail}` };
  return { ok: true, detail: 'every owned sequence is past its column\'s largest value' };
}

async function indexesStage(client: pg.Client, emit: EmitBackup): Promise<StageResult> {
  const found = await checkInvalidIndexes(client);
  if (!found.length) return { ok: true, detail: 'no invalid index' };
  emitProblems(emit, found);
  const what = found.length === 1 ? '1 invalid index' : `${found.length} invalid indexes`;
  return { ok: false, detail: `${what}, e.g. ${found[0]!.object} ${found[0]!.detail}` };
}

function emitProblems(emit: EmitBackup, found: CheckProblem[]): void {
  emit({ type: 'rows', columns: ['problem', 'object', 'detail'], rows: found.map((p) => [p.problem, p.object, p.detail]), total: found.length });
}

// ---------------------------------------------------------------------------------------------------------------
// The restore

interface DatabaseInfo {
  exists: boolean;
  is_owner: boolean | null;
  owner: string | null;
  is_template: boolean | null;
  allow_conn: boolean | null;
  size: string | null;
  can_create: boolean | null;
  server_major: number;
}

async function inspectDatabase(client: pg.Client, name: string): Promise<DatabaseInfo> {
  const r = await client.query<DatabaseInfo>(await readSql('restore/database.sql'), [name]);
  return r.rows[0]!;
}

/** Errors from pg_restore, shown and kept; advice for the ones an operator meets most. */
function restoreFailure(env: BackupEnv, name: string, database: string, errors: string[], failure: string | undefined): Failure {
  // errors also holds the lines that explain an error (Command was: …); count and quote the error lines themselves.
  const errorLines = errors.filter(isErrorLine);
  const count = errorLines.length || errors.length;
  const first = errorLines[0] ?? errors[0] ?? failure ?? 'pg_restore failed without saying why';
  const missingRole = errors.map((e) => /role "([^"]+)" does not exist/.exec(e)?.[1]).find((r) => r !== undefined);
  const advice = missingRole
    ? `The archive names the role "${missingRole}", which this server does not have: create it (CREATE ROLE ${quoteIdent(missingRole)}), or restore with no_owner (everything then belongs to ${env.target.user}).`
    : 'Read the first error: it is the cause; the rest usually follow from it. Fix it and restore again.';
  return {
    summary: errors.length ? `Restore of ${name} into ${database} failed: ${plural(count, 'error')}, first: ${first}` : `Restore of ${name} into ${database} failed: ${first}`,
    error: errors.length ? errors.join('\n') : first,
    advice,
  };
}

function isErrorLine(line: string): boolean {
  return /(^|: )error: |ERROR: /.test(line);
}

interface Plan {
  env: BackupEnv;
  req: RestoreRequest;
  ref: ArchiveRef;
  name: string;
  maint: pg.Client;
  info: DatabaseInfo;
  emit: EmitBackup;
  signal: AbortSignal;
}

export async function restoreArchive(env: BackupEnv, req: RestoreRequest, emit: EmitBackup, signal: AbortSignal): Promise<RestoreOutcome> {
  const base = { database: req.database, errors: [] as string[] };
  const badName = checkName(req);
  if (badName) return { ok: false, ...base, ...badName };

  const src = await resolveSource(env, req.file, emit);
  if ('failure' in src) return { ok: false, ...base, ...src.failure };
  const { ref } = src;
  const name = path.basename(ref.archive);

  let maint: pg.Client;
  try {
    maint = await maintenanceConnection(env, 'restore');
  } catch (e) {
    return { ok: false, ...base, file: ref.archive, summary: 'Cannot reach the server for the restore', error: pgMessage(env, e) };
  }
  try {
    const info = await inspectDatabase(maint, req.database);
    const plan: Plan = { env, req, ref, name, maint, info, emit, signal };
    const out = req.dryRun ? await dryRun(plan) : req.mode === 'replace' && info.exists ? await replace(plan) : await restoreNew(plan);
    return { ...out, file: ref.archive };
  } catch (e) {
    return { ok: false, ...base, file: ref.archive, summary: `Restore into ${req.database} failed`, error: pgMessage(env, e) };
  } finally {
    await maint.end().catch(() => {});
  }
}

function checkName(req: RestoreRequest): Failure | null {
  const n = req.database;
  if (!n || Buffer.byteLength(n, 'utf8') > 63) {
    return { summary: 'Bad database name', error: `"${n}" is not a usable database name (1 to 63 bytes).`, advice: 'Name the database to restore into.', refused: true };
  }
  if (PROTECTED.has(n)) {
    return { summary: `Will not restore into ${n}`, error: `${n} is a system database; a restore never creates over or drops it.`, advice: 'Restore into a database of your own.', refused: true };
  }
  return null;
}

function pgRestoreText(p: Plan, into: string): string {
  return showCommand('pg_restore', pgRestoreArgs(p.ref.archive, into, { jobs: p.req.jobs ?? DEFAULT_JOBS, noOwner: p.req.noOwner ?? false }));
}

async function dryRun(p: Plan): Promise<RestoreOutcome> {
  const { req, info, emit } = p;
  const base = { database: req.database, errors: [] as string[] };
  if (req.mode === 'new' && info.exists) return { ok: false, ...base, ...existsRefusal(req.database) };
  if (!info.can_create) return { ok: false, ...base, ...createRefusal(p.env) };
  const toc = await pgRestoreList(p.env, p.ref.archive, p.signal);
  if (!toc.ok) return { ok: false, ...base, summary: `${p.name} cannot be read`, error: scrub(p.env, toc.failure ?? 'pg_restore --list failed') };
  emit({ type: 'info', text: `${p.name} reads: ${toc.entries} ${toc.entries === 1 ? 'entry' : 'entries'} in its table of contents, ${plural(toc.tableData.length, 'table')} with data.` });
  const cmd = (text: string): void => emit({ type: 'command', text });
  if (req.mode === 'replace' && info.exists) {
    const refusal = replaceRefusal(p);
    if (refusal) return { ok: false, ...base, ...refusal };
    const sessions = await sessionsOn(p.maint, req.database);
    emit({ type: 'info', text: sessions.length ? `${plural(sessions.length, 'session')} would be cut off:` : `No session is connected to ${req.database} now.` });
    if (sessions.length) emitSessions(emit, sessions);
    const staging = stagingName(req.database);
    cmd(`ALTER DATABASE ${quoteIdent(req.database)} ALLOW_CONNECTIONS false`);
    cmd(`SELECT pg_terminate_backend(pid) for ${sessions.length ? sessions.map((s) => s.pid).join(', ') : 'each session connected by then'}`);
    cmd(`DROP DATABASE ${quoteIdent(req.database)}`);
    cmd(`CREATE DATABASE ${quoteIdent(staging)} TEMPLATE template0`);
    cmd(pgRestoreText(p, staging));
    cmd(`ANALYZE; checks; ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(req.database)}`);
  } else {
    cmd(`CREATE DATABASE ${quoteIdent(req.database)} TEMPLATE template0`);
    cmd(pgRestoreText(p, req.database));
    cmd('ANALYZE; row counts, sequences and invalid-index checks');
  }
  return { ok: true, ...base, summary: `Dry run: would restore ${p.name} into ${req.database}; nothing was changed` };
}

function existsRefusal(database: string): Failure {
  return {
    summary: `${database} already exists`,
    error: `The database ${database} already exists: a restore into a new database never touches an existing one.`,
    advice: `Choose another name, or replace ${database} (into=replace, which asks you to type its name).`,
    refused: true,
  };
}

function replaceRefusal(p: Plan): Failure | null {
  const { info, req, env } = p;
  if (info.is_template) {
    return { summary: `${req.database} is a template`, error: `${req.database} is a template database; a restore does not drop templates.`, refused: true };
  }
  if (!info.is_owner) {
    return {
      summary: `${env.target.user} may not drop ${req.database}`,
      error: `${req.database} belongs to ${info.owner}; only its owner (or a superuser) may drop it and refuse connections to it.`,
      advice: `Connect as ${info.owner}, or restore into a new database (into=new).`,
      refused: true,
    };
  }
  if (!info.can_create) return createRefusal(env);
  return null;
}

function createRefusal(env: BackupEnv): Failure {
  return {
    summary: `${env.target.user} may not create databases`,
    error: `The role ${env.target.user} has neither CREATEDB nor superuser, so it cannot create the database to restore into.`,
    advice: `ALTER ROLE ${quoteIdent(env.target.user)} CREATEDB (as a superuser), or restore as a role that may.`,
    refused: true,
  };
}

/** `<db>_restoring_<hex>`, cut to 63 bytes: a name the application does not know while the restore runs. */
export function stagingName(database: string): string {
  return fitName(database, `_restoring_${Math.random().toString(16).slice(2, 8)}`);
}

/** pg_restore into `into`; errors shown as stderr lines and never hidden behind a success. */
async function runPgRestore(p: Plan, into: string): Promise<{ ok: boolean; aborted: boolean; errors: string[]; failure?: string; ms: number }> {
  const r = await pgRestoreInto(p.env, p.ref.archive, into, { jobs: p.req.jobs ?? DEFAULT_JOBS, noOwner: p.req.noOwner ?? false }, p.emit, p.signal);
  const errors = r.errors.map((e) => scrub(p.env, e));
  for (const text of errors) p.emit({ type: 'output', text, stream: 'stderr' });
  const failure = r.failure === undefined ? undefined : scrub(p.env, r.failure);
  return { ok: r.ok && !r.aborted && errors.length === 0, aborted: r.aborted, errors, ms: r.ms, ...(failure !== undefined ? { failure } : {}) };
}

async function restoreNew(p: Plan): Promise<RestoreOutcome> {
  const { req, info, emit, maint, env } = p;
  const db = req.database;
  const base = { database: db, errors: [] as string[] };
  if (info.exists) return { ok: false, ...base, ...existsRefusal(db) };
  if (!info.can_create) return { ok: false, ...base, ...createRefusal(env) };
  if (req.mode === 'replace') emit({ type: 'info', text: `${db} does not exist: nothing to replace, restoring into a new database of that name.` });
  if (p.signal.aborted) return { ok: false, aborted: true, ...base, summary: 'Stopped before anything was created' };

  const create = `CREATE DATABASE ${quoteIdent(db)} TEMPLATE template0`;
  emit({ type: 'command', text: create });
  await maint.query(create);
  const r = await runPgRestore(p, db);
  if (!r.ok) {
    // The database is ours and half-restored: nothing else can be in it. Dropping it lets a retry use the name.
    const dropped = await dropQuietly(maint, db);
    emit({ type: 'info', text: dropped ? `Dropped the half-restored database ${db} (created by this restore).` : `Could not drop the half-restored ${db}: DROP DATABASE ${quoteIdent(db)} when done.`, stream: 'stderr' });
    if (r.aborted) return { ok: false, aborted: true, ...base, errors: r.errors, summary: `Restore into ${db} stopped${dropped ? '; the new database was dropped' : ''}` };
    return { ok: false, ...base, errors: r.errors, ...restoreFailure(env, p.name, db, r.errors, r.failure) };
  }
  emit({ type: 'info', text: `pg_restore finished without errors in ${seconds(r.ms)}.` });
  const failed = await postRestoreChecks(env, db, p.ref.manifest, emit);
  emit({ type: 'info', text: `To switch the application over, point it at ${connectionHint(env, db)} (the database ${db}).` });
  emit({ type: 'info', text: `The old database ${env.target.database} is untouched.` });
  return checked(base, p.name, db, failed);
}

function checked(base: { database: string; errors: string[] }, name: string, db: string, failed: string[]): RestoreOutcome {
  if (!failed.length) return { ok: true, ...base, summary: `Restored ${name} into ${db}; every check passed` };
  return {
    ok: false,
    ...base,
    summary: `Restored ${name} into ${db}, but ${plural(failed.length, 'check')} failed: ${failed[0]}`,
    error: failed.join('\n'),
    advice: 'Look at the failed checks before switching the application to this database.',
  };
}

async function dropQuietly(maint: pg.Client, db: string): Promise<boolean> {
  try {
    await maint.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)}`);
    return true;
  } catch {
    return false;
  }
}

async function setAllowConnections(maint: pg.Client, db: string, allow: boolean): Promise<void> {
  await maint.query(`ALTER DATABASE ${quoteIdent(db)} ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
}

/**
 * Cut off every session on the database. Our own main connection, when the database is the target's, is among
 * them: that is expected (the step reconnects afterwards). Returns the pids that could not be terminated.
 */
async function terminateSessions(p: Plan, sessions: SessionInfo[]): Promise<{ pid: number; message: string }[]> {
  const refused: { pid: number; message: string }[] = [];
  for (const s of sessions) {
    try {
      await p.maint.query('SELECT pg_terminate_backend($1)', [s.pid]);
    } catch (e) {
      refused.push({ pid: s.pid, message: pgMessage(p.env, e) });
    }
  }
  return refused;
}

interface DatabaseSetting {
  kind: 'setting' | 'privileges';
  statement: string | null;
  detail: string;
}

/**
 * Database-level settings and grants are not in an archive made without --create. Read before the drop and said,
 * so that they are carried over (settings) or re-granted (privileges) rather than lost without a word.
 */
async function databaseSettings(p: Plan): Promise<DatabaseSetting[]> {
  const r = await p.maint.query<DatabaseSetting>(await readSql('restore/database-settings.sql'), [p.req.database]);
  for (const row of r.rows) {
    if (row.kind === 'setting') p.emit({ type: 'info', text: `${p.req.database} has the setting ${row.detail}, which the archive does not hold: set again after the restore.` });
    else {
      p.emit({
        type: 'info',
        stream: 'stderr',
        text: `${p.req.database} had the privileges ${row.detail}; the archive does not hold them and the restored database gets the defaults (PUBLIC may connect). Re-grant what is needed: GRANT/REVOKE … ON DATABASE ${quoteIdent(p.req.database)}.`,
      });
    }
  }
  return r.rows;
}

/** ALTER DATABASE … SET again, on the restored database; a refused one (a superuser-only setting) is a warning. */
async function reapplySettings(p: Plan, settings: DatabaseSetting[]): Promise<void> {
  const statements = settings.flatMap((s) => (s.kind === 'setting' && s.statement ? [s.statement] : []));
  if (!statements.length) return;
  const failed: string[] = [];
  for (const st of statements) {
    p.emit({ type: 'command', text: st });
    await p.maint.query(st).catch((e: unknown) => failed.push(`${st}: ${pgMessage(p.env, e)}`));
  }
  p.emit({
    type: 'stage',
    name: 'database settings',
    ok: true,
    ...(failed.length ? { warn: true } : {}),
    detail: failed.length ? `${failed.length} of ${statements.length} not set again; run as a role that may: ${failed.join('; ')}` : `${plural(statements.length, 'setting')} of the old database set again`,
  });
}

/** DROP DATABASE; when sessions linger (PG ≥ 13), WITH (FORCE), which terminates them itself. */
async function dropDatabase(p: Plan): Promise<void> {
  const drop = `DROP DATABASE ${quoteIdent(p.req.database)}`;
  p.emit({ type: 'command', text: drop });
  try {
    await p.maint.query(drop);
  } catch (e) {
    // 55006: still being accessed (a session that ignored the signal, or a prepared transaction).
    if (sqlState(e) !== '55006' || p.info.server_major < 13) throw e;
    p.emit({ type: 'info', text: `${p.req.database} is still in use (${pgMessage(p.env, e)}); dropping WITH (FORCE).`, stream: 'stderr' });
    p.emit({ type: 'command', text: `${drop} WITH (FORCE)` });
    await p.maint.query(`${drop} WITH (FORCE)`);
  }
}

async function replace(p: Plan): Promise<RestoreOutcome> {
  const { req, emit, maint, env } = p;
  const db = req.database;
  const base = { database: db, errors: [] as string[] };
  const refusal = replaceRefusal(p);
  if (refusal) return { ok: false, ...base, ...refusal };
  const staging = stagingName(db);
  if ((await inspectDatabase(maint, staging)).exists) return { ok: false, ...base, summary: `${staging} exists`, error: `The staging name ${staging} is taken; try again.` };
  if (p.signal.aborted) return { ok: false, aborted: true, ...base, summary: 'Stopped before anything was changed' };

  // No new connections from here on: the application must not reconnect between the terminate and the drop.
  emit({ type: 'command', text: `ALTER DATABASE ${quoteIdent(db)} ALLOW_CONNECTIONS false` });
  await setAllowConnections(maint, db, false);
  let dropped = false;
  let settings: DatabaseSetting[] = [];
  try {
    const sessions = await sessionsOn(maint, db);
    emit({ type: 'info', text: sessions.length ? `Cutting off ${plural(sessions.length, 'session')} on ${db}:` : `No session is connected to ${db}.` });
    if (sessions.length) emitSessions(emit, sessions);
    const refused = await terminateSessions(p, sessions);
    if (refused.length) return { ok: false, ...base, ...terminateRefusal(env, db, refused) };
    settings = await databaseSettings(p);
    await dropDatabase(p);
    dropped = true;
  } catch (e) {
    return { ok: false, ...base, summary: `Could not drop ${db}; it was not changed and accepts connections again`, error: pgMessage(env, e), advice: 'Fix the cause (the message says what) and restore again.' };
  } finally {
    // Nothing was dropped (refused, or the drop failed): the old database goes back to serving as it was.
    if (!dropped) await setAllowConnections(maint, db, true).catch(() => {});
  }

  // The old database is gone. Restore under a name nobody connects to, rename when it is whole.
  const create = `CREATE DATABASE ${quoteIdent(staging)} TEMPLATE template0`;
  emit({ type: 'command', text: create });
  try {
    await maint.query(create);
  } catch (e) {
    return { ok: false, ...base, summary: `${db} was dropped, but the database to restore into could not be created`, error: pgMessage(env, e), advice: `Fix the cause and restore again into ${db} (into=new: it no longer exists).` };
  }
  const r = await runPgRestore(p, staging);
  if (!r.ok) {
    const where = `${db} was dropped; what was restored before the failure is in ${staging} for inspection (DROP DATABASE ${quoteIdent(staging)} when done). Restore again once the cause is fixed.`;
    emit({ type: 'info', text: where, stream: 'stderr' });
    if (r.aborted) return { ok: false, aborted: true, ...base, errors: r.errors, summary: `Restore stopped: ${where}` };
    const f = restoreFailure(env, p.name, db, r.errors, r.failure);
    return { ok: false, ...base, errors: r.errors, ...f, advice: `${where} ${f.advice ?? ''}`.trim() };
  }
  emit({ type: 'info', text: `pg_restore finished without errors in ${seconds(r.ms)}.` });
  const failed = await postRestoreChecks(env, staging, p.ref.manifest, emit);
  const rename = `ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(db)}`;
  emit({ type: 'command', text: rename });
  try {
    await maint.query(rename);
  } catch (e) {
    return { ok: false, ...base, summary: `Restored into ${staging}, but could not rename it to ${db}`, error: pgMessage(env, e), advice: `Run ${rename} once nothing is connected to ${staging}.` };
  }
  await reapplySettings(p, settings);
  emit({ type: 'info', text: `${db} is back, restored from ${p.name}; connections are allowed again (${connectionHint(env, db)}).` });
  return checked(base, p.name, db, failed);
}

function terminateRefusal(env: BackupEnv, db: string, refused: { pid: number; message: string }[]): Failure {
  const pids = refused.map((r) => r.pid).join(', ');
  return {
    summary: `Could not cut off ${plural(refused.length, 'session')} on ${db} (pid ${pids}); nothing was dropped`,
    error: `${env.target.user} may not terminate pid ${pids}: ${refused[0]!.message}`,
    advice: `GRANT pg_signal_backend TO ${quoteIdent(env.target.user)} (sessions of a superuser need a superuser), or stop those clients; then run the restore again. ${db} accepts connections again.`,
    refused: true,
  };
}
