import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupEvent, PitrOutcome } from '../../src/core/backup.js';
import { readCatalog } from '../../src/backup/catalog.js';
import { baseBackup, pitrReadiness, pitrRecover, removeRecoveredCluster, sandboxClusterFor, type SandboxCluster } from '../../src/backup/pitr.js';
import { clusterLayout, resolveServerBinDir, serverRunAs } from '../../src/sandbox/cluster.js';
import { inDatabase, q } from '../helpers/catalog.js';
import { recorder, testBackupEnv, type TestBackupEnv } from '../helpers/backup-env.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * Point-in-time recovery for real on a sandbox-built cluster (which archives WAL into <dir>/wal-archive): readiness
 * before and after a base backup, the base backup itself, and a recovery of a copy to a moment between two changes.
 */

let tc: TestCluster;
let tb: TestBackupEnv;
let cluster: SandboxCluster;
let recovered: PitrOutcome | undefined;
const binDir = resolveServerBinDir();
const never = new AbortController().signal;

/** The recovered copy's sim database as sim_admin (same roles and password as the cluster it was copied from). */
const copyUrl = (port: number): string => `postgresql://sim_admin:${encodeURIComponent(tc.password)}@127.0.0.1:${port}/sim`;

/** Wait (polling the server's own clock, not a fixed sleep) until it has moved `ms` past `since`. */
async function serverClockPast(since: string, ms: number): Promise<void> {
  for (;;) {
    const [r] = await q<{ past: boolean }>(tc.url, `SELECT clock_timestamp() > $1::timestamptz + make_interval(secs => $2) AS past`, [since, ms / 1000]);
    if (r?.past) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

beforeAll(async () => {
  tc = await startTestCluster({ withSimData: false });
  tb = await testBackupEnv(tc);
  cluster = { ref: { dir: tc.dir, binDir }, port: tc.port };
  await q(tc.url, `CREATE TABLE pitr_probe (id int PRIMARY KEY, tag text NOT NULL);
                   INSERT INTO pitr_probe SELECT g, 'old' FROM generate_series(1, 5) g;
                   -- No autovacuum commit may land after a test's target time (see the "ran out of WAL" test).
                   ALTER TABLE pitr_probe SET (autovacuum_enabled = false);`);
  // Archive what the setup wrote, so that "archiving works" has something to show.
  await q(tc.superuserUrl, 'SELECT pg_switch_wal()');
});

afterAll(async () => {
  if (recovered?.dataDir) await removeRecoveredCluster(recovered.dataDir, binDir).catch(() => undefined);
  await tb?.cleanup();
  await tc?.stop();
});

describe('PITR on a sandbox cluster', () => {
  it('archives WAL into <cluster dir>/wal-archive, a 0700 directory of the server user', async () => {
    const archive = clusterLayout(tc.dir).archiveDir;
    const st = await fs.stat(archive);
    expect(st.mode & 0o777).toBe(0o700);
    const runAs = await serverRunAs();
    if (runAs) expect(st.uid).toBe(runAs.uid);
    const [settings] = await q<{ wal_level: string; archive_mode: string }>(
      tc.superuserUrl,
      "SELECT current_setting('wal_level') AS wal_level, current_setting('archive_mode') AS archive_mode",
    );
    expect(settings).toEqual({ wal_level: 'replica', archive_mode: 'on' });
    await expect.poll(async () => (await fs.readdir(archive)).filter((f) => /^[0-9A-F]{24}$/.test(f)).length, { timeout: 10_000 }).toBeGreaterThan(0);
  });

  it('is not ready before a base backup exists, and says how to take one', async () => {
    const rec = recorder();
    const r = await pitrReadiness(tb.env, rec.emit, never);
    expect(r.ready).toBe(false);
    const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
    expect(byName['base backup']).toMatchObject({ ok: false });
    expect(byName['base backup']?.detail).toMatch(/no base backup of 127\.0\.0\.1:\d+.*pg_basebackup/);
    for (const name of ['server version', 'wal_level', 'archive_mode', 'archive command', 'archiving']) {
      expect(byName[name], name).toMatchObject({ ok: true });
    }
    // sim_admin has no REPLICATION: a warning with the fix, not a failure.
    expect(byName['base backup privilege']).toMatchObject({ ok: false, warn: true });
    expect(byName['base backup privilege']?.detail).toMatch(/ALTER ROLE "sim_admin" REPLICATION/);
    expect(rec.stages().map((s) => s.name)).toEqual(r.checks.map((c) => c.name));
  });

  it('refuses a base backup as a role without REPLICATION, with the ALTER ROLE that fixes it', async () => {
    const out = await baseBackup(tb.env, { runId: 'r1', operator: 'test', dryRun: false }, recorder().emit, never);
    expect(out).toMatchObject({ ok: false, refused: true });
    expect(out.error).toMatch(/sim_admin has neither REPLICATION nor SUPERUSER/);
    expect(out.advice).toMatch(/ALTER ROLE "sim_admin" REPLICATION;.*pg_hba\.conf/);
    expect(await fs.readdir(tb.env.backupDir)).toEqual([]);
  });

  it("takes a verified base backup as the sandbox's superuser, with a manifest recording the target and its WAL start", async () => {
    const events: BackupEvent[] = [];
    const out = await baseBackup(tb.env, { runId: 'r2', operator: 'test', dryRun: false }, (e) => events.push(e), never, cluster);
    expect(out.error).toBeUndefined();
    expect(out.ok).toBe(true);
    expect(out.file).toMatch(/sim_base_\d{8}T\d{6}Z$/);
    const st = await fs.stat(out.file!);
    expect(st.mode & 0o777).toBe(0o700);
    expect(existsSync(path.join(out.file!, 'backup_label'))).toBe(true);
    expect((await fs.readdir(tb.env.backupDir)).filter((n) => n.includes('.partial'))).toEqual([]);

    const { entries } = await readCatalog(tb.env.backupDir);
    expect(entries).toHaveLength(1);
    const m = entries[0]!.manifest;
    expect(m).toMatchObject({ kind: 'base', format: 'base', database: 'sim', host: '127.0.0.1', port: tc.port, verification: { status: 'verified', how: 'pg_verifybackup' } });
    expect(m.pg_dump_version).toMatch(/pg_basebackup \(PostgreSQL\) \d+/);
    expect(m.size).toBeGreaterThan(1_000_000);
    expect((m as Record<string, unknown>).wal_start_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect((await fs.stat(entries[0]!.path)).mode & 0o777).toBe(0o600);

    // The command shown has no password; progress was reported and cleared at the end.
    const command = events.find((e) => e.type === 'command' && e.text.startsWith('pg_basebackup'));
    expect(command && 'text' in command && command.text).toMatch(/-X stream --checkpoint=fast --progress --verbose --no-password/);
    expect(JSON.stringify(events)).not.toContain(tc.password);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ type: 'progress', progress: null });
  });

  it('is ready once a base backup is in the catalogue', async () => {
    const r = await pitrReadiness(tb.env, recorder().emit, never);
    expect(r.checks.find((c) => c.name === 'base backup')).toMatchObject({ ok: true });
    expect(r.checks.find((c) => c.name === 'base backup')?.detail).toMatch(/verified \(pg_verifybackup\)/);
    expect(r.ready).toBe(true);
  });

  it('recovers a copy to a moment between two changes: rows committed before it, none after; the live cluster untouched', async () => {
    // A: committed before the target. Then the target T (server clock). Then B, and a delete of an old row.
    await q(tc.url, "INSERT INTO pitr_probe SELECT g, 'A' FROM generate_series(101, 103) g");
    const [{ t0 } = { t0: '' }] = await q<{ t0: string }>(tc.url, 'SELECT clock_timestamp()::text AS t0');
    await serverClockPast(t0, 1100);
    const [{ target } = { target: '' }] = await q<{ target: string }>(tc.url, 'SELECT clock_timestamp()::text AS target');
    await serverClockPast(target, 1100);
    await q(tc.url, "INSERT INTO pitr_probe SELECT g, 'B' FROM generate_series(201, 203) g");
    await q(tc.url, 'DELETE FROM pitr_probe WHERE id = 3');

    const rec = recorder();
    recovered = await pitrRecover(tb.env, { targetTime: target, action: 'promote', runId: 'r3', dryRun: false }, rec.emit, never, cluster);
    expect(recovered.error).toBeUndefined();
    expect(recovered).toMatchObject({ ok: true });
    expect(recovered.port).not.toBe(tc.port);
    expect(recovered.url).toBe(`postgresql://sim_admin@127.0.0.1:${recovered.port}/sim`);
    expect(recovered.dataDir?.startsWith(`${tc.dir}/`)).toBe(false);

    const ids = async (url: string): Promise<string> =>
      (await q<{ ids: string }>(url, "SELECT string_agg(id || ':' || tag, ',' ORDER BY id) AS ids FROM pitr_probe"))[0]?.ids ?? '';
    expect(await ids(copyUrl(recovered.port!))).toBe('1:old,2:old,3:old,4:old,5:old,101:A,102:A,103:A');
    expect(await ids(tc.url)).toBe('1:old,2:old,4:old,5:old,101:A,102:A,103:A,201:B,202:B,203:B');
    const [copy] = await q<{ rec: boolean }>(copyUrl(recovered.port!), 'SELECT pg_is_in_recovery() AS rec');
    expect(copy?.rec).toBe(false);

    // recovery.signal drove it (consumed at promotion); no recovery.conf anywhere; the settings are in postgresql.auto.conf.
    const text = rec.text();
    expect(text).toMatch(/recovery stopping before commit of transaction \d+, time /);
    expect(text).toMatch(/recovery\.signal created/);
    expect(existsSync(path.join(recovered.dataDir!, 'recovery.conf'))).toBe(false);
    expect(existsSync(path.join(recovered.dataDir!, 'recovery.signal'))).toBe(false);
    const auto = await fs.readFile(path.join(recovered.dataDir!, 'postgresql.auto.conf'), 'utf8');
    expect(auto).toContain(`recovery_target_time = '${target}'`);
    expect(auto).toMatch(/restore_command = 'cp \S+\/wal-archive\/%f %p'/);
    const log = await fs.readFile(path.join(path.dirname(recovered.dataDir!), 'server.log'), 'utf8');
    expect(log).toMatch(/starting point-in-time recovery to/);
    expect(text).not.toContain(tc.password);
  });

  it('reports a recovery that runs out of archived WAL before the target as a failure, with the server log lines', async () => {
    // A target after the last commit: replay reaches the end of the archive without passing it.
    const [{ target } = { target: '' }] = await q<{ target: string }>(tc.url, 'SELECT clock_timestamp()::text AS target');
    const out = await pitrRecover(tb.env, { targetTime: target, action: 'promote', runId: 'r6', dryRun: false }, recorder().emit, never, cluster);
    try {
      expect(out).toMatchObject({ ok: false });
      expect(out.refused).toBeUndefined();
      expect(out.error).toMatch(/recovery ended before configured recovery target was reached/);
      expect(out.advice).toMatch(/archive holds no WAL past the target time.*kept for inspection/);
      expect(existsSync(path.join(path.dirname(out.dataDir!), 'server.log'))).toBe(true);
    } finally {
      if (out.dataDir) await removeRecoveredCluster(out.dataDir, binDir);
    }
  });

  it('refuses a target time before the newest base backup finished', async () => {
    const out = await pitrRecover(tb.env, { targetTime: '2020-01-01T00:00:00Z', action: 'promote', runId: 'r4', dryRun: false }, recorder().emit, never, cluster);
    expect(out).toMatchObject({ ok: false, refused: true });
    expect(out.error).toMatch(/finished after the target time/);
  });

  it('on a server it does not own: refuses, and prints the recovery.signal procedure instead of doing it', async () => {
    const rec = recorder();
    const out = await pitrRecover(tb.env, { targetTime: '2026-11-21T10:15:00Z', action: 'promote', runId: 'r5', dryRun: false }, rec.emit, never);
    expect(out).toMatchObject({ ok: false, refused: true });
    expect(out.error).toMatch(/not this tool's sandbox/);
    const text = rec.text();
    expect(text).toMatch(/recovery\.signal/);
    expect(text).toMatch(/recovery_target_time = '2026-11-21 10:15:00\+00:00'/);
    expect(text).not.toMatch(/recovery\.conf/);
  });

  it('finds the sandbox behind a target only when the state dir records it and the port matches', async () => {
    const stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'parlant-pitr-state-'));
    try {
      expect(await sandboxClusterFor(stateDir, { host: '127.0.0.1', port: tc.port })).toBeUndefined();
      await fs.writeFile(
        path.join(stateDir, 'sandbox.json'),
        JSON.stringify({ version: 1, state: 'ready', dir: tc.dir, binDir, location: 'tmpdir', locationReason: '', scale: 1, password: 'x', startedAt: new Date().toISOString() }),
      );
      expect(await sandboxClusterFor(stateDir, { host: '127.0.0.1', port: tc.port })).toEqual({ ref: { dir: tc.dir, binDir }, port: tc.port });
      expect(await sandboxClusterFor(stateDir, { host: tc.socketDir, port: tc.port })).toEqual({ ref: { dir: tc.dir, binDir }, port: tc.port });
      expect(await sandboxClusterFor(stateDir, { host: '127.0.0.1', port: tc.port + 1 })).toBeUndefined();
      expect(await sandboxClusterFor(stateDir, { host: 'db.internal', port: tc.port })).toBeUndefined();
    } finally {
      await fs.rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('PITR readiness with archiving off', () => {
  let off: TestCluster;
  let offEnv: TestBackupEnv;

  beforeAll(async () => {
    off = await startTestCluster({ withSimData: false });
    offEnv = await testBackupEnv(off);
    await q(inDatabase(off.superuserUrl, 'postgres'), "ALTER SYSTEM SET archive_mode = 'off'");
    await off.stopServer();
    await off.startServer();
  });

  afterAll(async () => {
    await offEnv?.cleanup();
    await off?.stop();
  });

  it('fails archive_mode with the setting to put in postgresql.conf and that it requires a restart', async () => {
    const r = await pitrReadiness(offEnv.env, recorder().emit, never);
    expect(r.ready).toBe(false);
    const mode = r.checks.find((c) => c.name === 'archive_mode');
    expect(mode).toMatchObject({ ok: false });
    expect(mode?.detail).toMatch(/archive_mode = on in postgresql\.conf.*requires a restart/);
    expect(r.checks.find((c) => c.name === 'archiving')).toMatchObject({ ok: false });
  });
});
