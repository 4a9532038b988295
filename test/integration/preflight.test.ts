import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inDatabase, q } from '../helpers/catalog.js';
import { cli, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * `run preflight` as the issue asks: exit 0 with every check shown on a healthy Sim sandbox; against
 * deliberately broken ones the right check fails with its evidence and the run exits 1.
 */
let cluster: TestCluster;
const dbs = ['healthy', 'conflict', 'noprivs', 'locked', 'oldtools'];

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  for (const d of dbs) await q(cluster.superuserUrl, `CREATE DATABASE ${d} TEMPLATE sim OWNER sim_admin`);
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
});

const urlOf = (db: string, user = 'sim_admin', password = cluster.password): string => {
  const u = new URL(inDatabase(cluster.url, db));
  u.username = user;
  u.password = password;
  return u.toString();
};
const preflight = (db: string, env: Record<string, string> = {}) =>
  cli(['run', 'preflight', '--plain', '--state-dir', tempStateDir()], { env: { DATABASE_URL: db, ...env }, timeoutMs: 120_000 });
const line = (out: string, title: string): string => out.split('\n').find((l) => l.includes(title) && /passed|warning|FAILED|skipped/.test(l)) ?? `(no result line for ${title})`;

describe('preflight', () => {
  it('a healthy sandbox: exit 0, every check shown, the risk and the checklist at the end', async () => {
    const r = await preflight(urlOf('healthy'));
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode).toBe(0);
    for (const title of [
      'Connect and read the server version',
      'Client tools match the server',
      'Database size and the largest tables',
      'Room for the backup',
      'No Parlant objects in the way',
      'The Sim tables Parlant references',
      'Privileges the runbooks need',
      'Nothing holds locks the migration needs',
      'Connection headroom',
      'Point-in-time recovery is ready',
      'A verified backup of this database',
      'Lint the pending migrations',
      'Risk assessment',
      'Preflight checklist',
    ]) {
      expect(line(r.stdout, title)).not.toMatch(/FAILED|no result line/);
    }
    expect(line(r.stdout, 'Connect and read the server version')).toMatch(/PostgreSQL 15\.\d+, connected in \d+ ms/);
    expect(line(r.stdout, 'A verified backup of this database')).toMatch(/warning .*No backup of healthy/);
    expect(line(r.stdout, 'Point-in-time recovery is ready')).toMatch(/passed/);
    expect(line(r.stdout, 'Risk assessment')).toMatch(/Risk (LOW|MEDIUM|HIGH): additive change, 3 pending files/);
    expect(r.stdout).toMatch(/data volume/);
    expect(line(r.stdout, 'Preflight checklist')).toMatch(/0 failed/);
  });

  it('a conflicting parlant_agent table: the conflicts check fails with the evidence, exit 1', async () => {
    await q(urlOf('conflict'), 'CREATE TABLE parlant_agent (id int PRIMARY KEY, name text)');
    const r = await preflight(urlOf('conflict'));
    expect(r.exitCode).toBe(1);
    expect(line(r.stdout, 'No Parlant objects in the way')).toMatch(/FAILED .*1 Parlant object already exists \(1 conflicting/);
    expect(r.stdout).toMatch(/table\s+parlant_agent\s+CONFLICTS/);
  });

  it('a role without CREATE on the database: the privileges check names it and what it breaks, exit 1', async () => {
    await q(cluster.superuserUrl, "CREATE ROLE limited LOGIN PASSWORD 'limited-pw'");
    await q(cluster.superuserUrl, 'GRANT CONNECT ON DATABASE noprivs TO limited');
    await q(urlOf('noprivs'), 'GRANT USAGE ON SCHEMA public TO limited; GRANT SELECT ON ALL TABLES IN SCHEMA public TO limited');
    const r = await preflight(urlOf('noprivs', 'limited', 'limited-pw'));
    expect(r.exitCode).toBe(1);
    expect(line(r.stdout, 'Privileges the runbooks need')).toMatch(/FAILED/);
    expect(r.stdout).toMatch(/CREATE\s+database noprivs/);
    expect(r.stdout).toMatch(/migrate/);
  });

  it('a session idle in transaction holding a lock on workspace: the blocking check names its pid, exit 1', async () => {
    const blocker = new pg.Client({ connectionString: urlOf('locked'), application_name: 'sim-web' });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('UPDATE workspace SET name = name WHERE id = (SELECT min(id) FROM workspace)');
      const pid = (blocker as unknown as { processID: number }).processID;
      await new Promise((r) => setTimeout(r, 6000)); // older than the check's 5 s
      const r = await preflight(urlOf('locked'));
      expect(r.exitCode).toBe(1);
      expect(line(r.stdout, 'Nothing holds locks the migration needs')).toMatch(/FAILED/);
      expect(r.stdout).toMatch(new RegExp(`\\b${pid}\\b +sim-web +127\\.0\\.0\\.1 +idle in t.* +workspace`));
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
  }, 60_000);

  it('a pg_dump older than the server first on PATH: the client-tools check fails naming both versions, exit 1', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'prb-oldpg-'));
    const fake = path.join(bin, 'pg_dump');
    writeFileSync(fake, '#!/bin/sh\necho "pg_dump (PostgreSQL) 12.22"\n');
    chmodSync(fake, 0o755);
    const r = await preflight(urlOf('oldtools'), { PATH: `${bin}:${process.env.PATH ?? ''}` });
    expect(r.exitCode).toBe(1);
    expect(line(r.stdout, 'Client tools match the server')).toMatch(/FAILED/);
    expect(r.stdout).toMatch(new RegExp(`pg_dump 12\\.22 \\(${fake.replace(/[/.]/g, '\\$&')}\\) is older than the server, PostgreSQL 15\\.\\d+`));
  });
});
