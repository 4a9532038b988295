import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDatabase, parlantTableCount, q } from '../helpers/catalog.js';
import { cli, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The runbooks around the engine at a larger scale: hot-migrate phase by phase, validate afterwards, and the
 * production gates (preflight evidence from the journal, a verified backup from the catalogue, an override with
 * a reason).
 */
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true, scale: 10 });
  // A copy taken before anything migrates, for the gate tests.
  await q(inDatabase(cluster.superuserUrl, 'postgres'), 'CREATE DATABASE gates TEMPLATE sim OWNER sim_admin');
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

const gatesUrl = (): string => inDatabase(cluster.url, 'gates');

describe('hot-migrate and validate at scale 10 (10,000 workspaces)', () => {
  it('hot-migrate runs every phase; status shows all applied; every workspace has an agent', async () => {
    const state = tempStateDir();
    const r = await cli(['run', 'hot-migrate', '--plain', '--yes', '--state-dir', state], { env: { DATABASE_URL: cluster.url }, timeoutMs: 180_000 });
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode).toBe(0);
    for (const phase of ['Phase 1', 'Phase 2', 'Phase 3', 'Phase 4', 'Phase 5']) expect(r.stdout).toContain(phase);
    expect(r.stdout).toMatch(/Applied 0001 in/);
    expect(r.stdout).toMatch(/Applied 0002 in/);
    expect(r.stdout).toMatch(/batch 10: 1000 rows \(10000 in all\)/);
    expect(r.stdout).toMatch(/batch 11: 0 rows/);
    expect(await parlantTableCount(cluster.url)).toBe(18);
    const lacking = await q<{ n: number }>(cluster.url, 'SELECT count(*)::int AS n FROM workspace w WHERE NOT EXISTS (SELECT 1 FROM parlant_agent a WHERE a.workspace_id = w.id)');
    expect(lacking[0]?.n).toBe(0);
    const s = JSON.parse((await cli(['status', '--json', '--state-dir', state], { env: { DATABASE_URL: cluster.url } })).stdout) as { migrations: { state: string }[] };
    expect(s.migrations.map((m) => m.state)).toEqual(['applied', 'applied', 'applied']);
  });

  it('validate passes on the migrated database', async () => {
    const r = await cli(['run', 'validate', '--plain', '--state-dir', tempStateDir()], { env: { DATABASE_URL: cluster.url }, timeoutMs: 120_000 });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/DONE/);
  });
});

describe('production gates', () => {
  const preflightFixture = (): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-pre-'));
    const file = path.join(dir, 'preflight.yaml');
    writeFileSync(file, 'id: preflight\ntitle: stand-in preflight\nsummary: s\nphase: before\nrisk: low\nsteps:\n  - { id: ok, title: ok, kind: check, with: { sql: "SELECT 1 AS one", expect: { rows: some } } }\n');
    return file;
  };

  it('without a preflight run or a backup, migrate on production stops at the first gate (exit 3) and changes nothing', async () => {
    const r = await cli(['run', 'migrate', '--plain', '--yes', '--env', 'production', '--state-dir', tempStateDir()], { env: { DATABASE_URL: gatesUrl() } });
    expect(r.exitCode).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/No finished preflight run against .*\/gates as sim_admin/);
    expect(r.stdout + r.stderr).toMatch(/override_gates/);
    expect(await parlantTableCount(gatesUrl())).toBe(0);
  });

  it('a passed preflight and a verified backup in the catalogue open both gates; an unverified one does not', async () => {
    const state = tempStateDir();
    const env = { DATABASE_URL: gatesUrl() };
    const pre = await cli(['run', preflightFixture(), '--plain', '--env', 'production', '--state-dir', state], { env });
    expect(pre.exitCode).toBe(0);
    const backups = path.join(state, 'backups');
    mkdirSync(backups, { recursive: true });
    const manifest = (status: string) => ({
      file: 'gates_full_20261121T000000Z.dump',
      kind: 'full',
      database: 'gates',
      host: '127.0.0.1',
      port: cluster.port,
      finished_at: new Date().toISOString(),
      verification: { status, at: new Date().toISOString(), how: 'checksum + pg_restore --list' },
    });
    writeFileSync(path.join(backups, 'gates_full_20261121T000000Z.dump.manifest.json'), JSON.stringify(manifest('unverified')));
    const refused = await cli(['run', 'migrate', '--plain', '--yes', '--env', 'production', '--dry-run', '--state-dir', state], { env });
    expect(refused.stdout).toMatch(/Preflight passed .* ago \(run /);
    expect(refused.stdout + refused.stderr).toMatch(/The newest backup \(gates_full_20261121T000000Z\.dump\) is not verified/);
    expect(refused.exitCode).toBe(3);

    writeFileSync(path.join(backups, 'gates_full_20261121T000000Z.dump.manifest.json'), JSON.stringify(manifest('verified')));
    const ok = await cli(['run', 'migrate', '--plain', '--yes', '--env', 'production', '--dry-run', '--state-dir', state], { env });
    expect(ok.stdout).toMatch(/Verified backup .* old: gates_full_20261121T000000Z\.dump/);
    expect(ok.stdout).toMatch(/would apply 0001, 0002, 0003/);
    expect(ok.exitCode).toBe(0);
  });

  it('an override with a reason lets the run go on, and the reason is in the report', async () => {
    const state = tempStateDir();
    const env = { DATABASE_URL: gatesUrl() };
    const r = await cli(['run', 'migrate', '--plain', '--yes', '--dry-run', '--env', 'production', '--var', 'override_gates=CHG-1234 approved by the DBA lead', '--state-dir', state], { env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Overridden \(CHG-1234 approved by the DBA lead\)/);
    const rep = await cli(['report', 'latest', '--state-dir', state]);
    expect(rep.stdout).toMatch(/CHG-1234 approved by the DBA lead/);
  });
});
