import path from 'node:path';
import { loadMigrations } from '../../core/migrations.js';
import { assessRisk, riskLines } from '../../core/risk.js';
import type { Probe } from '../probe.js';
import { loadSql } from '../source.js';
import { migrationsDir } from './common.js';

/**
 * The risk assessment (the seeds' matrix, computed): live row counts and sizes, the change type of the pending
 * files, the planned downtime window (--var downtime_minutes, 0 = zero downtime) and the rollback path. Sets
 * risk.level and risk.migrate_seconds for later steps (the rollback triggers compare the run time with it).
 */
export const risk: Probe = async (ctx) => {
  const dir = migrationsDir(ctx);
  const files = await loadMigrations(dir);
  const status = ctx.ports.migrations ? (await ctx.ports.migrations.status(dir)).rows : [];
  const pending = files.filter((f) => status.find((s) => s.version === f.version)?.state !== 'applied');
  const { text } = await loadSql(ctx, { file: 'checks/risk-inputs.sql' });
  const live = (await ctx.ports.db.query(text, [], { signal: ctx.signal, readOnly: true })).rows[0] ?? {};
  const window = ctx.vars.downtime_minutes;
  const downtime = window === undefined || window === null || window === '' ? undefined : Number(window);
  if (downtime !== undefined && !(Number.isFinite(downtime) && downtime >= 0)) {
    return { status: 'failed', summary: 'Bad downtime window', error: `downtime_minutes is "${String(window)}"; give minutes, e.g. --var downtime_minutes=30 (0 = no downtime).`, refused: true };
  }
  const a = assessRisk({
    rows: Number(live.rows ?? 0),
    largestTableBytes: Number(live.largest_bytes ?? 0),
    databaseBytes: Number(live.database_bytes ?? 0),
    pending: pending.map((f) => ({ file: path.basename(f.up.path), sql: f.up.text, noTransaction: f.up.directives.includes('no-transaction') })),
    ...(downtime !== undefined ? { downtimeMinutes: downtime } : {}),
    rollback: { versionsWithoutDown: pending.filter((f) => !f.down).map((f) => f.version), downDeletesData: false },
  });
  ctx.rows(['factor', 'level', 'value', 'reason'], a.factors.map((f) => [f.factor, f.level.toUpperCase(), f.value, f.reason]), a.factors.length);
  for (const l of riskLines(a)) ctx.output(l);
  const vars = { 'risk.level': a.level, 'risk.migrate_seconds': Math.round(a.estimates.migrateSeconds), 'risk.change': a.change };
  const summary = `Risk ${a.level.toUpperCase()}: ${a.change} change, ${pending.length} pending file${pending.length === 1 ? '' : 's'}`;
  if (a.level === 'high') return { status: 'warned', summary, advice: a.mitigations.join(' '), vars };
  return { status: 'passed', summary, vars };
};
