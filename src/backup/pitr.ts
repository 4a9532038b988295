import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import {
  backupName,
  checkVerdict,
  formatSize,
  manifestName,
  utcStamp,
  type BackupOutcome,
  type EmitBackup,
  type PitrCheck,
  type PitrOutcome,
  type PitrRecoverRequest,
} from '../core/backup.js';
import { packageRoot } from '../core/paths.js';
import {
  MIN_PITR_SERVER_VERSION_NUM,
  parseBackupLabel,
  parseBaseBackupProgress,
  parseTargetTime,
  pitrProcedure,
  readRecoveryLog,
  recoverySettings,
  restoreCommandFor,
  type BackupLabel,
  type RecoveryAction,
  type RecoveryLog,
} from '../core/pitr.js';
import { connect } from '../db/connect.js';
import { childProcessEnv, type ResolvedTarget } from '../db/connection.js';
import {
  chooseClusterDir,
  clusterLayout,
  clusterStatus,
  giveToServer,
  makePrivateDir,
  pathKey,
  removeClusterDir,
  serverRunAs,
  startCluster,
  stopCluster,
  superuserConnection,
  SUPERUSER,
  tail,
  type ClusterRef,
  type ServerUser,
} from '../sandbox/cluster.js';
import type { SandboxCluster } from '../sandbox/pitr-target.js';
import { DEFAULT_PG_LIB_ROOT, pgToolVersion } from '../tools/pgbin.js';
import { describeFailure, runTool, runToEnd, type RunResult } from '../tools/run.js';
import { readCatalog, resolveArchive, type CatalogEntry, type Manifest } from './catalog.js';
import { scrub, type BackupEnv } from './env.js';
import { writeManifest } from './manifest.js';

export { sandboxClusterFor, type SandboxCluster } from '../sandbox/pitr-target.js';

/**
 * Point-in-time recovery (DESIGN §7, §9 item 5): is the target ready for it (WAL archived, a base backup in the
 * catalogue), take a base backup with pg_basebackup, and — only on the sandbox, whose files this tool owns —
 * recover a copy of the cluster to a moment. For any other server the procedure is printed, never carried out.
 *
 * The sandbox question: the sandbox's sim_admin is deliberately not privileged (migrations that need a superuser
 * must fail there as in production), but a base backup needs REPLICATION and forcing a WAL switch needs superuser.
 * When the caller passes the sandbox's cluster (`cluster`), those privileged parts run as the cluster's superuser
 * over its private unix socket (trust authentication, reachable only by root and the postgres OS user); what is
 * recorded (the manifest's host, port, database) is still the operator's target. Without `cluster`, everything
 * runs as the operator's role, and a role without the privilege is refused with the GRANT that fixes it.
 */

/** How long pitrRecover waits for the forced WAL segment to reach the archive, and for the copy to finish recovery. */
const ARCHIVE_WAIT_MS = 60_000;
const RECOVERY_WAIT_MS = 180_000;
const PROGRESS_EVERY_MS = 500;

// ---------------------------------------------------------------------------------------------------------------
// Connections

/** A role and the child environment that reaches it: the operator's, or the sandbox's superuser. */
interface Access {
  target: ResolvedTarget;
  childEnv: Record<string, string | undefined>;
  /** Who this is, for messages ("sim_admin", "postgres (the sandbox's superuser)"). */
  who: string;
  cleanup(): Promise<void>;
}

/** The sandbox's superuser over its private socket: no password (trust), so nothing secret exists to leak. */
export function sandboxSuperuserTarget(env: BackupEnv, cluster: SandboxCluster, database = env.target.database): ResolvedTarget {
  return {
    host: clusterLayout(cluster.ref.dir).socketDir,
    port: cluster.port,
    database,
    user: SUPERUSER,
    passwordSource: 'none',
    passfile: '',
    sslmode: 'disable',
    connectTimeoutSec: 10,
    applicationName: env.appName,
    sources: { host: 'sandbox', port: 'sandbox', user: 'sandbox', database: 'sandbox' },
    warnings: [],
  };
}

async function accessFor(env: BackupEnv, cluster: SandboxCluster | undefined): Promise<Access> {
  if (!cluster) return { target: env.target, childEnv: env.childEnv, who: env.target.user, cleanup: async () => undefined };
  const target = sandboxSuperuserTarget(env, cluster);
  const child = await childProcessEnv(target, { tmpDir: env.tmpDir, appName: env.appName });
  return { target, childEnv: child.env, who: `${SUPERUSER} (the sandbox's superuser)`, cleanup: child.cleanup };
}

function open(env: BackupEnv, target: ResolvedTarget, purpose: string): Promise<pg.Client> {
  return connect(target, { applicationName: `${env.appName} ${purpose}`.slice(0, 63) });
}

function messageOf(env: BackupEnv, err: unknown): string {
  return scrub(env, err instanceof Error ? err.message : String(err));
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

interface ServerFacts {
  versionNum: number;
  version: string;
  role: string;
  superuser: boolean;
  replication: boolean;
}

async function serverFacts(client: pg.Client): Promise<ServerFacts> {
  const r = await client.query<{ num: number; version: string; role: string; rolsuper: boolean; rolreplication: boolean }>(
    `SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version,
            current_user AS role, r.rolsuper, r.rolreplication
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = r.rows[0];
  if (!row) throw new Error('the current role is not in pg_roles');
  return { versionNum: row.num, version: row.version, role: row.role, superuser: row.rolsuper, replication: row.rolreplication };
}

const majorOf = (versionNum: number): number => Math.floor(versionNum / 10000);

// ---------------------------------------------------------------------------------------------------------------
// Readiness

interface SettingRow {
  setting: string;
  value: string;
  status: 'ok' | 'problem' | 'info';
  note: string;
}

interface ArchiveFacts {
  /** pitr.sql's rows by setting name; empty when it could not run. */
  rows: Map<string, SettingRow>;
  /** pitr-problems.sql's problems by name ("archiving failing" → detail). */
  problems: Map<string, string>;
  /** Why pg_stat_archiver / the settings could not be read (privileges), when they could not. */
  unreadable?: string;
}

async function readSql(rel: string): Promise<string> {
  return fs.readFile(path.join(packageRoot(), 'sql', rel), 'utf8');
}

/** The preflight's own PITR queries (sql/preflight/pitr.sql, pitr-problems.sql): one source of truth for both. */
async function archiveFacts(client: pg.Client, env: BackupEnv): Promise<ArchiveFacts> {
  const facts: ArchiveFacts = { rows: new Map(), problems: new Map() };
  try {
    const rows = (await client.query<SettingRow>(await readSql('preflight/pitr.sql'))).rows;
    for (const r of rows) facts.rows.set(r.setting, r);
    const problems = (await client.query<{ problem: string; detail: string }>(await readSql('preflight/pitr-problems.sql'))).rows;
    for (const p of problems) facts.problems.set(p.problem, p.detail);
  } catch (err) {
    facts.unreadable = messageOf(env, err);
    // Without pg_stat_archiver the settings alone still say a lot; pg_settings is readable by every role.
    const r = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'archive_mode', 'archive_command', 'archive_library')`,
    );
    for (const s of r.rows) facts.rows.set(s.name, { setting: s.name, value: s.setting, status: 'info', note: '' });
  }
  return facts;
}

