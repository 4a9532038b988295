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

/** What to do about it. The backup runbook is not built yet (issue 6): say how to do it by hand meanwhile. */
export const BACKUP_FIX =
  'Take and verify a backup first. Until the backup runbook ships, use pg_dump -Fc and check the archive with pg_restore --list; ' +
  'the catalogue does not know such a backup, so record it on the gate with --var override_gates="<reason naming the archive>"';
