import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { utcStamp, type EmitBackup, type VerifyOutcome, type VerifyRequest } from '../core/backup.js';
import { runTool, describeFailure } from '../tools/run.js';
import { resolveArchive, type ArchiveRef, type Manifest } from './catalog.js';
import { countRows, quoteIdent, serverVersion } from './counts.js';
import { connectTo, scrub, type BackupEnv } from './env.js';
import { hashArchive, listFiles, updateUpload, updateVerification, type ArchiveHash } from './manifest.js';
import { archiveBytes, bytesRead, pgRestoreInto, pgRestoreList } from './pgrestore.js';
import { pickFor, runPgTool } from './tools.js';

/**
 * Verifying an archive (DESIGN §7): does it hold what its manifest says, byte for byte, and can PostgreSQL read
 * every block of it back — optionally by restoring it into a scratch database with --exit-on-error and comparing
 * row counts. The verdict goes into the manifest; an archive without a manifest can be checked but never
 * "verified". Only a verified archive is uploaded (when an upload command is configured).
 */

type Format = 'custom' | 'directory' | 'csv';

interface Stage {
  name: string;
  ok: boolean;
  detail: string;
}

const PROGRESS_EVERY_MS = 500;

/** Collects stages, emits each as it is decided. */
class Stages {
  readonly list: Stage[] = [];
  /** Failures that make the archive unverified (warnings are not here). */
  readonly problems: string[] = [];
  /** What the verification did, for the manifest's `how`. */
  readonly how: string[] = [];
  constructor(private readonly emit: EmitBackup) {}
  add(name: string, ok: boolean, detail: string, warn = false): boolean {
    this.list.push({ name, ok, detail });
    this.emit({ type: 'stage', name, ok, detail, ...(warn ? { warn: true } : {}) });
    if (!ok && !warn) this.problems.push(`${name}: ${detail}`);
    return ok;
  }
}

function formatOf(m: Manifest | undefined, isDir: boolean, hasToc: boolean): Format {
  if (m?.format === 'csv' || m?.kind === 'csv') return 'csv';
  if (isDir) return hasToc ? 'directory' : 'csv';
  return 'custom';
}