function versionCheck(f: ServerFacts): PitrCheck {
  if (f.versionNum >= MIN_PITR_SERVER_VERSION_NUM) {
    return { name: 'server version', ok: true, detail: `PostgreSQL ${f.version}: recovery.signal and recovery settings in postgresql.conf` };
  }
  return {
    name: 'server version',
    ok: false,
    detail:
      `PostgreSQL ${f.version}: before 12, recovery was configured in a separate file with other rules, which this tool does not support. ` +
      'Recover by that version\'s documentation, or upgrade the server.',
  };
}

const NOT_VISIBLE = (role: string): string =>
  `not visible to ${role}: as a superuser, GRANT pg_read_all_settings TO ${quoteIdent(role)}; or run this check as a superuser`;

function walLevelCheck(facts: ArchiveFacts, role: string): PitrCheck {
  const v = facts.rows.get('wal_level')?.value;
  if (v === undefined || v === 'not visible') return { name: 'wal_level', ok: false, warn: true, detail: NOT_VISIBLE(role) };
  if (v === 'replica' || v === 'logical') return { name: 'wal_level', ok: true, detail: `${v}: WAL can be archived and replayed` };
  return {
    name: 'wal_level',
    ok: false,
    detail: `${v}: WAL cannot be archived or replayed to a point in time. Set wal_level = replica in postgresql.conf (or ALTER SYSTEM SET wal_level = 'replica'); requires a restart.`,
  };
}

function archiveModeCheck(facts: ArchiveFacts, role: string): PitrCheck {
  const v = facts.rows.get('archive_mode')?.value;
  if (v === undefined || v === 'not visible') return { name: 'archive_mode', ok: false, warn: true, detail: NOT_VISIBLE(role) };
  if (v === 'on' || v === 'always') return { name: 'archive_mode', ok: true, detail: `${v}: completed WAL segments are handed to the archiver` };
  return {
    name: 'archive_mode',
    ok: false,
    detail: `${v}: WAL is not archived, so the database can only go back to a backup, not to a moment. Set archive_mode = on in postgresql.conf (or ALTER SYSTEM SET archive_mode = 'on'); requires a restart.`,
  };
}

const ARCHIVE_COMMAND_EXAMPLE = "archive_command = 'test ! -f /path/to/archive/%f && cp %p /path/to/archive/%f'";

function archiveCommandCheck(facts: ArchiveFacts, role: string): PitrCheck {
  const cmd = facts.rows.get('archive_command')?.value;
  const lib = facts.rows.get('archive_library')?.value;
  const mode = facts.rows.get('archive_mode')?.value;
  if (lib && lib !== '(none)' && lib !== '' && lib !== 'not visible') return { name: 'archive command', ok: true, detail: `archive_library ${lib}` };
  if (cmd === undefined || cmd === 'not visible') return { name: 'archive command', ok: false, warn: true, detail: NOT_VISIBLE(role) };
  if (cmd === '(disabled)' || (mode !== 'on' && mode !== 'always')) {
    return {
      name: 'archive command',
      ok: false,
      warn: true,
      detail: `cannot be checked while archive_mode is off; set it with archive_mode, e.g. ${ARCHIVE_COMMAND_EXAMPLE} (into a directory the postgres user can write, ideally on another machine).`,
    };
  }
  if (cmd === '' || cmd === '(empty)') {
    return {
      name: 'archive command',
      ok: false,
      detail: `neither archive_command nor archive_library is set: nothing is archived and WAL piles up in pg_wal. Set ${ARCHIVE_COMMAND_EXAMPLE} in postgresql.conf; a reload is enough: SELECT pg_reload_conf();`,
    };
  }
  return { name: 'archive command', ok: true, detail: cmd };
}

function archivingCheck(facts: ArchiveFacts, role: string): PitrCheck {
  const name = 'archiving';
  if (facts.unreadable) {
    return {
      name,
      ok: false,
      detail: `cannot read pg_stat_archiver as ${role} (${facts.unreadable}). As a superuser: GRANT pg_monitor TO ${quoteIdent(role)}; or run this check as a superuser.`,
    };
  }
  const failing = facts.problems.get('archiving failing');
  if (failing) return { name, ok: false, detail: failing };
  const stalled = facts.problems.get('archiving stalled');
  if (stalled) return { name, ok: false, detail: stalled };
  const last = facts.rows.get('last archived');
  const mode = facts.rows.get('archive_mode')?.value;
  if (mode !== 'on' && mode !== 'always') return { name, ok: false, detail: 'nothing is archived while archive_mode is off' };
  if (last?.status === 'ok') return { name, ok: true, detail: `last ${last.value}; ${last.note}` };
  return {
    name,
    ok: false,
    detail:
      `nothing archived yet (${last?.value ?? 'unknown'}). Force a segment switch as a superuser: SELECT pg_switch_wal(); then look at pg_stat_archiver again; ` +
      'if failed_count grows instead, the server log has the archive command\'s error.',
  };
}

