import { cellText } from '../core/expect.js';
import type { StepOf } from '../core/model.js';
import { CancelledError, type StepHandler } from '../core/ports.js';
import { loadSql, showSql } from './source.js';

/**
 * Run SQL that changes the database. By default the whole text runs in one transaction (DESIGN §9.1: not
 * three psql sessions); `transaction: false` for statements that refuse a transaction block.
 */
export const sql: StepHandler<StepOf<'sql'>> = async (ctx) => {
  const w = ctx.step.with;
  const { text, params, label } = await loadSql(ctx, w);
  showSql(ctx, text);
  if (ctx.dryRun) return { status: 'skipped', summary: `Dry run: would run ${label}${w.transaction === false ? ' (outside a transaction)' : ' in one transaction'}` };
  const transaction = w.transaction !== false;
  try {
    const r = params.length
      ? await ctx.ports.db.query(text, params, { signal: ctx.signal, timeoutMs: ctx.timeoutMs })
      : await ctx.ports.db.script(text, { transaction, signal: ctx.signal, timeoutMs: ctx.timeoutMs });
    const vars: Record<string, string | number | boolean | null> = {};
    if (r.rows.length) {
      ctx.rows(r.columns, r.rows.slice(0, 50).map((row) => r.columns.map((c) => cellText(row[c]))), r.rows.length);
      if (w.save_as) for (const c of r.columns) vars[`${w.save_as}.${c}`] = cellText(r.rows[0]?.[c]);
    }
    const what = r.rowCount !== null && /^(INSERT|UPDATE|DELETE|MERGE|COPY)/.test(r.command) ? `${r.command} ${r.rowCount}` : r.command || 'done';
    return { status: 'passed', summary: `${transaction ? 'Committed' : 'Ran'}: ${what}`, vars };
  } catch (e) {
    if (e instanceof CancelledError) return { status: 'aborted', summary: transaction ? 'Cancelled; the transaction was rolled back' : 'Cancelled' };
    throw e;
  }
};
