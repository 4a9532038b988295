import { createHash } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, type ClientConfig } from 'pg';
import { archiveCommand, quoteConfValue } from '../core/pitr.js';
import { findPgServerBinDir, type FindPgBinaryOptions } from '../tools/pgbin.js';
import { describeFailure, runToEnd, type RunResult } from '../tools/run.js';

/**
 * A throwaway PostgreSQL cluster: initdb into a private directory, pg_ctl start on a free loopback port with a
 * private unix socket directory, pg_ctl stop, remove. Used by `sandbox` and by the integration tests (DESIGN §10),
 * so both exercise the same code.
 *
 * Layout of a cluster directory (mode 0700, owned by the server's OS user):
 *   data/          PGDATA
 *   socket/        unix_socket_directories (0700: only the server's user, and root, can reach the trust-auth socket)
 *   server.log     pg_ctl -l
 *   password       the superuser's and sim_admin's password (0600, owned by us)
 *   wal-archive/   completed WAL segments (archive_command), so point-in-time recovery can run for real (0700)
 */

export class SandboxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxError';
  }
}

export const APPLICATION_NAME = 'parlant-runbook/sandbox';
export const SUPERUSER = 'postgres';

/** The OS account PostgreSQL's server programs run as. */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

/** Everything needed to operate on an existing cluster. Plain data, so it can be written to sandbox.json. */
export interface ClusterRef {
  dir: string;
  binDir: string;
}

export interface ClusterLayout {
  dir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  passwordFile: string;
  /** Where archive_command copies completed WAL segments (and where a recovery's restore_command reads them). */
  archiveDir: string;
}

export type ClusterState = 'running' | 'stopped' | 'stale' | 'unresponsive';

export interface ClusterStatus {
  /**
   * running: the postmaster is alive and answers; stopped: no postmaster.pid; stale: postmaster.pid names a dead
   * process (killed, or the machine rebooted); unresponsive: the process lives but refuses connections (starting
   * up, shutting down, or hung).
   */
  state: ClusterState;
  pid?: number;
  port?: number;
  startedAt?: Date;
}

export interface ClusterDirChoice {
  dir: string;
  location: 'preferred' | 'tmpdir';
  /** Why the preferred directory was not used (empty when it was). */
  reason: string;
}

export type ProgressFn = (message: string) => void;

/** Inside the data directory; rewritten at every start because it names paths and a port that change with a copy. */
export const CONF_INCLUDE = 'parlant-runbook.conf';
const START_TIMEOUT_S = 60;
/** Linux sun_path is 108 bytes including the NUL; libpq and the server refuse longer socket paths. */
const MAX_SOCKET_PATH = 107;

