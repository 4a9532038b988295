/**
 * test/bench/backup — our backup and restore engine against the raw PostgreSQL commands it wraps, on a sandbox of
 * about 1 GB shaped like DESIGN §11's (the Sim tables at scale 10 plus one dominating `workflow_log` table of
 * BENCH_BACKUP_ROWS rows, default 4,000,000). Every baseline is measured in the same run, on the same server, with the
 * same client binaries, through the same process runner (src/tools/run.ts) and the same PG* environment with a 0600
 * PGPASSFILE (never a password in argv). Not an assertion test: it prints a table of ratios and exits 0 even when a
 * ratio misses its target (it exits 1 only when a case could not be measured at all).
 *
 *   1. A = raw `pg_dump -Fc -f FILE`  vs  runBackup kind full, verify off (target ≤ 1.05); runBackup with verification
 *      as a separate line (it reads the archive back and decodes every block: no target).
 *   2. B = the seeds' `pg_dump -Fc | gzip > FILE.gz`  vs  runBackup kind directory, jobs 2 (archive sizes side by side).
 *   3. C = raw `createdb` + `pg_restore -d NEW` of A's archive (default session settings)  vs  restoreArchive mode new
 *      with jobs 1 and jobs 2 (our restore also runs ANALYZE and the post-restore checks: the pg_restore part is
 *      reported apart from the whole step). Raw `pg_restore -j2` is printed as a reference line.
 *
 *   npm run bench:backup
 *   = npm run build && tsc -p test/bench/tsconfig.json && node tmp/bench/test/bench/backup.js
 *
 * Environment: BENCH_BACKUP_ROWS (rows of workflow_log, default 4000000; e.g. 200000 for a quick run),
 * BENCH_REPEAT (runs per case, default 1; the median is reported), BENCH_SIM_SCALE (default 10).
 *
 * The engine is loaded from dist/ (what `npm run build` produced, what operators run), not from the copy tsc writes
 * to tmp/bench/src: the engine finds its SQL files (sql/backup, sql/restore) relative to its own location.
 */
// src/db/connection.ts imports pgpass's helper, typed by this ambient declaration (which tsconfig.json's "src" pulls in
// for the main build, but the bench's include list does not).
/// <reference path="../../src/types/pgpass.d.ts" />
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import type * as DumpModule from '../../src/backup/dump.js';
import type { BackupEnv } from '../../src/backup/env.js';
import type * as RestoreModule from '../../src/backup/restore.js';
import type * as ToolsModule from '../../src/backup/tools.js';
import type { BackupEvent, BackupOutcome, RestoreOutcome } from '../../src/core/backup.js';
import type * as ConnectionModule from '../../src/db/connection.js';
import type * as SandboxModule from '../../src/sandbox/sandbox.js';
import type * as RunModule from '../../src/tools/run.js';
import type { RunResult } from '../../src/tools/run.js';

// ---------------------------------------------------------------------------------------------------------------
// Where things are

/** The repository root, found by walking up (this file runs compiled from tmp/bench/…). */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'parlant-runbook') return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the parlant-runbook repository above this file');
}

const ROOT = repoRoot();

async function fromDist<T>(rel: string): Promise<T> {
  const file = path.join(ROOT, 'dist', rel);
  if (!existsSync(file)) throw new Error(`${file} is missing: npm run build first`);
  return (await import(pathToFileURL(file).href)) as T;
}

