import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreRequest } from '../../src/core/backup.js';
import type { Manifest } from '../../src/backup/catalog.js';
import { runBackup } from '../../src/backup/dump.js';
import { checkInvalidIndexes, checkSequences, listSessions, restoreArchive, stagingName } from '../../src/backup/restore.js';
import { recorder, testBackupEnv, type TestBackupEnv } from '../helpers/backup-env.js';
import { inDatabase, q } from '../helpers/catalog.js';
import { watchCommandLines } from '../helpers/procscan.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The restore engine (src/backup/restore.ts) against a real cluster, as sim_admin (CREATEDB, not superuser).
 * One archive of sim, taken in beforeAll with the real pg_dump -Fc, serves most tests; they build on each other in
 * file order (sim_copy is restored first, then broken and replaced).
 */

/** The Sim tables, and one table with a serial column so that the sequence check has something to check. */
const KEY_TABLES = ['user', 'workspace', 'workflow', 'api_key', 'knowledge_base', 'custom_tools', 'mcp_servers', 'workflow_blocks', 'counter_demo'];
/** The archive of sim taken (and verified) by the backup engine in beforeAll: its file name in the backup directory. */
let ARCHIVE: string;

let cluster: TestCluster;
let tb: TestBackupEnv;
const envs: TestBackupEnv[] = [];
const clients = new Set<pg.Client>();

const never = new AbortController().signal;
const request = (over: Partial<RestoreRequest> & { database: string }): RestoreRequest => ({ file: ARCHIVE, mode: 'new', runId: 'test', dryRun: false, ...over });

async function counts(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of KEY_TABLES) out[t] = Number((await q<{ n: string }>(url, `SELECT count(*) AS n FROM "${t}"`))[0]!.n);
  return out;
}

async function databases(): Promise<string[]> {
  return (await q<{ datname: string }>(cluster.url, 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);
}

async function client(url: string, appName?: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, ...(appName ? { application_name: appName } : {}) });
  // A terminated session emits 'error'; the test reads that from the session's state instead.
  c.on('error', () => undefined);
  await c.connect();
  clients.add(c);
  return c;
}

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  tb = await testBackupEnv(cluster);
  envs.push(tb);
  await q(cluster.url, `CREATE TABLE counter_demo (id serial PRIMARY KEY, note text);
    INSERT INTO counter_demo (note) SELECT 'row ' || g FROM generate_series(1, 50) g`);
  const backup = await runBackup(tb.env, { kind: 'full', verify: true, runId: 'test', operator: 'test', dryRun: false }, recorder().emit, never);
  if (!backup.ok || !backup.file) throw new Error(`The backup for the restore tests failed: ${backup.summary} ${backup.error ?? ''}`);
  ARCHIVE = path.basename(backup.file);
});

afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  for (const e of envs) await e.cleanup();
  await cluster?.stop();
});

describe('restore into a new database (blue-green)', () => {
  it('restores the archive with the same row counts as the source, passes every check and says what to switch', async () => {
    const rec = recorder();
    const out = await restoreArchive(tb.env, request({ database: 'sim_copy' }), rec.emit, never);
    expect(out.errors).toEqual([]);
    expect(out.ok).toBe(true);
    expect(out.summary).toBe(`Restored ${ARCHIVE} into sim_copy; every check passed`);
    expect(await counts(inDatabase(cluster.url, 'sim_copy'))).toEqual(await counts(cluster.url));
    expect(rec.stages().map((s) => [s.name, s.ok])).toEqual([
      ['analyze', true],
      ['row counts', true],
      ['sequences', true],
      ['indexes', true],
    ]);
    // The manifest's row counts (the Sim tables the backup engine counts) compared with the restored database's.
    const table = rec.rows().find((r) => r.columns[0] === 'table')!;
    expect(table.rows.map((r) => r[0])).toEqual(['public.user', 'public.workspace', 'public.workflow', 'public.api_key', 'public.knowledge_base']);
    expect(table.rows.every((r) => r[1] === r[2] && r[3] === '✔')).toBe(true);
    expect(rec.text()).toContain(`point it at 127.0.0.1:${cluster.port}/sim_copy`);
    expect(rec.text()).toContain('The old database sim is untouched.');
    expect(rec.text()).not.toContain(cluster.password);
  });

  it('never puts the password in any process\'s command line while pg_restore runs', async () => {
    const { result: out, seen, leaks } = await watchCommandLines([cluster.password], ['pg_restore'], () => restoreArchive(tb.env, request({ database: 'sim_pw' }), recorder().emit, never), 5);
    expect(out.ok).toBe(true);
    expect(seen.has('pg_restore')).toBe(true);
    expect(leaks).toEqual([]);
  });

  it('refuses a database that exists, and changes nothing', async () => {
    const before = { dbs: await databases(), rows: await counts(cluster.url) };
    const out = await restoreArchive(tb.env, request({ database: 'sim' }), recorder().emit, never);
    expect(out).toMatchObject({ ok: false, refused: true, summary: 'sim already exists' });
    expect(out.error).toMatch(/never touches an existing one/);
    expect(await databases()).toEqual(before.dbs);
    expect(await counts(cluster.url)).toEqual(before.rows);
  });
});