export function clusterLayout(dir: string): ClusterLayout {
  return {
    dir,
    dataDir: path.join(dir, 'data'),
    socketDir: path.join(dir, 'socket'),
    logFile: path.join(dir, 'server.log'),
    passwordFile: path.join(dir, 'password'),
    archiveDir: path.join(dir, 'wal-archive'),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Who runs the server

let serverUserCache: Promise<ServerUser | undefined> | undefined;

/**
 * PostgreSQL refuses to run as root, so when we are root the server programs run as the `postgres` OS user (the
 * account the distribution packages create). Otherwise they run as ourselves: `undefined`.
 */
export function serverRunAs(): Promise<ServerUser | undefined> {
  serverUserCache ??= lookupServerUser();
  return serverUserCache;
}

async function lookupServerUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const fromPasswd = await fs
    .readFile('/etc/passwd', 'utf8')
    .then((text) => {
      for (const line of text.split('\n')) {
        const [name, , uid, gid] = line.split(':');
        if (name === SUPERUSER && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
      }
      return undefined;
    })
    .catch(() => undefined);
  if (fromPasswd) return fromPasswd;
  // Accounts from NSS (LDAP, sssd) are not in /etc/passwd; `id` asks NSS.
  const uid = await runToEnd('id', ['-u', SUPERUSER]).catch(() => undefined);
  const gid = await runToEnd('id', ['-g', SUPERUSER]).catch(() => undefined);
  if (uid?.ok && gid?.ok) {
    return { name: SUPERUSER, uid: Number(uid.stdoutTail.join('').trim()), gid: Number(gid.stdoutTail.join('').trim()) };
  }
  throw new SandboxError(
    'PostgreSQL refuses to run as root, and there is no "postgres" OS user to run it as. ' +
      'Create one (useradd --system --create-home --home-dir /var/lib/postgresql postgres) or run parlant-runbook as a normal user.',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Binaries

export function resolveServerBinDir(opts: FindPgBinaryOptions = {}): string {
  const dir = findPgServerBinDir(opts);
  if (!dir) {
    throw new SandboxError(
      'initdb, pg_ctl and postgres were not found together on PATH or in /usr/lib/postgresql/*/bin. ' +
        'Install the PostgreSQL server: apt-get install -y postgresql',
    );
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// Directories

/** Characters that would break postgresql.conf quoting, the unix_socket_directories list, or pg_ctl's shell line. */
const UNSAFE_PATH = /[\0-\x1f\x7f'"\\,$`]/;

function pathProblem(dir: string): string | null {
  if (UNSAFE_PATH.test(dir)) return `its path ${JSON.stringify(dir)} contains quotes, commas or control characters`;
  const socket = path.join(clusterLayout(dir).socketDir, '.s.PGSQL.65535');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    return `the socket path would be ${Buffer.byteLength(socket)} bytes, more than the ${MAX_SOCKET_PATH} a unix socket allows`;
  }
  return null;
}

function mayTraverse(st: Stats, user: ServerUser): boolean {
  if (user.uid === 0) return true;
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** The first ancestor of `dir` (exclusive) that `user` cannot enter, or null. Supplementary groups are ignored:
 * a false "cannot" only moves the cluster to the temp directory, which is harmless. */
async function untraversableAncestor(dir: string, user: ServerUser): Promise<string | null> {
  const ancestors: string[] = [];
  for (let d = path.dirname(path.resolve(dir)); ; d = path.dirname(d)) {
    ancestors.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const a of ancestors) {
    let st: Stats;
    try {
      st = await fs.stat(a);
    } catch {
      return a; // does not exist yet: we would create it 0700 as ourselves
    }
    if (!mayTraverse(st, user)) return `${a} (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`;
  }
  return null;
}

/**
 * Where a cluster whose natural home is `preferred` should live.
 *
 * Why not always `preferred`: when we run as root the state directory is typically under /root, which is 0700, and
 * the server runs as `postgres`, which cannot traverse it, so initdb and the postmaster would fail with "permission
 * denied". Loosening /root's mode is not ours to do. A unix socket path is also limited to 107 bytes, and
 * postgresql.conf and pg_ctl's shell line cannot carry every character. In those cases the cluster goes to
 * `<tmpdir>/<fallbackName>`, a name derived from the state directory so the same state directory always finds the
 * same cluster again; the caller records the choice (sandbox.json) so that stop and status never have to guess.
 */
export async function chooseClusterDir(preferred: string, fallbackName: string): Promise<ClusterDirChoice> {
  const runAs = await serverRunAs();
  let reason = pathProblem(preferred) ?? '';
  if (!reason && runAs) {
    const blocked = await untraversableAncestor(preferred, runAs);
    if (blocked) reason = `the ${runAs.name} OS user, which runs the server, cannot enter ${blocked}`;
  }
  if (!reason) return { dir: preferred, location: 'preferred', reason: '' };

  const fallback = path.join(os.tmpdir(), fallbackName);
  const problem = pathProblem(fallback) ?? (runAs ? await untraversableAncestor(fallback, runAs) : null);
  if (problem) {
    throw new SandboxError(
      `Cannot place the sandbox cluster: in ${preferred} because ${reason}, nor in ${fallback} because of ${problem}. ` +
        'Point TMPDIR (or PARLANT_RUNBOOK_HOME) at a short directory the postgres user can enter, such as /tmp.',
    );
  }
  return { dir: fallback, location: 'tmpdir', reason };
}

/** A fixed-length, filesystem-safe key for a path (used to name per-state-dir temp directories). */
export function pathKey(p: string): string {
  return createHash('sha256').update(path.resolve(p)).digest('hex').slice(0, 12);
}

/** Hand a file or directory to the server's OS user (when we are root; otherwise we are that user already). */
export async function giveToServer(p: string, runAs: ServerUser | undefined): Promise<void> {
  if (runAs) await fs.chown(p, runAs.uid, runAs.gid);
}

/**
 * Create `dir` (not its parents) as a private directory for the server. mkdir without `recursive` fails on anything
 * already there, including a symlink planted in a shared temp directory.
 */
export async function makePrivateDir(dir: string, runAs: ServerUser | undefined): Promise<void> {
  try {
    await fs.mkdir(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new SandboxError(`${dir} already exists. Stop and remove the old cluster first (parlant-runbook sandbox stop).`, {
        cause: err,
      });
    }
    throw new SandboxError(`Cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  }
  await fs.chmod(dir, 0o700); // mkdir's mode is filtered by the umask
  await giveToServer(dir, runAs);
}

/**
 * Remove a cluster directory. Refuses to remove something that is not a directory owned by us or by the server's
 * user: in a shared temp directory another user could have put it there.
 */
export async function removeClusterDir(dir: string): Promise<boolean> {
  let st: Stats;
  try {
    st = await fs.lstat(dir);
  } catch {
    return false;
  }
  const runAs = await serverRunAs();
  const me = process.getuid?.() ?? -1;
  if (!st.isDirectory() || (st.uid !== me && st.uid !== runAs?.uid)) {
    throw new SandboxError(`Refusing to remove ${dir}: it is not a directory owned by this user or by the postgres user.`);
  }
  await fs.rm(dir, { recursive: true, force: true });
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

/** Environment for server programs: nothing inherited that would point them at another cluster. */
const SERVER_ENV: Record<string, string | undefined> = {
  PGDATA: undefined,
  PGPORT: undefined,
  PGHOST: undefined,
  PGUSER: undefined,
  PGDATABASE: undefined,
  PGPASSWORD: undefined,
  PGPASSFILE: undefined,
  PGOPTIONS: undefined,
  PGSERVICE: undefined,
  LC_ALL: 'C',
};

/** Run one of the cluster's server programs (pg_ctl, initdb, postgres) as the server's OS user. */
export async function runServerTool(ref: ClusterRef, tool: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const runAs = await serverRunAs();
  return runToEnd(path.join(ref.binDir, tool), args, {
    // A cwd the server user can enter: inheriting ours (often /root) makes initdb and pg_ctl complain.
    cwd: ref.dir,
    env: SERVER_ENV,
    uid: runAs?.uid,
    gid: runAs?.gid,
    timeoutMs,
  });
}

/**
 * Whether a process exists and is not a zombie. In containers PID 1 often does not reap orphans, so a SIGKILLed
 * postmaster can linger as a zombie that `kill(pid, 0)` still reports as present.
 */
export async function isProcessAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux'; // no /proc entry on Linux: it is gone
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isProcessAlive(pid))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !(await isProcessAlive(pid));
}

/** Ask the OS for a free loopback port: bind to port 0, read the port, close. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new SandboxError('The OS did not assign a free TCP port.'))));
    });
  });
}

/** The last `lines` non-empty lines of a file ([] when it cannot be read). */
export async function tail(file: string, lines: number): Promise<string[]> {
  try {
    const text = await fs.readFile(file, 'utf8');
    return text.split('\n').filter((l) => l !== '').slice(-lines);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle

export interface InitClusterOptions {
  /** The cluster directory; its parent must exist and the directory itself must not. */
  dir: string;
  /** Password for the `postgres` superuser over TCP (the unix socket uses trust). */
  password: string;
  binDir?: string;
  onProgress?: ProgressFn;
}

/** initdb a new cluster in `dir` and configure it as a throwaway loopback server. */
export async function initCluster(opts: InitClusterOptions): Promise<ClusterRef> {
  const binDir = opts.binDir ?? resolveServerBinDir();
  const runAs = await serverRunAs();
  const ref: ClusterRef = { dir: path.resolve(opts.dir), binDir };
  const layout = clusterLayout(ref.dir);
  const problem = pathProblem(ref.dir);
  if (problem) throw new SandboxError(`Cannot create a cluster in ${ref.dir}: ${problem}.`);

  await makePrivateDir(ref.dir, runAs);
  await makePrivateDir(layout.archiveDir, runAs);
  await fs.writeFile(layout.passwordFile, opts.password, { mode: 0o600, flag: 'wx' });

  // initdb reads the password from a file so that it never appears in argv; the file is readable only by the
  // server user and removed as soon as initdb is done.
  const pwfile = path.join(ref.dir, '.initdb-pwfile');
  await fs.writeFile(pwfile, `${opts.password}\n`, { mode: 0o600, flag: 'wx' });
  await giveToServer(pwfile, runAs);
  opts.onProgress?.(`Creating a PostgreSQL cluster in ${layout.dataDir}`);
  let r: RunResult;
  try {
    r = await runServerTool(
      ref,
      'initdb',
      [
        '-D', layout.dataDir,
        '-U', SUPERUSER,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        `--pwfile=${pwfile}`,
        '-E', 'UTF8',
        '--locale=C',
        // A throwaway cluster: skipping the final fsync of every file saves seconds on slow disks.
        '--no-sync',
      ],
      180_000,
    );
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  if (!r.ok) throw new SandboxError(`initdb failed for ${layout.dataDir}. ${describeFailure(r)}`);

  const conf = [
    '',
    '# parlant-runbook sandbox: a throwaway cluster. Durability is traded for speed; never keep real data here.',
    "listen_addresses = '127.0.0.1'",
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    // PG < 14 defaults to md5, which a scram-sha-256 hba line cannot verify.
    "password_encryption = 'scram-sha-256'",
    // WAL is archived so that point-in-time recovery can be practised for real. No archive_timeout: the recovery
    // procedure forces a segment switch (pg_switch_wal) instead of the archive filling with near-empty segments.
    'wal_level = replica',
    'archive_mode = on',
    // Port, socket directory and archive directory change per start (a copied template gets new ones), so they live
    // in their own file.
    `include = '${CONF_INCLUDE}'`,
    '',
  ].join('\n');
  await fs.appendFile(path.join(layout.dataDir, 'postgresql.conf'), conf);
  return ref;
}

export interface StartClusterOptions {
  /** A fixed port. Without it a free one is chosen, and another is tried if it is taken before the server binds. */
  port?: number;
  onProgress?: ProgressFn;
}

/** The include file: what differs between a cluster and its copies. */
function clusterConf(layout: ClusterLayout, port: number): string {
  return [
    `port = ${port}`,
    `unix_socket_directories = ${quoteConfValue(layout.socketDir)}`,
    `archive_command = ${quoteConfValue(archiveCommand(layout.archiveDir))}`,
    '',
  ].join('\n');
}

/** A private directory for the server, created if missing (a cluster copied from a template may lack it). */
async function ensureServerDir(dir: string, runAs: ServerUser | undefined): Promise<void> {
  await fs.mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await fs.chmod(dir, 0o700);
  await giveToServer(dir, runAs);
}

export interface StartedCluster {
  port: number;
  pid: number;
}

/** pg_ctl start; resolves once the server accepts connections. */
export async function startCluster(ref: ClusterRef, opts: StartClusterOptions = {}): Promise<StartedCluster> {
  const runAs = await serverRunAs();
  const layout = clusterLayout(ref.dir);
  await ensureServerDir(layout.socketDir, runAs);
  await ensureServerDir(layout.archiveDir, runAs);

  const attempts = opts.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freeTcpPort());
    const confFile = path.join(layout.dataDir, CONF_INCLUDE);
    await fs.writeFile(confFile, clusterConf(layout, port), { mode: 0o600 });
    await giveToServer(confFile, runAs);

    opts.onProgress?.(`Starting PostgreSQL on 127.0.0.1:${port}`);
    const r = await runServerTool(
      ref,
      'pg_ctl',
      ['-D', layout.dataDir, '-l', layout.logFile, '-w', '-t', String(START_TIMEOUT_S), 'start'],
      (START_TIMEOUT_S + 30) * 1000,
    );
    if (r.ok) {
      const pid = await readPostmasterPid(layout.dataDir);
      if (pid) return { port, pid: pid.pid };
      throw new SandboxError(`PostgreSQL started but ${layout.dataDir}/postmaster.pid is missing. Check ${layout.logFile}.`);
    }
    const log = await tail(layout.logFile, 15);
    const portTaken = log.some((l) => /could not bind|Address already in use|could not create any TCP\/IP sockets/.test(l));
    if (portTaken && attempt < attempts) continue;
    // pg_ctl -w can time out while the server still runs; leave nothing behind.
    await stopCluster(ref, { mode: 'immediate' }).catch(() => undefined);
    throw new SandboxError(
      `PostgreSQL did not start in ${layout.dataDir}. ${describeFailure(r)}` +
        (log.length ? `\nLast lines of ${layout.logFile}:\n  ${log.join('\n  ')}` : ''),
    );
  }
}

export interface StopClusterOptions {
  /** fast (default): roll back open transactions and shut down cleanly. immediate: no checkpoint, crash recovery on next start. */
  mode?: 'fast' | 'immediate';
  /** Remove the whole cluster directory afterwards. */
  remove?: boolean;
}

export interface StopClusterResult {
  /** A live postmaster was stopped. */
  wasRunning: boolean;
  /** The directory existed and was removed (only with `remove`). */
  removed: boolean;
}

/** Stop the server if it runs (idempotent), and optionally remove the directory. */
export async function stopCluster(ref: ClusterRef, opts: StopClusterOptions = {}): Promise<StopClusterResult> {
  const layout = clusterLayout(ref.dir);
  const pm = await readPostmasterPid(layout.dataDir);
  let wasRunning = false;
  if (pm && (await isProcessAlive(pm.pid))) {
    wasRunning = true;
    const modes = opts.mode === 'immediate' ? (['immediate'] as const) : (['fast', 'immediate'] as const);
    for (const mode of modes) {
      await runServerTool(ref, 'pg_ctl', ['-D', layout.dataDir, '-m', mode, '-w', '-t', '60', 'stop'], 90_000).catch(() => undefined);
      if (!(await isProcessAlive(pm.pid))) break;
    }
    // pg_ctl missing or the server hung: SIGQUIT is PostgreSQL's immediate shutdown, SIGKILL the last resort (the
    // children notice the postmaster's death and exit on their own).
    for (const signal of ['SIGQUIT', 'SIGKILL'] as const) {
      if (!(await isProcessAlive(pm.pid))) break;
      try {
        process.kill(pm.pid, signal);
      } catch {
        break; // already gone
      }
      await waitForExit(pm.pid, 10_000);
    }
  }
  const removed = opts.remove ? await removeClusterDir(ref.dir) : false;
  return { wasRunning, removed };
}

interface PostmasterPid {
  pid: number;
  port?: number;
  startedAt?: Date;
}

/** postmaster.pid: line 1 pid, 3 start time (epoch seconds), 4 port. */
async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  const started = Number(lines[2]);
  const port = Number(lines[3]);
  return {
    pid,
    port: Number.isInteger(port) && port > 0 ? port : undefined,
    startedAt: Number.isFinite(started) && started > 0 ? new Date(started * 1000) : undefined,
  };
}

/** Whether the cluster's server is up and answering, from its postmaster.pid and a connection. */
export async function clusterStatus(ref: ClusterRef): Promise<ClusterStatus> {
  const layout = clusterLayout(ref.dir);
  const pm = await readPostmasterPid(layout.dataDir);
  if (!pm) return { state: 'stopped' };
  const base = { pid: pm.pid, port: pm.port, startedAt: pm.startedAt };
  if (!(await isProcessAlive(pm.pid))) return { state: 'stale', ...base };
  if (pm.port === undefined) return { state: 'unresponsive', ...base };
  const client = new Client({ ...superuserConnection(ref, pm.port, 'postgres'), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { state: 'running', ...base };
  } catch {
    return { state: 'unresponsive', ...base };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** node-postgres settings for the superuser over the private unix socket (trust authentication). */
export function superuserConnection(ref: ClusterRef, port: number, database: string): ClientConfig {
  return {
    host: clusterLayout(ref.dir).socketDir,
    port,
    user: SUPERUSER,
    database,
    application_name: APPLICATION_NAME,
    // A unix socket never has SSL; without this an inherited PGSSLMODE=prefer (node-postgres reads it as "require")
    // makes every check of the sandbox fail, e.g. when a runbook's app.start runs `sandbox app start`.
    ssl: false,
  };
}

/** The same as a URL, in the form both libpq (psql) and node-postgres accept: the socket directory as the host. */
export function superuserUrl(ref: ClusterRef, port: number, database: string): string {
  return `postgresql://${SUPERUSER}@${encodeURIComponent(clusterLayout(ref.dir).socketDir)}:${port}/${encodeURIComponent(database)}`;
}

export async function readClusterPassword(ref: ClusterRef): Promise<string> {
  return (await fs.readFile(clusterLayout(ref.dir).passwordFile, 'utf8')).trim();
}
