import type { CatalogItem, TerminateResult } from '../core/backup.js';
import { readCatalog } from './catalog.js';
import type { BackupEnv } from './env.js';
import { maintenanceConnection, pgMessage } from './restore.js';

/**
 * Terminate sessions from a maintenance connection (never from the database being cleared). One statement per
 * pid, so that one refusal (another role's session without the privilege) does not hide what happened to the rest.
 */
export async function terminateSessions(env: BackupEnv, pids: readonly number[]): Promise<TerminateResult[]> {
  if (!pids.length) return [];
  const client = await maintenanceConnection(env, 'terminate');
  try {
    const out: TerminateResult[] = [];
    for (const pid of pids) {
      try {
        const r = await client.query<{ ok: boolean | null }>('SELECT pg_terminate_backend($1::int) AS ok', [pid]);
        // false: no such backend any more — it is gone, which is what was asked for.
        out.push({ pid, ok: true, message: r.rows[0]?.ok ? 'terminated' : 'already gone' });
      } catch (e) {
        out.push({ pid, ok: false, message: pgMessage(env, e) });
      }
    }
    return out;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The restorable backups (full, directory) of the target database in the catalogue, newest first. */
export async function catalogueOf(env: BackupEnv): Promise<CatalogItem[]> {
  const { entries } = await readCatalog(env.backupDir);
  const t = env.target;
  return entries
    .filter((e) => e.manifest.database === t.database && e.manifest.host === t.host && e.manifest.port === t.port && ['full', 'directory'].includes(e.manifest.kind))
    .map((e) => ({
      file: e.manifest.file,
      kind: e.manifest.kind,
      finishedAt: Date.parse(e.manifest.finished_at),
      ...(e.manifest.size !== undefined ? { size: e.manifest.size } : {}),
      verification: e.manifest.verification?.status ?? 'unverified',
    }));
}
