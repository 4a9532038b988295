import { Box } from 'ink';
import type { ReactNode } from 'react';
import { formatTable } from '../plain/table.js';
import { line, plural } from './text.js';
import type { ToneLine } from './Lines.js';
import { Tone } from './theme.js';

export interface TableRows {
  columns: string[];
  rows: string[][];
  /** Rows the query returned; `rows` may hold fewer. */
  total: number;
}


/**
 * The lines of a result table that fit `width` × `maxLines`: header, rule, rows, and "… n more rows" when some
 * are left out. Cells are cut with "…" (formatTable), never wrapped.
 */
export function tableLines(t: TableRows, width: number, maxLines: number): ToneLine[] {
  if (maxLines <= 0) return [];
  const more = (n: number): ToneLine => ({ text: line(`… ${plural(n, 'more row')} (${plural(t.total, 'row')} in all)`, width), tone: 'muted' });
  if (!t.columns.length) return [{ text: t.total ? plural(t.total, 'row') : 'no rows', tone: 'muted' }];
  const natural = formatTable(t.columns, t.rows, 10_000);
  const row = t.rows[0];
  if (t.rows.length === 1 && t.total === 1 && row && t.columns.length <= maxLines && [...(natural[0] ?? '')].length > width) {
    // One row too wide for the pane reads better as name: value, one column a line (psql's \x).
    const nameWidth = Math.min(Math.max(...t.columns.map((c) => [...c].length)), Math.floor(width / 3));
    const lines = t.columns.map((c, i) => ({ text: line(`${line(c, nameWidth).padEnd(nameWidth)}  ${row[i] ?? ''}`, width), tone: 'plain' as const }));
    return lines.length > maxLines ? [...lines.slice(0, maxLines - 1), { text: `… ${plural(lines.length - maxLines + 1, 'more column')}`, tone: 'muted' as const }] : lines;
  }
  const all = formatTable(t.columns, t.rows, width).map((l) => line(l, width));
  const head: ToneLine[] = all.slice(0, 2).map((text) => ({ text, tone: 'strong' }));
  const body: ToneLine[] = all.slice(2).map((text) => ({ text, tone: 'plain' }));
  if (!body.length) return [...head, { text: 'no rows', tone: 'muted' as const }].slice(0, maxLines);
  if (head.length + body.length <= maxLines && t.total <= body.length) return [...head, ...body];
  // Some rows are left out: keep one line to say how many.
  if (maxLines < head.length + 1) return [more(t.total)];
  const shown = Math.min(body.length, maxLines - head.length - 1);
  return [...head, ...body.slice(0, shown), more(t.total - shown)];
}

/** Rows from a check or SQL step, fitted to the pane. */
export function ResultTable({ table, width, maxLines }: { table: TableRows; width: number; maxLines: number }): ReactNode {
  const lines = tableLines(table, width, maxLines);
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((l, i) => (
        <Tone key={i} tone={l.tone}>
          {l.text}
        </Tone>
      ))}
    </Box>
  );
}
