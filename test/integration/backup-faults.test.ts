import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupEvent, BackupRequest } from '../../src/core/backup.js';
import { manifestSchema, type Manifest } from '../../src/backup/catalog.js';
import { runBackup } from '../../src/backup/dump.js';
import type { BackupEnv } from '../../src/backup/env.js';
import { pgRestoreList } from '../../src/backup/pgrestore.js';
import { pickClientTool } from '../../src/backup/tools.js';
import { verifyArchive } from '../../src/backup/verify.js';
import { retarget } from '../../src/db/connection.js';
import { inDatabase, q } from '../helpers/catalog.js';
import { testBackupEnv } from '../helpers/backup-env.js';
import { watchCommandLines } from '../helpers/procscan.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * What goes wrong with backups (DESIGN §10 "fault"): archives damaged after the fact (truncated, one bit
 * flipped), a dump cut short by a file-size limit, the password hunted for in every process's argv while
 * pg_dump and pg_restore run, and a pg_dump older than the server.
 */

let cluster: TestCluster;
let root: string;
let base: BackupEnv;
let cleanupChild: () => Promise<void>;
let dirCount = 0;
/** The real pg_dump of the server's version (what the shims wrap). */
let realPgDump: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  root = await mkdtemp(path.join(os.tmpdir(), 'prb-backup-faults-'));
  const t = await testBackupEnv(cluster, { appName: 'parlant-runbook/test run=faults', backupDir: path.join(root, 'backups') });
  cleanupChild = t.cleanup;
  base = t.env;
  realPgDump = (await pickClientTool('pg_dump', 15, '')).path;
});

afterAll(async () => {
  await cleanupChild?.();
  await cluster?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

function freshEnv(extra: Partial<BackupEnv> = {}): BackupEnv {
  return { ...base, backupDir: path.join(root, `backups-${++dirCount}`), ...extra };
}

function collector(): { events: BackupEvent[]; emit: (e: BackupEvent) => void } {
  const events: BackupEvent[] = [];
  return { events, emit: (e) => events.push(e) };
}

const req = (r: Partial<BackupRequest> = {}): BackupRequest => ({ kind: 'full', runId: 'run-faults', operator: 'tester', dryRun: false, verify: false, ...r });
const never = (): AbortSignal => new AbortController().signal;

async function backup(env: BackupEnv, r: Partial<BackupRequest> = {}): Promise<string> {
  const out = await runBackup(env, req(r), collector().emit, never());
  expect(out.ok, out.error).toBe(true);
  return out.file as string;
}

async function manifestOf(file: string): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(`${file}.manifest.json`, 'utf8')));
}

/** Every file of a directory with the sha256 of its bytes: "byte for byte untouched" is equality of this. */
async function snapshotDir(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of (await readdir(dir)).sort()) out.set(n, createHash('sha256').update(await readFile(path.join(dir, n))).digest('hex'));
  return out;
}

async function flipBit(file: string, at: number): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = (b[0] as number) ^ 0x10;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

async function shim(dir: string, name: string, script: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
}

const stage = (out: { stages: { name: string; ok: boolean }[] }, name: string): { name: string; ok: boolean } | undefined => out.stages.find((s) => s.name === name);