/** The major version in "15.18" / "16beta2"; 0 when unknown. */
function majorOf(v: string | undefined): number {
  const n = Number(/^(\d+)/.exec(v ?? '')?.[1] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** A throttled progress emitter for a byte-reading stage. */
function byteProgress(emit: EmitBackup, bytesTotal: number, total: number): { update: (bytes: number, done: number) => void; end: () => void } {
  const started = Date.now();
  let last = 0;
  let ended = false;
  return {
    update(bytes, done) {
      const now = Date.now();
      if (ended || now - last < PROGRESS_EVERY_MS) return;
      last = now;
      emit({ type: 'progress', progress: { action: 'verifying', unit: 'files', done, total, bytes, ...(bytesTotal ? { bytesTotal } : {}), elapsedMs: now - started } });
    },
    end: () => {
      ended = true;
      emit({ type: 'progress', progress: null });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Stages

function manifestStage(s: Stages, ref: ArchiveRef): Manifest | undefined {
  const m = ref.manifest;
  if (ref.manifestProblem) {
    s.add('manifest', false, `${path.basename(ref.manifestPath)} is ${ref.manifestProblem}: the archive is checked, but it cannot be marked verified.`);
    return undefined;
  }
  if (!m) {
    s.add('manifest', false, `No manifest beside ${path.basename(ref.archive)}: the archive is checked, but without a manifest it can never be "verified".`);
    return undefined;
  }
  if (m.file !== path.basename(ref.archive)) {
    s.add('manifest', false, `The manifest describes ${m.file}, not ${path.basename(ref.archive)}.`);
    return undefined;
  }
  s.add('manifest', true, `${m.kind} backup of ${m.database} on ${m.host}:${m.port}, finished ${m.finished_at}`);
  return m;
}

async function looseModes(archive: string, manifestPath: string | undefined): Promise<string[]> {
  const loose: string[] = [];
  const check = async (p: string, want: number): Promise<void> => {
    const st = await stat(p).catch(() => undefined);
    if (st && (st.mode & 0o077) !== 0) loose.push(`${path.basename(p)} ${(st.mode & 0o777).toString(8).padStart(4, '0')} (want ${want.toString(8).padStart(4, '0')})`);
  };
  const st = await stat(archive);
  if (st.isDirectory()) {
    await check(archive, 0o700);
    for (const f of await listFiles(archive)) await check(path.join(archive, f), 0o600);
  } else {
    await check(archive, 0o600);
  }
  if (manifestPath) await check(manifestPath, 0o600);
  return loose;
}

async function permissionStage(s: Stages, ref: ArchiveRef, hasManifest: boolean): Promise<void> {
  const loose = await looseModes(ref.archive, hasManifest ? ref.manifestPath : undefined);
  if (loose.length === 0) s.add('permissions', true, 'archive and manifest readable by their owner only');
  else s.add('permissions', true, `readable by others: ${loose.slice(0, 5).join(', ')}${loose.length > 5 ? ' …' : ''}. chmod 600 the files, 700 the directories.`, true);
}

/** Differences between a directory archive's files and the manifest's list. */
function fileDifferences(expected: NonNullable<Manifest['files']>, actual: NonNullable<ArchiveHash['files']>): string[] {
  const have = new Map(actual.map((f) => [f.name, f]));
  const out: string[] = [];
  for (const f of expected) {
    const a = have.get(f.name);
    if (!a) out.push(`${f.name} missing`);
    else if (a.size !== f.size) out.push(`${f.name} is ${a.size} bytes, manifest says ${f.size}`);
    else if (a.sha256 !== f.sha256) out.push(`${f.name} checksum differs`);
    have.delete(f.name);
  }
  for (const extra of have.keys()) out.push(`${extra} is not in the manifest`);
  return out;
}

async function checksumStage(s: Stages, ref: ArchiveRef, m: Manifest | undefined, emit: EmitBackup, signal: AbortSignal): Promise<boolean> {
  if (!m?.sha256) {
    s.add('checksum', true, m ? 'The manifest records no sha256: nothing to compare (the full read still decodes every block).' : 'No manifest: no checksum to compare.', true);
    return false;
  }
  const total = m.size ?? (await archiveBytes(ref.archive));
  const files = m.files?.length ?? 1;
  const p = byteProgress(emit, total, files);
  let h: ArchiveHash;
  let filesDone = 0;
  try {
    h = await hashArchive(ref.archive, {
      signal,
      onBytes: (b) => {
        p.update(b, filesDone);
      },
    });
    filesDone = files;
  } finally {
    p.end();
  }
  const diffs: string[] = [];
  if (m.files && h.files) diffs.push(...fileDifferences(m.files, h.files));
  if (m.size !== undefined && h.size !== m.size) diffs.unshift(`size ${h.size} bytes, the manifest says ${m.size}`);
  if (h.sha256 !== m.sha256) diffs.push(`sha256 ${h.sha256.slice(0, 12)}… does not match the manifest's ${m.sha256.slice(0, 12)}…`);
  if (diffs.length) {
    s.add('checksum', false, `${diffs.slice(0, 4).join('; ')}${diffs.length > 4 ? ` (+${diffs.length - 4} more)` : ''}. The archive is not what was written.`);
    return true;
  }
  s.how.push('sha256');
  s.add('checksum', true, `sha256 ${h.sha256.slice(0, 12)}… and size ${h.size} bytes match the manifest`);
  return true;
}

async function listStage(s: Stages, env: BackupEnv, archive: string, m: Manifest | undefined, minMajor: number, signal: AbortSignal): Promise<void> {
  const list = await pgRestoreList(env, archive, signal, { minMajor });
  if (signal.aborted) return;
  if (!list.ok) {
    s.add('pg_restore --list', false, `The table of contents cannot be read: ${list.failure ?? 'pg_restore failed'}`);
    return;
  }
  if (m?.toc_entries !== undefined && list.entries !== m.toc_entries) {
    s.add('pg_restore --list', false, `${list.entries} entries, the manifest says ${m.toc_entries}.`);
    return;
  }
  s.how.push(`pg_restore --list (${list.entries} entries)`);
  s.add('pg_restore --list', true, `${list.entries} entries${m?.toc_entries !== undefined ? ', as in the manifest' : ''}, ${list.tableData.length} with table data`);
}

/** pg_restore --file=/dev/null: decodes every data block, which --list never touches. */
async function fullReadStage(s: Stages, env: BackupEnv, archive: string, minMajor: number, emit: EmitBackup, signal: AbortSignal): Promise<void> {
  let tool;
  try {
    tool = await pickFor(env, 'pg_restore', minMajor);
  } catch (e) {
    s.add('full read', false, (e as Error).message);
    return;
  }
  const total = await archiveBytes(archive);
  const p = byteProgress(emit, total, 1);
  const running = runPgTool(env, tool.path, ['--file=/dev/null', archive], { signal });
  const timer = setInterval(() => {
    void bytesRead(running.pid).then((b) => p.update(Math.min(b, total || b), 0));
  }, PROGRESS_EVERY_MS);
  let r;
  try {
    r = await running.result;
  } finally {
    clearInterval(timer);
    p.end();
  }
  if (r.aborted) return;
  if (!r.ok) {
    s.add('full read', false, `pg_restore could not decode the archive: ${describeFailure(r, 3)}`);
    return;
  }
  s.how.push('full read');
  s.add('full read', true, `every block decoded (${Math.round(r.durationMs / 100) / 10} s)`);
}

async function csvReadStage(s: Stages, archive: string, hashed: boolean, signal: AbortSignal): Promise<void> {
  if (hashed) {
    s.add('full read', true, 'every CSV file was read for its checksum');
    return;
  }
  const h = await hashArchive(archive, { signal });
  s.how.push('full read');
  s.add('full read', true, `${h.files?.length ?? 0} CSV files read (${h.size} bytes); no checksum to compare them with`);
}

/** CREATE DATABASE parlant_verify_…, restore with --exit-on-error, compare row counts, always DROP. */
async function trialRestoreStage(
  s: Stages,
  env: BackupEnv,
  archive: string,
  m: Manifest | undefined,
  req: VerifyRequest,
  minMajor: number,
  emit: EmitBackup,
  signal: AbortSignal,
): Promise<void> {
  let admin: pg.Client;
  try {
    admin = await connectTo(env, env.target.database, 'verify');
  } catch (e) {
    s.add('trial restore', false, `Can't connect to create the scratch database: ${scrub(env, (e as Error).message)}`);
    return;
  }
  const scratch = `parlant_verify_${utcStamp(new Date()).toLowerCase()}_${randomBytes(3).toString('hex')}`;
  let created = false;
  try {
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(scratch)} TEMPLATE template0`);
      created = true;
    } catch (e) {
      s.add('trial restore', false, `CREATE DATABASE ${scratch} failed: ${scrub(env, (e as Error).message)}. The role needs CREATEDB for a trial restore.`);
      return;
    }
    emit({ type: 'info', text: `Trial restore into the scratch database ${scratch} (dropped afterwards)` });
    const r = await pgRestoreInto(
      env,
      archive,
      scratch,
      { noOwner: true, ...(req.jobs && req.jobs > 1 ? { jobs: req.jobs } : {}), skipForeignKeys: m?.kind === 'tables', minMajor },
      emit,
      signal,
    );
    if (r.aborted || signal.aborted) return;
    if (!r.ok) {
      for (const line of r.errors.slice(0, 20)) emit({ type: 'output', text: line, stream: 'stderr' });
      s.add('trial restore', false, `pg_restore --exit-on-error failed: ${r.errors[0] ?? r.failure ?? 'unknown error'}`);
      return;
    }
    await compareCounts(s, env, scratch, m, r.ms, emit);
  } finally {
    if (created) await dropScratch(env, admin, scratch, emit);
    await admin.end().catch(() => undefined);
  }
}

/** Drop the scratch database, also after a failure or an abort; WITH (FORCE) (13+) ends a straggling session. */
async function dropScratch(env: BackupEnv, admin: pg.Client, scratch: string, emit: EmitBackup): Promise<void> {
  const v = await serverVersion(admin).catch(() => ({ major: 0, text: '' }));
  const force = v.major >= 13 ? ' WITH (FORCE)' : '';
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)}${force}`);
  } catch (e) {
    emit({ type: 'info', stream: 'stderr', text: `Could not drop the scratch database ${scratch}: ${scrub(env, (e as Error).message)}. Drop it by hand: DROP DATABASE ${quoteIdent(scratch)};` });
  }
}

async function compareCounts(s: Stages, env: BackupEnv, scratch: string, m: Manifest | undefined, ms: number, emit: EmitBackup): Promise<void> {
  const expected = m?.row_counts ?? {};
  const tables = Object.keys(expected);
  if (tables.length === 0) {
    s.how.push('trial restore');
    s.add('trial restore', true, `restored with --exit-on-error in ${(ms / 1000).toFixed(1)} s (no row counts in the manifest to compare)`);
    return;
  }
  let restored: Record<string, number>;
  const c = await connectTo(env, scratch, 'verify count');
  try {
    restored = await countRows(c, tables);
  } finally {
    await c.end().catch(() => undefined);
  }
  const rows = tables.map((t) => {
    const want = expected[t] as number;
    const got = restored[t];
    return [t, String(want), String(got ?? '—'), got === want ? '✔' : '✖'];
  });
  emit({ type: 'rows', columns: ['table', 'manifest', 'restored', ''], rows, total: rows.length });
  const bad = rows.filter((r) => r[3] === '✖');
  if (bad.length) {
    s.add('trial restore', false, `row counts differ for ${bad.map((r) => `${r[0]} (${r[1]} in the manifest, ${r[2]} restored)`).join(', ')}`);
    return;
  }
  s.how.push(`trial restore (${tables.length} tables' row counts match)`);
  s.add('trial restore', true, `restored with --exit-on-error in ${(ms / 1000).toFixed(1)} s; row counts of ${tables.length} tables match the manifest`);
}

// ---------------------------------------------------------------------------------------------------------------
// Upload

/** The configured command as shown and recorded. */
export function uploadCommandText(run: string | readonly string[]): string {
  return typeof run === 'string' ? run : run.join(' ');
}

async function uploadStage(s: Stages, env: BackupEnv, archive: string, manifestPath: string, emit: EmitBackup, signal: AbortSignal): Promise<void> {
  const up = env.upload;
  if (!up) return;
  const command = uploadCommandText(up.run);
  const [file, args] = typeof up.run === 'string' ? ['sh', ['-c', up.run, 'sh', archive]] : [up.run[0] ?? '', [...up.run.slice(1), archive]];
  emit({ type: 'command', text: `${scrub(env, command)}  ($1 = ${archive})` });
  let exitCode: number | null = null;
  let ok = false;
  let detail: string;
  try {
    const r = await runTool(file, args, {
      signal,
      ...(up.timeoutMs ? { timeoutMs: up.timeoutMs } : {}),
      onLine: (line, stream) => emit({ type: 'output', text: scrub(env, line), stream }),
    });
    const res = await r.result;
    exitCode = res.exitCode;
    ok = res.ok;
    detail = ok ? `exit 0 in ${(res.durationMs / 1000).toFixed(1)} s` : scrub(env, describeFailure(res, 3));
  } catch (e) {
    detail = scrub(env, (e as Error).message);
  }
  await updateUpload(manifestPath, { command: scrub(env, command), ok, at: new Date().toISOString(), exit_code: exitCode, detail }).catch((e: Error) =>
    emit({ type: 'info', stream: 'stderr', text: `Could not record the upload in the manifest: ${e.message}` }),
  );
  // A failed upload is reported, but the archive itself is still verified.
  s.add('upload', ok, ok ? `uploaded: ${detail}` : `upload failed (the archive is verified and kept locally): ${detail}`, !ok);
}

// ---------------------------------------------------------------------------------------------------------------

/** Verify an archive; write the verdict into its manifest; upload it when verified, asked for and configured. */
export async function verifyArchive(env: BackupEnv, req: VerifyRequest, emit: EmitBackup, signal: AbortSignal): Promise<VerifyOutcome> {
  let ref: ArchiveRef;
  try {
    ref = await resolveArchive(env.backupDir, req.file);
  } catch (e) {
    return { ok: false, summary: 'No such archive', error: (e as Error).message, stages: [] };
  }
  const s = new Stages(emit);
  try {
    return await verifyStages(env, req, ref, s, emit, signal);
  } catch (e) {
    if (signal.aborted) return { ok: false, aborted: true, file: ref.archive, summary: 'Verification stopped; the manifest was not changed.', stages: s.list };
    return {
      ok: false,
      file: ref.archive,
      summary: `${path.basename(ref.archive)} could not be verified`,
      error: scrub(env, (e as Error).message),
      advice: 'Check that the archive and its manifest are readable, then verify again.',
      stages: s.list,
    };
  }
}

async function verifyStages(env: BackupEnv, req: VerifyRequest, ref: ArchiveRef, s: Stages, emit: EmitBackup, signal: AbortSignal): Promise<VerifyOutcome> {
  const aborted = (): VerifyOutcome => ({ ok: false, aborted: true, file: ref.archive, summary: 'Verification stopped; the manifest was not changed.', stages: s.list });

  const m = manifestStage(s, ref);
  const st = await stat(ref.archive);
  const format = formatOf(m, st.isDirectory(), st.isDirectory() && (await stat(path.join(ref.archive, 'toc.dat')).then(() => true, () => false)));
  const minMajor = majorOf(m?.pg_dump_version);
  await permissionStage(s, ref, Boolean(m));

  const hashed = await checksumStage(s, ref, m, emit, signal).catch((e: Error) => {
    if (!signal.aborted) s.add('checksum', false, `The archive cannot be read: ${e.message}`);
    return false;
  });
  if (signal.aborted) return aborted();
  if (format === 'csv') {
    await csvReadStage(s, ref.archive, hashed, signal).catch((e: Error) => s.add('full read', false, e.message));
  } else {
    await listStage(s, env, ref.archive, m, minMajor, signal);
    if (signal.aborted) return aborted();
    await fullReadStage(s, env, ref.archive, minMajor, emit, signal);
  }
  if (signal.aborted) return aborted();

  if (req.trialRestore) {
    if (format === 'csv') s.add('trial restore', true, 'not applicable: a CSV export is not restored by pg_restore', true);
    else if (s.problems.length) s.add('trial restore', false, 'skipped: the archive already failed a check above');
    else await trialRestoreStage(s, env, ref.archive, m, req, minMajor, emit, signal);
    if (signal.aborted) return aborted();
  }

  const verified = Boolean(m) && s.problems.length === 0;
  if (m) {
    const at = new Date().toISOString();
    await updateVerification(ref.manifestPath, {
      status: verified ? 'verified' : 'failed',
      at,
      how: s.how.join(', '),
      ...(s.problems.length ? { problems: s.problems } : {}),
    });
  }
  if (verified && req.upload && env.upload) await uploadStage(s, env, ref.archive, ref.manifestPath, emit, signal);
  return outcome(ref, m, s, verified);
}

function outcome(ref: ArchiveRef, m: Manifest | undefined, s: Stages, verified: boolean): VerifyOutcome {
  const name = path.basename(ref.archive);
  if (verified) return { ok: true, file: ref.archive, summary: `${name} verified: ${s.how.join(', ')}`, stages: s.list };
  if (!m && s.problems.length === 1) {
    return {
      ok: false,
      file: ref.archive,
      summary: `${name} reads back, but it has no valid manifest, so it cannot be marked verified`,
      error: s.problems[0],
      advice: 'Take a new backup with parlant-runbook: it writes the manifest (sha256, versions, row counts) that verification checks against.',
      stages: s.list,
    };
  }
  const real = s.problems.filter((p) => !p.startsWith('manifest:'));
  return {
    ok: false,
    file: ref.archive,
    summary: `${name} failed verification`,
    error: (real.length ? real : s.problems).join('\n'),
    advice: m ? 'Do not rely on this archive: it is marked failed in its manifest. Take a new backup.' : 'Do not rely on this archive. Take a new backup.',
    stages: s.list,
  };
}
