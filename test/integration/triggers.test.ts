import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDatabase, q } from '../helpers/catalog.js';
import { cli, tempStateDir, type CliResult } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The rollback triggers while a migration runs, through the real binary against a real server: a migration of
 * two files in two steps (hot-migrate's shape), the second one slow. Run time, rolled-back transactions,
 * connections and a health URL that turns unhealthy raise alerts that only propose the rollback; with
 * `action: stop` the slow file is cancelled, with `action: rollback` everything this run applied is rolled back.
 */

let cluster: TestCluster;
let state: string;
let work: string;
let healthUrl = '';
let health: http.Server;
let healthyUntil = Number.POSITIVE_INFINITY;

const SLOW_SECONDS = 8;

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: false });
  state = tempStateDir();
  work = mkdtempSync(path.join(os.tmpdir(), 'prb-triggers-'));
  const migs = path.join(work, 'migs');
  mkdirSync(migs);
  writeFileSync(path.join(migs, '0001_one.up.sql'), 'CREATE TABLE trig_one (id int);\n');
  writeFileSync(path.join(migs, '0001_one.down.sql'), 'DROP TABLE trig_one;\n');
  writeFileSync(path.join(migs, '0002_slow.up.sql'), `CREATE TABLE trig_two (id int);\nSELECT pg_sleep(${SLOW_SECONDS});\n`);
  // No IF EXISTS: a down run for a version whose up was rolled back whole would fail, and the test with it.
  writeFileSync(path.join(migs, '0002_slow.down.sql'), 'DROP TABLE trig_two;\n');
  writeFileSync(
    path.join(work, 'one-step.yaml'),
    'id: one-step\ntitle: One step\nsummary: migrate in miniature\nphase: during\nrisk: high\nsteps:\n  - { id: apply, title: Apply, kind: migrate, with: { direction: up, dir: ./migs } }\n',
  );
  writeFileSync(
    path.join(work, 'down.yaml'),
    'id: down\ntitle: Down\nsummary: rollback in miniature\nphase: after\nrisk: high\nsteps:\n  - { id: down, title: Down, kind: migrate, with: { direction: down, dir: ./migs } }\n',
  );
  writeFileSync(
    path.join(work, 'two-phases.yaml'),
    [
      'id: two-phases',
      'title: Two migration phases',
      'summary: hot-migrate in miniature',
      'phase: during',
      'risk: high',
      'steps:',
      "  - { id: one, title: 'Phase 1 (0001)', kind: migrate, with: { direction: up, dir: ./migs, only: ['0001'] } }",
      "  - { id: two, title: 'Phase 2 (0002, slow)', kind: migrate, with: { direction: up, dir: ./migs, only: ['0002'] } }",
      '',
    ].join('\n'),
  );
  health = http.createServer((_req, res) => {
    if (Date.now() < healthyUntil) res.writeHead(200).end('ok');
    else res.writeHead(503).end('database errors');
  });
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => health?.close(() => r()));
  await cluster?.stop();
});

async function freshDb(name: string): Promise<string> {
  await q(cluster.superuserUrl, `CREATE DATABASE ${name} TEMPLATE template0 OWNER sim_admin`);
  return inDatabase(cluster.url, name);
}

function config(name: string, body: string): string {
  const file = path.join(work, `${name}.config.yaml`);
  writeFileSync(file, body);
  return file;
}

function run(db: string, cfg: string, extra: string[] = [], runbook = 'two-phases.yaml'): Promise<CliResult> {
  return cli(['run', path.join(work, runbook), '--plain', '--yes', '--state-dir', state, '--config', cfg, ...extra], { env: { DATABASE_URL: db }, timeoutMs: 120_000 });
}

async function tables(db: string): Promise<string[]> {
  return (await q<{ t: string }>(db, "SELECT tablename AS t FROM pg_tables WHERE tablename LIKE 'trig\\_%' ORDER BY 1")).map((x) => x.t);
}

