import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { stepInfo } from '../../src/core/engine.js';
import type { StepState } from '../../src/core/state.js';
import { StepList } from '../../src/ui/StepList.js';
import { ThemeProvider } from '../../src/ui/theme.js';
import { migrate } from './fixtures.js';
import { renderAt, widest } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

const steps = (): StepState[] =>
  migrate().steps.map((s, i) => ({
    ...stepInfo(s),
    status: (['passed', 'warned', 'skipped', 'running', 'pending', 'pending'] as const)[i] ?? 'pending',
    attempt: i < 4 ? 1 : 0,
    output: [],
    outputDropped: 0,
    outputTotal: 0,
    ...(i < 3 ? { summary: ['1 row found, as expected', 'backup is 26 h old', 'Skipped by the operator'][i] } : {}),
  }));

const list = (columns: number, props: { height?: number; showSummary?: boolean; focus?: number; showCursor?: boolean; items?: StepState[] } = {}) => {
  const width = columns - 1;
  return renderAt(
    <ThemeProvider theme={{ colour: false, ascii: false }}>
      <StepList steps={props.items ?? steps()} width={width} height={props.height ?? 6} focus={props.focus ?? 3} showCursor={props.showCursor ?? false} showSummary={props.showSummary ?? false} />
    </ThemeProvider>,
    { columns },
  );
};

describe('<StepList />', () => {
  it('marks each step with its status glyph at 80 columns', () => {
    const f = list(80).frame();
    expect(f).toContain(' ✔ 1 Preflight passed');
    expect(f).toContain(' ! 2 Verified backup');
    expect(f).toContain(' ▶ 4 Apply 0001_parlant_tables');
    expect(f).toContain(' · 6 Validate');
  });

  it('marks a skipped step with ↷ at 80 columns', () => {
    expect(list(80).frame()).toContain(' ↷ 3 Take the migration lock');
  });

  it('flags a destructive step with ⚠ beside its number', () => {
    expect(list(80).frame()).toContain('· 5 ⚠ Drop the old staging tables');
  });

  it('cuts long titles to the list\'s width instead of wrapping', () => {
    const r = renderAt(
      <ThemeProvider theme={{ colour: false, ascii: false }}>
        <StepList steps={steps()} width={20} height={6} focus={0} showCursor={false} showSummary={false} />
      </ThemeProvider>,
      { columns: 80 },
    );
    expect(r.lines()).toHaveLength(6);
    expect(widest(r.frame())).toBeLessThanOrEqual(20);
    expect(r.frame()).toContain(' ▶ 4 Apply 0001_par…');
  });

  it('says how each finished step ended when stacked at 60 columns', () => {
    const r = list(60, { showSummary: true });
    expect(r.frame()).toContain(' ✔ 1 Preflight passed — 1 row found, as expected');
    expect(r.frame()).toContain(' ↷ 3 Take the migration lock — Skipped by the operator');
    expect(widest(r.frame())).toBeLessThanOrEqual(59);
  });

  it('shows a window around the current step with counts of the steps above and below', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ ...steps()[5]!, id: `s${i}`, title: `Step ${i + 1}`, status: i < 12 ? ('passed' as const) : i === 12 ? ('running' as const) : ('pending' as const) }));
    const r = list(60, { items: many, height: 6, focus: 12 });
    const rows = r.lines();
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/↑ \d+ more/);
    expect(rows.at(-1)).toMatch(/↓ \d+ more/);
    expect(r.frame()).toContain('▶ 13 Step 13');
  });

  it('draws the cursor when the operator moved it', () => {
    expect(list(80, { focus: 1, showCursor: true }).frame()).toContain('›! 2 Verified backup');
  });
});
