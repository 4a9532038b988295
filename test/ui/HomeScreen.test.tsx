import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HomeRunbook } from '../../src/ui/home.js';
import { HomeScreen } from '../../src/ui/HomeScreen.js';
import { target } from './fixtures.js';
import { KEY, renderAt, widest } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

const RUNBOOKS: HomeRunbook[] = [
  { id: 'preflight', title: 'Pre-migration checklist', summary: 'Checks that the window can start: versions, space, locks, backups.', phase: 'before', risk: 'low' },
  { id: 'migrate', title: 'Apply the Parlant schema extension', summary: 'Creates the 18 parlant_* tables and 6 enums, then their indexes.', phase: 'during', risk: 'medium' },
  { id: 'validate', title: 'Post-migration validation', summary: 'Verifies tables, constraints and the app.', phase: 'after', risk: 'low' },
  { id: 'tour', title: 'Guided tour on the sandbox', summary: 'Every kind of step once, safely.', phase: 'training', risk: 'low' },
  { id: 'lock-triage', title: 'Who holds the lock?', summary: 'Finds the session blocking the migration.', phase: 'incident', risk: 'high' },
  { id: 'emergency', title: 'Emergency rollback', summary: 'Restores the last verified backup when the app is down.', phase: 'incident', risk: 'critical' },
];

const home = (columns: number, over: { unfinished?: boolean; env?: 'production' | 'dev' } = {}) => {
  const onPick = vi.fn();
  const r = renderAt(
    <HomeScreen
      target={target(over.env ?? 'production')}
      runbooks={RUNBOOKS}
      {...(over.unfinished ? { unfinished: { runId: '20261121-1200Z-migrate-ab12', runbookId: 'migrate', title: 'Apply the Parlant schema extension', status: 'interrupted', done: 3, total: 8 } } : {})}
      theme={{ colour: false, ascii: false }}
      onPick={onPick}
    />,
    { columns, rows: 24 },
  );
  return { ...r, onPick };
};

describe('<HomeScreen />', () => {
  it('names the target with PRODUCTION spelled out at 80 columns', () => {
    const r = home(80);
    expect(r.lines()[0]).toMatch(/^parlant-runbook · ⚠ PRODUCTION db\.internal:5432\/sim as sim_admin · PostgreSQL/);
    expect(widest(r.frame())).toBeLessThanOrEqual(79);
  });

  it('groups runbooks by phase with the incident runbooks first', () => {
    const f = home(80).frame();
    const order = ['When things go wrong', 'Before the migration', 'During the migration', 'After the migration', 'Training'].map((h) => f.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(f).toMatch(/Emergency rollback\s+critical\s+\[e\] Restores the last/);
    expect(f).toMatch(/Who holds the lock\?\s+high\s+Finds the session/);
  });

  it('opens the emergency runbook with one key', async () => {
    const r = home(80);
    await r.type('e');
    expect(r.onPick).toHaveBeenCalledWith('emergency');
  });

  it('opens the first incident runbook with enter when there is nothing to resume', async () => {
    const r = home(80);
    await r.type(KEY.enter);
    expect(r.onPick).toHaveBeenCalledWith('lock-triage');
  });

  it('picks the runbook under the cursor even when ↓ and enter arrive together', async () => {
    const r = home(80);
    r.stdin.write(`${KEY.down}${KEY.down}\r`);
    await r.waitFor(() => r.onPick.mock.calls.length > 0, 'a pick');
    expect(r.onPick).toHaveBeenCalledWith('preflight');
  });

  it('offers to resume an unfinished run first, with r as its key', async () => {
    const r = home(80, { unfinished: true });
    expect(r.frame()).toContain('› ↻ Resume: Apply the Parlant schema extension');
    expect(r.frame()).toContain('interrupted, 3/8 steps done');
    await r.type('r');
    expect(r.onPick).toHaveBeenCalledWith('resume:migrate');
  });

  it('returns null when the operator quits', async () => {
    const r = home(80);
    await r.type('q');
    expect(r.onPick).toHaveBeenCalledWith(null);
  });

  it('fits 60 columns: PRODUCTION stays, long lines are cut, one footer line', () => {
    const r = home(60);
    expect(widest(r.frame())).toBeLessThanOrEqual(59);
    expect(r.lines()[0]).toContain('⚠ PRODUCTION');
    expect(r.lines()).toHaveLength(23);
    expect(r.lines().at(-1)).toMatch(/enter\]? open/);
  });
});