async function applied(db: string): Promise<string[]> {
  return (await q<{ v: string }>(db, "SELECT version || ':' || state AS v FROM parlant_runbook.migrations ORDER BY 1")).map((x) => x.v);
}

/** An application in trouble: a steady stream of transactions that roll back, while the migration runs. */
function rollbackStorm(db: string): { stop(): Promise<number> } {
  const c = new pg.Client({ connectionString: db, application_name: 'failing-app' });
  c.on('error', () => undefined);
  let going = true;
  let n = 0;
  const loop = (async () => {
    await c.connect();
    while (going) {
      await c.query('BEGIN');
      await c.query('SELECT 1');
      await c.query('ROLLBACK');
      n++;
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    async stop() {
      going = false;
      await loop.catch(() => undefined);
      await c.end().catch(() => undefined);
      return n;
    },
  };
}

describe('rollback triggers during a migration (line mode)', () => {
  it('raise run time, error rate, connections and health as alerts proposing the rollback — and never act by default', async () => {
    const db = await freshDb('trig_alert');
    const cfg = config(
      'alert',
      `app:\n  health_url: ${healthUrl}\nrollback_triggers:\n  interval: 300ms\n  window: 4s\n  duration_floor: 0s\n  connections: 1%\n`,
    );
    // Healthy at first, then failing a few seconds in: the app was up and went down (not stopped on purpose).
    healthyUntil = Date.now() + 3000;
    const storm = rollbackStorm(db);
    let r: CliResult;
    try {
      r = await run(db, cfg, ['--var', 'expected_minutes=0.02']);
    } finally {
      expect(await storm.stop()).toBeGreaterThan(20);
      healthyUntil = Number.POSITIVE_INFINITY;
    }
    const out = r.stdout + r.stderr;
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode, out).toBe(0);
    expect(r.stdout).toMatch(/Rollback triggers \(a look every 300 ms; they alert, never act\): run time over 00:02/);
    expect(r.stdout).toMatch(/⚠ ROLLBACK TRIGGER run time: run time 00:0\d, over 2× the expected 00:01 \(--var expected_minutes\)/);
    expect(r.stdout).toMatch(/⚠ ROLLBACK TRIGGER error rate: \d+(\.\d)?% of transactions rolled back in the last 00:0\d \(\d+ of \d+ on this database; the line is 5%\)/);
    expect(r.stdout).toMatch(/⚠ ROLLBACK TRIGGER connections: \d+ of max_connections \d+ in use \(\d+(\.\d)?%; the line is 1%\)/);
    expect(r.stdout).toMatch(/⚠ ROLLBACK TRIGGER health: app health check failed 2 times in a row: HTTP 503/);
    expect(r.stdout).toMatch(/→ consider rolling back: parlant-runbook run rollback/);
    // Applied, but not "every step passed": the step that raised them is a warning, and the end says so.
    const phase2 = /! warning Phase 2 \(0002, slow\): Applied 0002 in [\d.]+ s; rollback triggers raised: (.+) \(/.exec(r.stdout);
    expect(phase2?.[1]?.split(', ').sort()).toEqual(['connections', 'error rate', 'health', 'run time']);
    expect(r.stdout).toMatch(/Finished with [12] warnings?/);
    // Alerts only: both files applied.
    expect(await tables(db)).toEqual(['trig_one', 'trig_two']);
    expect(await applied(db)).toEqual(['0001:applied', '0002:applied']);

    const rep = await cli(['report', 'latest', '--format', 'md', '--state-dir', state]);
    expect(rep.stdout).toContain('## Rollback triggers');
    for (const t of ['run time', 'error rate', 'connections', 'health']) expect(rep.stdout).toMatch(new RegExp(`\\| \`two\` \\| ${t} \\|.*\\| no \\(alert only\\) \\|`));
  }, 120_000);

  it('action: stop cancels the slow file (rolled back by the server); the file before it stays applied', async () => {
    const db = await freshDb('trig_stop');
    const cfg = config('stop', 'rollback_triggers:\n  action: stop\n  interval: 300ms\n  duration_floor: 0s\n  error_rate: 1\n  connections: 1\n  health: false\n');
    const started = Date.now();
    const r = await run(db, cfg, ['--var', 'expected_minutes=0.02']);
    const out = r.stdout + r.stderr;
    expect(r.exitCode, out).toBe(1);
    expect(r.stdout).toMatch(/a trigger STOPS the migration\)/);
    expect(r.stdout).toMatch(/→ stopping the migration \(rollback_triggers\.action: stop\)/);
    expect(out).toMatch(/Stopped by a rollback trigger \(run time\)/);
    expect(out).toMatch(/parlant-runbook run rollback/);
    // Cancelled, not waited out.
    expect(Date.now() - started).toBeLessThan(SLOW_SECONDS * 1000 + 5000);
    expect(await tables(db)).toEqual(['trig_one']);
    expect((await applied(db)).filter((v) => v.endsWith(':applied'))).toEqual(['0001:applied']);
    // The engine's history says who cancelled it.
    const why = await q<{ error: string }>(db, "SELECT error FROM parlant_runbook.migration_history WHERE version = '0002' AND outcome = 'aborted'");
    expect(why[0]?.error).toMatch(/^rollback trigger: run time /);

    // Going down is not watched: a rollback is the answer to the triggers, not something for them to stop.
    const down = await run(db, cfg, [], 'down.yaml');
    expect(down.exitCode, down.stdout + down.stderr).toBe(0);
    expect(down.stdout).not.toMatch(/Rollback triggers|ROLLBACK TRIGGER/);
    expect(await tables(db)).toEqual([]);
  }, 120_000);

  it('action: rollback stops the slow file and rolls back what the step applied — not the cancelled file, which the server rolled back', async () => {
    const db = await freshDb('trig_rollback');
    const cfg = config('rollback', 'rollback_triggers:\n  action: rollback\n  interval: 300ms\n  duration_floor: 0s\n  error_rate: 1\n  connections: 1\n  health: false\n');
    const r = await run(db, cfg, ['--var', 'expected_minutes=0.02'], 'one-step.yaml');
    const out = r.stdout + r.stderr;
    expect(r.exitCode, out).toBe(1);
    expect(out).toMatch(/Rolling back what this step applied in this run: 0001 \(rollback_triggers\.action: rollback\)/);
    expect(out).toMatch(/Stopped by a rollback trigger and rolled back/);
    expect(out).not.toMatch(/ROLLBACK FAILED/);
    expect(await tables(db)).toEqual([]);
    expect((await applied(db)).filter((v) => v.endsWith(':applied'))).toEqual([]);
  }, 120_000);

  it("action: rollback in a later phase leaves the earlier phases' versions to the rollback runbook", async () => {
    const db = await freshDb('trig_phase');
    const cfg = config('rollback2', 'rollback_triggers:\n  action: rollback\n  interval: 300ms\n  duration_floor: 0s\n  error_rate: 1\n  connections: 1\n  health: false\n');
    const r = await run(db, cfg, ['--var', 'expected_minutes=0.02']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/Stopped by a rollback trigger; this step had applied nothing to roll back/);
    expect(await tables(db)).toEqual(['trig_one']);
  }, 120_000);

  it('a dry run watches nothing; a bad expected_minutes is named', async () => {
    const db = await freshDb('trig_dry');
    const cfg = config('dry', 'rollback_triggers:\n  action: stop\n');
    const dry = await run(db, cfg, ['--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).not.toMatch(/Rollback triggers/);
    const bad = await run(db, config('plain', 'rollback_triggers:\n  interval: 300ms\n'), ['--var', 'expected_minutes=soon']);
    expect(bad.exitCode, bad.stdout + bad.stderr).toBe(0);
    expect(bad.stdout).toMatch(/--var expected_minutes=soon is not a positive number of minutes/);
    expect(bad.stdout).toMatch(/run time: no expected duration/);
  }, 120_000);
});
