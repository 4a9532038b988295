import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { inDatabase, parlantCatalog, parlantTableCount, q } from '../helpers/catalog.js';
import { cli, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The migration engine and the migrate / rollback runbooks, end to end through the real binary against a real
 * PostgreSQL with Sim's tables and data: status before and after, apply, a second apply that does nothing,
 * rollback, apply again to the same catalog, dry run, drift, and a failing file among five.
 */
let cluster: TestCluster;
let state: string;
const MIGRATIONS = path.join(packageRoot(), 'sql', 'migrations');

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  state = tempStateDir();
});
afterAll(async () => {
  await cluster?.stop();
});

function run(args: string[], db = cluster.url, timeoutMs = 120_000) {
  return cli([...args, '--state-dir', state], { env: { DATABASE_URL: db }, timeoutMs });
}

/** A fresh, empty database, for the tests with migrations of their own. */
async function freshDb(name: string): Promise<string> {
  await q(cluster.superuserUrl, `CREATE DATABASE ${name} TEMPLATE template0 OWNER sim_admin`);
  return inDatabase(cluster.url, name);
}

describe('status, migrate, rollback on a Sim database', () => {
  let first = '';

  it('status before: three pending, no tracking schema, exit 0', async () => {
    const r = await run(['status']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/No tracking schema yet/);
    expect(r.stdout.match(/\bpending\b/g)?.length).toBeGreaterThanOrEqual(3);
    const j = JSON.parse((await run(['status', '--json'])).stdout) as { migrations: { version: string; state: string }[]; tracking: boolean };
    expect(j.tracking).toBe(false);
    expect(j.migrations.map((m) => `${m.version}:${m.state}`)).toEqual(['0001:pending', '0002:pending', '0003:pending']);
  });

  it('dry run prints every statement with its locks and changes nothing', async () => {
    const r = await run(['run', 'migrate', '--plain', '--dry-run']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/SHARE ROW EXCLUSIVE on .*workspace/);
    expect(r.stdout).toMatch(/CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workspace_id_idx/);
    expect(r.stdout).toMatch(/SHARE UPDATE EXCLUSIVE/);
    expect(r.stdout).toMatch(/would apply 0001, 0002, 0003/);
    expect(await parlantTableCount(cluster.url)).toBe(0);
    const tracking = await q(cluster.url, "SELECT to_regnamespace('parlant_runbook') AS s");
    expect(tracking[0]?.s).toBeNull();
  });

  it('migrate applies 0001–0003, each verified, and the validation checks pass', async () => {
    const r = await run(['run', 'migrate', '--plain', '--yes']);
    expect(r.stdout + r.stderr).toMatch(/Applied 0001, 0002, 0003/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/0001_parlant_schema\.verify\.sql: no problems/);
    expect(r.stdout).toMatch(/batch 1: 1000 rows/);
    expect(await parlantTableCount(cluster.url)).toBe(18);
    const idx = await q<{ n: number }>(cluster.url, "SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'parlant\\_%'");
    expect(idx[0]?.n).toBe(133);
    const lacking = await q<{ n: number }>(cluster.url, 'SELECT count(*)::int AS n FROM workspace w WHERE NOT EXISTS (SELECT 1 FROM parlant_agent a WHERE a.workspace_id = w.id)');
    expect(lacking[0]?.n).toBe(0);
    first = await parlantCatalog(cluster.url);
  });

  it('status after: three applied with who and how long; history has the three ups', async () => {
    const j = JSON.parse((await run(['status', '--json'])).stdout) as { migrations: { state: string; appliedBy: string; durationMs: number }[] };
    expect(j.migrations.map((m) => m.state)).toEqual(['applied', 'applied', 'applied']);
    expect(j.migrations.every((m) => m.appliedBy === os.userInfo().username && m.durationMs >= 0)).toBe(true);
    const h = await q<{ v: string }>(cluster.url, "SELECT version || ':' || direction || ':' || outcome AS v FROM parlant_runbook.migration_history WHERE outcome <> 'started' ORDER BY id");
    expect(h.map((x) => x.v)).toEqual(['0001:up:ok', '0002:up:ok', '0003:up:ok']);
  });

  it('a second migrate does nothing', async () => {
    const r = await run(['run', 'migrate', '--plain', '--yes']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Nothing to do: 3 of 3 applied/);
  });

  it('rollback removes exactly what migrate created; migrate again gives the same catalog', async () => {
    const sim = await q(cluster.url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    const r = await run(['run', 'rollback', '--plain', '--yes']);
    expect(r.stdout + r.stderr).toMatch(/Rolled back 0003, 0002, 0001/);
    expect(r.exitCode).toBe(0);
    expect(await parlantTableCount(cluster.url)).toBe(0);
    const types = await q(cluster.url, "SELECT typname FROM pg_type WHERE typname IN ('agent_status','session_mode','session_status','journey_state_type','event_type','tool_execution_status')");
    expect(types).toEqual([]);
    const after = await q<{ n: number }>(cluster.url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    expect(after[0]?.n).toBe((sim[0] as { n: number }).n - 18);
    const j = JSON.parse((await run(['status', '--json'])).stdout) as { migrations: { state: string }[] };
    expect(j.migrations.map((m) => m.state)).toEqual(['pending', 'pending', 'pending']);

    const again = await run(['run', 'migrate', '--plain', '--yes']);
    expect(again.exitCode).toBe(0);
    expect(await parlantCatalog(cluster.url)).toBe(first);
  });

  it('an applied file that changed on disk is drift: refused with both checksums; status exits 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-migs-'));
    cpSync(MIGRATIONS, path.join(dir, 'migs'), { recursive: true });
    const up = path.join(dir, 'migs', '0001_parlant_schema.up.sql');
    writeFileSync(up, `${readFileSync(up, 'utf8')}\n-- an innocent-looking edit\n`);
    writeFileSync(path.join(dir, 'rb.yaml'), 'id: m\ntitle: m\nsummary: m\nphase: during\nrisk: high\nsteps:\n  - { id: apply, title: apply, kind: migrate, with: { direction: up, dir: ./migs } }\n');
    const r = await run(['run', path.join(dir, 'rb.yaml'), '--plain', '--yes']);
    expect(r.exitCode).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/0001_parlant_schema\.up\.sql: applied [0-9a-f]{12}, on disk [0-9a-f]{12}/);
    expect(r.stdout + r.stderr).toMatch(/drift/);
    const s = await run(['status', '--dir', path.join(dir, 'migs')]);
    expect(s.exitCode).toBe(1);
    expect(s.stdout).toMatch(/0001\s+parlant_schema\s+drift/);
  });
});

