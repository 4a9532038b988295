import type { Expectation } from './model.js';

/** Does a check's result meet its expectation? The reason reads as a fact on screen ("3 rows, expected none"). */
export function evaluateExpectation(exp: Expectation, rows: readonly Record<string, unknown>[]): { ok: boolean; reason: string } {
  const n = rows.length;
  const plural = (k: number): string => `${k} row${k === 1 ? '' : 's'}`;
  if (exp.rows === 'none' && n > 0) return { ok: false, reason: `${plural(n)} found, expected none` };
  if (exp.rows === 'some' && n === 0) return { ok: false, reason: 'no rows found, expected at least one' };
  if (exp.count !== undefined && n !== exp.count) return { ok: false, reason: `${plural(n)}, expected exactly ${exp.count}` };
  if (exp.min_rows !== undefined && n < exp.min_rows) return { ok: false, reason: `${plural(n)}, expected at least ${exp.min_rows}` };
  if (exp.max_rows !== undefined && n > exp.max_rows) return { ok: false, reason: `${plural(n)}, expected at most ${exp.max_rows}` };
  if (exp.column !== undefined) {
    const first = rows[0];
    if (!first) return { ok: false, reason: `no rows, so no value for ${exp.column}` };
    if (!(exp.column in first)) return { ok: false, reason: `the result has no column "${exp.column}" (columns: ${Object.keys(first).join(', ')})` };
    const v = first[exp.column];
    if (exp.equals !== undefined && !looselyEqual(v, exp.equals)) return { ok: false, reason: `${exp.column} is ${show(v)}, expected ${show(exp.equals)}` };
    if (exp.at_least !== undefined) {
      const x = Number(v);
      if (!Number.isFinite(x) || x < exp.at_least) return { ok: false, reason: `${exp.column} is ${show(v)}, expected at least ${exp.at_least}` };
    }
    if (exp.at_most !== undefined) {
      const x = Number(v);
      if (!Number.isFinite(x) || x > exp.at_most) return { ok: false, reason: `${exp.column} is ${show(v)}, expected at most ${exp.at_most}` };
    }
    return { ok: true, reason: `${exp.column} is ${show(v)}` };
  }
  return { ok: true, reason: n === 0 ? 'no rows' : plural(n) };
}

function looselyEqual(v: unknown, want: string | number | boolean | null): boolean {
  if (want === null) return v === null || v === undefined;
  if (typeof want === 'number') return Number(v) === want;
  if (typeof want === 'boolean') return v === want || String(v) === String(want) || (want ? v === 't' : v === 'f');
  return String(v) === want;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return `"${v}"`;
  return String(v);
}

/** Render a database value for a table cell. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
