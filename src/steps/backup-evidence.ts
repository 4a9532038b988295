import { formatMs } from '../core/engine.js';
import type { TargetInfo } from '../core/events.js';
import type { BackupEvidence } from '../core/ports.js';

/**
 * Whether the newest backup of the target will do: one rule for migrate's gate and the preflight's check, so
 * the two never disagree. `problem` is set when it will not (none, unverified, too old).
 */
export function judgeBackup(
  b: BackupEvidence | undefined,
  now: number,
  maxAgeMs: number,
  t: Pick<TargetInfo, 'database' | 'host' | 'port'>,
): { ok: true; summary: string } | { ok: false; problem: string } {
  if (!b) return { ok: false, problem: `no backup of ${t.database} on ${t.host}:${t.port} is in the backup catalogue` };
  if (!b.verified) return { ok: false, problem: `the newest backup (${b.file}) is not verified` };
  const age = now - b.finishedAt;
  if (age > maxAgeMs) return { ok: false, problem: `the newest verified backup (${b.file}) is ${formatMs(age)} old, more than ${formatMs(maxAgeMs)}` };
  return { ok: true, summary: `Verified backup ${formatMs(age)} old: ${b.file}` };
}

/** What to do about it. */
export const BACKUP_FIX =
  'Take and verify a backup first: parlant-runbook run backup (or verify an existing archive: parlant-runbook backups verify <file>)';
