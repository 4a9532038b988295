import type { DecidedBy, DecisionAnswer, DecisionRequest, OutputLine, TargetInfo } from './events.js';
import type { MigrationPort } from './migrations.js';
import type { BackupPort } from './backup.js';
import type { Runbook, Step } from './model.js';
import type { TriggerAlert, TriggerSettings } from './triggers.js';

/**
 * Steps touch the world only through these ports (DESIGN §3). The CLI builds real ones (pg, execa, fetch);
 * unit tests build fakes. Core and steps never import pg, execa, ink or react.
 */

export interface QueryResult {
  command: string;
  rowCount: number | null;
  columns: string[];
  rows: Record<string, unknown>[];
}

export interface QueryOptions {
  signal?: AbortSignal;
  /** statement_timeout for this statement; undefined = the connection default. */
  timeoutMs?: number;
  /** Run inside a READ ONLY transaction (dry runs, checks). */
  readOnly?: boolean;
}

/** A database error that explains itself: SQLSTATE, server message, and line/column when the server gave a position. */
export class DbError extends Error {
  constructor(
    message: string,
    public readonly code: string | undefined,
    public readonly detail?: string,
    public readonly hint?: string,
    public readonly line?: number,
    public readonly column?: number,
  ) {
    super(message);
    this.name = 'DbError';
  }
}

/** The query was cancelled because the operator aborted. */
export class CancelledError extends Error {
  constructor(message = 'cancelled by the operator') {
    super(message);
    this.name = 'CancelledError';
  }
}

export interface DbPort {
  /** One statement with bind parameters. */
  query(sql: string, params?: readonly unknown[], opts?: QueryOptions): Promise<QueryResult>;
  /** A script of several statements (simple protocol), optionally in one transaction; returns the last result. */
  script(sql: string, opts: QueryOptions & { transaction: boolean }): Promise<QueryResult>;
  /** Open a new connection in place of the current one (after a restore replaced the database under it). */
  reconnect?(): Promise<void>;
}

export interface ProcResult {
  ok: boolean;
  exitCode: number | null;
  aborted: boolean;
  timedOut: boolean;
  durationMs: number;
  /** Explanation of a failure: command, how it ended, last stderr lines. */
  failure?: string;
}