describe('damaged archives', () => {
  it('a truncated archive (last 10 % cut) fails the checksum and the full read', async () => {
    const env = freshEnv();
    const file = await backup(env);
    const size = (await stat(file)).size;
    await truncate(file, Math.floor(size * 0.9));
    const out = await verifyArchive(env, { file }, collector().emit, never());
    expect(out.ok).toBe(false);
    expect(stage(out, 'checksum')?.ok).toBe(false);
    expect(stage(out, 'full read')?.ok).toBe(false);
    expect(out.error).toMatch(/size \d+ bytes, the manifest says \d+/);
    const m = await manifestOf(file);
    expect(m.verification?.status).toBe('failed');
    expect(m.verification?.problems?.some((p) => p.startsWith('checksum:'))).toBe(true);
  });

  it('a single flipped bit fails the checksum; without the checksum the full read still catches it, where --list alone passes', async () => {
    const env = freshEnv();
    const file = await backup(env);
    await flipBit(file, Math.floor((await stat(file)).size / 2));

    const withSum = await verifyArchive(env, { file }, collector().emit, never());
    expect(withSum.ok).toBe(false);
    expect(stage(withSum, 'checksum')?.ok).toBe(false);

    // The same archive judged by pg_restore --list only: it would pass.
    const list = await pgRestoreList(env, file);
    expect(list.ok).toBe(true);
    expect(list.entries).toBe((await manifestOf(file)).toc_entries);

    // Take the checksum out of the manifest: the full read is what catches the damage now.
    const m = await manifestOf(file);
    delete m.sha256;
    delete m.size;
    await writeFile(`${file}.manifest.json`, JSON.stringify(m), { mode: 0o600 });
    const c = collector();
    const noSum = await verifyArchive(env, { file }, c.emit, never());
    expect(noSum.ok).toBe(false);
    expect(stage(noSum, 'checksum')?.ok).toBe(true); // skipped, with a warning
    expect(c.events.some((e) => e.type === 'stage' && e.name === 'checksum' && e.warn === true)).toBe(true);
    expect(stage(noSum, 'pg_restore --list')?.ok).toBe(true);
    expect(stage(noSum, 'full read')?.ok).toBe(false);
    expect(noSum.error).toMatch(/full read: pg_restore could not decode the archive/);
    expect((await manifestOf(file)).verification?.status).toBe('failed');
  });

  it('a directory archive with a bit flipped in one data file names that file', async () => {
    const env = freshEnv();
    const dir = await backup(env, { kind: 'directory' });
    const m = await manifestOf(dir);
    const biggest = [...(m.files ?? [])].sort((a, b) => b.size - a.size)[0];
    expect(biggest).toBeDefined();
    await flipBit(path.join(dir, biggest?.name as string), Math.floor((biggest?.size as number) / 2));
    const out = await verifyArchive(env, { file: dir }, collector().emit, never());
    expect(out.ok).toBe(false);
    expect(out.error).toContain(`${biggest?.name} checksum differs`);
    expect(stage(out, 'full read')?.ok).toBe(false);
  });
});

describe('a dump cut short', () => {
  it('a file-size limit hit mid-dump leaves no archive, no partial, and the earlier backup byte for byte', async () => {
    const env = freshEnv();
    const good = await backup(env, { verify: true });
    const before = await snapshotDir(env.backupDir);
    expect([...before.keys()]).toEqual([path.basename(good), `${path.basename(good)}.manifest.json`]);

    // A pg_dump that may write at most 200 × 512 bytes: the kernel stops it with SIGXFSZ mid-archive.
    const shimDir = path.join(root, 'shim-fsize');
    await shim(shimDir, 'pg_dump', `ulimit -f 200\nexec ${realPgDump} "$@"`);
    const limited = freshEnv({ backupDir: env.backupDir, pathEnv: `${shimDir}${path.delimiter}${base.pathEnv}` });
    const c = collector();
    const out = await runBackup(limited, req(), c.emit, never());
    expect(out.ok).toBe(false);
    expect(out.refused).toBeFalsy();
    // The shim was the pg_dump that ran (it answers --version like the real one).
    expect(c.events.some((e) => e.type === 'info' && e.text.includes(path.join(shimDir, 'pg_dump')))).toBe(true);
    expect(out.error).toMatch(/SIGXFSZ|File too large/);
    expect(out.advice).toMatch(/ulimit -f/);
    expect(await snapshotDir(env.backupDir)).toEqual(before);
  });

  it('an abort stops the dump and removes the partial archive', async () => {
    const env = freshEnv();
    await mkdir(env.backupDir, { mode: 0o700 });
    const ac = new AbortController();
    // Abort the moment pg_dump is about to start.
    const out = await runBackup(env, req(), (e) => {
      if (e.type === 'command') ac.abort();
    }, ac.signal);
    expect(out).toMatchObject({ ok: false, aborted: true });
    expect(await readdir(env.backupDir)).toEqual([]);
  });
});

describe('secrets', () => {
  it('never puts the password in any process argv while pg_dump and pg_restore run', async () => {
    const env = freshEnv();
    const { seen, leaks } = await watchCommandLines([cluster.password, encodeURIComponent(cluster.password)], ['pg_dump', 'pg_restore', 'psql'], async () => {
      const out = await runBackup(env, req({ verify: true, trialRestore: true }), collector().emit, never());
      expect(out.ok, out.error).toBe(true);
      const csv = await runBackup(env, req({ kind: 'csv', tables: ['workflow', 'user', 'workspace', 'api_key'] }), collector().emit, never());
      expect(csv.ok, csv.error).toBe(true);
    });
    expect(leaks).toEqual([]);
    // pg_dump and pg_restore run long enough to be seen every time; the CSV export's psql may come and go between
    // two passes on a loaded machine, so it is checked when seen but not required.
    expect([...seen].filter((p) => p !== 'psql').sort(), 'the tools seen running').toEqual(['pg_dump', 'pg_restore']);
  });
});