describe('post-restore checks', () => {
  it('finds a sequence set back below its table\'s max id, and names the fix', async () => {
    const c = await client(inDatabase(cluster.url, 'sim_pw'));
    expect(await checkSequences(c)).toEqual([]);
    await c.query("SELECT setval('counter_demo_id_seq', 3)");
    expect(await checkSequences(c)).toEqual([
      {
        problem: 'sequence behind',
        object: 'public.counter_demo_id_seq',
        detail: "next value 4, but max(public.counter_demo.id) is 50: the next insert collides. Fix: SELECT setval('public.counter_demo_id_seq', 50)",
      },
    ]);
  });

  it('finds an INVALID index left by a failed CREATE INDEX CONCURRENTLY', async () => {
    const c = await client(inDatabase(cluster.url, 'sim_pw'));
    expect(await checkInvalidIndexes(c)).toEqual([]);
    await c.query('CREATE TABLE "dup table" (x int); INSERT INTO "dup table" VALUES (1), (1)');
    await expect(c.query('CREATE UNIQUE INDEX CONCURRENTLY "dup x" ON "dup table" (x)')).rejects.toThrow(/could not create unique index/);
    const found = await checkInvalidIndexes(c);
    expect(found).toEqual([{ problem: 'invalid index', object: 'public."dup x"', detail: expect.stringMatching(/^on public\."dup table"( \(not ready\))?: queries cannot use it; DROP INDEX CONCURRENTLY public\."dup x"/) }]);
  });
});