describe('status: bad input', () => {
  it('a migrations directory that does not exist: exit 3, the directory named, no stack trace', async () => {
    const r = await run(['status', '--dir', '/nonexistent/migs']);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/Cannot read the migrations directory \/nonexistent\/migs/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a server that is not there: exit 2 with the connection explained', async () => {
    const r = await run(['status'], 'postgresql://sim_admin:x@127.0.0.1:47391/sim');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/127\.0\.0\.1:47391\/sim as sim_admin/);
    expect(r.stderr).not.toMatch(/x@|\n\s+at /);
  });
});

describe('a failing file among five', () => {
  it('the first two stay applied, the third is rolled back, the message names file, line and column', async () => {
    const db = await freshDb('five');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-five-'));
    const migs = path.join(dir, 'migs');
    cpSync(path.join(packageRoot(), 'test', 'fixtures', 'migrations', 'five'), migs, { recursive: true });
    writeFileSync(path.join(dir, 'rb.yaml'), 'id: m\ntitle: m\nsummary: m\nphase: during\nrisk: high\nsteps:\n  - { id: apply, title: apply, kind: migrate, with: { direction: up, dir: ./migs } }\n');
    const r = await run(['run', path.join(dir, 'rb.yaml'), '--plain', '--yes'], db);
    expect(r.exitCode).toBe(1);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/0003_third\.up\.sql line 6, column 1: syntax error at or near "CREAT"/);
    expect(text).toMatch(/rolled back: the database is as it was before 0003_third/);
    expect(text).toMatch(/0001, 0002 stay applied/);
    const tables = await q<{ t: string }>(db, "SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'five\\_%' ORDER BY 1");
    expect(tables.map((x) => x.t)).toEqual(['five_one', 'five_two']);
    const st = await q<{ v: string }>(db, "SELECT version || ':' || state AS v FROM parlant_runbook.migrations ORDER BY 1");
    expect(st.map((x) => x.v)).toEqual(['0001:applied', '0002:applied', '0003:failed']);
    const s = await run(['status', '--dir', migs], db);
    expect(s.exitCode).toBe(1);
    expect(s.stdout).toMatch(/0003\s+third\s+failed/);
    expect(s.stdout).toMatch(/0004\s+fourth\s+pending/);
  });

  it('a file that mixes CONCURRENTLY with a transaction is refused before anything runs', async () => {
    const db = await freshDb('mixed');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-mixed-'));
    const migs = path.join(dir, 'migs');
    cpSync(path.join(packageRoot(), 'test', 'fixtures', 'migrations', 'five'), migs, { recursive: true });
    writeFileSync(path.join(migs, '0003_third.up.sql'), 'CREATE TABLE five_three (id int);\nCREATE INDEX CONCURRENTLY five_three_idx ON five_three (id);\n');
    writeFileSync(path.join(migs, '0006_weird.up.sql'), '-- runbook: no-transactions\nSELECT 1;\n');
    writeFileSync(path.join(dir, 'rb.yaml'), 'id: m\ntitle: m\nsummary: m\nphase: during\nrisk: high\nsteps:\n  - { id: apply, title: apply, kind: migrate, with: { direction: up, dir: ./migs } }\n');
    const r = await run(['run', path.join(dir, 'rb.yaml'), '--plain', '--yes'], db);
    expect(r.exitCode).toBe(3);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/0003_third\.up\.sql: uses CONCURRENTLY but runs in one transaction/);
    expect(text).toMatch(/0006_weird\.up\.sql line 1: unknown header/);
    expect(await q(db, "SELECT 1 FROM pg_tables WHERE tablename LIKE 'five\\_%'")).toEqual([]);
  });
});
