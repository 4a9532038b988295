import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupEvent, BackupRequest, Progress } from '../../src/core/backup.js';
import { manifestSchema, type Manifest } from '../../src/backup/catalog.js';
import { runBackup } from '../../src/backup/dump.js';
import type { BackupEnv } from '../../src/backup/env.js';
import { hashArchive } from '../../src/backup/manifest.js';
import { pgRestoreList } from '../../src/backup/pgrestore.js';
import { verifyArchive } from '../../src/backup/verify.js';
import { q } from '../helpers/catalog.js';
import { testBackupEnv } from '../helpers/backup-env.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The backup engine against a real PostgreSQL 15 (sim_admin: CREATEDB, not superuser): every kind of backup, the
 * manifest it writes checked against the archive and the database, file modes under a permissive umask,
 * verification with a trial restore, and the upload hook. Functions are called directly; nothing is mocked.
 */

const KEY_TABLES = ['public.user', 'public.workspace', 'public.workflow', 'public.api_key', 'public.knowledge_base'];

let cluster: TestCluster;
let root: string;
let base: BackupEnv;
let cleanupChild: () => Promise<void>;
let dirCount = 0;

beforeAll(async () => {
  cluster = await startTestCluster();
  root = await mkdtemp(path.join(os.tmpdir(), 'prb-backup-'));
  const t = await testBackupEnv(cluster, { appName: 'parlant-runbook/test run=backup', backupDir: path.join(root, 'backups') });
  cleanupChild = t.cleanup;
  base = t.env;
});

afterAll(async () => {
  await cleanupChild?.();
  await cluster?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** A fresh backup directory per test, so listings are the test's own. */
function freshEnv(extra: Partial<BackupEnv> = {}): BackupEnv {
  return { ...base, backupDir: path.join(root, `backups-${++dirCount}`), ...extra };
}

function collector(): { events: BackupEvent[]; emit: (e: BackupEvent) => void } {
  const events: BackupEvent[] = [];
  return { events, emit: (e) => events.push(e) };
}

const req = (r: Partial<BackupRequest> & Pick<BackupRequest, 'kind'>): BackupRequest => ({ runId: 'run-test', operator: 'tester', dryRun: false, verify: false, ...r });

async function readManifestAt(file: string): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(`${file}.manifest.json`, 'utf8')));
}

async function dbCounts(tables: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) {
    const [schema, name] = t.split('.') as [string, string];
    const r = await q<{ n: number }>(cluster.url, `SELECT count(*)::int AS n FROM "${schema}"."${name}"`);
    out[t] = r[0]?.n ?? -1;
  }
  return out;
}

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;

async function scratchDatabases(): Promise<string[]> {
  const r = await q<{ datname: string }>(cluster.url, "SELECT datname FROM pg_database WHERE datname LIKE 'parlant\\_verify\\_%'");
  return r.map((x) => x.datname);
}

