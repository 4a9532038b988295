import { execa } from 'execa';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { appProbe } from '../helpers/app-probe.js';
import { inDatabase as inDb, parlantTableCount, q } from '../helpers/catalog.js';
import { BIN, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The migration engine under faults, through the real binary against a real PostgreSQL 15: ten operators
 * migrating at once, the tool killed with SIGKILL in the middle of a transactional file and of a concurrent index
 * build, a writer on `workspace` in the way while the application keeps writing, and a retry budget used up.
 * Each scenario has a database of its own, copied before anything migrates (Sim data: TEMPLATE sim; the fixture
 * migrations: TEMPLATE template0).
 */
let cluster: TestCluster;
const ROOT = packageRoot();
const FAULTS = path.join(ROOT, 'test', 'fixtures', 'migrations', 'faults');
const MIGRATIONS = path.join(ROOT, 'sql', 'migrations');

/** The same server, another database. */
beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  // Copies of the Sim database before anything touches it (CREATE DATABASE … TEMPLATE needs sim unused).
  const admin = inDb(cluster.superuserUrl, 'postgres');
  for (const name of ['crowd', 'blocked', 'budget', 'ctrlc']) await q(admin, `CREATE DATABASE ${name} TEMPLATE sim OWNER sim_admin`);
  for (const name of ['killtx', 'killcic']) await q(admin, `CREATE DATABASE ${name} TEMPLATE template0 OWNER sim_admin`);
});
afterAll(async () => {
  await cluster?.stop();
});

interface Finished {
  exitCode: number;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  ms: number;
}

interface Running {
  /** stdout and stderr as they arrived so far. */
  text(): string;
  done: Promise<Finished>;
  kill9(): void;
  /** Ctrl+C as a terminal sends it. */
  interrupt(): void;
}

/** The real binary, as an operator on a machine of their own runs it: own state directory, no terminal. */
function start(args: string[], url: string, timeoutMs = 120_000): Running {
  const t0 = Date.now();
  const sub = execa('node', [BIN, ...args, '--state-dir', tempStateDir()], {
    env: { ...process.env, NO_COLOR: '1', CI: '1', DATABASE_URL: url } as Record<string, string>,
    extendEnv: false,
    reject: false,
    cwd: ROOT,
    timeout: timeoutMs,
    stdin: 'ignore',
  });
  let seen = '';
  sub.stdout?.on('data', (b: Buffer) => {
    seen += String(b);
  });
  sub.stderr?.on('data', (b: Buffer) => {
    seen += String(b);
  });
  const done = sub.then((r) => ({
    exitCode: r.exitCode ?? -1,
    signal: r.signal,
    stdout: String(r.stdout),
    stderr: String(r.stderr),
    ms: Date.now() - t0,
  }));
  return { text: () => seen, done, kill9: () => sub.kill('SIGKILL'), interrupt: () => sub.kill('SIGINT') };
}

/** A runbook with one migrate step over a copy of `source` in ./migs. */
function runbookOver(source: string, extra = ''): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-faults-'));
  cpSync(source, path.join(dir, 'migs'), { recursive: true });
  const rb = path.join(dir, 'rb.yaml');
  writeFileSync(
    rb,
    `id: m\ntitle: m\nsummary: m\nphase: during\nrisk: high\nsteps:\n  - { id: apply, title: apply, kind: migrate, with: { direction: up, dir: ./migs${extra} } }\n`,
  );
  return rb;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until fn gives something truthy. */
async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function client(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

function pidOf(c: pg.Client): number {
  return (c as unknown as { processID: number }).processID;
}

async function backendAlive(su: pg.Client, pid: number): Promise<boolean> {
  return (await su.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
}

/** The application's worst write while it ran (test/helpers/app-probe.ts). */
function probe(url: string): { stop(): Promise<{ max: number; at: number; n: number }> } {
  const p = appProbe(url);
  return {
    async stop() {
      const writes = await p.stop();
      const worst = writes.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, at: 0 });
      return { max: worst.ms, at: worst.at, n: writes.length };
    },
  };
}

/** The blocker of scenarios 4 and 5: an open write transaction on one workspace row (ROW EXCLUSIVE on workspace). */
async function workspaceWriter(url: string): Promise<{ pid: number; commit(): Promise<void> }> {
  const c = await client(url);
  await c.query('BEGIN');
  await c.query('UPDATE workspace SET name = name WHERE id = (SELECT min(id) FROM workspace)');
  return {
    pid: pidOf(c),
    async commit() {
      await c.query('COMMIT');
      await c.end();
    },
  };
}

/** The lock radar as printed: "waiting … for a lock" and, on the same line or the next, "blocked by pid N". */
function radar(pid: number): RegExp {
  return new RegExp(`waiting [\\d.]+ m?s for a lock[^\\n]*(\\n[^\\n]*)?blocked by pid ${pid}\\b`, 'i');
}