/** The newest base backup of this cluster in the catalogue (same host and port: a base backup holds every database). */
async function baseBackups(env: BackupEnv): Promise<CatalogEntry[]> {
  const { entries } = await readCatalog(env.backupDir);
  return entries.filter((e) => e.manifest.kind === 'base' && e.manifest.host === env.target.host && e.manifest.port === env.target.port);
}

function archivePathOf(e: CatalogEntry): string {
  return path.join(path.dirname(e.path), e.manifest.file);
}

async function baseBackupCheck(env: BackupEnv): Promise<PitrCheck> {
  const name = 'base backup';
  const fix = `Take one (the base-backup step, or pg_basebackup -D <dir> -Fp -X stream --checkpoint=fast) into ${env.backupDir}.`;
  const newest = (await baseBackups(env))[0];
  if (!newest) return { name, ok: false, detail: `no base backup of ${env.target.host}:${env.target.port} in the catalogue. ${fix}` };
  const dir = archivePathOf(newest);
  if (!existsSync(path.join(dir, 'backup_label'))) {
    return { name, ok: false, detail: `${newest.manifest.file} is in the catalogue but ${dir} holds no backup_label (moved or deleted?). ${fix}` };
  }
  const v = newest.manifest.verification;
  const when = `finished ${newest.manifest.finished_at}`;
  if (v?.status === 'verified') return { name, ok: true, detail: `${newest.manifest.file}, ${when}, verified (${v.how ?? 'verified'})` };
  return {
    name,
    ok: true,
    warn: true,
    detail: `${newest.manifest.file}, ${when}, ${v?.status ?? 'unverified'}: pg_verifybackup (PostgreSQL 13 or later) checks it against its backup_manifest.`,
  };
}

function privilegeCheck(f: ServerFacts, cluster: SandboxCluster | undefined): PitrCheck {
  const name = 'base backup privilege';
  if (cluster) return { name, ok: true, detail: `the sandbox's base backups are taken as its superuser (${SUPERUSER})` };
  if (f.superuser) return { name, ok: true, detail: `${f.role} is a superuser` };
  if (f.replication) return { name, ok: true, detail: `${f.role} has REPLICATION` };
  return { name, ok: false, warn: true, detail: `${f.role} may not take base backups. ${replicationFix(f.role)}` };
}

function replicationFix(role: string): string {
  return (
    `As a superuser: ALTER ROLE ${quoteIdent(role)} REPLICATION; and allow its replication connections in pg_hba.conf, ` +
    `e.g. "host replication ${role} <client address>/32 scram-sha-256", then SELECT pg_reload_conf();`
  );
}

/**
 * Can this target be recovered to a point in time? Every check is reported (emit 'stage'), with the fix for those
 * that fail; `ready` means none failed outright (warnings do not count).
 */
export async function pitrReadiness(
  env: BackupEnv,
  emit: EmitBackup,
  signal: AbortSignal,
  cluster?: SandboxCluster,
): Promise<{ checks: PitrCheck[]; ready: boolean }> {
  const checks: PitrCheck[] = [];
  let client: pg.Client | undefined;
  try {
    client = await open(env, env.target, 'pitr-readiness');
    const facts = await serverFacts(client);
    const archive = await archiveFacts(client, env);
    checks.push(
      versionCheck(facts),
      walLevelCheck(archive, facts.role),
      archiveModeCheck(archive, facts.role),
      archiveCommandCheck(archive, facts.role),
      archivingCheck(archive, facts.role),
      await baseBackupCheck(env),
      privilegeCheck(facts, cluster),
    );
  } catch (err) {
    checks.push({ name: 'connection', ok: false, detail: `could not read the server's settings: ${messageOf(env, err)}` });
  } finally {
    await client?.end().catch(() => undefined);
  }
  if (signal.aborted) return { checks, ready: false };
  for (const c of checks) emit({ type: 'stage', name: c.name, ok: c.ok, detail: c.detail, ...(c.warn ? { warn: true } : {}) });
  const failed = checks.filter((c) => checkVerdict(c) === 'fail').map((c) => c.name);
  const ready = failed.length === 0;
  emit({ type: 'info', text: ready ? 'Ready for point-in-time recovery' : `Not ready for point-in-time recovery: ${failed.join(', ')}` });
  return { checks, ready };
}

// ---------------------------------------------------------------------------------------------------------------
// Base backup

interface BaseBackupTools {
  basebackup: string;
  verifybackup?: string;
  major: number;
  version: string;
}

/**
 * pg_basebackup for a server of this major version (not older: it refuses newer servers), and pg_verifybackup from
 * the same installation when there is one (PostgreSQL 13+; Debian links only some tools onto PATH).
 */
async function baseBackupTools(env: BackupEnv, serverMajor: number): Promise<BaseBackupTools | string> {
  const candidates: string[] = [];
  // The operator's PATH first (relative entries skipped, as everywhere: the working directory is not trusted).
  const onPath = env.pathEnv
    .split(path.delimiter)
    .filter((d) => path.isAbsolute(d))
    .map((d) => path.join(d, 'pg_basebackup'))
    .find((f) => existsSync(f));
  if (onPath) candidates.push(onPath);
  const libs = (await fs.readdir(DEFAULT_PG_LIB_ROOT).catch(() => [] as string[]))
    .filter((n) => /^\d+$/.test(n))
    .sort((a, b) => Number(b) - Number(a))
    .map((n) => path.join(DEFAULT_PG_LIB_ROOT, n, 'bin', 'pg_basebackup'))
    .filter((f) => existsSync(f));
  candidates.push(...libs);
  const seen: string[] = [];
  for (const file of candidates) {
    const v = await pgToolVersion(file).catch(() => undefined);
    if (!v) continue;
    seen.push(`${file} (${v.major}.${v.minor})`);
    if (v.major < serverMajor) continue;
    const verify = [path.join(path.dirname(file), 'pg_verifybackup'), path.join(DEFAULT_PG_LIB_ROOT, String(v.major), 'bin', 'pg_verifybackup')].find(
      (f) => existsSync(f),
    );
    return { basebackup: file, major: v.major, version: v.text, ...(verify && v.major >= 13 ? { verifybackup: verify } : {}) };
  }
  return (
    `No pg_basebackup of version ${serverMajor} or newer: ${seen.length ? `found ${seen.join(', ')}` : 'none on PATH or under /usr/lib/postgresql'}. ` +
    `Install postgresql-client-${serverMajor} (apt-get install postgresql-client-${serverMajor}).`
  );
}

