import { cellText, evaluateExpectation } from '../core/expect.js';
import type { StepOf } from '../core/model.js';
import { CancelledError, type StepHandler } from '../core/ports.js';
import { loadSql, showSql } from './source.js';

const MAX_ROWS_SHOWN = 50;

/** A query and an expectation → pass / warn / fail, with the rows as evidence. Runs read-only. */
export const check: StepHandler<StepOf<'check'>> = async (ctx) => {
  const w = ctx.step.with;
  const { text, params } = await loadSql(ctx, w);
  showSql(ctx, text, 12);
  let result;
  try {
    result = await ctx.ports.db.query(text, params, { signal: ctx.signal, timeoutMs: ctx.timeoutMs, readOnly: true });
  } catch (e) {
    if (e instanceof CancelledError) return { status: 'aborted', summary: 'Query cancelled' };
    throw e;
  }
  ctx.rows(
    result.columns,
    result.rows.slice(0, MAX_ROWS_SHOWN).map((r) => result.columns.map((c) => cellText(r[c]))),
    result.rows.length,
  );
  const verdict = evaluateExpectation(w.expect, result.rows);
  const vars: Record<string, string | number | boolean | null> = {};
  if (w.save_as && result.rows[0]) {
    for (const c of result.columns) {
      const v = result.rows[0][c];
      vars[`${w.save_as}.${c}`] = v === null || v === undefined ? null : typeof v === 'number' || typeof v === 'boolean' ? v : cellText(v);
    }
  }
  // A reason that starts with a column name keeps it as written (version_num is 150018).
  const summary = w.expect.column !== undefined ? verdict.reason : capitalise(verdict.reason);
  if (verdict.ok) return { status: 'passed', summary: w.ok_summary !== undefined ? w.ok_summary.replace(/\{\{\s*rows\s*\}\}/g, String(result.rows.length)) : summary, vars };
  return {
    status: w.severity === 'warn' ? 'warned' : 'failed',
    summary,
    ...(w.severity === 'warn' ? {} : { error: verdict.reason }),
    ...(w.advice ? { advice: w.advice } : {}),
    vars,
  };
};

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
