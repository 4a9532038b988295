import { utcStamp } from '../core/backup.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
import { backupsOf, isPort, resultOf, setting, showBackup, tableSetting } from './backup-show.js';

/**
 * Partial recovery, the seeds' "merge with current data" done safely. load: the chosen tables of a backup go into
 * a side schema of the live database and are compared with the live tables (missing rows, differing rows).
 * merge: after the operator agreed to the numbers, the missing rows are inserted in one transaction; rows that
 * differ are never overwritten. The side schema stays for inspection until the operator drops it.
 */
export const partialRecovery: StepHandler<StepOf<'partial-recovery'>> = async (ctx) => {
  const port = backupsOf(ctx);
  if (!isPort(port)) return port;
  const w = ctx.step.with;
  const tables = tableSetting(ctx, w.tables);
  if (!tables.length) {
    return { status: 'failed', summary: 'No tables chosen', error: 'Partial recovery needs the tables to recover.', advice: 'Name them, e.g. --var tables=parlant_agent,parlant_session.' };
  }
  const show = showBackup(ctx);
  if (w.action === 'load') {
    const schema = setting(ctx, w.schema) ?? `recovered_${utcStamp(new Date(ctx.ports.clock.now())).toLowerCase()}`;
    const file = setting(ctx, w.file) ?? 'newest';
    if (ctx.dryRun) return { status: 'skipped', summary: `Dry run: would load ${tables.join(', ')} from ${file} into the schema ${schema}` };
    const out = await port.partialLoad({ file, tables, schema }, show, ctx.signal);
    const missing = out.diffs.reduce((n, d) => n + d.missing, 0);
    const differ = out.diffs.reduce((n, d) => n + d.differ, 0);
    // Only a load that compared sets the numbers: a failed one must not let the merge read "0 missing".
    if (!out.ok) return resultOf(out);
    return resultOf(
      { ...out, summary: `${missing} row${missing === 1 ? '' : 's'} missing, ${differ} differ (backup rows in ${schema})` },
      { vars: { partial_schema: schema, partial_missing: missing, partial_differ: differ } },
    );
  }

  const schema = setting(ctx, w.schema) ?? (typeof ctx.vars.partial_schema === 'string' ? ctx.vars.partial_schema : undefined);
  if (!schema) {
    return { status: 'failed', summary: 'No side schema', error: 'Nothing was loaded to merge from.', advice: 'Run the load step first, or name the schema: --var schema=<recovered_…>.' };
  }
  const missing = Number(ctx.vars.partial_missing ?? NaN);
  if (missing === 0) return { status: 'passed', summary: 'No rows are missing: nothing to merge' };
  if (ctx.dryRun) return { status: 'skipped', summary: `Dry run: would insert the missing rows from ${schema}` };
  const what = `Insert ${Number.isFinite(missing) ? `${missing} missing row${missing === 1 ? '' : 's'}` : 'the missing rows'} from ${schema} into ${tables.join(', ')} on ${ctx.target.database}?`;
  const consequences = ['rows whose key is missing from the live table are inserted, in one transaction', 'rows that differ are left as they are live', `${schema} stays until you drop it`];
  const production = ctx.target.env === 'production';
  const a = production
    ? await ctx.ask({ kind: 'type-to-confirm', prompt: what, expected: ctx.target.database, target: ctx.target.display, consequences })
    : await ctx.ask({ kind: 'confirm', prompt: what });
  const yes = production ? a.kind === 'typed' && a.text === ctx.target.database : a.kind === 'confirm' && a.yes;
  if (!yes) return { status: 'failed', summary: 'Not confirmed', error: 'The operator did not confirm the merge; nothing was inserted.', refused: true };
  const out = await port.partialMerge({ tables, schema }, show, ctx.signal);
  const merged = Object.values(out.merged ?? {}).reduce((n, x) => n + x, 0);
  return resultOf(out.ok ? { ...out, summary: `Inserted ${merged} row${merged === 1 ? '' : 's'}; ${schema} kept for inspection` } : out);
};