function intEnv(name: string, dflt: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${raw})`);
  return n;
}

const DEFAULT_ROWS = 4_000_000;
const ROWS = intEnv('BENCH_BACKUP_ROWS', DEFAULT_ROWS, 1000, 100_000_000);
const REPEAT = intEnv('BENCH_REPEAT', 1, 1, 50);
const SIM_SCALE = intEnv('BENCH_SIM_SCALE', 10, 1, 1000);
const TARGET = 1.05;

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const log = (s = ''): void => console.log(s);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const secs = (ms: number): string => (ms / 1000).toFixed(1);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Bytes of a file, or of all files under a directory. */
function sizeOf(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirRecursive(p)) total += statSync(name).size;
  return total;
}

function readdirRecursive(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...readdirRecursive(full));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

/** One query on a fresh connection. */
async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, application_name: 'bench-backup' });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function inDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

interface Phases {
  /** From the call to pg_dump's start: connecting, version and space checks, the snapshot, the manifest's row counts. */
  beforeMs: number;
  /** pg_dump itself (for the raw commands: the whole process or pipeline). */
  toolMs: number;
  /** From pg_dump's end to "Backup written": permissions, sha256, pg_restore --list, publish, manifest. */
  afterMs: number;
  /** From "Backup written" to the return: the verification. */
  verifyMs?: number;
}

interface Recorder {
  emit: (e: BackupEvent) => void;
  events: BackupEvent[];
  infos: () => string[];
  /** Where a backup's wall time went, from when the events arrived (t0: the recorder's creation, just before the call). */
  phases: (wallMs: number) => Phases | undefined;
}

/** An emit that keeps what the engine reports (progress events dropped), and when the milestones arrived. */
function recorder(): Recorder {
  const t0 = performance.now();
  const events: BackupEvent[] = [];
  let commandAt: number | undefined;
  let toolEndAt: number | undefined;
  let writtenAt: number | undefined;
  return {
    emit: (e) => {
      const t = performance.now() - t0;
      if (e.type === 'command' && commandAt === undefined) commandAt = t;
      if (e.type === 'progress' && e.progress === null && commandAt !== undefined && toolEndAt === undefined) toolEndAt = t;
      if (e.type === 'info' && e.text.startsWith('Backup written:') && writtenAt === undefined) writtenAt = t;
      if (e.type !== 'progress') events.push(e);
    },
    events,
    infos: () => events.flatMap((e) => (e.type === 'info' || e.type === 'output' ? [e.text] : [])),
    phases: (wallMs) => {
      if (commandAt === undefined || toolEndAt === undefined) return undefined;
      const end = writtenAt ?? wallMs;
      return { beforeMs: commandAt, toolMs: toolEndAt - commandAt, afterMs: end - toolEndAt, ...(writtenAt !== undefined && wallMs - writtenAt > 50 ? { verifyMs: wallMs - writtenAt } : {}) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The data: Sim at a modest scale, plus one workflow_log table that dominates (DESIGN §11's shape)

/**
 * workflow_log: id, workflow_id (FK to workflow, skewed toward a few busy workflows), created_at over two years,
 * level, and a message of about 150 characters built from a handful of log templates filled with numbers, hex ids and
 * pseudo-words drawn from md5 (compresses about 3×, like real logs with ids in them; DESIGN §11: 960 MB → 254 MB).
 * One INSERT … SELECT generate_series, then the primary key, an index, the foreign key, VACUUM (FREEZE, ANALYZE) so
 * that no contender pays for hint bits or visibility-map writes the one before it left behind.
 */
function logTableSql(rows: number, workflows: number): string[] {
  const pick = (items: string[], by: string): string => `(ARRAY[${items.map((s) => `'${s}'`).join(',')}])[1 + ${by}]`;
  const exec = "substr(g.h1, 1, 8) || '-' || substr(g.h1, 9, 4) || '-' || substr(g.h1, 13, 4) || '-' || substr(g.h1, 17, 12)";
  const message = `CASE g.k
      WHEN 0 THEN 'Block "' || g.wd[1] || ' ' || g.wd[2] || '" (' || ${pick(['agent', 'api', 'function', 'condition', 'router', 'evaluator', 'knowledge', 'response'], 'g.i % 8')}
                  || ') completed in ' || g.ms || ' ms; output ' || g.nb || ' bytes; execution ' || ${exec}
      WHEN 1 THEN 'Calling ' || ${pick(['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet', 'claude-3-haiku', 'gemini-1.5-pro', 'llama-3.1-70b'], 'g.i % 6')}
                  || ' with ' || (g.nb % 8000) || ' prompt tokens, temperature 0.' || (g.i % 10)
                  || ': "' || g.wd[1] || ' ' || g.wd[2] || ' ' || g.wd[3] || ' ' || g.wd[4] || ' ' || g.wd[5] || ' ' || g.wd[6] || '"'
      WHEN 2 THEN 'HTTP ' || ${pick(['GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE'], 'g.i % 6')} || ' https://api.' || g.wd[3] || '.com/v1/' || g.wd[4] || '/' || substr(g.h1, 1, 12)
                  || ' returned ' || ${pick(['200', '200', '200', '201', '204', '400', '401', '404', '429', '500', '502'], 'g.i % 11')} || ' in ' || g.ms || ' ms ('
                  || g.nb || ' bytes, request id ' || substr(g.h1, 13, 20) || ')'
      WHEN 3 THEN 'Condition "' || g.wd[1] || ' ' || g.wd[2] || ' ' || g.wd[5] || '" evaluated to ' || (g.i % 2 = 0) || '; following branch ' || (1 + g.i % 4)
                  || ' to block ' || substr(g.h1, 1, 8) || '-' || substr(g.h1, 9, 4) || ' after ' || g.ms || ' ms'
      WHEN 4 THEN 'Retrying "' || g.wd[2] || ' ' || g.wd[6] || '" after ' || ${pick(['429 Too Many Requests', '502 Bad Gateway', 'ETIMEDOUT', 'ECONNRESET', '503 Service Unavailable'], 'g.i % 5')}
                  || ' from ' || g.wd[3] || '.' || g.wd[4] || '.com (attempt ' || (1 + g.i % 3) || ' of 3, backing off ' || g.ms || ' ms); trace ' || substr(g.h1, 1, 16)
      WHEN 5 THEN 'Agent response (' || g.nb % 2000 || ' tokens): ' || g.wd[1] || ' ' || g.wd[2] || ' ' || g.wd[3] || ', ' || g.wd[4] || ' ' || g.wd[5] || ' ' || g.wd[6]
                  || '. See the ' || g.wd[2] || ' for details.'
      WHEN 6 THEN 'Webhook trigger ' || substr(g.h1, 1, 8) || '-' || substr(g.h1, 9, 4) || ' received ' || g.nb || ' bytes from '
                  || (g.i % 223) || '.' || (g.i % 197) || '.' || (g.i % 251) || '.' || (1 + g.i % 250)
                  || '; payload keys: ' || g.wd[1] || ', ' || g.wd[3] || ', ' || g.wd[5] || ', ' || g.wd[6]
      ELSE 'Knowledge base search "' || g.wd[1] || ' ' || g.wd[4] || ' ' || g.wd[6] || '" matched ' || (g.i % 40) || ' chunks in ' || g.ms
                  || ' ms (top score 0.' || (1000 + g.nb % 9000) || ', model text-embedding-3-small)'
    END || ' [run ' || (g.nb % 5000) || ', step ' || (1 + g.i % 12) || ' of 12, ' || ${pick(['manual', 'api', 'schedule', 'webhook', 'chat'], 'g.i % 5')} || ' trigger]'`;
  return [
    'SET jit = off',
    `CREATE TABLE workflow_log (
       id          bigint GENERATED BY DEFAULT AS IDENTITY,
       workflow_id text NOT NULL,
       created_at  timestamp NOT NULL,
       level       text NOT NULL,
       message     text NOT NULL
     )`,
    'CREATE TEMP TABLE bench_wf AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM workflow',
    'SELECT setseed(0.1234)',
    `INSERT INTO workflow_log (workflow_id, created_at, level, message)
     SELECT w.id,
            localtimestamp(0) - interval '730 days' + g.i * (interval '730 days' / ${rows}) + g.r3 * interval '20 seconds',
            CASE WHEN g.r < 0.02 THEN 'error' WHEN g.r < 0.09 THEN 'warn' WHEN g.r < 0.85 THEN 'info' ELSE 'debug' END,
            ${message}
     FROM (
       SELECT i, wfn, r, r3, k, ms, nb, h1,
              ARRAY[substr(t, 1, 6), substr(t, 7, 4), substr(t, 11, 7), substr(t, 18, 5), substr(t, 23, 3), substr(t, 26, 7)] AS wd
       FROM (
         SELECT i, 1 + floor(${workflows} * power(random(), 3))::bigint AS wfn, random() AS r, random() AS r3, floor(random() * 8)::int AS k,
                floor(5 + random() * random() * 30000)::int AS ms, floor(random() * 250000)::int AS nb,
                md5(i::text) AS h1, translate(md5((i::bigint * 7919)::text || 'w'), '0123456789abcdef', 'aeioustrnlmdpkgh') AS t
         FROM generate_series(1, ${rows}) AS s(i)
       ) AS x
     ) AS g
     JOIN bench_wf w ON w.n = g.wfn`,
    'DROP TABLE bench_wf',
    'ALTER TABLE workflow_log ADD PRIMARY KEY (id)',
    "SELECT setval(pg_get_serial_sequence('workflow_log', 'id'), max(id)) FROM workflow_log",
    'CREATE INDEX workflow_log_workflow_created_idx ON workflow_log (workflow_id, created_at)',
    'ALTER TABLE workflow_log ADD CONSTRAINT workflow_log_workflow_fk FOREIGN KEY (workflow_id) REFERENCES workflow (id)',
    'VACUUM (FREEZE, ANALYZE)',
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

interface Sample {
  ms: number;
  bytes?: number;
  /** Restores: pg_restore alone (ours: the engine's own figure, which includes its pg_restore --list). */
  restoreMs?: number;
  analyzeMs?: number;
  /** Backups: where the time went. */
  phases?: Phases;
  note?: string;
}

interface Case {
  group: 1 | 2 | 3;
  /** A, B, C for baselines; undefined for the others. */
  label?: string;
  name: string;
  /** A raw PostgreSQL command (not our engine). */
  raw: boolean;
  /** The label of the baseline this case is compared with. */
  vs: string;
  target?: number;
  comment?: string;
  samples: Sample[];
  failed?: string;
}

const cases: Case[] = [];
function newCase(c: Omit<Case, 'samples'>): Case {
  const x: Case = { ...c, samples: [] };
  cases.push(x);
  return x;
}

function fail(c: Case, why: string): void {
  c.failed = c.failed ?? why;
  log(`  ✖ ${c.name} failed: ${why}`);
}

function done(c: Case, s: Sample): void {
  c.samples.push(s);
  const extra = [s.bytes !== undefined ? `${int(s.bytes)} bytes` : '', s.restoreMs !== undefined ? `pg_restore ${secs(s.restoreMs)} s` : '', s.note ?? ''].filter(Boolean);
  log(`  ${c.name}: ${secs(s.ms)} s${extra.length ? ` (${extra.join(', ')})` : ''}`);
}

function rawFailure(run: typeof RunModule, r: RunResult): string {
  return run.describeFailure(r, 8);
}

function outcomeFailure(o: BackupOutcome | RestoreOutcome): string {
  return [o.summary, o.error, o.advice].filter(Boolean).join('\n    ');
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  // Neither side inherits the caller's connection settings (PGOPTIONS would change the restore sessions, PGHOST …).
  const dropped = Object.keys(process.env).filter((k) => k.startsWith('PG') || k === 'DATABASE_URL');
  for (const k of dropped) delete process.env[k];
  if (dropped.length) log(`(ignoring ${dropped.join(', ')} from the environment: both sides get only the sandbox's settings)`);
  const sandbox = await fromDist<typeof SandboxModule>('sandbox/sandbox.js');
  const dump = await fromDist<typeof DumpModule>('backup/dump.js');
  const restore = await fromDist<typeof RestoreModule>('backup/restore.js');
  const tools = await fromDist<typeof ToolsModule>('backup/tools.js');
  const conn = await fromDist<typeof ConnectionModule>('db/connection.js');
  const run = await fromDist<typeof RunModule>('tools/run.js');
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  const work = mkdtempSync(path.join(os.tmpdir(), 'prb-bench-backup-'));
  const stateDir = path.join(work, 'state');
  const rawDir = path.join(work, 'raw');
  const backupDir = path.join(work, 'backups');
  const tmpDir = path.join(work, 'tmp');
  for (const d of [stateDir, rawDir, tmpDir]) mkdirSync(d, { mode: 0o700 });

  let cleaned = false;
  let childCleanup: (() => Promise<void>) | undefined;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await childCleanup?.().catch(() => undefined);
    const s = await sandbox.stopSandbox({ stateDir }).catch((e: unknown) => {
      console.error(`could not stop the sandbox (state dir ${stateDir}): ${(e as Error).message}`);
      return null;
    });
    rmSync(work, { recursive: true, force: true });
    if (s?.stopped) log('sandbox stopped and removed; archives removed');
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping the sandbox and removing the archives …`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  let exitCode = 0;
  try {
    // --- the sandbox and its data
    const tStart = performance.now();
    log(`backup bench: starting a Sim sandbox (scale ${SIM_SCALE}) …`);
    const info = await sandbox.startSandbox({ stateDir, scale: SIM_SCALE, onProgress: (m) => log(`  ${m}`) });
    const url = info.url;
    const superUrl = info.superuserUrl;
    const maintUrl = inDatabase(url, 'postgres');

    log(`generating workflow_log: ${int(ROWS)} rows${ROWS === DEFAULT_ROWS ? '' : ` (BENCH_BACKUP_ROWS; default ${int(DEFAULT_ROWS)})`} …`);
    const workflows = Number((await query<{ n: string }>(url, 'SELECT count(*) AS n FROM workflow'))[0]?.n ?? 0);
    if (!workflows) throw new Error('the sandbox has no workflow rows');
    const gen = await timed(async () => {
      const c = new pg.Client({ connectionString: url, application_name: 'bench-backup load' });
      await c.connect();
      try {
        for (const sql of logTableSql(ROWS, workflows)) await c.query(sql);
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    await query(superUrl, 'CHECKPOINT');
    log(`  done in ${secs(gen.ms)} s (sandbox + data ${secs(performance.now() - tStart)} s)`);

    const sizes = (
      await query<{ db: string; db_bytes: string; log: string; log_heap: string; avg_msg: string }>(
        url,
        `SELECT pg_size_pretty(pg_database_size(current_database())) AS db, pg_database_size(current_database()) AS db_bytes,
                pg_size_pretty(pg_total_relation_size('workflow_log')) AS log, pg_size_pretty(pg_relation_size('workflow_log')) AS log_heap,
                (SELECT round(avg(length(message))) FROM workflow_log TABLESAMPLE SYSTEM (1)) AS avg_msg`,
      )
    )[0]!;
    const settings = await query<{ name: string; setting: string; unit: string | null }>(
      url,
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'archive_mode', 'shared_buffers', 'maintenance_work_mem', 'max_wal_size')
       ORDER BY array_position(ARRAY['fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'archive_mode', 'shared_buffers', 'maintenance_work_mem', 'max_wal_size'], name::text)`,
    );
    const showSetting = (s: { name: string; setting: string; unit: string | null }): string => {
      if (s.unit === '8kB') return `${s.name} ${Math.round((Number(s.setting) * 8) / 1024)}MB`;
      if (s.unit === 'kB') return `${s.name} ${Math.round(Number(s.setting) / 1024)}MB`;
      return `${s.name} ${s.setting}${s.unit ?? ''}`;
    };

    // --- the environment both sides use: PG* and a 0600 PGPASSFILE, no password in argv
    const appName = `parlant-runbook/${version} bench`;
    const target = await conn.resolveTarget({ db: url, env: {}, appName });
    const child = await conn.childProcessEnv(target, { tmpDir, appName });
    childCleanup = child.cleanup;
    const env: BackupEnv = {
      target,
      appName,
      backupDir,
      tmpDir,
      childEnv: child.env,
      secrets: target.password ? [target.password] : [],
      pathEnv: process.env.PATH ?? '',
      toolVersion: version,
    };
    const serverMajor = Number(/^(\d+)/.exec(info.serverVersion)?.[1] ?? 0);
    const pgDump = await tools.pickFor(env, 'pg_dump', serverMajor, info.serverVersion);
    const pgRestore = await tools.pickFor(env, 'pg_restore', serverMajor, info.serverVersion);
    const gzipV = await run.runToEnd('gzip', ['--version']);
    const raw = (file: string, args: string[], extra: Record<string, string | undefined> = {}): Promise<RunResult> =>
      run.runToEnd(file, args, { env: { ...env.childEnv, ...extra } });

    log('');
    log(`PostgreSQL ${info.serverVersion}; ${os.cpus().length} CPUs; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (1/5/15 min)`);
    log(
      `data: Sim scale ${SIM_SCALE} + workflow_log ${int(ROWS)} rows${ROWS === DEFAULT_ROWS ? ' (the default size)' : ` (BENCH_BACKUP_ROWS=${ROWS}; the default is ${int(DEFAULT_ROWS)})`}, ` +
        `message ≈ ${sizes.avg_msg} chars`,
    );
    log(`database sim: ${sizes.db} (pg_size_pretty(pg_database_size)); workflow_log ${sizes.log} with its indexes (${sizes.log_heap} heap)`);
    log(`server (the sandbox's throwaway settings): ${settings.map(showSetting).join(', ')}`);
    log(`clients: ${pgDump.path} (${tools.shortVersion(pgDump.version)}), ${pgRestore.path}, ${String(gzipV.stdoutTail[0] ?? 'gzip')}`);
    log(`runs per case: ${REPEAT}${REPEAT > 1 ? ' (median reported)' : ' (BENCH_REPEAT=n for the median of n)'}`);
    const load1 = os.loadavg()[0] ?? 0;
    if (load1 > os.cpus().length * 0.75) {
      log(`note: the machine is busy (load ${load1.toFixed(1)} on ${os.cpus().length} CPUs) before the bench starts: expect noisy ratios${REPEAT === 1 ? '; BENCH_REPEAT=3 or more helps' : ''}.`);
    }
    log('');

    const ac = new AbortController();
    const checkpoint = (): Promise<unknown> => query(superUrl, 'CHECKPOINT');
    const dropDb = (db: string): Promise<unknown> => query(maintUrl, `DROP DATABASE IF EXISTS ${db}`);
    const removeBackup = (o: BackupOutcome | undefined): void => {
      if (o?.file) rmSync(o.file, { recursive: true, force: true });
      if (o?.manifestPath) rmSync(o.manifestPath, { force: true });
    };
    const runId = `bench-${process.pid}`;

    // --- 1: custom format
    log('1. full backup, custom format');
    const cA = newCase({ group: 1, raw: true, label: 'A', name: 'pg_dump -Fc -f FILE', vs: 'A' });
    const c1 = newCase({ group: 1, raw: false, name: 'ours: backup full, verify off', vs: 'A', target: TARGET });
    const c1v = newCase({ group: 1, raw: false, name: 'ours: backup full, verify on', vs: 'A', comment: 'no target: also re-hashes the archive, lists it and decodes every block (pg_restore -f /dev/null)' });
    const fileA = path.join(rawDir, 'baseline_a.dump');
    let ours: BackupOutcome | undefined;
    await rounds([
      async () => {
        rmSync(fileA, { force: true });
        await checkpoint();
        const a = await timed(() => raw(pgDump.path, ['-Fc', '-f', fileA]));
        if (a.value.ok) done(cA, { ms: a.ms, bytes: sizeOf(fileA), phases: { beforeMs: 0, toolMs: a.value.durationMs, afterMs: 0 } });
        else fail(cA, rawFailure(run, a.value));
      },
      async () => {
        await checkpoint();
        const rec = recorder();
        const b = await timed(() => dump.runBackup(env, { kind: 'full', verify: false, runId, operator: 'bench', dryRun: false }, rec.emit, ac.signal));
        const phases = rec.phases(b.ms);
        if (b.value.ok && b.value.file) done(c1, { ms: b.ms, bytes: sizeOf(b.value.file), ...(phases ? { phases } : {}) });
        else fail(c1, outcomeFailure(b.value));
        removeBackup(b.value);
      },
      async () => {
        await checkpoint();
        const rec = recorder();
        const v = await timed(() => dump.runBackup(env, { kind: 'full', verify: true, runId, operator: 'bench', dryRun: false }, rec.emit, ac.signal));
        if (v.value.ok && v.value.file) {
          // "Backup written: … (254 MB, 31.9 s)" comes before the verification: the rest of the wall is verifying.
          const written = rec.infos().map((t) => /^Backup written: .*, ([\d.]+) s\)$/.exec(t)?.[1]).find((x) => x !== undefined);
          const stages = rec.events.flatMap((e) => (e.type === 'stage' ? [`${e.name} ${e.ok ? '✔' : '✖'}`] : []));
          const verifying = written !== undefined ? `verification ≈ ${secs(v.ms - Number(written) * 1000)} s after the dump's ${written} s: ` : 'verification: ';
            const phases = rec.phases(v.ms);
          done(c1v, { ms: v.ms, bytes: sizeOf(v.value.file), ...(phases ? { phases } : {}), note: `${verifying}${stages.join(', ') || 'no stage reported'}` });
          removeBackup(ours);
          ours = v.value; // verified: what a restore would pick; kept for group 3
        } else {
          fail(c1v, outcomeFailure(v.value));
          removeBackup(v.value);
        }
      },
    ]);

    // --- 2: the seeds' gzip pipeline vs our parallel directory backup
    log('2. the seeds\' backup vs our parallel directory backup');
    const cB = newCase({ group: 2, raw: true, label: 'B', name: 'pg_dump -Fc | gzip > FILE.gz', vs: 'B' });
    const c2 = newCase({ group: 2, raw: false, name: 'ours: backup directory, jobs 2', vs: 'B' });
    const fileB = path.join(rawDir, 'baseline_b.dump.gz');
    await rounds([
      async () => {
        await checkpoint();
        const a = await timed(() => raw('bash', ['-c', 'set -o pipefail; "$1" -Fc | gzip > "$2"', 'bench-seeds-backup', pgDump.path, fileB]));
        if (a.value.ok) done(cB, { ms: a.ms, bytes: sizeOf(fileB), phases: { beforeMs: 0, toolMs: a.value.durationMs, afterMs: 0 } });
        else fail(cB, rawFailure(run, a.value));
        rmSync(fileB, { force: true });
      },
      async () => {
        await checkpoint();
        const rec = recorder();
        const d = await timed(() => dump.runBackup(env, { kind: 'directory', jobs: 2, verify: false, runId, operator: 'bench', dryRun: false }, rec.emit, ac.signal));
        const phases = rec.phases(d.ms);
        if (d.value.ok && d.value.file) done(c2, { ms: d.ms, bytes: sizeOf(d.value.file), ...(phases ? { phases } : {}) });
        else fail(c2, outcomeFailure(d.value));
        removeBackup(d.value);
      },
    ]);

    // --- 3: restore into a new database
    log('3. restore into a new database');
    const cC = newCase({ group: 3, raw: true, label: 'C', name: 'createdb; pg_restore -d NEW (A\'s archive)', vs: 'C' });
    const cC2 = newCase({ group: 3, raw: true, name: 'createdb; pg_restore -j2 -d NEW (reference)', vs: 'C' });
    const c3a = newCase({ group: 3, raw: false, name: 'ours: restore new, jobs 1', vs: 'C' });
    const c3b = newCase({ group: 3, raw: false, name: 'ours: restore new, jobs 2', vs: 'C' });
    const haveA = existsSync(fileA) && !cA.failed;
    const rawRestore = async (c: Case, db: string, jobs: string[]): Promise<void> => {
      if (!haveA) return fail(c, 'no baseline archive (case A failed)');
      await dropDb(db);
      await checkpoint();
      const t0 = performance.now();
      await query(maintUrl, `CREATE DATABASE ${db} TEMPLATE template0`);
      const createMs = performance.now() - t0;
      const r = await raw(pgRestore.path, [...jobs, '-d', db, fileA]);
      const ms = performance.now() - t0;
      if (r.ok) done(c, { ms, restoreMs: r.durationMs, note: `createdb ${secs(createMs)} s` });
      else fail(c, rawFailure(run, r));
      await dropDb(db);
    };
    const ourRestore = async (c: Case, db: string, jobs: number): Promise<void> => {
      if (!ours?.file) return fail(c, 'no archive of ours (the verified full backup failed)');
      await dropDb(db);
      await checkpoint();
      const rec = recorder();
      const r = await timed(() => restore.restoreArchive(env, { file: ours!.file!, database: db, mode: 'new', jobs, runId, dryRun: false }, rec.emit, ac.signal));
      const said = rec.infos().map((t) => /pg_restore finished without errors in ([\d.]+) s/.exec(t)?.[1]).find((x) => x !== undefined);
      const analyze = rec.events.flatMap((e) => (e.type === 'stage' && e.name === 'analyze' ? [/in ([\d.]+) s/.exec(e.detail)?.[1]] : [])).find((x) => x !== undefined);
      if (r.value.ok) {
        done(c, {
          ms: r.ms,
          ...(said !== undefined ? { restoreMs: Number(said) * 1000 } : {}),
          ...(analyze !== undefined ? { analyzeMs: Number(analyze) * 1000 } : {}),
        });
      } else {
        fail(c, outcomeFailure(r.value));
      }
      await dropDb(db);
    };
    await rounds([
      () => rawRestore(cC, 'bench_restore_c', []),
      () => rawRestore(cC2, 'bench_restore_c2', ['-j', '2']),
      () => ourRestore(c3a, 'bench_restore_j1', 1),
      () => ourRestore(c3b, 'bench_restore_j2', 2),
    ]);
    removeBackup(ours);
    rmSync(fileA, { force: true });

    // --- the table
    log('');
    log(`load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (1/5/15 min); ${os.cpus().length} CPUs`);
    exitCode = report();
  } finally {
    await cleanup();
  }
  process.exitCode = exitCode;
}

