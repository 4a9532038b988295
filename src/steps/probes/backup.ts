import { durationMs } from '../../core/model.js';
import type { Probe } from '../probe.js';
import { ago } from './common.js';

/** Check 10: a verified backup of this database in the catalogue, and its age. Missing: a warning here, a gate in migrate. */
export const backup: Probe = async (ctx) => {
  const b = ctx.ports.evidence ? await ctx.ports.evidence.latestBackup(ctx.target) : undefined;
  const maxAge = ctx.config.maxBackupAgeMs ?? durationMs('24h', 86_400_000);
  const advice = 'Take and verify a backup before the window: parlant-runbook run backup. In production, migrate refuses to start without one.';
  if (!b) return { status: 'warned', summary: `No backup of ${ctx.target.database} in the backup catalogue yet`, advice };
  const age = ctx.ports.clock.now() - b.finishedAt;
  ctx.rows(['backup', 'kind', 'age', 'verified'], [[b.file, b.kind, ago(age), b.verified ? 'yes' : 'no']], 1);
  if (!b.verified) return { status: 'warned', summary: `The newest backup (${b.file}) is not verified`, advice };
  if (age > maxAge) return { status: 'warned', summary: `The newest verified backup is ${ago(age)} old (older than ${ago(maxAge)})`, advice };
  return { status: 'passed', summary: `Verified backup ${ago(age)} old: ${b.file}` };
};
