import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDatabase, q } from '../helpers/catalog.js';
import { cli, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The backup, restore and partial-recovery runbooks and `backups` as an operator runs them: the real binary in
 * line mode against a throwaway cluster, the catalogue in a state directory, the production gate reading what the
 * backup runbook wrote.
 */
let cluster: TestCluster;
const state = tempStateDir();
const env = (): Record<string, string> => ({ DATABASE_URL: cluster.url });

interface Listed {
  file: string;
  kind: string;
  database: string;
  stale: boolean;
  verification?: { status: string; how?: string };
  row_counts?: Record<string, number>;
}

async function catalogue(): Promise<Listed[]> {
  const r = await cli(['backups', '--json', '--state-dir', state]);
  expect(r.exitCode).toBe(0);
  return (JSON.parse(r.stdout) as { backups: Listed[] }).backups;
}

async function count(url: string, table: string): Promise<number> {
  return (await q<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${table}`))[0]?.n ?? -1;
}

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('backup runbook and the catalogue', () => {
  let first: string;

  it('takes a full backup: verified, 0600 in a 0700 directory, listed with its row counts', async () => {
    const r = await cli(['run', 'backup', '--plain', '--var', 'backup_kind=full', '--state-dir', state], { env: env(), timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/✔ checksum: sha256 [0-9a-f]{12}… and size \d+ bytes match the manifest/);
    expect(r.stdout).toMatch(/✔ full read: every block decoded/);
    const list = await catalogue();
    expect(list).toHaveLength(1);
    const b = list[0]!;
    first = b.file;
    expect(b.file).toMatch(/^sim_full_\d{8}T\d{6}Z\.dump$/);
    expect(b.verification?.status).toBe('verified');
    expect(b.row_counts?.['public.workspace']).toBe(await count(cluster.url, 'workspace'));
    const dir = path.join(state, 'backups');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(dir, b.file)).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, `${b.file}.manifest.json`)).mode & 0o777).toBe(0o600);
  });

  it('`backups` shows it verified; `backups verify` exits 0', async () => {
    const l = await cli(['backups', '--state-dir', state]);
    expect(l.stdout).toMatch(new RegExp(`✔ .* full .* verified .* sim@127\\.0\\.0\\.1:${cluster.port} +${first.replace(/\./g, '\\.')}`));
    const v = await cli(['backups', 'verify', first, '--state-dir', state], { env: env() });
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/Verified:/);
  });

  it('a custom runbook with a backup gate passes in production on what the backup runbook wrote', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'prb-gate-')), 'gated.yaml');
    writeFileSync(file, 'id: gated\ntitle: gated\nsummary: s\nphase: during\nrisk: low\nsteps:\n  - { id: g, title: g, kind: gate, with: { require: backup } }\n');
    const r = await cli(['run', file, '--plain', '--env', 'production', '--state-dir', state], { env: env() });
    expect(r.stdout).toMatch(/Verified backup .* old: sim_full_/);
    expect(r.exitCode).toBe(0);
  });

  it('one flipped byte: `backups verify` exits 1 naming the checksum, the manifest says failed, the catalogue shows ✖', async () => {
    const archive = path.join(state, 'backups', first);
    const copy = readFileSync(archive);
    const bad = Buffer.from(copy);
    const at = Math.floor(bad.length / 2);
    bad[at] = (bad[at] ?? 0) ^ 0x10;
    writeFileSync(archive, bad);
    try {
      const v = await cli(['backups', 'verify', first, '--state-dir', state], { env: env() });
      expect(v.exitCode).toBe(1);
      expect(v.stdout + v.stderr).toMatch(/✖ checksum/);
      expect(v.stderr).toMatch(/Verification failed/);
      expect((await catalogue())[0]?.verification?.status).toBe('failed');
      const l = await cli(['backups', '--state-dir', state]);
      expect(l.stdout).toMatch(/✖ .* failed/);
    } finally {
      writeFileSync(archive, copy);
    }
    // Put right again: the same bytes verify again.
    expect((await cli(['backups', 'verify', first, '--state-dir', state], { env: env() })).exitCode).toBe(0);
  });

  it('a missing archive: exit 1 naming where it looked and how to list the catalogue', async () => {
    const v = await cli(['backups', 'verify', 'nope.dump', '--state-dir', state], { env: env() });
    expect(v.exitCode).not.toBe(0);
    expect(v.stdout + v.stderr).toMatch(/nope\.dump/);
    expect(v.stdout + v.stderr).toMatch(/parlant-runbook backups/);
    expect(v.stderr).not.toMatch(/Unexpected error|\n\s+at /);
  });

  it('tables without --var tables: the step fails with the flag to pass (exit 1), nothing written', async () => {
    const before = (await catalogue()).length;
    const r = await cli(['run', 'backup', '--plain', '--var', 'backup_kind=tables', '--state-dir', state], { env: env() });
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/--var tables=/);
    expect((await catalogue()).length).toBe(before);
  });

  it('a broken manifest is named as a warning; the other backups are still listed', async () => {
    const broken = path.join(state, 'backups', 'sim_full_20200101T000000Z.dump.manifest.json');
    writeFileSync(broken, '{ not json');
    try {
      const l = await cli(['backups', '--state-dir', state]);
      expect(l.exitCode).toBe(0);
      expect(l.stdout).toMatch(/warning: sim_full_20200101T000000Z\.dump\.manifest\.json: /);
      expect(l.stdout).toMatch(/sim_full_\d{8}T\d{6}Z\.dump/);
    } finally {
      rmSync(broken);
    }
  });

  it('a backup_dir that cannot be read is an error (exit 2), not "no backups"; the gate says so too', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-cfg-'));
    const notADir = path.join(dir, 'a-file');
    writeFileSync(notADir, 'x');
    const cfg = path.join(dir, 'parlant-runbook.config.yaml');
    writeFileSync(cfg, `backup_dir: ${notADir}\n`);
    const l = await cli(['backups', '--config', cfg, '--state-dir', state]);
    expect(l.exitCode).toBe(2);
    expect(l.stderr).toMatch(/The backup directory .*a-file cannot be read/);
    expect(l.stdout).not.toMatch(/None yet/);
    const gated = path.join(dir, 'gated.yaml');
    writeFileSync(gated, 'id: gated\ntitle: gated\nsummary: s\nphase: during\nrisk: low\nsteps:\n  - { id: g, title: g, kind: gate, with: { require: backup } }\n');
    const r = await cli(['run', gated, '--plain', '--env', 'production', '--config', cfg, '--state-dir', tempStateDir()], { env: env() });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/cannot be read/);
  });

  it('a backup older than max_backup_age stands out as STALE', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-cfg-'));
    const cfg = path.join(dir, 'parlant-runbook.config.yaml');
    writeFileSync(cfg, `backup_dir: ${path.join(state, 'backups')}\nmax_backup_age: 1ms\n`);
    const l = await cli(['backups', '--config', cfg, '--state-dir', state]);
    expect(l.stdout).toMatch(/STALE/);
    expect(l.stdout).toMatch(/older than 1 ms \(max_backup_age\)|older than .* \(max_backup_age\)/);
  });
});

describe('restore runbook', () => {
  it('into a new database (default): same row counts, the current database untouched, what to switch', async () => {
    const r = await cli(['run', 'restore', '--plain', '--var', 'into=new', '--state-dir', state], { env: env(), timeoutMs: 120_000 });
    expect(r.exitCode).toBe(0);
    const m = /Restored .* into (sim_restored_\w+)/.exec(r.stdout);
    expect(m).not.toBeNull();
    const restored = inDatabase(cluster.url, m![1]!);
    for (const t of ['"user"', 'workspace', 'workflow', 'api_key', 'knowledge_base']) expect(await count(restored, t)).toBe(await count(cluster.url, t));
    expect(r.stdout).toMatch(/✔ sequences/);
    expect(r.stdout).toMatch(/✔ indexes: no invalid index/);
    expect(r.stdout).toMatch(/point the application's DATABASE_URL at sim_restored_/);
    await q(inDatabase(cluster.superuserUrl, 'postgres'), `DROP DATABASE "${m![1]!}"`);
  });

  it('replace without --confirm is refused (exit 3) and nothing changes', async () => {
    await q(cluster.url, "UPDATE workspace SET name = 'after the backup' WHERE id = (SELECT min(id) FROM workspace)");
    const r = await cli(['run', 'restore', '--plain', '--var', 'into=replace', '--state-dir', state], { env: env() });
    expect(r.exitCode).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/--confirm/);
    expect((await q<{ n: number }>(cluster.url, "SELECT count(*)::int AS n FROM workspace WHERE name = 'after the backup'"))[0]?.n).toBe(1);
  });

  it('replace with --confirm: lists and cuts off another session, the data is the backup again, connections allowed after', async () => {
    const other = new pg.Client({ connectionString: cluster.url, application_name: 'someone-else' });
    other.on('error', () => undefined);
    await other.connect();
    const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    try {
      const r = await cli(['run', 'restore', '--plain', '--var', 'into=replace', '--confirm', 'sim', '--state-dir', state], { env: env(), timeoutMs: 120_000 });
      expect(r.stderr).not.toMatch(/Unexpected error/);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`${pid} +sim_admin +someone-else`));
      expect(r.stdout).toMatch(/This run's own connection/);
      await expect(other.query('SELECT 1')).rejects.toThrow();
      expect((await q<{ n: number }>(cluster.url, "SELECT count(*)::int AS n FROM workspace WHERE name = 'after the backup'"))[0]?.n).toBe(0);
      const allowed = await q<{ ok: boolean }>(cluster.superuserUrl, "SELECT datallowconn AS ok FROM pg_database WHERE datname = 'sim'");
      expect(allowed[0]?.ok).toBe(true);
    } finally {
      await other.end().catch(() => undefined);
    }
  });
});

describe('partial-recovery runbook', () => {
  it('deleted rows come back from the backup after confirmation; a changed row keeps its live value', async () => {
    const before = await count(cluster.url, 'api_key');
    await q(cluster.url, 'DELETE FROM api_key WHERE id IN (SELECT id FROM api_key ORDER BY id LIMIT 7)');
    await q(cluster.url, "UPDATE api_key SET name = 'live edit' WHERE id = (SELECT max(id) FROM api_key)");
    const r = await cli(['run', 'partial-recovery', '--plain', '--yes', '--var', 'tables=api_key', '--state-dir', state], { env: env(), timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/7 rows missing, 1 differ/);
    expect(r.stdout).toMatch(/Inserted 7 rows/);
    expect(await count(cluster.url, 'api_key')).toBe(before);
    expect((await q<{ n: number }>(cluster.url, "SELECT count(*)::int AS n FROM api_key WHERE name = 'live edit'"))[0]?.n).toBe(1);
    expect(r.stdout).toMatch(/DROP SCHEMA "recovered_\w+" CASCADE;/);
  });

  it('a table that does not exist is refused by name before anything is created', async () => {
    const r = await cli(['run', 'partial-recovery', '--plain', '--yes', '--var', 'tables=no_such_table', '--var', 'schema=recovered_never', '--state-dir', state], { env: env() });
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/no_such_table/);
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(await q(cluster.url, "SELECT 1 FROM pg_namespace WHERE nspname = 'recovered_never'")).toEqual([]);
  });
});
