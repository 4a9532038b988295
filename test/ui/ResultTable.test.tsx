import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultTable, tableLines } from '../../src/ui/ResultTable.js';
import { ThemeProvider } from '../../src/ui/theme.js';
import { renderAt, widest } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

const locks = {
  columns: ['pid', 'application_name', 'state', 'query'],
  rows: Array.from({ length: 50 }, (_, i) => [String(4100 + i), 'sim-web', 'idle in transaction', `UPDATE workflow SET updated_at = now() WHERE id = '${i}' -- a long query that goes on`]),
  total: 312,
};

const table = (columns: number, maxLines: number) =>
  renderAt(
    <ThemeProvider theme={{ colour: false, ascii: false }}>
      <ResultTable table={locks} width={columns - 1} maxLines={maxLines} />
    </ThemeProvider>,
    { columns },
  );

describe('<ResultTable />', () => {
  it('fits 80 columns, cutting cells with … and never wrapping', () => {
    const r = table(80, 10);
    expect(r.lines()).toHaveLength(10);
    expect(widest(r.frame())).toBeLessThanOrEqual(79);
    expect(r.lines()[0]).toMatch(/^pid\s+application_name\s+state\s+query/);
    expect(r.lines()[2]).toContain('…');
  });

  it('says how many rows were left out, counting every row the query returned', () => {
    expect(table(80, 10).lines().at(-1)).toBe('… 305 more rows (312 rows in all)');
  });

  it('still fits at 60 columns', () => {
    const r = table(60, 6);
    expect(r.lines()).toHaveLength(6);
    expect(widest(r.frame())).toBeLessThanOrEqual(59);
    expect(r.lines().at(-1)).toBe('… 309 more rows (312 rows in all)');
  });

  it('shows a single wide row as one column a line', () => {
    const one = { columns: ['server_version', 'version_num', 'connected_as', 'database', 'size'], rows: [['15.18 (Debian 15.18-0+deb12u1)', '150018', 'sim_admin', 'sim', '18 MB']], total: 1 };
    const lines = tableLines(one, 48, 10).map((l) => l.text);
    expect(lines[0]).toBe('server_version  15.18 (Debian 15.18-0+deb12u1)');
    expect(lines[4]).toBe('size            18 MB');
    expect(lines).toHaveLength(5);
  });

  it('says "no rows" under the header of an empty result', () => {
    expect(tableLines({ columns: ['missing_table'], rows: [], total: 0 }, 40, 5).map((l) => l.text)).toEqual(['missing_table', '─────────────', 'no rows']);
  });
});