/** BENCH_REPEAT rounds of the contenders; every second round in the reverse order, so that none always goes first. */
async function rounds(steps: (() => Promise<void>)[]): Promise<void> {
  for (let round = 1; round <= REPEAT; round++) {
    if (REPEAT > 1) log(` round ${round} of ${REPEAT}${round % 2 ? '' : ' (reverse order)'}`);
    for (const step of round % 2 ? steps : [...steps].reverse()) await step();
  }
}

function caseMs(c: Case): number | undefined {
  return c.samples.length ? median(c.samples.map((s) => s.ms)) : undefined;
}

function caseOf(label: string): Case | undefined {
  return cases.find((c) => c.label === label);
}

/** Print the results; returns the exit code (1 only when a case could not be measured). */
function report(): number {
  const head = ['', 'case', 'wall s', 'archive bytes', 'size vs', 'ratio', 'vs', 'target'];
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const c of cases) {
    const ms = caseMs(c);
    const base = caseOf(c.vs);
    const baseMs = base ? caseMs(base) : undefined;
    const bytes = c.samples.at(-1)?.bytes;
    const baseBytes = base?.samples.at(-1)?.bytes;
    const ratio = ms !== undefined && baseMs ? ms / baseMs : undefined;
    let target = '';
    if (c.target !== undefined) {
      if (ratio === undefined) target = `≤ ${c.target.toFixed(2)} ?`;
      else target = `≤ ${c.target.toFixed(2)} ${ratio <= c.target ? '✔' : '✖'}`;
    }
    rows.push([
      c.label ? `${c.group}${c.label}` : `${c.group}`,
      c.name,
      c.failed ? 'FAILED' : ms !== undefined ? secs(ms) : '-',
      bytes !== undefined ? int(bytes) : '',
      bytes !== undefined && baseBytes && c.label === undefined ? `${(bytes / baseBytes).toFixed(3)}×` : '',
      c.failed ? '-' : c.label ? '1.000' : ratio !== undefined ? ratio.toFixed(3) : '-',
      c.vs,
      target,
    ]);
    if (c.target !== undefined && ratio !== undefined) {
      verdicts.push(
        ratio <= c.target
          ? `TARGET MET: ${c.name} / ${caseOf(c.vs)?.name} = ${ratio.toFixed(3)} ≤ ${c.target.toFixed(2)} ✔`
          : `TARGET MISSED: ${c.name} / ${caseOf(c.vs)?.name} = ${ratio.toFixed(3)} > ${c.target.toFixed(2)} ✖ (a measurement, not a test: exit code 0)`,
      );
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = new Set([2, 3, 4, 5]);
  const line = (r: string[]): string => r.map((x, i) => (right.has(i) ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  log(line(head));
  log(widths.map((w) => '-'.repeat(w)).join('  '));
  let group = 0;
  for (const [i, r] of rows.entries()) {
    const c = cases[i]!;
    if (group && c.group !== group) log('');
    group = c.group;
    log(line(r));
  }
  log('');
  log('wall s: the whole operation as the caller waits for it; ratio: wall ÷ the wall of its baseline; size vs: archive bytes ÷ the baseline\'s.');
  for (const c of cases) {
    const note = c.group !== 3 ? c.samples.at(-1)?.note : undefined;
    if (c.comment || note) log(`${c.name}: ${[c.comment, note].filter(Boolean).join('; ')}`);
  }

  // The backup breakdown: pg_dump alone versus what we do around it.
  log('');
  log('backup breakdown (seconds)');
  const dHead = ['case', 'whole', 'before pg_dump', 'pg_dump', 'after pg_dump', 'verification', 'pg_dump ratio'];
  const dRows: string[][] = [];
  const medianOf = (c: Case, f: (p: Phases) => number | undefined): number | undefined => {
    const xs = c.samples.map((x) => (x.phases ? f(x.phases) : undefined));
    return xs.length && xs.every((x) => x !== undefined) ? median(xs as number[]) : undefined;
  };
  for (const c of cases.filter((x) => x.group !== 3)) {
    if (!c.samples.length) {
      dRows.push([c.name, 'FAILED', '', '', '', '', '']);
      continue;
    }
    const tool = medianOf(c, (p) => p.toolMs);
    const base = caseOf(c.vs);
    const baseTool = base ? medianOf(base, (p) => p.toolMs) : undefined;
    const show = (x: number | undefined): string => (x === undefined ? '?' : secs(x));
    dRows.push([
      c.name,
      secs(median(c.samples.map((x) => x.ms))),
      c.raw ? '-' : show(medianOf(c, (p) => p.beforeMs)),
      show(tool),
      c.raw ? '-' : show(medianOf(c, (p) => p.afterMs)),
      c.raw ? '-' : show(medianOf(c, (p) => p.verifyMs ?? 0)),
      tool !== undefined && baseTool ? (tool / baseTool).toFixed(3) : '-',
    ]);
  }
  const dw = dHead.map((h, i) => Math.max(h.length, ...dRows.map((r) => r[i]!.length)));
  const dLine = (r: string[]): string => r.map((x, i) => (i ? x.padStart(dw[i]!) : x.padEnd(dw[i]!))).join('  ').trimEnd();
  log(dLine(dHead));
  log(dw.map((w) => '-'.repeat(w)).join('  '));
  for (const r of dRows) log(dLine(r));
  log(
    'before: connect, versions, disk space, the exported snapshot and the manifest\'s row counts; pg_dump: the process (ours runs it with\n' +
      '--verbose and --snapshot); after: sha256 of the archive, pg_restore --list, publish, manifest; verification: the rest (verify on only).',
  );

  // The restore breakdown: pg_restore alone versus the whole step.
  log('');
  log('restore breakdown (seconds)');
  const bHead = ['case', 'whole step', 'pg_restore', 'ANALYZE', 'the rest', 'pg_restore ratio vs C'];
  const cC = caseOf('C');
  const cRestoreMs = cC && cC.samples.length ? median(cC.samples.map((s) => s.restoreMs ?? NaN)) : undefined;
  const bRows: string[][] = [];
  for (const c of cases.filter((x) => x.group === 3)) {
    if (!c.samples.length) {
      bRows.push([c.name, 'FAILED', '', '', '', '']);
      continue;
    }
    const whole = median(c.samples.map((s) => s.ms));
    const pgr = c.samples.every((s) => s.restoreMs !== undefined) ? median(c.samples.map((s) => s.restoreMs!)) : undefined;
    const an = c.samples.every((s) => s.analyzeMs !== undefined) ? median(c.samples.map((s) => s.analyzeMs!)) : undefined;
    const rest = pgr !== undefined ? whole - pgr - (an ?? 0) : undefined;
    bRows.push([
      c.name,
      secs(whole),
      pgr !== undefined ? secs(pgr) : '?',
      an !== undefined ? secs(an) : c.raw ? '-' : '?',
      rest !== undefined ? secs(rest) : '?',
      pgr !== undefined && cRestoreMs ? (pgr / cRestoreMs).toFixed(3) : '-',
    ]);
  }
  const bw = bHead.map((h, i) => Math.max(h.length, ...bRows.map((r) => r[i]!.length)));
  const bLine = (r: string[]): string => r.map((x, i) => (i ? x.padStart(bw[i]!) : x.padEnd(bw[i]!))).join('  ').trimEnd();
  log(bLine(bHead));
  log(bw.map((w) => '-'.repeat(w)).join('  '));
  for (const r of bRows) log(bLine(r));
  log(
    'pg_restore: raw = the pg_restore process alone (the rest = CREATE DATABASE); ours = the engine\'s "pg_restore finished without errors in X s",\n' +
      `which includes its pg_restore --list and runs with PGOPTIONS='-c synchronous_commit=off -c maintenance_work_mem=256MB'; the rest = resolving\n` +
      'the archive, CREATE DATABASE, and the row-count, sequence and invalid-index checks.',
  );

  if (REPEAT > 1) {
    log('');
    log('every run (s), and the fastest of each (the least disturbed by whatever else the machine was doing):');
    for (const c of cases) {
      if (!c.samples.length) continue;
      const best = Math.min(...c.samples.map((s) => s.ms));
      const base = caseOf(c.vs);
      const baseBest = base?.samples.length ? Math.min(...base.samples.map((s) => s.ms)) : undefined;
      const ratio = c.label === undefined && baseBest ? `; fastest ÷ fastest of ${c.vs} = ${(best / baseBest).toFixed(3)}` : '';
      log(`  ${c.name}: ${c.samples.map((s) => secs(s.ms)).join(' / ')}  (fastest ${secs(best)}${ratio})`);
    }
  }

  log('');
  for (const v of verdicts) log(v);
  const failed = cases.filter((c) => c.failed);
  for (const c of failed) log(`NOT MEASURED: ${c.name}: ${c.failed}`);
  return failed.length ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