describe('replace', () => {
  it('restores under a staging name of at most 63 bytes, whatever the database is called', () => {
    const long = '😀'.repeat(20);
    const staging = stagingName(long);
    expect(Buffer.byteLength(staging, 'utf8')).toBeLessThanOrEqual(63);
    expect(staging).toMatch(/^(😀)+_restoring_[0-9a-f]{1,6}$/u);
  });

  it('cuts off the other sessions (listed first), restores the archive over local changes, and allows connections again', async () => {
    const url = inDatabase(cluster.url, 'sim_copy');
    const victim = await client(url, 'victim-app');
    const victimPid = Number((await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const original = (await q<{ id: string; name: string }>(url, 'SELECT id, name FROM workspace ORDER BY id LIMIT 1'))[0]!;
    await q(url, "UPDATE workspace SET name = 'changed after the backup' WHERE id = $1", [original.id]);
    await q(cluster.url, "ALTER DATABASE sim_copy SET work_mem = '8MB'");
    expect((await listSessions(tb.env, 'sim_copy')).map((s) => s.pid)).toContain(victimPid);

    const rec = recorder();
    const out = await restoreArchive(tb.env, request({ database: 'sim_copy', mode: 'replace' }), rec.emit, never);
    expect(out.errors).toEqual([]);
    expect(out.ok).toBe(true);
    const cut = rec.rows().find((r) => r.columns[0] === 'pid')!;
    expect(cut.rows.map((r) => [r[0], r[2]])).toContainEqual([String(victimPid), 'victim-app']);
    expect(await q(cluster.superuserUrl, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [victimPid])).toEqual([]);
    await expect(victim.query('SELECT 1')).rejects.toThrow();

    expect((await q<{ name: string }>(url, 'SELECT name FROM workspace WHERE id = $1', [original.id]))[0]!.name).toBe(original.name);
    expect(await counts(url)).toEqual(await counts(cluster.url));
    expect((await q<{ a: boolean }>(cluster.url, "SELECT datallowconn AS a FROM pg_database WHERE datname = 'sim_copy'"))[0]!.a).toBe(true);
    expect((await databases()).filter((d) => d.includes('_restoring_'))).toEqual([]);
    // A database's own settings are not in an archive: read before the drop and set again on the restored one.
    expect(rec.text()).toContain('sim_copy has the setting work_mem=8MB, which the archive does not hold');
    expect(rec.stages()).toContainEqual({ type: 'stage', name: 'database settings', ok: true, detail: '1 setting of the old database set again' });
    expect(await q(url, 'SHOW work_mem')).toEqual([{ work_mem: '8MB' }]);
  });

  it('refuses when a session cannot be terminated (a superuser\'s), naming the pid and pg_signal_backend, and leaves the database serving', async () => {
    const su = await client(inDatabase(cluster.superuserUrl, 'sim_copy'));
    const suPid = Number((await su.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const out = await restoreArchive(tb.env, request({ database: 'sim_copy', mode: 'replace' }), recorder().emit, never);
    expect(out).toMatchObject({ ok: false, refused: true });
    expect(out.summary).toContain(`pid ${suPid}`);
    expect(out.advice).toMatch(/GRANT pg_signal_backend TO "sim_admin"/);
    expect((await su.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect((await q<{ a: boolean }>(cluster.url, "SELECT datallowconn AS a FROM pg_database WHERE datname = 'sim_copy'"))[0]!.a).toBe(true);
    await su.end();
    clients.delete(su);
  });
});

describe('a dump that needs a role the server does not have', () => {
  let NAME: string;
  beforeAll(async () => {
    await q(cluster.url, 'CREATE DATABASE roles_src');
    const su = inDatabase(cluster.superuserUrl, 'roles_src');
    await q(su, `CREATE ROLE r; CREATE TABLE owned_by_r (id int PRIMARY KEY); INSERT INTO owned_by_r VALUES (1), (2);
      ALTER TABLE owned_by_r OWNER TO r; GRANT SELECT ON owned_by_r TO sim_admin`);
    // Backed up by the engine, as sim_admin, into the same backup directory (unverified: the restore warns only).
    const src = await testBackupEnv({ url: inDatabase(cluster.url, 'roles_src'), password: cluster.password }, { backupDir: tb.env.backupDir });
    envs.push(src);
    const b = await runBackup(src.env, { kind: 'full', verify: false, runId: 'test', operator: 'test', dryRun: false }, recorder().emit, never);
    if (!b.ok || !b.file) throw new Error(`The roles_src backup failed: ${b.summary} ${b.error ?? ''}`);
    NAME = path.basename(b.file);
    // The archive still says ALTER TABLE owned_by_r OWNER TO r; the server no longer has r.
    await q(su, 'REASSIGN OWNED BY r TO sim_admin; DROP OWNED BY r; DROP ROLE r');
  });

  it('reports FAILURE with the error listed, and drops the half-restored new database', async () => {
    const rec = recorder();
    const out = await restoreArchive(tb.env, request({ file: NAME, database: 'roles_copy' }), rec.emit, never);
    expect(out.ok).toBe(false);
    expect(out.errors.join('\n')).toContain('role "r" does not exist');
    expect(out.summary).toMatch(new RegExp(`^Restore of ${NAME.replace(/\./g, '\\.')} into roles_copy failed: 1 error, first: .*role "r" does not exist`));
    expect(out.advice).toMatch(/no_owner/);
    expect(rec.events).toContainEqual({ type: 'output', stream: 'stderr', text: expect.stringContaining('role "r" does not exist') });
    expect(await databases()).not.toContain('roles_copy');
  });

  it('restores with noOwner, everything then owned by the restoring role', async () => {
    const out = await restoreArchive(tb.env, request({ file: NAME, database: 'roles_copy', noOwner: true }), recorder().emit, never);
    expect(out.errors).toEqual([]);
    expect(out.ok).toBe(true);
    expect(await q(inDatabase(cluster.url, 'roles_copy'), 'SELECT id, pg_get_userbyid(relowner) AS owner FROM owned_by_r, pg_class WHERE oid = \'owned_by_r\'::regclass ORDER BY id')).toEqual([
      { id: 1, owner: 'sim_admin' },
      { id: 2, owner: 'sim_admin' },
    ]);
  });
});

describe('which archive', () => {
  /** A backup directory of its own, with copies of the archive under manifests in the given states. */
  async function catalogue(entries: { name: string; minutesAgo: number; verification: Manifest['verification'] | null; kind?: string }[]): Promise<TestBackupEnv> {
    const e = await testBackupEnv(cluster);
    envs.push(e);
    const base = JSON.parse(await readFile(path.join(tb.env.backupDir, `${ARCHIVE}.manifest.json`), 'utf8')) as Manifest;
    for (const x of entries) {
      await copyFile(path.join(tb.env.backupDir, ARCHIVE), path.join(e.env.backupDir, x.name));
      const m: Manifest = { ...base, file: x.name, kind: x.kind ?? 'full', finished_at: new Date(Date.now() - x.minutesAgo * 60_000).toISOString() };
      delete m.verification;
      if (x.verification) m.verification = x.verification;
      await writeFile(path.join(e.env.backupDir, `${x.name}.manifest.json`), JSON.stringify(m), { mode: 0o600 });
    }
    return e;
  }
  const verified = { status: 'verified' as const, at: new Date().toISOString() };

  it('"newest" picks the newest verified backup, passing over a newer unverified one', async () => {
    const e = await catalogue([
      { name: 'old.dump', minutesAgo: 60, verification: verified },
      { name: 'newer.dump', minutesAgo: 30, verification: verified },
      { name: 'newest-unverified.dump', minutesAgo: 5, verification: { status: 'unverified' } },
    ]);
    const rec = recorder();
    const out = await restoreArchive(e.env, request({ file: 'newest', database: 'never_created', dryRun: true }), rec.emit, never);
    expect(out.ok).toBe(true);
    expect(path.basename(out.file!)).toBe('newer.dump');
    expect(rec.events.filter((x) => x.type === 'command').map((x) => (x as { text: string }).text)).toEqual([
      'CREATE DATABASE "never_created" TEMPLATE template0',
      expect.stringMatching(/^pg_restore .*--exit-on-error .*--dbname=never_created .*newer\.dump$/),
      expect.stringMatching(/^ANALYZE/),
    ]);
    expect(await databases()).not.toContain('never_created');
  });

  it('"newest" refuses when only unverified backups exist, listing them and how to verify', async () => {
    const e = await catalogue([{ name: 'only-unverified.dump', minutesAgo: 5, verification: null }]);
    const rec = recorder();
    const out = await restoreArchive(e.env, request({ file: 'newest', database: 'never_created' }), rec.emit, never);
    expect(out.ok).toBe(false);
    expect(out.summary).toBe(`No verified backup of sim on 127.0.0.1:${cluster.port} in ${e.env.backupDir}`);
    expect(out.advice).toContain('Verify one first: parlant-runbook backups verify only-unverified.dump');
    expect(rec.text()).toContain('not verified (unverified): only-unverified.dump');
    expect(await databases()).not.toContain('never_created');
  });

  it('refuses an archive whose verification failed, a CSV export and a base backup, each saying what to do instead', async () => {
    const e = await catalogue([
      { name: 'bad.dump', minutesAgo: 1, verification: { status: 'failed', problems: ['sha256 mismatch'] } },
      { name: 'export.csv', minutesAgo: 1, verification: verified, kind: 'csv' },
      { name: 'base.tar', minutesAgo: 1, verification: verified, kind: 'base' },
    ]);
    const run = (file: string) => restoreArchive(e.env, request({ file, database: 'never_created' }), recorder().emit, never);
    const bad = await run('bad.dump');
    expect(bad).toMatchObject({ ok: false, refused: true, summary: 'bad.dump failed verification' });
    expect(bad.error).toMatch(/failed: sha256 mismatch/);
    expect(await run('export.csv')).toMatchObject({ refused: true, advice: expect.stringMatching(/\\copy/) });
    expect(await run('base.tar')).toMatchObject({ refused: true, advice: expect.stringMatching(/pitr runbook/) });
    expect(await databases()).not.toContain('never_created');
  });

  it('warns, but restores, an archive without a manifest', async () => {
    const e = await catalogue([]);
    await copyFile(path.join(tb.env.backupDir, ARCHIVE), path.join(e.env.backupDir, 'bare.dump'));
    const rec = recorder();
    const out = await restoreArchive(e.env, request({ file: 'bare.dump', database: 'never_created', dryRun: true }), rec.emit, never);
    expect(out.ok).toBe(true);
    expect(rec.events).toContainEqual({ type: 'info', stream: 'stderr', text: expect.stringMatching(/bare\.dump has no manifest/) });
  });
});
