import path from 'node:path';
import { cellText } from '../../core/expect.js';
import { loadMigrations } from '../../core/migrations.js';
import type { Probe } from '../probe.js';
import { loadSql } from '../source.js';
import { migrationsDir } from './common.js';

/**
 * Check 4: Parlant tables, the six enums, functions or triggers that already exist — and, for each, whether it
 * matches what 0001 would create (0001 verify finds nothing wrong with it) or conflicts. 0001 has no IF NOT
 * EXISTS on purpose: anything already there stops it, so find out before the window.
 */
export const conflicts: Probe = async (ctx) => {
  const dir = migrationsDir(ctx);
  const status = ctx.ports.migrations ? await ctx.ports.migrations.status(dir) : undefined;
  const first = status?.rows[0];
  if (first && first.state === 'applied') {
    return { status: 'passed', summary: `${first.version}_${first.name} is already applied by this tool (${first.appliedAt ?? ''}); nothing to conflict with` };
  }
  const { text } = await loadSql(ctx, { file: 'checks/parlant-existing.sql' });
  const existing = (await ctx.ports.db.query(text, [], { signal: ctx.signal, readOnly: true })).rows.map((r) => ({
    kind: cellText(r.kind),
    name: cellText(r.name),
    detail: cellText(r.detail),
  }));
  if (!existing.length) return { status: 'passed', summary: 'None of the Parlant tables or enums exist yet' };

  const verify = (await loadMigrations(dir))[0]?.verify;
  const problems = verify
    ? (await ctx.ports.db.query(verify.text, [], { signal: ctx.signal, readOnly: true })).rows.map((r) => ({ problem: cellText(r.problem), object: cellText(r.object), detail: cellText(r.detail) }))
    : [];
  const conflicting = existing.filter((o) => o.kind === 'table' || o.kind === 'enum' || o.kind === 'trigger');
  const rows = existing.map((o) => {
    if (o.kind === 'function') return [o.kind, o.name, 'not used', o.detail];
    const mine = problems.filter((p) => !p.problem.startsWith('missing') && (p.object === o.name || p.object.startsWith(`${o.name}.`)));
    const missingParts = problems.filter((p) => p.problem.startsWith('missing') && p.object.startsWith(`${o.name}.`));
    const bad = [...mine, ...missingParts];
    return [o.kind, o.name, bad.length ? 'CONFLICTS' : 'matches', bad.length ? bad.slice(0, 3).map((p) => `${p.problem} ${p.object}${p.detail ? `: ${p.detail}` : ''}`).join('; ') : o.detail];
  });
  ctx.rows(['kind', 'name', 'state', 'detail'], rows, rows.length);
  if (!conflicting.length) {
    return { status: 'passed', summary: 'Only objects the migration does not touch (see the rows)' };
  }
  const differ = rows.filter((r) => r[2] === 'CONFLICTS').length;
  const verb = verify ? path.basename(verify.path) : 'the verify file';
  return {
    status: 'failed',
    summary: `${conflicting.length} Parlant object${conflicting.length === 1 ? '' : 's'} already exist${conflicting.length === 1 ? 's' : ''} (${differ} conflicting, ${conflicting.length - differ} matching)`,
    error:
      `The migration creates these objects and stops if any exists, but this tool has no record of applying it. ` +
      (differ ? `${differ} differ from what it would create (${verb} names how).` : 'They match what it would create: a half-applied earlier run, or the schema was created by another tool.'),
    advice:
      'Find out who created them: `parlant-runbook status` lists other tools\' tracking tables. A leftover of a failed attempt that holds no data can be removed with 0001\'s down file (psql -1 -f sql/migrations/0001_parlant_schema.down.sql). Then run the preflight again.',
  };
};
