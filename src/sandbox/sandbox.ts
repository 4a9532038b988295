import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { z } from 'zod';
import { findPgServerBinDir } from '../tools/pgbin.js';
import {
  APPLICATION_NAME,
  chooseClusterDir,
  clusterLayout,
  clusterStatus,
  initCluster,
  isProcessAlive,
  pathKey,
  removeClusterDir,
  resolveServerBinDir,
  SandboxError,
  startCluster,
  stopCluster,
  superuserConnection,
  superuserUrl,
  type ClusterDirChoice,
  type ClusterRef,
  type ClusterStatus,
} from './cluster.js';

/**
 * The `sandbox` commands' logic: a throwaway PostgreSQL cluster holding a database that looks like Sim, for dry runs
 * and training (DESIGN §2). No CLI parsing, no output, no process.exit: functions return data or throw SandboxError.
 *
 * State: `<stateDir>/sandbox.json` (0600) records where the cluster lives, its port, pid, scale and password, so that
 * status, url and stop never guess. `<stateDir>/sandbox.lock` keeps two commands from building at once.
 */

export const SIM_DATABASE = 'sim';
export const SIM_ROLE = 'sim_admin';
export const DEFAULT_SCALE = 1;
export const MAX_SCALE = 1000;

/** One line per stage ("Creating the Sim base tables"), for a spinner or stderr. */
export type SandboxProgressFn = (message: string) => void;

export interface StartSandboxOptions {
  stateDir: string;
  /** Multiplies the synthetic rows (scale 1 ≈ 25,000 rows). Ignored when a running sandbox is reused. */
  scale?: number;
  onProgress?: SandboxProgressFn;
}

export interface SandboxInfo {
  /** `postgresql://sim_admin:<password>@127.0.0.1:<port>/sim`: what `psql "$(parlant-runbook sandbox url)"` needs. */
  url: string;
  /** The `postgres` superuser over the private unix socket (trust), database sim. */
  superuserUrl: string;
  reused: boolean;
  port: number;
  pid: number;
  /** The cluster directory (holds data/, socket/, server.log, password). */
  dir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  scale: number;
  startedAt: string;
  location: ClusterDirChoice['location'];
  /** Why the cluster is not under the state directory (empty when it is). */
  locationReason: string;
  serverVersion: string;
}

export interface SandboxStatus {
  running: boolean;
  /** absent: nothing recorded; creating: a build is in progress or was interrupted; stale/unresponsive: see ClusterStatus. */
  state: 'absent' | 'creating' | ClusterStatus['state'];
  url?: string;
  superuserUrl?: string;
  port?: number;
  pid?: number;
  dir?: string;
  dataDir?: string;
  scale?: number;
  startedAt?: string;
}

export interface StopSandboxResult {
  /** Something (a record, a cluster directory) was there, and has been stopped and removed. */
  stopped: boolean;
  /** A live server was stopped. */
  wasRunning: boolean;
}

const RecordSchema = z.object({
  version: z.literal(1),
  state: z.enum(['creating', 'ready']),
  dir: z.string().min(1),
  location: z.enum(['preferred', 'tmpdir']),
  locationReason: z.string(),
  binDir: z.string().min(1),
  scale: z.number().int().positive(),
  password: z.string().min(1),
  startedAt: z.string(),
  port: z.number().int().positive().optional(),
  pid: z.number().int().positive().optional(),
  serverVersion: z.string().optional(),
});
type SandboxRecord = z.infer<typeof RecordSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Inputs and files

export function validateScale(scale: unknown): number {
  if (typeof scale !== 'number' || !Number.isSafeInteger(scale) || scale < 1 || scale > MAX_SCALE) {
    throw new SandboxError(`The sandbox scale must be a whole number from 1 to ${MAX_SCALE} (got ${String(scale)}).`);
  }
  return scale;
}

export interface SimSqlFiles {
  base: string;
  data: string;
}

/**
 * The sandbox SQL files. Found by walking up from this module, which works from src/ (tests) and from dist/src/
 * (the built CLI) alike.
 */
export function simSqlFiles(): SimSqlFiles {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const base = path.join(dir, 'sql', 'sandbox', 'sim_base.sql');
    if (existsSync(base)) return { base, data: path.join(dir, 'sql', 'sandbox', 'sim_data.sql') };
    dir = path.dirname(dir);
  }
  throw new SandboxError('sql/sandbox/sim_base.sql was not found next to parlant-runbook. The installation is incomplete: reinstall it.');
}

/** sim_base.sql is split at this line into the tables and the constraints/indexes built after the data. */
const POST_DATA_MARKER = /^-- parlant-runbook: post-data\s*$/m;

