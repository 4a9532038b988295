import { readdir } from 'node:fs/promises';
import { readCatalog, type CatalogEntry } from '../backup/catalog.js';
import { formatSize, type BackupEvent } from '../core/backup.js';
import { durationMs } from '../core/model.js';
import { formatMs } from '../core/engine.js';
import { EXIT } from '../core/events.js';
import { formatTable } from '../plain/table.js';
import { backupEnv } from './backup-env.js';
import { backupDir } from './evidence.js';
import { resolveFor, UsageError, type Basics } from './session.js';
import { toolVersion } from './version.js';

const DAY = 86_400_000;

/**
 * `backups [list]`: the catalogue — every archive with its manifest, newest first: age, kind, size, verified or
 * not, which database. Backups older than max_backup_age (default 24 h) and unverified or failed ones stand out;
 * archives without a manifest and leftovers of interrupted dumps are listed after the table.
 */
export async function backupsListCommand(b: Basics): Promise<number> {
  const dir = backupDir(b.stateDir, b.config);
  const { entries, problems, unreadable } = await readCatalog(dir);
  if (unreadable) throw new UsageError(unreadable);
  const maxAge = durationMs(b.config.config.max_backup_age, DAY);
  const now = Date.now();
  const strays = await strayFiles(dir, entries);
  if (b.opts.json) {
    b.out(`${JSON.stringify({ dir, max_backup_age_ms: maxAge, backups: entries.map((e) => ({ ...e.manifest, manifest: e.path, stale: now - Date.parse(e.manifest.finished_at) > maxAge })), problems, strays }, null, 2)}\n`);
    return EXIT.done;
  }
  const p = b.paint;
  b.out(`${p.bold('Backups')} in ${dir}\n`);
  if (!entries.length) {
    b.out(`None yet. Take one with: parlant-runbook run backup\n`);
  } else {
    const rows = entries.map((e) => {
      const m = e.manifest;
      const age = now - Date.parse(m.finished_at);
      const stale = age > maxAge;
      const v = m.verification?.status ?? 'unverified';
      const glyph = v === 'failed' ? '✖' : v !== 'verified' || stale ? '!' : '✔';
      return [
        glyph,
        `${formatMs(age)}${stale ? ' STALE' : ''}`,
        m.kind,
        m.size !== undefined ? formatSize(m.size) : '?',
        v === 'verified' ? `verified${m.verification?.at ? ` ${formatMs(now - Date.parse(m.verification.at))} ago` : ''}` : v,
        `${m.database}@${m.host}:${m.port}`,
        m.file,
      ];
    });
    for (const l of formatTable(['', 'age', 'kind', 'size', 'verification', 'database', 'file'], rows, process.stdout.columns || 120)) b.out(`${l}\n`);
    const stale = entries.filter((e) => now - Date.parse(e.manifest.finished_at) > maxAge).length;
    const unverified = entries.filter((e) => e.manifest.verification?.status !== 'verified').length;
    b.out(`\n${entries.length} backup${entries.length === 1 ? '' : 's'}`);
    if (stale) b.out(`, ${p.warn(`${stale} older than ${formatMs(maxAge)} (max_backup_age)`)}`);
    if (unverified) b.out(`, ${p.warn(`${unverified} not verified`)} — parlant-runbook backups verify <file>`);
    b.out('.\n');
  }
  for (const x of problems) b.out(`${p.warn('warning:')} ${x}\n`);
  for (const s of strays) b.out(`${p.warn('warning:')} ${s}\n`);
  return EXIT.done;
}

/** Files in the backup directory that no manifest names: archives taken by hand, leftovers of interrupted dumps. */
async function strayFiles(dir: string, entries: readonly CatalogEntry[]): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const known = new Set(entries.flatMap((e) => [e.manifest.file, `${e.manifest.file}.manifest.json`]));
  return names
    .filter((n) => !known.has(n) && !n.endsWith('.manifest.json'))
    .map((n) =>
      /\.partial/.test(n)
        ? `${n}: left by an interrupted backup (not an archive); remove it when no backup is running`
        : `${n}: no manifest, so it is not in the catalogue and cannot be verified against one`,
    );
}

/** `backups verify <file>`: verify one archive; exit 0 when verified, 1 when it failed. */
export async function backupsVerifyCommand(file: string, o: { trialRestore?: boolean }, b: Basics): Promise<number> {
  if (!file.trim()) throw new UsageError('Name the archive to verify: parlant-runbook backups verify <file> (see parlant-runbook backups).');
  const target = await resolveFor(b);
  const { env, cleanup } = await backupEnv(b, target, `parlant-runbook/${toolVersion()} verify`);
  const p = b.paint;
  const print = (e: BackupEvent): void => {
    switch (e.type) {
      case 'stage':
        b.out(`${e.ok ? (e.warn ? p.warn('!') : p.ok('✔')) : p.bad('✖')} ${e.name}: ${e.detail}\n`);
        return;
      case 'info':
      case 'output':
        b.out(`${e.text}\n`);
        return;
      case 'command':
        b.out(p.dim(`$ ${e.text}\n`));
        return;
      case 'rows':
        for (const l of formatTable(e.columns, e.rows, process.stdout.columns || 120)) b.out(`${l}\n`);
        return;
      case 'progress':
        return; // line mode: the stages say enough; a progress line per half second would flood a log
    }
  };
  const ac = new AbortController();
  const onSig = (): void => ac.abort();
  process.once('SIGINT', onSig);
  try {
    const { verifyArchive } = await import('../backup/verify.js');
    const out = await verifyArchive(env, { file, trialRestore: Boolean(o.trialRestore) }, print, ac.signal);
    if (out.aborted) {
      b.err(`${out.summary}\n`);
      return EXIT.aborted;
    }
    if (!out.ok) {
      b.err(`${p.bad('Verification failed:')} ${out.error ?? out.summary}\n${out.advice ? `${out.advice}\n` : ''}`);
      return EXIT.stepFailed;
    }
    b.out(`${p.ok('Verified:')} ${out.summary}\n`);
    return EXIT.done;
  } finally {
    process.off('SIGINT', onSig);
    await cleanup();
  }
}
