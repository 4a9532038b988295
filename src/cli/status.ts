import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT } from '../core/events.js';
import { loadMigrations, type StatusRow } from '../core/migrations.js';
import { packageRoot } from '../core/paths.js';
import { formatTable } from '../plain/table.js';
import { openSession, type Basics } from './session.js';

interface OtherTool {
  tool: string;
  relation: string;
  state: string;
  detail: string | null;
  warning: string | null;
}

/**
 * `status`: flyway-info for the Parlant migrations — version, name, state, when, by whom, how long — read from
 * the engine's tracking schema against the files on disk; plus other tools' tracking tables found in the
 * database (read-only), with a warning when one of them holds its lock. Exit 1 when something needs the
 * operator (drift, failed, interrupted, a file gone), else 0.
 */
export async function statusCommand(b: Basics, o: { dir?: string }): Promise<number> {
  const dir = o.dir ? path.resolve(o.dir) : path.join(packageRoot(), 'sql', 'migrations');
  await loadMigrations(dir); // bad files are refused before any connection
  const session = await openSession(b, undefined);
  let rows: StatusRow[];
  let tracking: boolean;
  let others: OtherTool[];
  try {
    if (!session.ports.migrations) throw new Error('the session has no migration engine');
    ({ rows, tracking } = await session.ports.migrations.status(dir));
    const sql = await readFile(path.join(packageRoot(), 'sql', 'status', 'other-tools.sql'), 'utf8');
    others = (await session.db.query(sql, [], { readOnly: true })).rows as unknown as OtherTool[];
  } finally {
    await session.close();
  }
  const attention = rows.filter((r) => r.state !== 'applied' && r.state !== 'pending');
  if (b.opts.json) {
    b.out(`${JSON.stringify({ target: session.info.display, tracking, migrations: rows, other_tools: others }, null, 2)}\n`);
    return attention.length ? EXIT.stepFailed : EXIT.done;
  }
  const p = b.paint;
  const width = process.stdout.columns || 100;
  b.out(`${p.bold('Parlant migrations')} on ${session.info.display} (${session.info.env})\n`);
  if (!tracking) b.out(p.dim('No tracking schema yet (parlant_runbook): nothing was applied by this tool.\n'));
  const glyph: Record<StatusRow['state'], string> = { applied: '✔', pending: '·', failed: '✘', interrupted: '!', drift: '✘', 'missing-file': '?' };
  const table = formatTable(
    ['', 'version', 'name', 'state', 'applied at (UTC)', 'by', 'took', 'detail'],
    rows.map((r) => [
      glyph[r.state],
      r.version,
      r.name,
      r.state,
      r.appliedAt ?? '',
      r.appliedBy ?? '',
      r.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)} s` : '',
      r.detail ?? '',
    ]),
    width,
  );
  for (const l of table) b.out(`${l}\n`);
  const pending = rows.filter((r) => r.state === 'pending').length;
  const applied = rows.filter((r) => r.state === 'applied').length;
  b.out(`\n${applied} applied, ${pending} pending${attention.length ? `, ${p.bad(`${attention.length} need attention`)}` : ''}.\n`);
  if (others.length) {
    b.out(`\n${p.bold('Other migration tools in this database')} (read only)\n`);
    for (const l of formatTable(['tool', 'relation', 'state', 'detail'], others.map((x) => [x.tool, x.relation, x.state, x.detail ?? '']), width)) b.out(`${l}\n`);
    for (const x of others.filter((x) => x.warning)) b.out(`${p.warn('warning:')} ${x.tool} (${x.relation}): ${x.warning}\n`);
  }
  for (const r of attention) b.out(`${p.warn('→')} ${advice(r, dir)}\n`);
  return attention.length ? EXIT.stepFailed : EXIT.done;
}

function advice(r: StatusRow, dir: string): string {
  switch (r.state) {
    case 'drift':
      return `${r.version}_${r.name}: the file changed after it was applied (${r.detail}). Restore it as applied; put changes in a new migration.`;
    case 'failed':
      return `${r.version}_${r.name} failed: ${r.detail ?? ''}. Fix the cause, then run migrate again.`;
    case 'interrupted':
      return `${r.version}_${r.name} was interrupted; running migrate again continues it (its statements are safe to repeat).`;
    case 'missing-file':
      return `${r.version}_${r.name} is applied but its files are gone from ${dir}; restore them before any migrate or rollback.`;
    default:
      return '';
  }
}
