import { formatMs } from '../../core/engine.js';
import type { Probe } from '../probe.js';
import { BACKUP_FIX, judgeBackup } from '../backup-evidence.js';

/** Check 10: a verified backup of this database in the catalogue, and its age. Missing: a warning here, a gate in migrate. */
export const backup: Probe = async (ctx) => {
  const b = ctx.ports.evidence ? await ctx.ports.evidence.latestBackup(ctx.target) : undefined;
  const now = ctx.ports.clock.now();
  if (b) ctx.rows(['backup', 'kind', 'age', 'verified'], [[b.file, b.kind, formatMs(now - b.finishedAt), b.verified ? 'yes' : 'no']], 1);
  const verdict = judgeBackup(b, now, ctx.config.maxBackupAgeMs ?? 86_400_000, ctx.target);
  if (verdict.ok) return { status: 'passed', summary: verdict.summary };
  return { status: 'warned', summary: `${verdict.problem.charAt(0).toUpperCase()}${verdict.problem.slice(1)}`, advice: `${BACKUP_FIX}. In production, migrate refuses to start without one.` };
};