/** Turns pg_basebackup's progress lines into progress events, at most one per PROGRESS_EVERY_MS. */
function progressReporter(emit: EmitBackup, partialDir: string): { line(text: string): boolean; done(): void } {
  const started = Date.now();
  let last = 0;
  return {
    line(text) {
      const p = parseBaseBackupProgress(text);
      if (!p) return false;
      const now = Date.now();
      if (now - last >= PROGRESS_EVERY_MS) {
        last = now;
        emit({
          type: 'progress',
          progress: {
            action: 'base backup',
            unit: 'tablespaces',
            done: p.tablespacesDone,
            total: p.tablespacesTotal,
            bytes: p.doneKb * 1024,
            ...(p.totalKb !== undefined ? { bytesTotal: p.totalKb * 1024 } : {}),
            elapsedMs: now - started,
            ...(p.file ? { current: relativeToBackup(p.file, partialDir) } : {}),
          },
        });
      }
      return true;
    },
    done() {
      emit({ type: 'progress', progress: null });
    },
  };
}

/**
 * pg_basebackup names the file it copies by its full output path, cut from the left to fit its line; what matters
 * is the part inside the data directory.
 */
function relativeToBackup(file: string, partialDir: string): string {
  const marker = `${path.basename(partialDir)}/`;
  const at = file.indexOf(marker);
  if (at >= 0) return file.slice(at + marker.length);
  const cut = file.indexOf('.partial/');
  return cut >= 0 ? file.slice(cut + '.partial/'.length) : file;
}

/** What to tell the operator when pg_basebackup fails, from its own words. */
function baseBackupAdvice(r: RunResult, role: string): string {
  const text = [...r.stderrTail, ...r.stdoutTail].join('\n');
  if (/no pg_hba\.conf entry for replication/i.test(text)) {
    return `pg_hba.conf does not allow replication connections for ${role}: add e.g. "host replication ${role} <client address>/32 scram-sha-256" and SELECT pg_reload_conf();`;
  }
  if (/must be superuser or replication role|permission denied to start WAL sender/i.test(text)) return replicationFix(role);
  if (/max_wal_senders|too many clients|number of requested standby connections/i.test(text)) {
    return 'The server has no free WAL sender: raise max_wal_senders (requires a restart), or free a replication slot or standby connection.';
  }
  if (/incompatible server version/i.test(text)) return 'Use a pg_basebackup of the server\'s major version or newer.';
  return 'See pg_basebackup\'s messages above; nothing was kept (the partial copy was removed).';
}

/** Sum of the sizes of every regular file under `dir`. */
async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(p);
    else if (entry.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}

/** The WAL end of the backup, from the backup_manifest pg_basebackup writes (PostgreSQL 13+). */
async function manifestWalEnd(dir: string): Promise<string | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, 'backup_manifest'), 'utf8')) as { 'WAL-Ranges'?: { 'End-LSN'?: string }[] };
    return m['WAL-Ranges']?.at(-1)?.['End-LSN'];
  } catch {
    return undefined;
  }
}

interface Verification {
  status: 'verified' | 'failed' | 'unverified';
  how: string;
  problems?: string[];
}

async function verifyBaseBackup(tools: BaseBackupTools, dir: string, emit: EmitBackup, signal: AbortSignal): Promise<Verification> {
  if (!tools.verifybackup || !existsSync(path.join(dir, 'backup_manifest'))) {
    emit({ type: 'stage', name: 'pg_verifybackup', ok: true, warn: true, detail: 'not available (PostgreSQL 13 or later writes and checks backup_manifest): unverified' });
    return { status: 'unverified', how: 'pg_verifybackup not available' };
  }
  emit({ type: 'command', text: `pg_verifybackup ${dir}` });
  const r = await runToEnd(tools.verifybackup, [dir], { signal, timeoutMs: 30 * 60_000 });
  if (r.ok) {
    emit({ type: 'stage', name: 'pg_verifybackup', ok: true, detail: 'every file and the WAL match backup_manifest' });
    return { status: 'verified', how: 'pg_verifybackup' };
  }
  const problems = (r.stderrTail.length ? r.stderrTail : r.stdoutTail).slice(-10);
  emit({ type: 'stage', name: 'pg_verifybackup', ok: false, detail: problems.join('; ') || describeFailure(r) });
  return { status: 'failed', how: 'pg_verifybackup', problems };
}

type BaseBackupRequest = { runId: string; operator: string; dryRun: boolean };

/**
 * pg_basebackup of the whole cluster (plain format, WAL streamed alongside) into the backup directory, under a
 * temporary name renamed when complete, verified with pg_verifybackup, with a manifest beside it.
 */
export async function baseBackup(
  env: BackupEnv,
  req: BaseBackupRequest,
  emit: EmitBackup,
  signal: AbortSignal,
  cluster?: SandboxCluster,
): Promise<BackupOutcome> {
  const access = await accessFor(env, cluster);
  try {
    return await runBaseBackup(env, access, req, emit, signal);
  } finally {
    await access.cleanup();
  }
}