async function readSimSql(): Promise<{ preData: string; postData: string; data: string }> {
  const files = simSqlFiles();
  const [base, data] = await Promise.all([fs.readFile(files.base, 'utf8'), fs.readFile(files.data, 'utf8')]);
  const m = POST_DATA_MARKER.exec(base);
  if (!m) throw new SandboxError(`${files.base} lacks the "-- parlant-runbook: post-data" line. The installation is damaged: reinstall it.`);
  return { preData: base.slice(0, m.index), postData: base.slice(m.index), data };
}

function recordFile(stateDir: string): string {
  return path.join(stateDir, 'sandbox.json');
}

async function readRecord(stateDir: string): Promise<SandboxRecord | null> {
  let text: string;
  try {
    text = await fs.readFile(recordFile(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SandboxError(`Cannot read ${recordFile(stateDir)}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = RecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new SandboxError(
      `${recordFile(stateDir)} is damaged. Stop any server it describes by hand, then delete the file and start again.`,
    );
  }
  return parsed.data;
}

/** Written to a temporary name and renamed, so a crash never leaves half a record; 0600 because it holds the password. */
async function writeRecord(stateDir: string, record: SandboxRecord): Promise<void> {
  const tmp = `${recordFile(stateDir)}.tmp-${process.pid}`;
  await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, recordFile(stateDir));
}

async function deleteRecord(stateDir: string): Promise<boolean> {
  try {
    await fs.unlink(recordFile(stateDir));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function ensureStateDir(stateDir: string): Promise<void> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
}

/**
 * A lock file holding our pid, for start/stop/reset. A lock whose process is gone (crash, kill -9) is taken over;
 * a live one is reported, since two builds in the same directory would destroy each other.
 */
async function withSandboxLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(stateDir, 'sandbox.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const holder = Number((await fs.readFile(lock, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && (await isProcessAlive(holder))) {
        throw new SandboxError(
          `Another sandbox command (pid ${holder}) is working in ${stateDir}. Wait for it to finish; if no such process exists, delete ${lock}.`,
        );
      }
      await fs.rm(lock, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

function clusterDirName(stateDir: string): string {
  return `parlant-runbook-sandbox-${pathKey(stateDir)}`;
}

function refOf(record: SandboxRecord): ClusterRef {
  return { dir: record.dir, binDir: record.binDir };
}

export function simAdminUrl(password: string, port: number): string {
  return `postgresql://${SIM_ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/${SIM_DATABASE}`;
}

function infoOf(record: SandboxRecord, port: number, pid: number, reused: boolean): SandboxInfo {
  const ref = refOf(record);
  const layout = clusterLayout(record.dir);
  return {
    url: simAdminUrl(record.password, port),
    superuserUrl: superuserUrl(ref, port, SIM_DATABASE),
    reused,
    port,
    pid,
    dir: record.dir,
    dataDir: layout.dataDir,
    socketDir: layout.socketDir,
    logFile: layout.logFile,
    scale: record.scale,
    startedAt: record.startedAt,
    location: record.location,
    locationReason: record.locationReason,
    serverVersion: record.serverVersion ?? '',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Building the Sim database

export interface ProvisionSimOptions {
  /** sim_admin's password (the sandbox uses the cluster's). */
  password: string;
  /** Load the synthetic rows (default true). Without them, the tables are created empty. */
  withData?: boolean;
  scale?: number;
  onProgress?: SandboxProgressFn;
}

/**
 * Create the login role sim_admin (CREATEDB, not superuser: a migration that only works as superuser should fail
 * here as it would in production), the database sim owned by it, and the Sim base tables and data, as sim_admin.
 * Returns the server version.
 */
export async function provisionSim(ref: ClusterRef, port: number, opts: ProvisionSimOptions): Promise<string> {
  const scale = validateScale(opts.scale ?? DEFAULT_SCALE);
  const sql = await readSimSql();
  const progress = opts.onProgress ?? ((): void => undefined);

  progress(`Creating role ${SIM_ROLE} and database ${SIM_DATABASE}`);
  const admin = new Client(superuserConnection(ref, port, 'postgres'));
  let serverVersion: string;
  try {
    await admin.connect();
    // Utility statements take no bind parameters; escapeLiteral quotes the password. Nothing logs statements here.
    await admin.query(`CREATE ROLE ${SIM_ROLE} LOGIN CREATEDB PASSWORD ${admin.escapeLiteral(opts.password)}`);
    await admin.query(`CREATE DATABASE ${SIM_DATABASE} OWNER ${SIM_ROLE}`);
    serverVersion = String((await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '');
  } catch (err) {
    throw new SandboxError(`Could not create ${SIM_ROLE} and ${SIM_DATABASE}: ${(err as Error).message}`, { cause: err });
  } finally {
    await admin.end().catch(() => undefined);
  }

  // Over TCP with the password, exactly as an operator's psql would connect: if this works, the URL works.
  const sim = new Client({
    host: '127.0.0.1',
    port,
    user: SIM_ROLE,
    password: opts.password,
    database: SIM_DATABASE,
    application_name: APPLICATION_NAME,
  });
  let phase = 'creating the tables';
  try {
    await sim.connect();
    // One transaction: an interrupted build leaves an empty database, never a half-loaded one.
    await sim.query('BEGIN');
    progress('Creating the Sim base tables');
    await sim.query(sql.preData);
    if (opts.withData ?? true) {
      phase = 'loading data';
      progress(`Generating synthetic Sim data (scale ${scale})`);
      // A bind parameter, not text pasted into the SQL; is_local = true scopes it to this transaction.
      await sim.query("SELECT set_config('parlant.scale', $1, true)", [String(scale)]);
      await sim.query(sql.data);
    }
    phase = 'adding constraints and indexes';
    progress('Adding unique constraints, foreign keys and indexes');
    await sim.query(sql.postData);
    await sim.query('COMMIT');
  } catch (err) {
    await sim.query('ROLLBACK').catch(() => undefined);
    throw new SandboxError(`Building the Sim database failed (${phase}): ${(err as Error).message}`, { cause: err });
  } finally {
    await sim.end().catch(() => undefined);
  }
  return serverVersion;
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

/** Stop and remove a recorded cluster, or an orphaned directory at `dir`, and the record. */
async function teardown(stateDir: string, dir: string, binDir: string): Promise<StopSandboxResult> {
  let wasRunning = false;
  let removed = false;
  if (existsSync(dir)) {
    wasRunning = (await stopCluster({ dir, binDir })).wasRunning;
    removed = await removeClusterDir(dir);
  }
  await removeRecoveredCopies(dir, binDir);
  removed = (await deleteRecord(stateDir)) || removed;
  return { stopped: removed, wasRunning };
}

/**
 * Copies recovered by the pitr runbook live beside the sandbox (`<dir>-pitr-<stamp>-…`, or in the temp dir when
 * that path is too long for a socket): they belong to it and go with it.
 */
async function removeRecoveredCopies(dir: string, binDir: string): Promise<void> {
  const places = [
    { parent: path.dirname(dir), prefix: `${path.basename(dir)}-pitr-` },
    { parent: os.tmpdir(), prefix: `parlant-runbook-pitr-${pathKey(dir)}-` },
  ];
  for (const { parent, prefix } of places) {
    const names = await fs.readdir(parent).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.startsWith(prefix))) {
      const copy = path.join(parent, n);
      await stopCluster({ dir: copy, binDir }).catch(() => undefined);
      await removeClusterDir(copy).catch(() => undefined);
    }
  }
}

/** The cluster's status, waiting up to `waitMs` for a server that is alive but not yet answering (starting up). */
async function settledStatus(ref: ClusterRef, waitMs = 10_000): Promise<ClusterStatus> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const st = await clusterStatus(ref);
    if (st.state !== 'unresponsive' || Date.now() > deadline) return st;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Start the sandbox, or reuse the one that is running. */
export async function startSandbox(opts: StartSandboxOptions): Promise<SandboxInfo> {
  const scale = validateScale(opts.scale ?? DEFAULT_SCALE);
  const stateDir = path.resolve(opts.stateDir);
  const progress = opts.onProgress ?? ((): void => undefined);
  await ensureStateDir(stateDir);

  return withSandboxLock(stateDir, async () => {
    const existing = await readRecord(stateDir);
    if (existing?.state === 'ready') {
      const st = await settledStatus(refOf(existing));
      if (st.state === 'running' && st.port !== undefined && st.pid !== undefined) {
        return infoOf(existing, st.port, st.pid, true);
      }
      if (st.state === 'unresponsive') {
        // Alive but refusing connections: perhaps mid-recovery, perhaps a training fault. Not ours to destroy unasked.
        throw new SandboxError(
          `The sandbox server (pid ${st.pid ?? '?'}) is running but does not accept connections; see ${clusterLayout(existing.dir).logFile}. ` +
            'Rebuild it with: parlant-runbook sandbox reset',
        );
      }
    }
    if (existing) {
      progress(`Removing a sandbox that is no longer running (${existing.dir})`);
      await teardown(stateDir, existing.dir, existing.binDir);
    }

    const binDir = resolveServerBinDir();
    const choice = await chooseClusterDir(path.join(stateDir, 'sandbox'), clusterDirName(stateDir));
    if (existsSync(choice.dir)) {
      // Left by a build that died before it wrote its record.
      progress(`Removing an unfinished sandbox (${choice.dir})`);
      await teardown(stateDir, choice.dir, binDir);
    }

    let record: SandboxRecord = {
      version: 1,
      state: 'creating',
      dir: choice.dir,
      location: choice.location,
      locationReason: choice.reason,
      binDir,
      scale,
      // base64url: URL-safe, so the URL needs no escaping and survives copy-paste into a shell.
      password: randomBytes(24).toString('base64url'),
      startedAt: new Date().toISOString(),
    };
    // Recorded before anything is created, so that an interrupted build is found and cleaned up next time.
    await writeRecord(stateDir, record);
    try {
      const ref = await initCluster({
        dir: choice.dir,
        password: record.password,
        binDir,
        onProgress: progress,
      });
      const started = await startCluster(ref, { onProgress: progress });
      const serverVersion = await provisionSim(ref, started.port, { password: record.password, scale, onProgress: progress });
      record = { ...record, state: 'ready', port: started.port, pid: started.pid, serverVersion };
      await writeRecord(stateDir, record);
      progress(`Sandbox ready on 127.0.0.1:${started.port}`);
      return infoOf(record, started.port, started.pid, false);
    } catch (err) {
      await teardown(stateDir, choice.dir, binDir).catch(() => undefined);
      throw err;
    }
  });
}

/** Stop the sandbox and remove its cluster and record. Idempotent. */
export async function stopSandbox(opts: { stateDir: string }): Promise<StopSandboxResult> {
  const stateDir = path.resolve(opts.stateDir);
  if (!existsSync(stateDir)) return { stopped: false, wasRunning: false };
  return withSandboxLock(stateDir, async () => {
    const record = await readRecord(stateDir);
    if (record) return teardown(stateDir, record.dir, record.binDir);
    // No record: an interrupted build may still have left a directory at the usual place.
    const choice = await chooseClusterDir(path.join(stateDir, 'sandbox'), clusterDirName(stateDir)).catch(() => null);
    if (!choice || !existsSync(choice.dir)) return { stopped: false, wasRunning: false };
    // Without pg_ctl, stopCluster falls back to signalling the postmaster directly.
    return teardown(stateDir, choice.dir, findPgServerBinDir() ?? '');
  });
}

export async function sandboxStatus(opts: { stateDir: string }): Promise<SandboxStatus> {
  const stateDir = path.resolve(opts.stateDir);
  const record = existsSync(stateDir) ? await readRecord(stateDir) : null;
  if (!record) return { running: false, state: 'absent' };
  const common = {
    dir: record.dir,
    dataDir: clusterLayout(record.dir).dataDir,
    scale: record.scale,
    startedAt: record.startedAt,
  };
  if (record.state === 'creating') return { running: false, state: 'creating', ...common };
  const st = await clusterStatus(refOf(record));
  const port = st.port ?? record.port;
  if (st.state !== 'running' || port === undefined) return { running: false, state: st.state, pid: st.pid, port, ...common };
  return {
    running: true,
    state: 'running',
    url: simAdminUrl(record.password, port),
    superuserUrl: superuserUrl(refOf(record), port, SIM_DATABASE),
    port,
    pid: st.pid,
    ...common,
  };
}

/** The sim_admin URL of the running sandbox. */
export async function sandboxUrl(opts: { stateDir: string }): Promise<string> {
  const st = await sandboxStatus(opts);
  if (st.running && st.url) return st.url;
  throw new SandboxError(
    st.state === 'absent'
      ? 'No sandbox has been started. Start one: parlant-runbook sandbox start'
      : `The sandbox is not running (${st.state}). Start it again: parlant-runbook sandbox start`,
  );
}

/** Stop, remove and build afresh (with the previous scale unless another is given). */
export async function resetSandbox(opts: StartSandboxOptions): Promise<SandboxInfo> {
  const stateDir = path.resolve(opts.stateDir);
  const previous = existsSync(stateDir) ? await readRecord(stateDir).catch(() => null) : null;
  const scale = validateScale(opts.scale ?? previous?.scale ?? DEFAULT_SCALE);
  await stopSandbox({ stateDir });
  return startSandbox({ ...opts, stateDir, scale });
}
