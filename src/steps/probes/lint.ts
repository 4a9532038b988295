import path from 'node:path';
import { loadMigrations, migrationStatus } from '../../core/migrations.js';
import type { Probe } from '../probe.js';
import { migrationsDir, needHost } from './common.js';

/**
 * Check 13: the pending migration files through a lock-hazard linter (squawk). Findings that cannot matter —
 * about tables the same pending files create, or settings the engine makes itself — are filtered and each says why.
 */
export const lint: Probe = async (ctx) => {
  const dir = migrationsDir(ctx);
  const files = await loadMigrations(dir);
  const applied = ctx.ports.migrations ? (await ctx.ports.migrations.status(dir)).rows : migrationStatus(files, []);
  const pending = files.filter((f) => applied.find((s) => s.version === f.version)?.state !== 'applied');
  if (!pending.length) return { status: 'passed', summary: 'Nothing pending to lint' };
  let r;
  try {
    r = await needHost(ctx).lint(
      pending.map((f) => ({ path: f.up.path, noTransaction: f.up.directives.includes('no-transaction') })),
      ctx.signal,
    );
  } catch (e) {
    return { status: 'warned', summary: 'The linter is not available', error: (e as Error).message, advice: 'Run npm ci in the parlant-runbook directory to install squawk-cli.' };
  }
  const kept = r.findings.filter((f) => f.verdict === 'kept');
  const filtered = r.findings.filter((f) => f.verdict === 'filtered');
  // Hazards one by one; filtered findings once per file and rule, with the count and the reason.
  const groups = new Map<string, { file: string; rule: string; n: number; why: string }>();
  for (const f of filtered) {
    const key = `${f.file}\0${f.rule}`;
    const g = groups.get(key) ?? { file: path.basename(f.file), rule: f.rule, n: 0, why: f.why ?? '' };
    g.n++;
    groups.set(key, g);
  }
  const rows = [
    ...kept.map((f) => ['HAZARD', `${path.basename(f.file)}:${f.line}`, f.rule, `${f.message}${f.help ? ` — ${f.help}` : ''}`]),
    ...[...groups.values()].map((g) => [`filtered ×${g.n}`, g.file, g.rule, g.why]),
  ];
  if (rows.length) ctx.rows(['verdict', 'where', 'rule', 'what'], rows.slice(0, 50), rows.length);
  const what = `${r.tool} ${r.version} on ${pending.length} pending file${pending.length === 1 ? '' : 's'}`;
  const filteredNote = filtered.length ? ` (${filtered.length} finding${filtered.length === 1 ? '' : 's'} filtered as irrelevant, each with the reason)` : '';
  if (kept.length) {
    return {
      status: 'warned',
      summary: `${what}: ${kept.length} lock hazard${kept.length === 1 ? '' : 's'}${filteredNote}`,
      advice: 'Each HAZARD row names a statement that can block the application. The engine runs DDL under lock_timeout with retries; consider hot-migrate and a quiet hour.',
    };
  }
  return { status: 'passed', summary: `${what}: no lock hazards${filteredNote}` };
};