describe('client tool versions', () => {
  it('refuses a backup when the only pg_dump is older than the server, naming it, the server and the fix', async () => {
    const shimDir = path.join(root, 'shim-old');
    await shim(shimDir, 'pg_dump', `if [ "$1" = "--version" ]; then echo 'pg_dump (PostgreSQL) 14.9'; exit 0; fi\nexit 1`);
    const emptyLib = await mkdtemp(path.join(root, 'lib-'));
    const env = freshEnv({ pathEnv: shimDir, pgLibRoot: emptyLib });
    const c = collector();
    const out = await runBackup(env, req(), c.emit, never());
    expect(out).toMatchObject({ ok: false, refused: true });
    expect(out.error).toContain(`${path.join(shimDir, 'pg_dump')} (14.9)`);
    expect(out.error).toMatch(/PostgreSQL 15\.\d+/);
    expect(out.error).toContain('postgresql-client-15');
    expect(out.advice).toMatch(/^Install postgresql-client-15/);
    expect(c.events.some((e) => e.type === 'command')).toBe(false);
    await expect(stat(env.backupDir)).rejects.toThrow(/ENOENT/);
  });

  it("takes the newest /usr/lib/postgresql pg_dump when PATH's is too old", async () => {
    const shimDir = path.join(root, 'shim-old2');
    await shim(shimDir, 'pg_dump', `echo 'pg_dump (PostgreSQL) 14.9'`);
    const lib = await mkdtemp(path.join(root, 'lib-'));
    await shim(path.join(lib, '16', 'bin'), 'pg_dump', `echo 'pg_dump (PostgreSQL) 16.4'`);
    await shim(path.join(lib, '15', 'bin'), 'pg_dump', `echo 'pg_dump (PostgreSQL) 15.8'`);
    const t = await pickClientTool('pg_dump', 15, shimDir, { libRoot: lib });
    expect(t).toMatchObject({ path: path.join(lib, '16', 'bin', 'pg_dump'), major: 16 });
    await expect(pickClientTool('pg_dump', 17, shimDir, { libRoot: lib })).rejects.toThrow(/found .*14\.9.*16\.4.*15\.8|found .*14\.9.*15\.8.*16\.4/);
  });
});

describe('scratch databases', () => {
  const scratchLeft = async (): Promise<string[]> =>
    (await q<{ datname: string }>(cluster.url, "SELECT datname FROM pg_database WHERE datname LIKE 'parlant\\_verify\\_%'")).map((r) => r.datname);

  it('a trial restore that hits an error fails the verification and still drops its scratch database', async () => {
    // An untrusted extension, created by the superuser: the archive reads back fine, but sim_admin cannot
    // CREATE EXTENSION file_fdw in the scratch database, so pg_restore --exit-on-error stops there.
    await q(cluster.superuserUrl, 'CREATE DATABASE extdb OWNER sim_admin');
    await q(inDatabase(cluster.superuserUrl, 'extdb'), 'CREATE EXTENSION file_fdw');
    await q(inDatabase(cluster.url, 'extdb'), 'CREATE TABLE t AS SELECT generate_series(1, 100) AS id');
    const env = freshEnv({ target: retarget(base.target, { database: 'extdb' }), childEnv: { ...base.childEnv, PGDATABASE: 'extdb' } });
    const c = collector();
    const out = await runBackup(env, req({ verify: true, trialRestore: true }), c.emit, never());
    expect(out.ok).toBe(false);
    expect(out.file).toBeDefined();
    expect(c.events.some((e) => e.type === 'stage' && e.name === 'full read' && e.ok)).toBe(true);
    expect(c.events.some((e) => e.type === 'stage' && e.name === 'trial restore' && !e.ok && /file_fdw|permission denied/.test(e.detail))).toBe(true);
    expect(out.error).toMatch(/trial restore: pg_restore --exit-on-error failed/);
    expect(await scratchLeft()).toEqual([]);
    // The archive stays, marked failed.
    expect((await manifestOf(out.file as string)).verification?.status).toBe('failed');
  });

  it('an abort during the trial restore drops the scratch database and leaves the verdict unchanged', async () => {
    const env = freshEnv();
    const file = await backup(env);
    const ac = new AbortController();
    const out = await verifyArchive(env, { file, trialRestore: true }, (e) => {
      if (e.type === 'command' && /--exit-on-error/.test(e.text)) ac.abort();
    }, ac.signal);
    expect(out.aborted).toBe(true);
    expect(await scratchLeft()).toEqual([]);
    expect((await manifestOf(file)).verification?.status).toBe('unverified');
  });
});
