import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clusterLayout,
  initCluster,
  readClusterPassword,
  resolveServerBinDir,
  startCluster,
  stopCluster,
  superuserUrl,
  type ClusterRef,
} from '../../src/sandbox/cluster.js';
import { provisionSim, simAdminUrl, simSqlFiles, SIM_DATABASE } from '../../src/sandbox/sandbox.js';
import { pgToolVersion } from '../../src/tools/pgbin.js';
import { describeFailure, runToEnd } from '../../src/tools/run.js';

/**
 * Integration-test clusters, built by the same code as `parlant-runbook sandbox` (DESIGN §10). One per test file:
 * start it in beforeAll, stop it in afterAll.
 *
 * initdb and the Sim load run once into a template directory in the temp dir, keyed by the PostgreSQL version and
 * the content of the SQL and cluster code (so a change to any of them builds a new template); every cluster is a
 * `cp -a` of it with its own port and socket directory. That takes well under a second instead of initdb's few.
 */

export interface TestClusterOptions {
  /**
   * Fill the Sim base tables with synthetic rows (default true). false: the tables exist but are empty. A test that
   * needs a bare database creates one itself (sim_admin has CREATEDB).
   */
  withSimData?: boolean;
  /** Synthetic data scale (default 1: exact counts in sql/sandbox/sim_data.sql). */
  scale?: number;
}

export interface TestCluster {
  /** sim_admin (not superuser, CREATEDB, owns sim), password included, database sim, over TCP. */
  url: string;
  /** postgres superuser over the unix socket (trust), database sim. */
  superuserUrl: string;
  /** sim_admin's password, which is also postgres's over TCP. */
  password: string;
  port: number;
  dir: string;
  dataDir: string;
  socketDir: string;
  /** Stop the server and remove everything. */
  stop(): Promise<void>;
  /**
   * Stop the server but keep its files (a server that went away under the tool). fast (default): clean shutdown;
   * immediate: no checkpoint, so the next start runs crash recovery, as after a crash.
   */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Start it again on the same port. */
  startServer(): Promise<void>;
}

const TEMPLATE_PREFIX = 'parlant-runbook-test-template-';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Cluster directories of this process not yet removed, with their postmaster's pid (0: stopped), for the exit hook. */
const live = new Map<string, number>();
let exitHookInstalled = false;

/**
 * If a test process dies without its afterAll (a crash, a timeout), its servers would outlive it. On exit, ask each
 * for an immediate shutdown (SIGQUIT) and remove its directory. Synchronous, because 'exit' handlers must be.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [dir, pid] of live) {
      try {
        if (pid > 0) process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

async function templateKey(binDir: string, withSimData: boolean, scale: number): Promise<string> {
  const version = await pgToolVersion(path.join(binDir, 'postgres'));
  const sql = simSqlFiles();
  const h = createHash('sha256');
  // The uid too: a template built by root has a root-only password file that another user cannot copy.
  h.update(`${process.getuid?.() ?? ''}\n${binDir}\n${version.text}\n${withSimData ? `sim:${scale}` : 'empty'}\n`);
  for (const f of [sql.base, sql.data, path.join(REPO, 'src/sandbox/cluster.ts'), path.join(REPO, 'src/sandbox/sandbox.ts')]) {
    h.update(readFileSync(f));
  }
  return `pg${version.major}-${h.digest('hex').slice(0, 16)}`;
}

/** Old templates (from earlier code) are removed once nobody can still be building them. */
async function pruneTemplates(keep: string): Promise<void> {
  const tmp = os.tmpdir();
  const hourAgo = Date.now() - 60 * 60 * 1000;
  for (const name of await fs.readdir(tmp).catch(() => [] as string[])) {
    if (!name.startsWith(TEMPLATE_PREFIX) || name === keep) continue;
    const full = path.join(tmp, name);
    const st = await fs.lstat(full).catch(() => null);
    if (st?.isDirectory() && st.mtimeMs < hourAgo) await fs.rm(full, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * The template for these options, built if missing. Built in a private temporary directory and renamed into
 * place, so concurrent test files never see half a template: the loser of a race discards its copy.
 */
async function template(binDir: string, withSimData: boolean, scale: number): Promise<string> {
  const name = `${TEMPLATE_PREFIX}${await templateKey(binDir, withSimData, scale)}`;
  const final = path.join(os.tmpdir(), name);
  if (existsSync(path.join(final, 'data', 'PG_VERSION'))) return final;

  const building = `${final}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  let ref: ClusterRef;
  try {
    ref = await initCluster({ dir: building, password, binDir });
  } catch (err) {
    await fs.rm(building, { recursive: true, force: true });
    throw err;
  }
  try {
    const { port } = await startCluster(ref);
    live.set(building, (await readPid(ref)) ?? 0);
    await provisionSim(ref, port, { password, withData: withSimData, scale });
    // A clean shutdown: the copies start without crash recovery.
    await stopCluster(ref, { mode: 'fast' });
    live.delete(building);
    await fs.rm(path.join(clusterLayout(building).socketDir), { recursive: true, force: true });
    // The WAL archived while the template was loaded is of no use to a copy (its base backups come later): up to
    // 100+ MB that every cluster would otherwise copy.
    const archive = clusterLayout(building).archiveDir;
    for (const f of await fs.readdir(archive).catch(() => [] as string[])) await fs.rm(path.join(archive, f), { force: true });
    await fs.rename(building, final);
  } catch (err) {
    live.delete(building);
    await stopCluster(ref, { remove: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(path.join(final, 'data', 'PG_VERSION'))) return final;
    throw err;
  }
  await pruneTemplates(name);
  return final;
}

async function readPid(ref: ClusterRef): Promise<number | null> {
  const text = await fs.readFile(path.join(clusterLayout(ref.dir).dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  installExitHook();
  const binDir = resolveServerBinDir();
  const source = await template(binDir, opts.withSimData ?? true, opts.scale ?? 1);

  // A short random name in the temp dir: the socket path must stay under 107 bytes, and the postgres user must be
  // able to enter every parent. cp -a keeps the owner (postgres) and the 0700 modes.
  const dir = path.join(os.tmpdir(), `parlant-runbook-test-${randomBytes(6).toString('hex')}`);
  const cp = await runToEnd('cp', ['-a', '--', source, dir]);
  if (!cp.ok) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`Could not copy the test cluster template ${source}: ${describeFailure(cp)}`);
  }
  const ref: ClusterRef = { dir, binDir };

  let port: number;
  try {
    port = (await startCluster(ref)).port;
  } catch (err) {
    await stopCluster(ref, { remove: true }).catch(() => undefined);
    throw err;
  }
  live.set(dir, (await readPid(ref)) ?? 0);
  const password = await readClusterPassword(ref);
  const layout = clusterLayout(dir);

  return {
    url: simAdminUrl(password, port),
    superuserUrl: superuserUrl(ref, port, SIM_DATABASE),
    password,
    port,
    dir,
    dataDir: layout.dataDir,
    socketDir: layout.socketDir,
    async stop() {
      await stopCluster(ref, { remove: true });
      live.delete(dir);
    },
    async stopServer(mode = 'fast') {
      await stopCluster(ref, { mode });
      live.set(dir, 0);
    },
    async startServer() {
      await startCluster(ref, { port });
      live.set(dir, (await readPid(ref)) ?? 0);
    },
  };
}