export interface ProcPort {
  /**
   * Run a command from the operator's config. The environment carries the target's connection settings
   * (PGHOST … and a temporary PGPASSFILE), never a password in argv.
   */
  run(
    command: string | readonly string[],
    opts: { onLine: (line: string, stream: 'stdout' | 'stderr') => void; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<ProcResult>;
}

export interface HttpResponse {
  status: number;
  body: string;
}

export interface HttpPort {
  request(req: { url: string; method: string; body?: unknown; timeoutMs: number; signal?: AbortSignal }): Promise<HttpResponse>;
}

export interface ClockPort {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface FsPort {
  readText(file: string): Promise<string>;
}

/** The answer to a request, and who gave it. */
export interface Decision {
  answer: DecisionAnswer;
  by: DecidedBy;
  reason?: string;
}

/**
 * Where answers come from: the TUI, a line-mode prompt, or the command-line flags. A source that cannot
 * answer (non-interactive, flag missing) throws DecisionRefused naming the flag to pass.
 */
export type Decide = (request: DecisionRequest, signal: AbortSignal) => Promise<Decision>;

export class DecisionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecisionRefused';
  }
}

/** The parts of the operator's config file that steps may use. */
export interface StepConfig {
  /** Named commands (app.stop, app.start …): a string runs through /bin/sh, an array runs directly. */
  commands: Record<string, { run: string | readonly string[]; timeoutMs?: number }>;
  healthUrl?: string;
  webhookUrl?: string;
  /** The config's lock_timeout for DDL (default 2 s). */
  lockTimeoutMs?: number;
  /** The config's max_backup_age: how old a backup may be for the production gate. */
  maxBackupAgeMs?: number;
  /** What the rollback triggers watch while a migration runs, and whether they act (default: alert only). */
  rollbackTriggers?: TriggerSettings;
}

/** A finished run of a runbook, as the journal remembers it. */
export interface RunEvidence {
  runId: string;
  status: string;
  finishedAt: number;
  failedSteps: number;
  /** The run's variables as it ended (the preflight's risk.migrate_seconds …). */
  vars?: Readonly<Record<string, string | number | boolean | null>>;
}

/** A backup of the target, as the backup catalogue knows it. */
export interface BackupEvidence {
  file: string;
  finishedAt: number;
  verifiedAt?: number;
  verified: boolean;
  kind: string;
}

/** A PostgreSQL client tool as found on this machine. */
export interface ClientTool {
  name: string;
  path?: string;
  /** e.g. 15.18 */
  version?: string;
  major?: number;
  /** Why it could not be used (not found, version unreadable). */
  problem?: string;
}

export interface LintFindingView {
  file: string;
  /** 1-based. */
  line: number;
  rule: string;
  level: string;
  message: string;
  /** kept: shown as a hazard; filtered: cannot matter here, and `why` says why. */
  verdict: 'kept' | 'filtered';
  why?: string;
  help?: string;
}

/** The machine the operator runs on: what the preflight checks outside the database. */
export interface HostPort {
  /** A fresh connection to the target, timed, then closed: ms and the server's version. */
  connectTime(): Promise<{ ms: number; serverVersion: string; serverVersionNum: number }>;
  clientTool(name: 'pg_dump' | 'pg_restore' | 'psql'): Promise<ClientTool>;
  /** Free and total bytes of the filesystem that holds `dir` (or its nearest existing parent). */
  diskSpace(dir: string): Promise<{ path: string; free: number; total: number }>;
  /** Where backups go (config backup_dir, else <state dir>/backups). */
  backupDir: string;
  /** The operator's environment (SSH_CONNECTION, TMUX, STY, TERM …). */
  env: Readonly<Record<string, string | undefined>>;
  /** Lint migration files for lock hazards (squawk); throws with a clear message when the linter is unavailable. */
  lint(files: { path: string; noTransaction: boolean }[], signal?: AbortSignal): Promise<{ tool: string; version: string; findings: LintFindingView[] }>;
}

/** Where gates find their evidence: the journal of earlier runs and the backup catalogue. */
export interface EvidencePort {
  lastRun(runbookId: string, target: TargetInfo): Promise<RunEvidence | undefined>;
  latestBackup(target: TargetInfo): Promise<BackupEvidence | undefined>;
}

export interface Ports {
  db: DbPort;
  proc: ProcPort;
  http: HttpPort;
  clock: ClockPort;
  fs: FsPort;
  /** The migration engine (src/db/migrate); absent in fakes that do not need it. */
  migrations?: MigrationPort;
  evidence?: EvidencePort;
  host?: HostPort;
  /** The backup engine (src/backup); absent in fakes that do not need it. */
  backups?: BackupPort;
}

/** Everything a step may use. */
export interface StepContext<S extends Step = Step> {
  step: S;
  runbook: Runbook;
  ports: Ports;
  config: StepConfig;
  target: TargetInfo;
  /** The run's id and who runs it (recorded by the migration engine next to what it applied). */
  runId: string;
  operator: string;
  vars: Readonly<Record<string, string | number | boolean | null>>;
  dryRun: boolean;
  signal: AbortSignal;
  timeoutMs?: number;
  /** Absolute paths where `file:` SQL references are looked up. */
  sqlSearchPath: readonly string[];
  output(line: string, stream?: OutputLine['stream']): void;
  rows(columns: string[], rows: string[][], total: number): void;
  /** Lines kept up to date in place while the step runs (e.g. the lock radar); [] clears them. */
  live(lines: string[]): void;
  /** Raise or clear a rollback trigger's alert (the screen shows it prominently; the journal keeps it). */
  alert(a: TriggerAlert & { proposal?: string; acted?: 'stop' | 'rollback' }): void;
  /** The steps of this run before this one, as they ended (the preflight's summary reads them). */
  earlier: ReadonlyArray<{ id: string; title: string; status: string; summary?: string; durationMs?: number }>;
  /** Ask the operator (or the flags, in line mode). Resolves to the answer; the engine journals both sides. */
  ask(request: DistributiveOmit<DecisionRequest, 'id' | 'stepId'>): Promise<DecisionAnswer>;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface StepResult {
  status: 'passed' | 'warned' | 'failed' | 'skipped' | 'aborted';
  summary: string;
  error?: string;
  advice?: string;
  /** Variables to set for later steps (choose, save_as). */
  vars?: Record<string, string | number | boolean | null>;
  /** Jump to this step next (choose options). */
  goto?: string;
  /** A safety gate refused (exit 3). */
  refused?: boolean;
}

export type StepHandler<S extends Step = Step> = (ctx: StepContext<S>) => Promise<StepResult>;