describe('runBackup: full (custom format)', () => {
  let file: string;
  let events: BackupEvent[];

  beforeAll(async () => {
    const env = freshEnv();
    const c = collector();
    const out = await runBackup(env, req({ kind: 'full', verify: true }), c.emit, new AbortController().signal);
    expect(out, out.error).toMatchObject({ ok: true });
    file = out.file as string;
    events = c.events;
    expect(out.manifestPath).toBe(`${file}.manifest.json`);
  });

  it('names the archive <db>_full_<UTC stamp>.dump in the backup directory', () => {
    expect(path.basename(file)).toMatch(/^sim_full_\d{8}T\d{6}Z\.dump$/);
  });

  it('records a sha256 and size that a fresh hash of the file reproduces', async () => {
    const m = await readManifestAt(file);
    const bytes = await readFile(file);
    expect(m.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(m.size).toBe(bytes.length);
    expect((await hashArchive(file)).sha256).toBe(m.sha256);
  });

  it('records the TOC entry count of pg_restore --list, the versions, the target and who made it', async () => {
    const m = await readManifestAt(file);
    const list = await pgRestoreList(base, file);
    expect(m.toc_entries).toBeGreaterThan(0);
    expect(m.toc_entries).toBe(list.entries);
    expect(m).toMatchObject({ file: path.basename(file), kind: 'full', format: 'custom', database: 'sim', host: '127.0.0.1', port: cluster.port });
    expect(m.pg_dump_version).toMatch(/^15\.\d+/);
    expect(m.server_version).toMatch(/^15\.\d+/);
    expect(m.created_by).toEqual({ operator: 'tester', run_id: 'run-test', tool_version: '0.0.0-test' });
    expect(m.options).toEqual({ compression: 'default', jobs: 1 });
    expect(Date.parse(m.finished_at)).toBeGreaterThanOrEqual(Date.parse(m.started_at as string));
  });

  it("records exact row counts of the key tables, equal to count(*) in the database", async () => {
    const m = await readManifestAt(file);
    expect(Object.keys(m.row_counts ?? {}).sort()).toEqual([...KEY_TABLES].sort());
    expect(m.row_counts).toEqual(await dbCounts(KEY_TABLES));
    expect(m.row_counts?.['public.user']).toBe(2000);
  });

  it('is verified right after the dump, and the manifest says how', async () => {
    const m = await readManifestAt(file);
    expect(m.verification?.status).toBe('verified');
    expect(m.verification?.how).toMatch(/sha256, pg_restore --list \(\d+ entries\), full read/);
    const stages = events.filter((e): e is Extract<BackupEvent, { type: 'stage' }> => e.type === 'stage');
    expect(stages.map((s) => s.name)).toEqual(['manifest', 'permissions', 'checksum', 'pg_restore --list', 'full read']);
    expect(stages.every((s) => s.ok)).toBe(true);
  });

  it('reports both versions, the estimate against free space, the command and the final path', () => {
    const infos = events.filter((e) => e.type === 'info').map((e) => (e as { text: string }).text);
    expect(infos.some((t) => /^pg_dump 15\.\d+ \(.+pg_dump\) · server PostgreSQL 15\.\d+$/.test(t))).toBe(true);
    expect(infos.some((t) => /^Estimated archive ≈ .+ \(0\.35 × the database's .+\); free in .+: .+$/.test(t))).toBe(true);
    expect(infos.some((t) => t.startsWith(`Backup written: ${file} (`))).toBe(true);
    const cmd = events.find((e) => e.type === 'command' && e.text.startsWith('pg_dump'));
    expect(cmd && 'text' in cmd ? cmd.text : '').toMatch(/--verbose --no-password --format=custom --snapshot=[0-9A-F]+-[0-9A-F]+-\d+ --file=\S+\.partial-\d+ +\(PGDATABASE=sim, password from PGPASSFILE\)$/);
    expect(JSON.stringify(events)).not.toContain(cluster.password);
  });

  it('emits live progress with tables done of the tables in scope, ending with all done and a clear', () => {
    const progress = events.filter((e): e is Extract<BackupEvent, { type: 'progress' }> => e.type === 'progress');
    const dumping = progress.map((e) => e.progress).filter((p): p is Progress => p !== null && p.action === 'dumping');
    expect(dumping.length).toBeGreaterThanOrEqual(2);
    // The sandbox has 8 Sim tables with data.
    expect(dumping.every((p) => p.total === 8 && p.done <= 8)).toBe(true);
    expect(dumping.at(-1)).toMatchObject({ done: 8, total: 8 });
    expect(dumping.at(-1)?.bytes).toBeGreaterThan(0);
    const firstClear = progress.findIndex((e) => e.progress === null);
    expect(firstClear).toBeGreaterThan(0);
    // pg_dump's verbose lines are summarised, not streamed.
    expect(events.some((e) => e.type === 'output' && /dumping contents/.test(e.text))).toBe(false);
  });
});

describe('runBackup: files are private under a permissive umask', () => {
  it('creates the directory 0700 and the archive and manifest 0600 under umask 022', async () => {
    const old = process.umask(0o022);
    try {
      const env = freshEnv();
      const c = collector();
      const out = await runBackup(env, req({ kind: 'full' }), c.emit, new AbortController().signal);
      expect(out.ok, out.error).toBe(true);
      expect(await mode(env.backupDir)).toBe(0o700);
      expect(await mode(out.file as string)).toBe(0o600);
      expect(await mode(out.manifestPath as string)).toBe(0o600);

      const dir = await runBackup(env, req({ kind: 'directory' }), c.emit, new AbortController().signal);
      expect(dir.ok, dir.error).toBe(true);
      expect(await mode(dir.file as string)).toBe(0o700);
      const names = await readdir(dir.file as string);
      expect(names.length).toBeGreaterThan(1);
      for (const n of names) expect([n, await mode(path.join(dir.file as string, n))]).toEqual([n, 0o600]);
    } finally {
      process.umask(old);
    }
  });

  it('tightens an existing backup directory of ours from 0755 to 0700 and says so', async () => {
    const env = freshEnv();
    await mkdir(env.backupDir, { mode: 0o755 });
    await chmod(env.backupDir, 0o755);
    const c = collector();
    const out = await runBackup(env, req({ kind: 'schema' }), c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(await mode(env.backupDir)).toBe(0o700);
    expect(c.events.some((e) => e.type === 'info' && /Tightened .* from mode 0755 to 0700/.test(e.text))).toBe(true);
  });
});

describe('runBackup: other kinds', () => {
  it('directory: -Fd -j 2, every file hashed, the combined sha256 over "<sha256>  <name>" lines', async () => {
    const env = freshEnv();
    const c = collector();
    const out = await runBackup(env, req({ kind: 'directory', verify: true }), c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(path.basename(out.file as string)).toMatch(/^sim_directory_\d{8}T\d{6}Z$/);
    const cmd = c.events.find((e) => e.type === 'command');
    expect(cmd && 'text' in cmd ? cmd.text : '').toContain('--format=directory --jobs=2');
    const m = await readManifestAt(out.file as string);
    expect(m.format).toBe('directory');
    expect(m.options).toEqual({ compression: 'default', jobs: 2 });
    const names = (await readdir(out.file as string)).sort();
    expect(m.files?.map((f) => f.name)).toEqual(names);
    expect(names).toContain('toc.dat');
    const lines = await Promise.all(
      names.map(async (n) => `${createHash('sha256').update(await readFile(path.join(out.file as string, n))).digest('hex')}  ${n}\n`),
    );
    expect(m.sha256).toBe(createHash('sha256').update(lines.join('')).digest('hex'));
    expect(m.size).toBe(m.files?.reduce((a, f) => a + f.size, 0));
    expect(m.row_counts).toEqual(await dbCounts(KEY_TABLES));
    expect(m.verification?.status).toBe('verified');
  });

  it('schema: the archive holds no table data and the manifest no row counts', async () => {
    const env = freshEnv();
    const out = await runBackup(env, req({ kind: 'schema', verify: true }), collector().emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    const list = await pgRestoreList(env, out.file as string);
    expect(list.ok).toBe(true);
    expect(list.entries).toBeGreaterThan(5);
    expect(list.tableData).toEqual([]);
    const m = await readManifestAt(out.file as string);
    expect(m.row_counts).toBeUndefined();
    expect(m.verification?.status).toBe('verified');
  });

  it('tables: only the chosen tables have data, their counts are in the manifest, and a trial restore passes', async () => {
    const env = freshEnv();
    const c = collector();
    const out = await runBackup(env, req({ kind: 'tables', tables: ['workspace', 'public.api_key'], verify: true, trialRestore: true }), c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    const list = await pgRestoreList(env, out.file as string);
    expect(list.tableData.sort()).toEqual(['public.api_key', 'public.workspace']);
    const m = await readManifestAt(out.file as string);
    expect(m.tables).toEqual(['public.workspace', 'public.api_key']);
    expect(m.row_counts).toEqual(await dbCounts(['public.workspace', 'public.api_key']));
    // Both tables have FKs to "user", which is not in the archive: the trial restore leaves FK constraints out.
    expect(c.events.some((e) => e.type === 'stage' && e.name === 'trial restore' && e.ok)).toBe(true);
    expect(m.verification?.status).toBe('verified');
  });

  it('tables: an unknown table is refused by name before anything is written', async () => {
    const env = freshEnv();
    await mkdir(env.backupDir, { mode: 0o700 });
    const c = collector();
    const out = await runBackup(env, req({ kind: 'tables', tables: ['workspace', 'no_such_table', 'other.thing'] }), c.emit, new AbortController().signal);
    expect(out).toMatchObject({ ok: false, refused: true });
    expect(out.error).toContain('no_such_table, other.thing');
    expect(out.error).not.toContain('workspace');
    expect(await readdir(env.backupDir)).toEqual([]);
    expect(c.events.some((e) => e.type === 'command')).toBe(false);
  });

  it('csv: one file per table with a header, row counts from COPY equal to the database', async () => {
    const env = freshEnv();
    const c = collector();
    const out = await runBackup(env, req({ kind: 'csv', tables: ['user', 'workspace'], verify: true }), c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(path.basename(out.file as string)).toMatch(/^sim_csv_\d{8}T\d{6}Z$/);
    expect((await readdir(out.file as string)).sort()).toEqual(['public.user.csv', 'public.workspace.csv']);
    const users = (await readFile(path.join(out.file as string, 'public.user.csv'), 'utf8')).split('\n');
    const cols = await q<{ column_name: string }>(cluster.url, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'user' ORDER BY ordinal_position");
    expect(users[0]).toBe(cols.map((x) => x.column_name).join(','));
    const m = await readManifestAt(out.file as string);
    expect(m.format).toBe('csv');
    expect(m.row_counts).toEqual(await dbCounts(['public.user', 'public.workspace']));
    expect(m.files?.map((f) => f.name)).toEqual(['public.user.csv', 'public.workspace.csv']);
    expect(m.verification?.status).toBe('verified');
    const done = c.events.filter((e) => e.type === 'progress' && e.progress?.action === 'dumping').at(-1);
    expect(done && 'progress' in done ? done.progress : null).toMatchObject({ done: 2, total: 2 });
  });

  it('dry run: checks and shows the command, creates nothing', async () => {
    const env = freshEnv();
    const c = collector();
    const out = await runBackup(env, req({ kind: 'full', dryRun: true, verify: true }), c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(out.summary).toMatch(/^Dry run/);
    expect(c.events.some((e) => e.type === 'command' && /^pg_dump .*--format=custom/.test(e.text))).toBe(true);
    await expect(stat(env.backupDir)).rejects.toThrow(/ENOENT/);
  });
});

describe('verifyArchive', () => {
  let file: string;
  let env: BackupEnv;

  beforeAll(async () => {
    env = freshEnv();
    const out = await runBackup(env, req({ kind: 'full' }), collector().emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    file = out.file as string;
    expect((await readManifestAt(file)).verification?.status).toBe('unverified');
  });

  it('restores into a scratch database, compares the row counts, and drops the scratch database', async () => {
    const c = collector();
    const out = await verifyArchive(env, { file: path.basename(file), trialRestore: true }, c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(out.stages.map((s) => s.name)).toContain('trial restore');
    const rows = c.events.find((e): e is Extract<BackupEvent, { type: 'rows' }> => e.type === 'rows');
    expect(rows?.columns).toEqual(['table', 'manifest', 'restored', '']);
    expect(rows?.rows.length).toBe(KEY_TABLES.length);
    expect(rows?.rows.every((r) => r[1] === r[2] && r[3] === '✔')).toBe(true);
    const scratch = c.events.find((e) => e.type === 'info' && /parlant_verify_/.test(e.text));
    expect(scratch).toBeDefined();
    expect(await scratchDatabases()).toEqual([]);
    const m = await readManifestAt(file);
    expect(m.verification).toMatchObject({ status: 'verified' });
    expect(m.verification?.how).toMatch(/trial restore \(5 tables' row counts match\)/);
    // The restore session's settings and --exit-on-error are on the command shown.
    expect(c.events.some((e) => e.type === 'command' && /--exit-on-error/.test(e.text) && /synchronous_commit=off/.test(e.text))).toBe(true);
  });

  it('runs the upload command after a passed verification and records it', async () => {
    const dest = await mkdtemp(path.join(root, 'upload-'));
    const up = freshEnv({ backupDir: env.backupDir, upload: { run: `cp "$1" '${dest}/'` } });
    const c = collector();
    const out = await verifyArchive(up, { file, upload: true }, c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(out.stages.at(-1)).toMatchObject({ name: 'upload', ok: true });
    // Buffer.equals: a deep toEqual over megabytes is slow.
    expect((await readFile(path.join(dest, path.basename(file)))).equals(await readFile(file))).toBe(true);
    const m = await readManifestAt(file);
    expect(m.upload).toMatchObject({ ok: true, exit_code: 0, command: `cp "$1" '${dest}/'` });
    expect(m.verification?.status).toBe('verified');
  });

  it('a backup with an upload configured uploads the archive it just verified, once', async () => {
    const dest = await mkdtemp(path.join(root, 'backup-upload-'));
    const up = freshEnv({ upload: { run: `cp "$1" '${dest}/'` } });
    const out = await runBackup(up, req({ kind: 'full', verify: true }), collector().emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(await readdir(dest)).toEqual([path.basename(out.file!)]);
    expect((await readManifestAt(out.file!)).upload).toMatchObject({ ok: true, exit_code: 0 });
  });

  it('a re-verification that does not ask for the upload (backups verify, a restore) does not upload again', async () => {
    const dest = await mkdtemp(path.join(root, 'no-upload-'));
    const up = freshEnv({ backupDir: env.backupDir, upload: { run: `cp "$1" '${dest}/'` } });
    const c = collector();
    const out = await verifyArchive(up, { file }, c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(out.stages.map((x) => x.name)).not.toContain('upload');
    expect(await readdir(dest)).toEqual([]);
  });

  it('records a failing upload as failed without failing the verification', async () => {
    const up = freshEnv({ backupDir: env.backupDir, upload: { run: ['sh', '-c', 'echo "bucket unreachable" >&2; exit 7', 'sh'] } });
    const c = collector();
    const out = await verifyArchive(up, { file, upload: true }, c.emit, new AbortController().signal);
    expect(out.ok, out.error).toBe(true);
    expect(c.events.some((e) => e.type === 'stage' && e.name === 'upload' && !e.ok && e.warn === true)).toBe(true);
    expect(c.events.some((e) => e.type === 'output' && e.text === 'bucket unreachable')).toBe(true);
    const m = await readManifestAt(file);
    expect(m.upload).toMatchObject({ ok: false, exit_code: 7 });
    expect(m.upload?.detail).toContain('bucket unreachable');
    expect(m.verification?.status).toBe('verified');
  });

  it('checks an archive without a manifest but never calls it verified', async () => {
    const copy = path.join(env.backupDir, 'copied.dump');
    await (await import('node:fs/promises')).copyFile(file, copy);
    await chmod(copy, 0o600);
    const out = await verifyArchive(env, { file: copy }, collector().emit, new AbortController().signal);
    expect(out.ok).toBe(false);
    expect(out.summary).toMatch(/no valid manifest, so it cannot be marked verified/);
    expect(out.stages.find((s) => s.name === 'full read')?.ok).toBe(true);
    await expect(stat(`${copy}.manifest.json`)).rejects.toThrow(/ENOENT/);
  });
});
