import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SandboxError, pathKey } from '../../src/sandbox/cluster.js';
import {
  resetSandbox,
  sandboxStatus,
  sandboxUrl,
  startSandbox,
  stopSandbox,
  type SandboxInfo,
} from '../../src/sandbox/sandbox.js';
import { findPgBinary } from '../../src/tools/pgbin.js';
import { runToEnd } from '../../src/tools/run.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

const isRoot = process.getuid?.() === 0;

/** Exact row counts of sql/sandbox/sim_data.sql at scale 1. */
const SCALE_1_COUNTS: Record<string, number> = {
  user: 2000,
  workspace: 1000,
  workflow: 10000,
  api_key: 3000,
  knowledge_base: 1500,
  custom_tools: 1000,
  mcp_servers: 800,
  workflow_blocks: 6000,
};

const stateDirs: string[] = [];

/** A fresh state dir in the temp dir (never the user's real one). mkdtemp makes it 0700. */
async function tempStateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prb-sandbox-state-'));
  stateDirs.push(dir);
  return dir;
}

async function cleanUpStateDirs(): Promise<void> {
  for (const dir of stateDirs.splice(0)) {
    await stopSandbox({ stateDir: dir }).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

async function query<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

async function mode(p: string): Promise<string> {
  return ((await fs.stat(p)).mode & 0o777).toString(8);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sandbox', () => {
  afterAll(cleanUpStateDirs);

  describe('a started sandbox', () => {
    let stateDir: string;
    let first: SandboxInfo;

    beforeAll(async () => {
      stateDir = await tempStateDir();
      const t0 = performance.now();
      first = await startSandbox({ stateDir, scale: 1 });
      console.log(`sandbox scale 1 built in ${((performance.now() - t0) / 1000).toFixed(2)} s (initdb, start, load)`);
    });
    afterAll(cleanUpStateDirs);

    it('creates database sim with the Sim base tables', async () => {
      expect(first.reused).toBe(false);
      const rows = await query<{ table_name: string }>(
        first.url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      expect(rows.map((r) => r.table_name)).toEqual(Object.keys(SCALE_1_COUNTS).sort());
    });

    it('fills every table with the exact scale-1 row counts', async () => {
      for (const [table, count] of Object.entries(SCALE_1_COUNTS)) {
        const [row] = await query<{ n: string }>(first.url, `SELECT count(*) AS n FROM "${table}"`);
        expect({ table, n: Number(row?.n) }).toEqual({ table, n: count });
      }
      const keys = await query<{ type: string; n: string }>(first.url, 'SELECT type, count(*) AS n FROM api_key GROUP BY 1 ORDER BY 1');
      expect(keys.map((k) => [k.type, Number(k.n)])).toEqual([
        ['personal', 2000],
        ['workspace', 1000],
      ]);
    });

    it('has the constraints of a real Sim database', async () => {
      const cons = await query<{ conname: string; contype: string }>(
        first.url,
        "SELECT conname, contype FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('f','u','c') ORDER BY 1",
      );
      expect(cons.filter((c) => c.contype === 'f')).toHaveLength(12);
      expect(cons.map((c) => c.conname)).toEqual(
        expect.arrayContaining(['workspace_type_check', 'user_email_unique', 'api_key_key_unique', 'knowledge_base_workspace_id_workspace_id_fk']),
      );
      await expect(
        query(first.url, "INSERT INTO api_key (id, user_id, name, key, type) SELECT 'x', id, 'n', 'k', 'workspace' FROM \"user\" LIMIT 1"),
      ).rejects.toThrow(/workspace_type_check/);
    });

    it('gives the URL to sim_admin, which owns sim and is not a superuser', async () => {
      expect(first.url).toMatch(new RegExp(`^postgresql://sim_admin:[A-Za-z0-9_-]+@127\\.0\\.0\\.1:${first.port}/sim$`));
      const [me] = await query<{ user: string; rolsuper: boolean; rolcreatedb: boolean; owner: string }>(
        first.url,
        `SELECT current_user AS user, r.rolsuper, r.rolcreatedb, pg_get_userbyid(d.datdba) AS owner
           FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
      );
      expect(me).toEqual({ user: 'sim_admin', rolsuper: false, rolcreatedb: true, owner: 'sim_admin' });
      const owners = await query<{ tableowner: string }>(first.url, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
      expect(owners).toEqual([{ tableowner: 'sim_admin' }]);
    });

    it('connects as the postgres superuser through the unix socket with the superuser URL', async () => {
      const [row] = await query<{ user: string; su: boolean; db: string; addr: string | null }>(
        first.superuserUrl,
        "SELECT current_user AS user, current_setting('is_superuser')::boolean AS su, current_database() AS db, inet_client_addr()::text AS addr",
      );
      expect(row).toEqual({ user: 'postgres', su: true, db: 'sim', addr: null });
    });

    it('works with psql too (libpq reads both URLs)', async () => {
      const psql = findPgBinary('psql');
      expect(psql).not.toBeNull();
      for (const url of [first.url, first.superuserUrl]) {
        const r = await runToEnd(psql ?? 'psql', ['-X', '-At', '-d', url, '-c', 'SELECT count(*) FROM workflow']);
        expect(r.stdoutTail).toEqual(['10000']);
      }
    });

    it('listens on 127.0.0.1 only', async () => {
      const [row] = await query<{ v: string }>(first.superuserUrl, "SELECT current_setting('listen_addresses') AS v");
      expect(row?.v).toBe('127.0.0.1');
    });

    it('reuses the running sandbox on a second start', async () => {
      const again = await startSandbox({ stateDir, scale: 1 });
      expect(again).toMatchObject({ reused: true, port: first.port, pid: first.pid, url: first.url, dataDir: first.dataDir });
    });

    it('reports it running, with its URL', async () => {
      const st = await sandboxStatus({ stateDir });
      expect(st).toMatchObject({ running: true, state: 'running', url: first.url, port: first.port, pid: first.pid, scale: 1, dataDir: first.dataDir });
      expect(Date.parse(st.startedAt ?? '')).toBeGreaterThan(Date.now() - 10 * 60 * 1000);
      expect(await sandboxUrl({ stateDir })).toBe(first.url);
    });

    it('keeps the password in 0600 files inside 0700 directories', async () => {
      expect(await mode(stateDir)).toBe('700');
      expect(await mode(path.join(stateDir, 'sandbox.json'))).toBe('600');
      expect(await mode(first.dir)).toBe('700');
      expect(await mode(first.dataDir)).toBe('700');
      expect(await mode(first.socketDir)).toBe('700');
      expect(await mode(path.join(first.dir, 'password'))).toBe('600');
      const password = decodeURIComponent(new URL(first.url).password);
      expect(await fs.readFile(path.join(first.dir, 'password'), 'utf8')).toBe(password);
      expect(JSON.parse(await fs.readFile(path.join(stateDir, 'sandbox.json'), 'utf8'))).toMatchObject({ password, dir: first.dir });
      expect(existsSync(path.join(first.dir, '.initdb-pwfile'))).toBe(false);
    });

    it.runIf(isRoot)('runs the server as the postgres OS user, in the temp dir when postgres cannot enter the state dir', async () => {
      expect(first.location).toBe('tmpdir');
      expect(first.dir).toBe(path.join(os.tmpdir(), `parlant-runbook-sandbox-${pathKey(stateDir)}`));
      expect(first.locationReason).toContain('cannot enter');
      const status = await fs.readFile(`/proc/${first.pid}/status`, 'utf8');
      const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
      const [pgUser] = (await fs.readFile('/etc/passwd', 'utf8')).split('\n').filter((l) => l.startsWith('postgres:'));
      expect(uid).toBe(pgUser?.split(':')[2]);
    });

    it('stops: the cluster directory and record are gone, status says not running, and stop is idempotent', async () => {
      expect(await stopSandbox({ stateDir })).toEqual({ stopped: true, wasRunning: true });
      expect(existsSync(first.dir)).toBe(false);
      expect(existsSync(path.join(stateDir, 'sandbox.json'))).toBe(false);
      expect(await sandboxStatus({ stateDir })).toEqual({ running: false, state: 'absent' });
      await expect(sandboxUrl({ stateDir })).rejects.toThrow(/No sandbox has been started/);
      expect(await stopSandbox({ stateDir })).toEqual({ stopped: false, wasRunning: false });
      await expect(query(first.url, 'SELECT 1')).rejects.toThrow();
    });
  });

  describe('each start', () => {
  afterEach(cleanUpStateDirs);

  it('puts the cluster under the state dir when the postgres user can enter it', async () => {
    const stateDir = await tempStateDir();
    await fs.chmod(stateDir, 0o711);
    const info = await startSandbox({ stateDir, scale: 1 });
    expect(info).toMatchObject({ location: 'preferred', dir: path.join(stateDir, 'sandbox'), locationReason: '' });
    expect(await mode(info.dir)).toBe('700');
    const [row] = await query<{ n: string }>(info.url, 'SELECT count(*) AS n FROM "user"');
    expect(Number(row?.n)).toBe(2000);
    await stopSandbox({ stateDir });
    expect(existsSync(info.dir)).toBe(false);
  });

  it('cleans up a stale record after the postmaster is killed with SIGKILL, and starts a new sandbox', async () => {
    const stateDir = await tempStateDir();
    const before = await startSandbox({ stateDir, scale: 1 });
    process.kill(before.pid, 'SIGKILL');
    await waitFor('the sandbox to be reported stale', async () => (await sandboxStatus({ stateDir })).state === 'stale');
    expect((await sandboxStatus({ stateDir })).running).toBe(false);

    const after = await startSandbox({ stateDir, scale: 1 });
    expect(after.reused).toBe(false);
    expect(after.pid).not.toBe(before.pid);
    expect(after.url).not.toBe(before.url); // a new password
    const [row] = await query<{ n: string }>(after.url, 'SELECT count(*) AS n FROM workflow');
    expect(Number(row?.n)).toBe(10000);
  });

  it('refuses to reuse or destroy a server that is alive but does not answer', { timeout: 60_000 }, async () => {
    const stateDir = await tempStateDir();
    const info = await startSandbox({ stateDir });
    process.kill(info.pid, 'SIGSTOP');
    try {
      await expect(startSandbox({ stateDir })).rejects.toThrow(/is running but does not accept connections.*sandbox reset/s);
      expect(existsSync(info.dataDir)).toBe(true);
    } finally {
      process.kill(info.pid, 'SIGCONT');
    }
    expect((await startSandbox({ stateDir })).reused).toBe(true);
  });

  it('rebuilds on reset, keeping the scale', async () => {
    const stateDir = await tempStateDir();
    const before = await startSandbox({ stateDir, scale: 1 });
    const after = await resetSandbox({ stateDir });
    expect(after).toMatchObject({ reused: false, scale: 1 });
    expect(after.pid).not.toBe(before.pid);
    expect((await sandboxStatus({ stateDir })).running).toBe(true);
  });

  it('refuses a scale outside 1 to 1000 before touching anything', async () => {
    const stateDir = await tempStateDir();
    for (const scale of [0, -1, 1.5, 1001, Number.NaN]) {
      await expect(startSandbox({ stateDir, scale })).rejects.toThrow(SandboxError);
    }
    expect(existsSync(path.join(stateDir, 'sandbox.json'))).toBe(false);
  });

  it('reports progress while it builds', async () => {
    const stateDir = await tempStateDir();
    const lines: string[] = [];
    await startSandbox({ stateDir, onProgress: (m) => lines.push(m) });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Creating a PostgreSQL cluster/),
        expect.stringMatching(/^Starting PostgreSQL on 127\.0\.0\.1:\d+$/),
        'Creating the Sim base tables',
        'Generating synthetic Sim data (scale 1)',
        expect.stringMatching(/^Sandbox ready/),
      ]),
    );
  });

  // Not an assertion: a figure to watch. SANDBOX_TIMING_SCALE=100 measures the big build by hand.
  it('prints how long a scale-10 build takes', { timeout: 600_000 }, async () => {
    const scale = Number(process.env.SANDBOX_TIMING_SCALE ?? 10);
    const stateDir = await tempStateDir();
    const t0 = performance.now();
    const info = await startSandbox({ stateDir, scale });
    const seconds = (performance.now() - t0) / 1000;
    const [row] = await query<{ n: string }>(info.url, 'SELECT count(*) AS n FROM workflow');
    expect(Number(row?.n)).toBe(10000 * scale);
    console.log(`sandbox scale ${scale} built in ${seconds.toFixed(2)} s`);
  });
  });
});

describe('startTestCluster', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ withSimData: true });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves the Sim database to sim_admin with the password', async () => {
    const [row] = await query<{ n: string; user: string }>(cluster.url, 'SELECT count(*) AS n, current_user AS user FROM "user"');
    expect(row).toEqual({ n: '2000', user: 'sim_admin' });
    expect(cluster.url).toContain(encodeURIComponent(cluster.password));
  });

  it('stops and restarts the server on the same port, keeping the data', async () => {
    await query(cluster.url, "CREATE TABLE survived (x int); INSERT INTO survived VALUES (1)");
    await cluster.stopServer();
    await expect(query(cluster.url, 'SELECT 1')).rejects.toThrow();
    expect(existsSync(cluster.dataDir)).toBe(true);
    await cluster.startServer();
    expect(await query(cluster.url, 'SELECT x FROM survived')).toEqual([{ x: 1 }]);
  });

  it('gives each cluster its own port and directory, and empty Sim tables without data', async () => {
    const other = await startTestCluster({ withSimData: false });
    try {
      expect(other.port).not.toBe(cluster.port);
      expect(other.dir).not.toBe(cluster.dir);
      const [n] = await query<{ tables: string; users: string }>(
        other.url,
        `SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public') AS tables,
                (SELECT count(*) FROM "user") AS users`,
      );
      expect(n).toEqual({ tables: '8', users: '0' });
      const [su] = await query<{ user: string }>(other.superuserUrl, 'SELECT current_user AS user');
      expect(su).toEqual({ user: 'postgres' });
    } finally {
      await other.stop();
    }
    expect(existsSync(other.dir)).toBe(false);
  });
});
