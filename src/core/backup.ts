/**
 * Backups, verification, restores, partial recovery and PITR as the steps see them (DESIGN §6–§7, issue 6).
 * Core only: the request/outcome types and the port the steps call. The implementation lives in src/backup/
 * (pg_dump, pg_restore, pg_basebackup through src/tools/run.ts); unit tests may fake the port.
 */

/** full: custom format · directory: directory format with -j · schema: schema only · tables: chosen tables · csv: CSV of chosen tables · base: pg_basebackup (PITR). */
export const BACKUP_KINDS = ['full', 'directory', 'schema', 'tables', 'csv', 'base'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** What the engine reports while it works; the step turns it into output lines, the live block and tables. */
export type BackupEvent =
  /** A line worth keeping in the journal: a check's result, what was decided, where a file went. */
  | { type: 'info'; text: string; stream?: 'stdout' | 'stderr' }
  /** The command about to run, as shown to the operator (never a password: it is not in argv). */
  | { type: 'command'; text: string }
  /** A child's output line that is not summarised elsewhere (pg_restore errors, upload output). */
  | { type: 'output'; text: string; stream: 'stdout' | 'stderr' }
  /** Live progress: replaces itself in place; [] clears it. */
  | { type: 'progress'; progress: Progress | null }
  /** One verification or post-restore check, with its verdict. */
  | { type: 'stage'; name: string; ok: boolean; detail: string; warn?: boolean }
  /** A table of results (row counts compared, sessions to be cut off …). */
  | { type: 'rows'; columns: string[]; rows: string[][]; total: number };

export interface Progress {
  /** dumping · restoring · verifying · base backup · loading */
  action: string;
  /** Tables (or items) finished, of how many; total undefined when unknown. */
  done: number;
  total?: number;
  /** Bytes written (dump) or read (verify, restore) so far. */
  bytes: number;
  /** Bytes expected, when known (verify and restore know the archive's size). */
  bytesTotal?: number;
  elapsedMs: number;
  /** What is being worked on now (a table name). */
  current?: string;
  /** What `done` counts (default "tables"; e.g. "items" for pg_restore, "tablespaces" for pg_basebackup). */
  unit?: string;
}

export type EmitBackup = (e: BackupEvent) => void;

/** Where every operation ends: an honest verdict, the error text when it failed and what to do about it. */
export interface Outcome {
  ok: boolean;
  aborted?: boolean;
  summary: string;
  error?: string;
  advice?: string;
  /** A safety rule refused the operation (exit 3). */
  refused?: boolean;
}

export interface BackupRequest {
  kind: Exclude<BackupKind, 'base'>;
  /** tables and csv: schema-qualified or bare names (bare = public). */
  tables?: string[];
  /** directory: parallel jobs (default 2). */
  jobs?: number;
  /** custom/directory compression level 0–9 (default: pg_dump's own). */
  compress?: number;
  /** Verify right after the dump (checksum, pg_restore --list, full read); trial restore when `trialRestore`. */
  verify?: boolean;
  trialRestore?: boolean;
  runId: string;
  operator: string;
  dryRun: boolean;
}

export interface BackupOutcome extends Outcome {
  /** Absolute path of the archive and of its manifest. */
  file?: string;
  manifestPath?: string;
}

export interface VerifyRequest {
  /** An archive (file or directory) or its manifest; relative paths are looked up in the backup directory. */
  file: string;
  /** Also restore into a scratch database with --exit-on-error and compare row counts with the manifest. */
  trialRestore?: boolean;
  jobs?: number;
  /**
   * Run the configured upload command when verification passes. Only the backup that just took the archive asks:
   * a re-verification (`backups verify`, a restore's verify_first in an emergency) must not upload it again.
   */
  upload?: boolean;
}

export interface VerifyOutcome extends Outcome {
  file?: string;
  stages: { name: string; ok: boolean; detail: string }[];
}

export interface RestoreRequest {
  /** An archive or manifest, as for verify; "newest" = the newest verified backup of the target database. */
  file: string;
  /** The database to restore into. */
  database: string;
  /** new: the database must not exist (created here). replace: drop and recreate it (the step has confirmed). */
  mode: 'new' | 'replace';
  jobs?: number;
  /** Leave out ownership and privileges (restore as yourself where the roles do not exist). Default false. */
  noOwner?: boolean;
  runId: string;
  dryRun: boolean;
}

export interface RestoreOutcome extends Outcome {
  database: string;
  file?: string;
  /** pg_restore's error lines when it failed (never a success with errors). */
  errors: string[];
}

/** A session on a database, shown before it is terminated. */
export interface SessionInfo {
  pid: number;
  user: string;
  applicationName: string;
  client: string;
  state: string;
  /** Seconds since the session started. */
  ageSeconds: number;
  query: string;
}

/** What terminating one session came to: ok false with the server's reason (e.g. permission denied). */
export interface TerminateResult {
  pid: number;
  ok: boolean;
  message: string;
}

/** One backup of the target database in the catalogue, as the restore step offers it. */
export interface CatalogItem {
  /** The archive's name in the backup directory. */
  file: string;
  kind: string;
  /** When the dump finished (epoch ms). */
  finishedAt: number;
  size?: number;
  verification: 'verified' | 'failed' | 'unverified';
}

export interface PartialRequest {
  file: string;
  tables: string[];
  /** The side schema the backup's rows go to (created; must not exist). */
  schema: string;
}

export interface TableDiff {
  table: string;
  key: string[];
  live: number;
  backup: number;
  /** Rows in the backup whose key is not in the live table. */
  missing: number;
  /** Rows whose key is in both but whose values differ. */
  differ: number;
}

export interface PartialOutcome extends Outcome {
  diffs: TableDiff[];
  /** Rows inserted per table (merge). */
  merged?: Record<string, number>;
}

export interface PitrCheck {
  name: string;
  ok: boolean;
  /** A warning, whatever `ok` says: it does not stop recovery (see checkVerdict). */
  warn?: boolean;
  detail: string;
}

/** One reading of a readiness check for the engine and the step alike: a warning never makes "not ready". */
export function checkVerdict(c: Pick<PitrCheck, 'ok' | 'warn'>): 'ok' | 'warn' | 'fail' {
  return c.warn ? 'warn' : c.ok ? 'ok' : 'fail';
}

export interface PitrRecoverRequest {
  /** The base backup (its directory or manifest); default the newest base backup of the target. */
  base?: string;
  /** ISO timestamp with zone: recover up to (and excluding what committed after) this time. */
  targetTime: string;
  action: 'promote' | 'pause' | 'shutdown';
  runId: string;
  dryRun: boolean;
}

export interface PitrOutcome extends Outcome {
  /** The recovered cluster's connection URL (sandbox) — secrets are not in it. */
  url?: string;
  dataDir?: string;
  port?: number;
}

/** The backup engine (src/backup). One per session; every method reports through `emit` and honours `signal`. */
export interface BackupPort {
  /** Where archives and manifests go. */
  readonly dir: string;
  backup(req: BackupRequest, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome>;
  verify(req: VerifyRequest, emit: EmitBackup, signal: AbortSignal): Promise<VerifyOutcome>;
  /** Sessions connected to `database` other than ours (shown before a replace or a terminate). */
  sessions(database: string): Promise<SessionInfo[]>;
  restore(req: RestoreRequest, emit: EmitBackup, signal: AbortSignal): Promise<RestoreOutcome>;
  /**
   * Terminate these sessions (pg_terminate_backend from a maintenance connection), one result per pid.
   * Optional only so that older fakes still type-check; the real engine has it.
   */
  terminate?(pids: number[]): Promise<TerminateResult[]>;
  /** The restorable (full, directory) backups of the target database, newest first. Optional as terminate. */
  catalogue?(): Promise<CatalogItem[]>;
  /** Restore chosen tables of an archive into a side schema of the target and compare with the live tables. */
  partialLoad(req: PartialRequest, emit: EmitBackup, signal: AbortSignal): Promise<PartialOutcome>;
  /** Insert the rows missing from the live tables (one transaction); call only after the operator confirmed. */
  partialMerge(req: Omit<PartialRequest, 'file'>, emit: EmitBackup, signal: AbortSignal): Promise<PartialOutcome>;
  pitrReadiness(emit: EmitBackup, signal: AbortSignal): Promise<{ checks: PitrCheck[]; ready: boolean }>;
  baseBackup(req: { runId: string; operator: string; dryRun: boolean }, emit: EmitBackup, signal: AbortSignal): Promise<BackupOutcome>;
  /** Recover a copy of the cluster to a point in time. Only where this tool owns the server files (the sandbox). */
  pitrRecover(req: PitrRecoverRequest, emit: EmitBackup, signal: AbortSignal): Promise<PitrOutcome>;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 20261121T101500Z: sorts by time, no characters a shell or a URL would mind. */
export function utcStamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

/** The archive's name: `<db>_<kind>_<UTC timestamp>` plus `.dump` for single-file archives (DESIGN §6). */
export function backupName(database: string, kind: BackupKind, at: Date): string {
  // A database name may hold anything; keep the file name portable.
  const db = database.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60) || 'db';
  const single = kind === 'full' || kind === 'schema' || kind === 'tables';
  return `${db}_${kind}_${utcStamp(at)}${single ? '.dump' : ''}`;
}

/**
 * `head` + `suffix` within PostgreSQL's 63-byte names: the head is shortened, never the suffix, and by code points
 * (half a surrogate pair is not a character the server would accept).
 */
export function fitName(head: string, suffix: string): string {
  const chars = Array.from(head);
  while (chars.length && Buffer.byteLength(chars.join('') + suffix, 'utf8') > 63) chars.pop();
  return chars.join('') + suffix;
}

/** The manifest beside an archive. */
export function manifestName(archiveName: string): string {
  return `${archiveName}.manifest.json`;
}

/** 1.2 GB, 340 MB, 12 kB (decimal, as df -H and most dashboards). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** The live block for a progress event: two short lines that fit 60 columns. */
export function progressLines(p: Progress): string[] {
  const secs = Math.max(p.elapsedMs / 1000, 0.001);
  const rate = p.bytes / secs;
  const unit = p.unit ?? 'tables';
  const items = p.total !== undefined ? `${p.done}/${p.total} ${unit}` : `${p.done} ${unit}`;
  const bytes = p.bytesTotal ? `${formatSize(p.bytes)} of ${formatSize(p.bytesTotal)}` : formatSize(p.bytes);
  const el = Math.round(p.elapsedMs / 1000);
  const clock = `${Math.floor(el / 60)}:${pad(el % 60)}`;
  return [`${p.action}: ${items} · ${bytes} · ${formatSize(rate)}/s · ${clock}`, ...(p.current ? [`  now: ${p.current}`] : [])];
}