/** One retry line: attempt n of m (or "retry n/m"), after a lock_timeout of `timeout`, naming the blocker. */
function retryLine(n: number, of: number, timeout: string, pid: number): RegExp {
  const t = timeout.replace('.', '\\.');
  return new RegExp(`^(?=.*(attempt ${n} of ${of}\\b|retry ${n}/${of}\\b))(?=.*lock_timeout \\(${t}\\))(?=.*blocked by pid ${pid}\\b).*$`, 'm');
}

const log = (s: string): void => {
  process.stdout.write(`[migrate-faults] ${s}\n`);
};

describe('the migration engine under faults', () => {
  it('ten operators run migrate at once: one applies, nine wait for the lock and find nothing to do', async () => {
    const url = inDb(cluster.url, 'crowd');
    const runs = Array.from({ length: 10 }, () => start(['run', 'migrate', '--plain', '--yes'], url));
    const rs = await Promise.all(runs.map((r) => r.done));
    const texts = rs.map((r) => r.stdout + r.stderr);
    expect(rs.map((r) => r.exitCode)).toEqual(Array(10).fill(0));
    expect(texts.filter((t) => /Applied 0001, 0002, 0003\b/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /Nothing to do: 3 of 3 applied/.test(t))).toHaveLength(9);
    // The wait for another migrator's lock names who holds it (one line or a live block: "held by pid N <app>").
    expect(texts.some((t) => /waiting [\d.]+ m?s for the migration lock[\s\S]{0,160}?held by pid \d+ \(?parlant-runbook\//i.test(t))).toBe(true);
    const h = await q<{ v: string }>(
      url,
      `SELECT version || ':' || direction || ':' || outcome || ':' || count(*) AS v FROM parlant_runbook.migration_history
        GROUP BY version, direction, outcome ORDER BY version, direction, outcome`,
    );
    // One ok up per version; the two no-transaction files also wrote their 'started' row, once.
    expect(h.map((x) => x.v)).toEqual(['0001:up:ok:1', '0002:up:ok:1', '0002:up:started:1', '0003:up:ok:1', '0003:up:started:1']);
    expect(await parlantTableCount(url)).toBe(18);
    log(`ten at once: all done in ${(Math.max(...rs.map((r) => r.ms)) / 1000).toFixed(1)} s`);
  }, 150_000);

  it('kill -9 during a transactional file: nothing of it stays, the server frees the lock, the next run applies it', async () => {
    const url = inDb(cluster.url, 'killtx');
    const su = await client(inDb(cluster.superuserUrl, 'killtx'));
    try {
      await q(url, 'CREATE TABLE fault_ctl (s float); INSERT INTO fault_ctl VALUES (30)');
      const rb = runbookOver(path.join(FAULTS, 'kill-tx'));
      const first = start(['run', rb, '--plain', '--yes'], url);
      const sleeper = await until('0001_slow.up.sql to sleep on the server', async () => {
        const r = await su.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'parlant-runbook%'
              AND state = 'active' AND query LIKE '%pg_sleep((SELECT s FROM fault_ctl))%'`,
        );
        return r.rows[0]?.pid;
      });
      first.kill9();
      const killedAt = Date.now();
      const r1 = await first.done;
      expect(r1.signal).toBe('SIGKILL');
      await q(url, 'UPDATE fault_ctl SET s = 0');

      // The next run at once, no manual unlock; meanwhile watch the orphaned backend and the advisory lock's holder.
      const second = start(['run', rb, '--plain', '--yes'], url);
      let finished = false;
      const r2p = second.done.finally(() => {
        finished = true;
      });
      let goneAt = 0;
      let taken: { pid: number; afterConnectMs: number } | undefined;
      while (!finished && (!goneAt || !taken)) {
        const w = await su.query<{ alive: number; holder: number | null; start: string | null }>(
          `SELECT (SELECT count(*) FROM pg_stat_activity WHERE pid = $1)::int AS alive, l.pid AS holder,
                  extract(epoch FROM a.backend_start) * 1000 AS start
             FROM (SELECT 1) one
             LEFT JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.pid <> $1
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
             LEFT JOIN pg_stat_activity a ON a.pid = l.pid`,
          [sleeper],
        );
        const row = w.rows[0];
        if (!goneAt && row?.alive === 0) goneAt = Date.now();
        if (!taken && row?.holder) taken = { pid: row.holder, afterConnectMs: Date.now() - Number(row.start) };
        await sleep(5);
      }
      const r2 = await r2p;
      const out2 = r2.stdout + r2.stderr;
      const goneMs = goneAt - killedAt;
      // What the tool says about its wait: "Migration lock taken after 1.1 s" (it gives the time only above 1 s).
      const said = /Migration lock taken(?: after ([\d.]+) s)?/.exec(out2);
      const toolWaitMs = said ? (said[1] ? Number(said[1]) * 1000 : 0) : Infinity;
      log(
        `kill -9 in a transaction: orphaned backend ${sleeper} gone ${goneMs} ms after the kill; the second run (started right ` +
          `after the kill) says "${said?.[0] ?? '?'}"; seen holding the lock ${taken ? `${Math.round(taken.afterConnectMs)} ms after its connection opened` : '(too briefly to see)'}`,
      );
      expect(r2.exitCode).toBe(0);
      expect(out2).toMatch(/Applied 0001\b/);
      // client_connection_check_interval = 1s: the server ends the orphaned backend within about a second, not after 30.
      expect(goneAt).toBeGreaterThan(0);
      expect(goneMs).toBeLessThan(3000);
      expect(toolWaitMs).toBeLessThan(3000);
      expect((await q<{ t: string | null }>(url, "SELECT to_regclass('slow_a')::text AS t"))[0]?.t).toBe('slow_a');
      const st = await q<{ v: string }>(url, "SELECT version || ':' || state AS v FROM parlant_runbook.migrations ORDER BY 1");
      expect(st.map((x) => x.v)).toEqual(['0001:applied']);
      // The truth of a killed transactional file: its history row would have committed with it, so the killed
      // attempt left no trace at all; only the second run's ok row is there (no 'started' row: transactional).
      const h = await q<{ v: string }>(url, "SELECT version || ':' || direction || ':' || outcome AS v FROM parlant_runbook.migration_history ORDER BY id");
      expect(h.map((x) => x.v)).toEqual(['0001:up:ok']);
    } finally {
      await su.end();
    }
  }, 60_000);

  it('kill -9 during a concurrent index build: the index is left INVALID, the next run drops and rebuilds it', async () => {
    const url = inDb(cluster.url, 'killcic');
    const su = await client(inDb(cluster.superuserUrl, 'killcic'));
    // An older snapshot makes CREATE INDEX CONCURRENTLY wait (its last phase waits for every transaction whose
    // snapshot predates it). A READ COMMITTED transaction idle after `SELECT 1` or txid_current() holds no snapshot
    // between statements and does not hold up the build on PostgreSQL 15; REPEATABLE READ keeps its snapshot.
    const blocker = await client(url);
    try {
      await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await blocker.query('SELECT 1');
      const blockerPid = pidOf(blocker);
      const rb = runbookOver(path.join(FAULTS, 'kill-cic'));
      const first = start(['run', rb, '--plain', '--yes'], url);
      const builder = await until('the build of t_x_idx to wait for the blocker', async () => {
        const r = await su.query<{ pid: number }>(
          `SELECT a.pid FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.application_name LIKE 'parlant-runbook%' AND a.wait_event_type = 'Lock'
              AND a.query LIKE '%CREATE INDEX CONCURRENTLY%t_x_idx%' AND $1 = ANY (pg_blocking_pids(a.pid))`,
          [blockerPid],
        );
        const v = await su.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('public.t_x_idx')");
        return r.rows[0] && v.rows[0]?.valid === false ? r.rows[0].pid : undefined;
      });
      await until('the lock radar to name the blocker', async () => new RegExp(`blocked by pid ${blockerPid}\\b`).test(first.text()));
      const shown = first.text();
      first.kill9();
      const killedAt = Date.now();
      expect((await first.done).signal).toBe('SIGKILL');
      // The blocker stays until the server has ended the orphaned build: ending it first would let the build finish.
      await until('the killed build to end on the server', async () => !(await backendAlive(su, builder)), 10_000);
      const goneMs = Date.now() - killedAt;
      await blocker.query('COMMIT');

      expect(shown).toMatch(/▶ 0002_idx\.up\.sql — statement by statement/);
      expect(shown).toMatch(radar(blockerPid));
      expect(goneMs).toBeLessThan(3000);
      const left = await su.query<{ valid: boolean; ready: boolean }>(
        "SELECT indisvalid AS valid, indisready AS ready FROM pg_index WHERE indexrelid = to_regclass('public.t_x_idx')",
      );
      expect(left.rows).toHaveLength(1);
      expect(left.rows[0]?.valid).toBe(false);
      // What the engine recorded: 0001 applied; 0002 started and never finished (status: interrupted).
      const st = await q<{ v: string }>(url, "SELECT version || ':' || state AS v FROM parlant_runbook.migrations ORDER BY 1");
      expect(st.map((x) => x.v)).toEqual(['0001:applied', '0002:running']);
      const h = await q<{ v: string }>(url, "SELECT version || ':' || outcome AS v FROM parlant_runbook.migration_history ORDER BY id");
      expect(h.map((x) => x.v)).toEqual(['0001:ok', '0002:started']);

      const r2 = await start(['run', rb, '--plain', '--yes'], url).done;
      const out2 = r2.stdout + r2.stderr;
      expect(out2).toMatch(/dropped the INVALID index t_x_idx left by an earlier failed build; building it again/);
      expect(out2).toMatch(/Applied 0002\b/);
      expect(r2.exitCode).toBe(0);
      const now = await su.query<{ valid: boolean; ready: boolean }>(
        "SELECT indisvalid AS valid, indisready AS ready FROM pg_index WHERE indexrelid = to_regclass('public.t_x_idx')",
      );
      expect(now.rows).toEqual([{ valid: true, ready: true }]);
      const st2 = await q<{ v: string }>(url, "SELECT version || ':' || state AS v FROM parlant_runbook.migrations ORDER BY 1");
      expect(st2.map((x) => x.v)).toEqual(['0001:applied', '0002:applied']);
      log(`kill -9 in a concurrent build: orphaned build ended ${goneMs} ms after the kill; rerun took ${r2.ms} ms`);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end().catch(() => undefined);
      await su.end();
    }
  }, 60_000);

  it('a writer holds workspace for 6 s: migrate retries under lock_timeout and completes; the application never stalls longer than lock_timeout', async () => {
    const url = inDb(cluster.url, 'blocked');
    const app = probe(url);
    await sleep(300);
    const writer = await workspaceWriter(url);
    const mig = start(['run', 'migrate', '--plain', '--yes'], url);
    const committed = sleep(6000).then(() => writer.commit());
    const r = await mig.done;
    await committed;
    const p = await app.stop();
    const out = r.stdout + r.stderr;
    log(`workspace writer for 6 s: migrate exit ${r.exitCode} in ${(r.ms / 1000).toFixed(1)} s; longest probe stall ${Math.round(p.max)} ms over ${p.n} probes`);
    expect(r.exitCode).toBe(0);
    expect(out).toMatch(/Applied 0001, 0002, 0003\b/);
    expect(out).toMatch(radar(writer.pid));
    expect(out).toMatch(retryLine(2, 9, '2.0 s', writer.pid));
    expect(p.max).toBeLessThanOrEqual(2000 + 200);
    expect(await parlantTableCount(url)).toBe(18);
  }, 120_000);

  it('retry budget used up while the writer stays: exit 1, nothing applied, the error names the file, the retries and the blocker', async () => {
    const url = inDb(cluster.url, 'budget');
    const writer = await workspaceWriter(url);
    let r: Finished;
    try {
      const rb = runbookOver(MIGRATIONS, ', lock_timeout: 500ms, retries: 2');
      r = await start(['run', rb, '--plain', '--yes'], url).done;
    } finally {
      await writer.commit();
    }
    const out = r.stdout + r.stderr;
    if (process.env.FAULTS_DEBUG) log(out);
    expect(r.exitCode).toBe(1);
    expect(await parlantTableCount(url)).toBe(0);
    expect(out).toMatch(retryLine(2, 3, '500 ms', writer.pid));
    expect(out).toMatch(retryLine(3, 3, '500 ms', writer.pid));
    expect(out).not.toMatch(/attempt 4 of|retry 4\//);
    // The failure itself (from the step's failed line on), not just the progress lines before it.
    const failure = out.slice(out.search(/✖|\bfailed\b.*0001_parlant_schema/));
    expect(failure).toMatch(/0001_parlant_schema\.up\.sql/);
    expect(failure).toMatch(/lock_timeout retries used up/);
    expect(failure).toMatch(new RegExp(`pid ${writer.pid}\\b`));
  }, 60_000);

  it('Ctrl+C while 0001 waits for its lock: exit 130, the transaction rolled back, the attempt recorded as aborted, the lock free for the next run', async () => {
    const url = inDb(cluster.url, 'ctrlc');
    const writer = await workspaceWriter(url);
    let r: Finished;
    try {
      const run = start(['run', 'migrate', '--plain', '--yes'], url);
      await until('the radar to name the writer', async () => new RegExp(`blocked by pid ${writer.pid}\\b`).test(run.text()), 30_000);
      run.interrupt();
      r = await run.done;
    } finally {
      await writer.commit();
    }
    expect(r.exitCode).toBe(130);
    expect(await parlantTableCount(url)).toBe(0);
    const h = await q<{ v: string }>(url, "SELECT version || ':' || outcome AS v FROM parlant_runbook.migration_history ORDER BY id");
    expect(h.map((x) => x.v)).toEqual(['0001:aborted']);
    const again = await start(['run', 'migrate', '--plain', '--yes'], url).done;
    expect(again.stdout).toMatch(/Applied 0001, 0002, 0003/);
    expect(again.exitCode).toBe(0);
  }, 90_000);
});