async function runBaseBackup(env: BackupEnv, access: Access, req: BaseBackupRequest, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome> {
  const ready = await baseBackupPreflight(env, access);
  if ('outcome' in ready) return ready.outcome;
  const started = new Date();
  const name = backupName(env.target.database, 'base', started);
  const final = path.join(env.backupDir, name);
  const partial = path.join(env.backupDir, `${name}.partial`);
  const args = ['-D', partial, '-Fp', '-X', 'stream', '--checkpoint=fast', '--progress', '--verbose', '--no-password'];
  emit({ type: 'command', text: `pg_basebackup ${args.join(' ')}  (as ${access.target.user}; connection from PGHOST/PGPORT/PGUSER)` });
  if (req.dryRun) return { ok: true, summary: `Dry run: would take a base backup into ${final}`, file: final, manifestPath: path.join(env.backupDir, manifestName(name)) };

  await fs.mkdir(env.backupDir, { recursive: true, mode: 0o700 });
  await fs.rm(partial, { recursive: true, force: true }); // a leftover of an interrupted run
  const failed = await runPgBasebackup(env, access, ready.tools, args, partial, ready.facts.role, emit, signal);
  if (failed) return failed;
  const label = parseBackupLabel(await fs.readFile(path.join(partial, 'backup_label'), 'utf8').catch(() => ''));
  const walEnd = await manifestWalEnd(partial);
  const verification = await verifyBaseBackup(ready.tools, partial, emit, signal);
  if (signal.aborted) {
    await fs.rm(partial, { recursive: true, force: true });
    return { ok: false, aborted: true, summary: 'Base backup aborted while it was verified; the copy was removed' };
  }
  await fs.rename(partial, final);
  const finished = new Date();
  const size = await treeSize(final);
  const manifest: Manifest = {
    file: name,
    kind: 'base',
    format: 'base',
    database: env.target.database,
    host: env.target.host,
    port: env.target.port,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - started.getTime(),
    size,
    server_version: ready.facts.version,
    pg_dump_version: ready.tools.version,
    options: { wal_method: 'stream', checkpoint: 'fast', role: access.target.user },
    created_by: { operator: req.operator, run_id: req.runId, tool_version: env.toolVersion },
    verification: { ...verification, at: finished.toISOString() },
    ...walFields(label, walEnd),
  };
  const manifestPath = path.join(env.backupDir, manifestName(name));
  await writeManifest(manifestPath, manifest);
  emit({ type: 'info', text: `Base backup ${name} (${formatSize(size)}) in ${env.backupDir}; WAL from ${label.startLsn ?? '?'}${walEnd ? ` to ${walEnd}` : ''}` });
  if (verification.status === 'failed') {
    return {
      ok: false,
      summary: `Base backup ${name} failed verification`,
      error: `pg_verifybackup found problems: ${(verification.problems ?? []).join('; ')}`,
      advice: 'Do not rely on this backup; take another, and check the disk and the server log.',
      file: final,
      manifestPath,
    };
  }
  return { ok: true, summary: `Base backup ${name} taken (${formatSize(size)}, ${verification.status})`, file: final, manifestPath };
}

/** Before anything is written: can this role take a base backup, and is there a pg_basebackup for this server? */
async function baseBackupPreflight(env: BackupEnv, access: Access): Promise<{ facts: ServerFacts; tools: BaseBackupTools } | { outcome: BackupOutcome }> {
  let facts: ServerFacts;
  try {
    const client = await open(env, access.target, 'base-backup');
    try {
      facts = await serverFacts(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    return { outcome: { ok: false, summary: 'Base backup not started', error: `Could not connect as ${access.who}: ${messageOf(env, err)}` } };
  }
  if (!facts.superuser && !facts.replication) {
    return {
      outcome: {
        ok: false,
        refused: true,
        summary: 'Base backup refused: no replication privilege',
        error: `${facts.role} has neither REPLICATION nor SUPERUSER, which pg_basebackup needs.`,
        advice: replicationFix(facts.role),
      },
    };
  }
  const tools = await baseBackupTools(env, majorOf(facts.versionNum));
  if (typeof tools === 'string') return { outcome: { ok: false, summary: 'Base backup not started: no suitable pg_basebackup', error: tools } };
  return { facts, tools };
}

/** Run pg_basebackup into `partial`; undefined when it succeeded, else the outcome (the partial copy removed). */
async function runPgBasebackup(
  env: BackupEnv,
  access: Access,
  tools: BaseBackupTools,
  args: string[],
  partial: string,
  role: string,
  emit: EmitBackup,
  signal: AbortSignal,
): Promise<BackupOutcome | undefined> {
  const progress = progressReporter(emit, partial);
  const r = await runTool(tools.basebackup, args, {
    env: access.childEnv,
    signal,
    onLine: (line, stream) => {
      if (!progress.line(line)) emit({ type: 'output', text: scrub(env, line), stream });
    },
  }).result;
  progress.done();
  if (r.ok) {
    await fs.chmod(partial, 0o700);
    return undefined;
  }
  await fs.rm(partial, { recursive: true, force: true });
  if (r.aborted) return { ok: false, aborted: true, summary: 'Base backup aborted; the partial copy was removed' };
  return { ok: false, summary: 'Base backup failed', error: scrub(env, describeFailure(r)), advice: baseBackupAdvice(r, role) };
}

/** The WAL position the backup starts from (backup_label) and ends at (backup_manifest), as extra manifest fields. */
function walFields(label: BackupLabel, walEnd: string | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (label.startLsn) out.wal_start_lsn = label.startLsn;
  if (label.startFile) out.wal_start_file = label.startFile;
  if (label.startTime) out.wal_start_time = label.startTime;
  if (label.timeline !== undefined) out.timeline = label.timeline;
  if (walEnd) out.wal_end_lsn = walEnd;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Recovery

/**
 * Recover a copy of the cluster to `req.targetTime`. Only on the sandbox (`cluster` given): the base backup is
 * copied into a new cluster directory beside it — the live sandbox is never touched — which recovers from the
 * sandbox's WAL archive and runs on a port of its own. Anywhere else: refused, with the procedure for the
 * operator's own server.
 */
export async function pitrRecover(
  env: BackupEnv,
  req: PitrRecoverRequest,
  emit: EmitBackup,
  signal: AbortSignal,
  cluster?: SandboxCluster,
): Promise<PitrOutcome> {
  const target = parseTargetTime(req.targetTime);
  if (!target.ok) return { ok: false, refused: true, summary: 'Recovery not started: bad target time', error: target.error };
  const base = await chooseBase(env, req.base, target.date);
  if (!cluster) return refuseForeign(env, req, emit, base);
  if ('error' in base) return { ok: false, refused: true, summary: 'Recovery not started: no usable base backup', error: base.error, advice: base.advice };
  try {
    return await recoverSandboxCopy(env, req, target.iso, target.date, base, cluster, emit, signal);
  } catch (err) {
    if (signal.aborted) return { ok: false, aborted: true, summary: 'Point-in-time recovery aborted', error: messageOf(env, err) };
    return { ok: false, summary: 'Point-in-time recovery failed', error: messageOf(env, err) };
  }
}

interface BaseChoice {
  dir: string;
  manifest?: Manifest;
}

/** The base backup to start from: the one named, or the newest of this cluster that finished before the target. */
async function chooseBase(env: BackupEnv, named: string | undefined, targetDate: Date): Promise<BaseChoice | { error: string; advice: string }> {
  const take = `Take a base backup first (the base-backup step), then recover to a time after it finished.`;
  if (named) {
    let ref;
    try {
      ref = await resolveArchive(env.backupDir, named);
    } catch (err) {
      return { error: (err as Error).message, advice: take };
    }
    if (!existsSync(path.join(ref.archive, 'backup_label'))) {
      return { error: `${ref.archive} is not a base backup (no backup_label in it).`, advice: 'Name a directory made by pg_basebackup -Fp.' };
    }
    if (ref.manifest && Date.parse(ref.manifest.finished_at) >= targetDate.getTime()) {
      return {
        error: `The base backup ${path.basename(ref.archive)} finished at ${ref.manifest.finished_at}, after the target time: a recovery cannot stop before its backup ends.`,
        advice: 'Name an older base backup, or a later target time.',
      };
    }
    return { dir: ref.archive, ...(ref.manifest ? { manifest: ref.manifest } : {}) };
  }
  const all = await baseBackups(env);
  const usable = all.find((e) => Date.parse(e.manifest.finished_at) < targetDate.getTime() && existsSync(path.join(archivePathOf(e), 'backup_label')));
  if (usable) return { dir: archivePathOf(usable), manifest: usable.manifest };
  if (all.length) {
    return {
      error: `Every base backup of ${env.target.host}:${env.target.port} in ${env.backupDir} finished after the target time (the oldest at ${all.at(-1)?.manifest.finished_at}).`,
      advice: 'A recovery cannot stop before its base backup ends: choose a later target time.',
    };
  }
  return { error: `No base backup of ${env.target.host}:${env.target.port} in ${env.backupDir}.`, advice: take };
}

/** Not the sandbox: print the procedure for the operator's own server, and do nothing to it. */
async function refuseForeign(env: BackupEnv, req: PitrRecoverRequest, emit: EmitBackup, base: BaseChoice | { error: string }): Promise<PitrOutcome> {
  let serverMajor: number | undefined;
  let dataDir: string | undefined;
  try {
    const client = await open(env, env.target, 'pitr-procedure');
    try {
      serverMajor = majorOf((await serverFacts(client)).versionNum);
      // data_directory is visible to superusers and pg_read_all_settings only; without it a placeholder is shown.
      dataDir = (await client.query<{ d: string }>("SELECT current_setting('data_directory', true) AS d")).rows[0]?.d ?? undefined;
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch {
    // The procedure is still worth printing with placeholders.
  }
  const lines = pitrProcedure({
    targetTime: req.targetTime,
    action: req.action,
    ...('dir' in base ? { baseBackup: base.dir } : {}),
    ...(dataDir ? { dataDir } : {}),
    ...(serverMajor !== undefined ? { serverMajor } : {}),
  });
  for (const text of lines) emit({ type: 'info', text });
  return {
    ok: false,
    refused: true,
    summary: 'Point-in-time recovery is the operator\'s to do on this server',
    error: `${env.target.host}:${env.target.port} is not this tool's sandbox: recovery replaces a server's data directory, which this tool does only for the sandbox it runs.`,
    advice: 'Follow the procedure above on the server (or a copy of it); practise it first on the sandbox: parlant-runbook sandbox start.',
  };
}

interface Recovered {
  ref: ClusterRef;
  port?: number;
}

async function recoverSandboxCopy(
  env: BackupEnv,
  req: PitrRecoverRequest,
  targetIso: string,
  targetDate: Date,
  base: BaseChoice,
  cluster: SandboxCluster,
  emit: EmitBackup,
  signal: AbortSignal,
): Promise<PitrOutcome> {
  const source = await open(env, sandboxSuperuserTarget(env, cluster, 'postgres'), 'pitr-switch-wal');
  let versionNum: number;
  try {
    const checked = await checkSource(source, targetIso, targetDate);
    if ('outcome' in checked) return checked.outcome;
    versionNum = checked.versionNum;
    emit({ type: 'info', text: `Recovering a copy of the sandbox from ${path.basename(base.dir)} to ${targetIso} (then ${req.action})` });
    if (req.dryRun) return { ok: true, summary: `Dry run: would recover a copy of the sandbox to ${targetIso}` };
    await archiveCurrentWal(source, emit, signal);
  } finally {
    await source.end().catch(() => undefined);
  }
  if (signal.aborted) return { ok: false, aborted: true, summary: 'Recovery aborted before it started' };

  // A name of its own (a random suffix: two recoveries in one second must not meet), beside the sandbox.
  const stamp = `${utcStamp(new Date())}-${randomBytes(2).toString('hex')}`;
  const choice = await chooseClusterDir(`${cluster.ref.dir}-pitr-${stamp}`, `parlant-runbook-pitr-${pathKey(cluster.ref.dir)}-${stamp}`);
  const recovered: Recovered = { ref: { dir: choice.dir, binDir: cluster.ref.binDir } };
  await makePrivateDir(recovered.ref.dir, await serverRunAs());
  try {
    await prepareCopy(base.dir, cluster.ref, recovered.ref, clusterLayout(cluster.ref.dir).archiveDir, targetIso, req.action, emit, signal);
  } catch (err) {
    // Half a copy is worth nothing (and may be large): remove it. Only the directory just created is touched.
    await removeClusterDir(recovered.ref.dir).catch(() => undefined);
    throw err;
  }
  const ended = await runRecovery(env, recovered, req.action, versionNum, signal, emit);
  if ('outcome' in ended) return ended.outcome;
  return recoverySuccess(env, req.action, targetIso, recovered, ended.log, emit, await serverRunAs());
}

/** The sandbox can be recovered from: a supported version, WAL archived, and a target in the past. */
async function checkSource(source: pg.Client, targetIso: string, targetDate: Date): Promise<{ versionNum: number } | { outcome: PitrOutcome }> {
  const facts = await serverFacts(source);
  if (facts.versionNum < MIN_PITR_SERVER_VERSION_NUM) {
    return { outcome: { ok: false, refused: true, summary: 'Recovery not started', error: versionCheck(facts).detail } };
  }
  const r = (await source.query<{ mode: string; now: Date }>("SELECT current_setting('archive_mode') AS mode, clock_timestamp() AS now")).rows[0];
  if (r?.mode !== 'on' && r?.mode !== 'always') {
    return {
      outcome: {
        ok: false,
        refused: true,
        summary: 'Recovery not started: the sandbox does not archive WAL',
        error: `archive_mode is ${r?.mode ?? 'unknown'} on the sandbox (it was built by an older version of this tool, or archiving was turned off), so there is no WAL to recover from.`,
        advice: 'Rebuild it with: parlant-runbook sandbox reset; then take a base backup before the change to undo.',
      },
    };
  }
  if (targetDate.getTime() > r.now.getTime()) {
    return {
      outcome: {
        ok: false,
        refused: true,
        summary: 'Recovery not started: the target time is in the future',
        error: `${targetIso} is after the server's clock (${r.now.toISOString()}): replay would run out of WAL before reaching it.`,
        advice: 'Choose a moment in the past: just before the change to undo.',
      },
    };
  }
  return { versionNum: facts.versionNum };
}

/**
 * Start the prepared copy and wait for its recovery to end; the server log says how it ended. A failure stops the
 * copy but keeps its directory (the log is the evidence).
 */
async function runRecovery(
  env: BackupEnv,
  recovered: Recovered,
  action: RecoveryAction,
  versionNum: number,
  signal: AbortSignal,
  emit: EmitBackup,
): Promise<{ log: RecoveryLog } | { outcome: PitrOutcome }> {
  const layout = clusterLayout(recovered.ref.dir);
  let log: RecoveryLog;
  try {
    recovered.port = (await startCluster(recovered.ref, { onProgress: (text) => emit({ type: 'info', text }) })).port;
    await waitForRecovery(recovered, action, versionNum, signal);
    log = readRecoveryLog(await tail(layout.logFile, 400));
  } catch (err) {
    log = readRecoveryLog(await tail(layout.logFile, 400));
    // pg_ctl may give up on a server that shut down at the target as asked; that is not a failure.
    if (!(action === 'shutdown' && log.shutDown)) {
      await stopCluster(recovered.ref, { mode: 'immediate' }).catch(() => undefined);
      // The server's own account of why recovery stopped beats pg_ctl's "could not start server".
      const why = log.errors.length ? 'The recovering server stopped with an error' : messageOf(env, err);
      return { outcome: recoveryFailure(env, layout.dir, log, why, signal.aborted) };
    }
  }
  for (const line of log.notable) emit({ type: 'output', text: line, stream: 'stderr' });
  if (log.errors.length || !log.stoppedAt) {
    await stopCluster(recovered.ref, { mode: 'immediate' }).catch(() => undefined);
    const why = log.stoppedAt ? 'The recovering server reported errors' : 'The recovering server replayed all archived WAL without reaching the target time';
    return { outcome: recoveryFailure(env, layout.dir, log, why, false) };
  }
  return { log };
}

/**
 * Force the segment holding the newest WAL into the archive (a quiet server would otherwise keep it in pg_wal for
 * a long time), and wait until pg_stat_archiver says it is there: the recovery reads only the archive.
 */
async function archiveCurrentWal(client: pg.Client, emit: EmitBackup, signal: AbortSignal): Promise<void> {
  const wal = (await client.query<{ wal: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS wal')).rows[0]?.wal ?? '';
  emit({ type: 'info', text: `Switched WAL segments; waiting for ${wal} to be archived` });
  const deadline = Date.now() + ARCHIVE_WAIT_MS;
  let last: { last_archived_wal: string | null; last_failed_wal: string | null; failed_count: string } | undefined;
  while (!signal.aborted) {
    last = (await client.query<{ last_archived_wal: string | null; last_failed_wal: string | null; failed_count: string }>(
      'SELECT last_archived_wal, last_failed_wal, failed_count::text FROM pg_stat_archiver',
    )).rows[0];
    const archived = last?.last_archived_wal ?? '';
    // WAL file names sort by position on a timeline (24 hex digits); .history and .backup files are not segments.
    if (/^[0-9A-F]{24}$/.test(archived) && archived >= wal) {
      emit({ type: 'stage', name: 'WAL archived', ok: true, detail: `${archived} is in the archive` });
      return;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (signal.aborted) throw new Error('aborted while waiting for the WAL archive');
  throw new Error(
    `WAL segment ${wal} was not archived within ${ARCHIVE_WAIT_MS / 1000} s (last archived ${last?.last_archived_wal ?? 'none'}, ` +
      `${last?.failed_count ?? '?'} failures, last failed ${last?.last_failed_wal ?? 'none'}). The server log has the archive command's error.`,
  );
}

/**
 * Fill the new (empty, private) cluster directory: a copy of the base backup owned by the server's user, 0700; recovery.signal; the
 * recovery settings appended to postgresql.auto.conf (read last, so they win). startCluster writes the port,
 * socket directory and the copy's own archive directory into the include file, so the copy never archives into the
 * sandbox's archive.
 */
async function prepareCopy(
  baseDir: string,
  sourceRef: ClusterRef,
  ref: ClusterRef,
  archiveDir: string,
  targetIso: string,
  action: RecoveryAction,
  emit: EmitBackup,
  signal: AbortSignal,
): Promise<void> {
  const runAs = await serverRunAs();
  const layout = clusterLayout(ref.dir);
  emit({ type: 'info', text: `Copying the base backup into ${layout.dataDir}` });
  await must(runToEnd('cp', ['-a', '--', baseDir, layout.dataDir], { signal }), 'copying the base backup');
  if (runAs) await must(runToEnd('chown', ['-R', `${runAs.uid}:${runAs.gid}`, '--', layout.dataDir], { signal }), 'handing the copy to the server user');
  await fs.chmod(layout.dataDir, 0o700);
  // The copy has the sandbox's roles and passwords; keep the password file so `readClusterPassword` works on it.
  await fs.copyFile(clusterLayout(sourceRef.dir).passwordFile, layout.passwordFile).catch(() => undefined);
  for (const stale of ['postmaster.pid', 'postmaster.opts', 'standby.signal', 'recovery.conf']) {
    await fs.rm(path.join(layout.dataDir, stale), { force: true });
  }
  const signalFile = path.join(layout.dataDir, 'recovery.signal');
  await fs.writeFile(signalFile, '', { mode: 0o600 });
  await giveToServer(signalFile, runAs);
  const settings = recoverySettings({ restoreCommand: restoreCommandFor(archiveDir), targetTime: targetIso, action });
  const autoConf = path.join(layout.dataDir, 'postgresql.auto.conf');
  await fs.appendFile(autoConf, `\n${settings.join('\n')}\n`);
  await giveToServer(autoConf, runAs);
  emit({ type: 'info', text: `recovery.signal created; ${settings.slice(1).join('; ')}` });
}

async function must(run: Promise<RunResult>, what: string): Promise<void> {
  const r = await run;
  if (!r.ok) throw new Error(`Failed ${what}: ${describeFailure(r)}`);
}

/** Until recovery has done what was asked: promoted, paused at the target, or shut down. */
async function waitForRecovery(c: Recovered, action: RecoveryAction, versionNum: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + RECOVERY_WAIT_MS;
  const probe =
    action === 'promote'
      ? 'SELECT NOT pg_is_in_recovery() AS done'
      : versionNum >= 140000
        ? "SELECT pg_get_wal_replay_pause_state() = 'paused' AS done"
        : 'SELECT pg_is_wal_replay_paused() AS done';
  while (Date.now() < deadline) {
    if (signal.aborted) throw new Error('aborted while the copy was recovering');
    const st = await clusterStatus(c.ref);
    if (st.state === 'stopped' || st.state === 'stale') {
      if (action === 'shutdown') return;
      throw new Error('the recovering server stopped');
    }
    if (action !== 'shutdown' && st.state === 'running' && c.port !== undefined) {
      if (await probeOnce(superuserConnection(c.ref, c.port, 'postgres'), probe)) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`recovery did not finish within ${RECOVERY_WAIT_MS / 1000} s`);
}

async function probeOnce(config: pg.ClientConfig, sql: string): Promise<boolean> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 5000 });
  // A server that goes away mid-probe emits 'error' on the client; unheard, that would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return Boolean((await client.query<{ done: boolean }>(sql)).rows[0]?.done);
  } catch {
    return false; // not accepting connections yet
  } finally {
    await client.end().catch(() => undefined);
  }
}

function recoveryFailure(env: BackupEnv, dir: string, log: RecoveryLog, why: string, aborted: boolean): PitrOutcome {
  const lines = [...log.notable, ...log.errors.filter((l) => !log.notable.includes(l))].slice(-12);
  return {
    ok: false,
    ...(aborted ? { aborted: true } : {}),
    summary: aborted ? 'Point-in-time recovery aborted' : 'Point-in-time recovery failed',
    error: scrub(env, `${why}${lines.length ? `\n  ${lines.join('\n  ')}` : ''}`),
    advice:
      (log.errors.some((l) => /recovery ended before configured recovery target/.test(l))
        ? 'The archive holds no WAL past the target time: check that archiving works (pitr readiness) and choose a time before the last archived change. '
        : '') + `The copy was stopped and kept for inspection in ${dir} (its server.log); remove it with: rm -rf ${dir}`,
    dataDir: clusterLayout(dir).dataDir,
  };
}

function recoverySuccess(
  env: BackupEnv,
  action: RecoveryAction,
  targetIso: string,
  c: Recovered,
  log: RecoveryLog,
  emit: EmitBackup,
  runAs: ServerUser | undefined,
): PitrOutcome {
  const layout = clusterLayout(c.ref.dir);
  const state = action === 'promote' ? 'promoted, read-write' : action === 'pause' ? 'paused at the target, read-only' : 'shut down at the target';
  // A copy that shut down at the target has no server to connect to until it is started again.
  const port = action === 'shutdown' ? undefined : c.port;
  const url = port !== undefined ? `postgresql://${encodeURIComponent(env.target.user)}@127.0.0.1:${port}/${encodeURIComponent(env.target.database)}` : undefined;
  const asServer = runAs ? `sudo -u ${runAs.name} ` : '';
  const stop = `${asServer}${path.join(c.ref.binDir, 'pg_ctl')} -D ${layout.dataDir} -m fast stop && rm -rf ${layout.dir}`;
  emit({ type: 'info', text: `Recovered to ${targetIso}: ${log.stoppedAt ?? 'target reached'} (${state})` });
  if (url) {
    emit({ type: 'info', text: `Recovered copy: ${url} (the sandbox's password)` });
    emit({ type: 'info', text: `Compare: run the same SELECT on the sandbox and on ${url}` });
    emit({
      type: 'info',
      text: `Copy rows back: pg_dump --data-only -t <table> "${url}" > rows.sql, then load them into a side table of the sandbox and merge (partial recovery)`,
    });
  }
  emit({ type: 'info', text: `Stop and remove the copy when done: ${stop}` });
  return {
    ok: true,
    summary: `Copy of the sandbox recovered to ${targetIso}${port !== undefined ? ` on 127.0.0.1:${port}` : ''} (${state})`,
    ...(url ? { url } : {}),
    dataDir: layout.dataDir,
    ...(port !== undefined ? { port } : {}),
  };
}

/** Stop a recovered copy and remove its directory (what the "stop and remove" line says, for callers and tests). */
export async function removeRecoveredCluster(dataDir: string, binDir: string): Promise<boolean> {
  const dir = path.dirname(dataDir);
  return (await stopCluster({ dir, binDir }, { mode: 'fast', remove: true })).removed;
}
