/**
 * A text table that fits a width: columns share the space, long cells are cut with "…", and a cell never
 * wraps into the next line (a newline inside a value is shown as ⏎).
 */
export function formatTable(columns: readonly string[], rows: readonly (readonly string[])[], width: number): string[] {
  if (!columns.length) return [];
  const clean = (s: string): string => s.replace(/\r?\n/g, '⏎').replace(/\t/g, ' ');
  const cells = [columns.map(clean), ...rows.map((r) => columns.map((_, i) => clean(r[i] ?? '')))];
  const natural = columns.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  const widths = fitWidths(natural, Math.max(columns.length * 2, width - (columns.length - 1) * 2));
  const fmt = (r: readonly string[]): string => r.map((c, i) => pad(truncate(c, widths[i] ?? 1), widths[i] ?? 1)).join('  ').trimEnd();
  const [head, ...body] = cells;
  return [fmt(head ?? []), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(fmt)];
}

/** Give every column its natural width if it fits; otherwise shrink the widest columns first. */
export function fitWidths(natural: readonly number[], total: number): number[] {
  const w = [...natural];
  let sum = w.reduce((a, b) => a + b, 0);
  while (sum > total) {
    let maxI = 0;
    for (let i = 1; i < w.length; i++) if ((w[i] ?? 0) > (w[maxI] ?? 0)) maxI = i;
    if ((w[maxI] ?? 0) <= 3) break;
    w[maxI] = (w[maxI] ?? 0) - 1;
    sum--;
  }
  return w;
}

export function truncate(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  if (width <= 1) return '…';
  return `${chars.slice(0, width - 1).join('')}…`;
}

function pad(s: string, width: number): string {
  const n = [...s].length;
  return n >= width ? s : s + ' '.repeat(width - n);
}
