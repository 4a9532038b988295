import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { incident, migrate, ran, started, T0 } from './fixtures.js';
import { runScreenAt } from './harness.js';
import { KEY, widest } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

const out = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ stream: 'stdout' as const, text: `pg_restore: processing item ${from + i} TABLE DATA public workflow` }));

describe('<RunScreen /> step pane', () => {
  for (const columns of [80, 60]) {
    it(`streams a running step's output tail with a line count at ${columns} columns`, async () => {
      const s = runScreenAt(columns);
      s.emit(started(migrate()), ran('preflight', 'passed', '1 row found'), { type: 'step-started', at: Date.now(), stepId: 'apply', attempt: 1 });
      for (let i = 0; i < 20; i++) s.emit({ type: 'step-output', at: Date.now(), stepId: 'apply', lines: out(i * 500, 500) });
      const f = await s.waitFor((x) => x.includes('item 9999 '), 'the last line');
      expect(f).toContain('▶ 4 Apply 0001_parlant_tables');
      expect(f).toMatch(/… 10,000 lines of output, the last \d+ below/);
      expect(s.lines()).toHaveLength(23);
      expect(widest(f)).toBeLessThanOrEqual(columns - 1);
      expect(s.lines().at(-1)).toMatch(/a\]? abort/);
    });

    it(`keeps the lock radar in place under a busy output at ${columns} columns, and drops it when the step ends`, async () => {
      const s = runScreenAt(columns);
      s.emit(started(migrate()), { type: 'step-started', at: Date.now(), stepId: 'apply', attempt: 1 });
      s.emit({ type: 'step-output', at: Date.now(), stepId: 'apply', lines: out(0, 300) });
      const radar = (n: number) => ({
        type: 'step-live' as const,
        at: Date.now(),
        stepId: 'apply',
        lines: [`waiting ${n}.0 s for a lock (attempt 2 of 9)`, 'blocked by pid 4121 sim-web', '  idle in transaction 38s: UPDATE workspace SET name = name WHERE id = 42', '3 sessions queued behind us'],
      });
      s.emit(radar(1));
      s.emit(radar(2));
      const f = await s.waitFor((x) => x.includes('waiting 2.0 s for a lock'), 'the second radar picture');
      expect(f).not.toContain('waiting 1.0 s');
      expect(f).toContain('blocked by pid 4121 sim-web');
      expect(f).toContain('3 sessions queued behind us');
      expect(f).toContain('item 299 ');
      expect(widest(f)).toBeLessThanOrEqual(columns - 1);
      expect(s.lines()).toHaveLength(23);
      s.emit({ type: 'step-finished', at: Date.now(), stepId: 'apply', status: 'passed', summary: 'Applied 0001 in 3.1 s', durationMs: 3100 });
      const g = await s.waitFor((x) => x.includes('Applied 0001 in 3.1 s'));
      expect(g).not.toContain('blocked by pid 4121');
    });

    it(`puts a raised rollback trigger under the banner, with the proposal, at ${columns} columns — and takes it away when cleared`, async () => {
      const s = runScreenAt(columns);
      s.emit(started(migrate()), { type: 'step-started', at: Date.now(), stepId: 'apply', attempt: 1 });
      s.emit({ type: 'step-output', at: Date.now(), stepId: 'apply', lines: out(0, 300) });
      s.emit({
        type: 'alert',
        at: Date.now(),
        stepId: 'apply',
        trigger: 'error-rate',
        state: 'raised',
        message: '12% of transactions rolled back in the last 01:00 (120 of 1000 on this database; the line is 5%)',
        proposal: 'consider rolling back: parlant-runbook run rollback',
      });
      const f = await s.waitFor((x) => x.includes('ROLLBACK TRIGGER'), 'the alert bar');
      const rows = s.lines();
      expect(rows).toHaveLength(23);
      // Banner (2 rows), then the alert on the two rows under it.
      expect(rows[2]).toMatch(/^⚠ ROLLBACK TRIGGER · 12% of transactions/);
      expect(rows[3]).toMatch(/^→ consider rolling back: parlant-runbook run rollback/);
      expect(widest(f)).toBeLessThanOrEqual(columns - 1);
      expect(s.lines().at(-1)).toMatch(/a\]? abort/);
      s.emit({ type: 'alert', at: Date.now(), stepId: 'apply', trigger: 'error-rate', state: 'cleared', message: 'error rate back to 1%' });
      const g = await s.waitFor((x) => !x.includes('ROLLBACK TRIGGER'), 'the bar gone');
      expect(g).toContain('item 299 ');
      expect(s.lines()).toHaveLength(23);
    });

    it(`keeps a raised trigger to one row on a short terminal, and says it even when the terminal is too small, at ${columns} columns`, async () => {
      const s = runScreenAt(columns, 14);
      s.emit(started(migrate()), { type: 'step-started', at: Date.now(), stepId: 'apply', attempt: 1 });
      s.emit({ type: 'alert', at: Date.now(), stepId: 'apply', trigger: 'connections', state: 'raised', message: '95 of max_connections 100 in use (95%; the line is 80%)', proposal: 'consider rolling back' });
      const f = await s.waitFor((x) => x.includes('ROLLBACK TRIGGER'), 'the one-row bar');
      const rows = s.lines();
      expect(rows).toHaveLength(13);
      expect(rows[2]).toMatch(/^⚠ ROLLBACK TRIGGER · 95 of max_connections 100/);
      expect(f).not.toContain('→ consider rolling back');
      expect(widest(f)).toBeLessThanOrEqual(columns - 1);
      const tiny = runScreenAt(36, 10);
      tiny.emit(started(migrate()), { type: 'step-started', at: Date.now(), stepId: 'apply', attempt: 1 });
      tiny.emit({ type: 'alert', at: Date.now(), stepId: 'apply', trigger: 'health', state: 'raised', message: 'app health check failed 2 times in a row: HTTP 503' });
      const g = await tiny.waitFor((x) => x.includes('ROLLBACK TRIGGER'), 'the trigger on the too-small screen');
      expect(g).toContain('Terminal too small (36×10)');
    });

    it(`shows a check's rows as a table that fits at ${columns} columns`, async () => {
      const s = runScreenAt(columns);
      s.emit(started(migrate()), { type: 'step-started', at: T0, stepId: 'preflight', attempt: 1 });
      s.emit({ type: 'step-rows', at: T0, stepId: 'preflight', columns: ['pid', 'application_name', 'state'], rows: Array.from({ length: 40 }, (_, i) => [String(4000 + i), 'sim-web', 'idle in transaction']), total: 40 });
      s.emit({ type: 'step-finished', at: T0 + 5, stepId: 'preflight', status: 'warned', summary: '40 sessions idle in transaction', durationMs: 5 });
      void s.ask({ id: 'd2', kind: 'proceed', stepId: 'backup', title: 'Verified backup' });
      const f = await s.waitFor((x) => x.includes('Next: 2 Verified backup'));
      expect(f).toContain('! 1 Preflight passed · warning');
      expect(f).toMatch(/pid\s+application_name\s+state/);
      expect(f).toMatch(/… \d+ more rows \(40 rows in all\)/);
      expect(f).toContain('[enter] run this step   [s] skip it');
      expect(widest(f)).toBeLessThanOrEqual(columns - 1);
      expect(s.lines()).toHaveLength(23);
    });
  }

  it('shows what the next step does and why before it runs', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()));
    for (const id of ['preflight', 'backup', 'lock']) s.emit(ran(id, 'passed', 'ok'));
    void s.ask({ id: 'd4', kind: 'proceed', stepId: 'apply', title: 'Apply' });
    const f = await s.waitFor((x) => x.includes('Next: 4'));
    expect(f).toContain('Creates the 18 parlant_* tables and 6 enums.');
    expect(f).toContain('touches parlant_agent, parlant_session');
    expect(f).toContain('│ CREATE TYPE agent_status AS ENUM');
    expect(f).toContain('│ runs in one transaction');
  });

  it('runs the step on enter and skips it on s', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()));
    const first = s.ask({ id: 'd1', kind: 'proceed', stepId: 'preflight', title: 'Preflight' });
    await s.waitFor((x) => x.includes('First: 1 Preflight passed'));
    await s.type(KEY.enter);
    await expect(first).resolves.toEqual({ kind: 'proceed', action: 'run' });
    const second = s.ask({ id: 'd2', kind: 'proceed', stepId: 'backup', title: 'Backup' });
    await s.waitFor((x) => x.includes('Next: 2 Verified backup'));
    await s.type('s');
    await expect(second).resolves.toEqual({ kind: 'proceed', action: 'skip' });
  });
});

describe('<RunScreen /> aborting', () => {
  const running = async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()), { type: 'step-started', at: Date.now(), stepId: 'lock', attempt: 1 });
    await s.waitFor((x) => x.includes('▶ 3 Take the migration lock'));
    return s;
  };

  it('asks once on Ctrl+C, then cancels the step on y', async () => {
    const s = await running();
    await s.type(KEY.ctrlC);
    await s.waitFor((x) => x.includes('Abort the running step?'));
    expect(s.controls.requestAbort).not.toHaveBeenCalled();
    await s.type('y');
    await s.waitFor((x) => x.includes('■ Aborting: cancelling the query on the server'));
    expect(s.controls.requestAbort).toHaveBeenCalledTimes(1);
    expect(s.controls.forceQuit).not.toHaveBeenCalled();
  });

  it('quits at once on a second Ctrl+C while the question is open', async () => {
    const s = await running();
    await s.type(KEY.ctrlC);
    await s.waitFor((x) => x.includes('Abort the running step?'));
    await s.type(KEY.ctrlC);
    expect(s.controls.forceQuit).toHaveBeenCalledTimes(1);
  });

  it('keeps the step running when the answer is n', async () => {
    const s = await running();
    await s.type('a');
    await s.waitFor((x) => x.includes('Abort the running step?'));
    await s.type('n');
    await s.waitFor((x) => x.includes('[a] abort'));
    expect(s.controls.requestAbort).not.toHaveBeenCalled();
  });

  it('asks before quitting with q while a step runs', async () => {
    const s = await running();
    await s.type('q');
    await s.waitFor((x) => x.includes('A step is running. Abort it and quit?'));
    await s.type('y');
    expect(s.controls.requestAbort).toHaveBeenCalledTimes(1);
    s.emit({ type: 'step-finished', at: Date.now(), stepId: 'lock', status: 'aborted', summary: 'Cancelled', durationMs: 1 });
    s.emit({ type: 'run-finished', at: Date.now(), status: 'aborted', exitCode: 130, summary: 'Aborted during lock.' });
    // q meant leave: the final screen does not wait for a key
    await expect(s.store.waitForLeave()).resolves.toBeUndefined();
  });

  it('stops at the gate with a, after asking, by answering the gate', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()));
    const gate = s.ask({ id: 'd1', kind: 'proceed', stepId: 'preflight', title: 'Preflight' });
    await s.waitFor((x) => x.includes('First: 1'));
    await s.type('a');
    await s.waitFor((x) => x.includes('Stop the run here?'));
    await s.type('y');
    await expect(gate).resolves.toEqual({ kind: 'proceed', action: 'abort' });
    expect(s.controls.requestAbort).not.toHaveBeenCalled();
  });
});

describe('<RunScreen /> final screen and overlays', () => {
  it('says how the run ended, how to resume, and waits for enter', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()), ran('preflight', 'passed', 'ok'), { type: 'step-started', at: T0 + 2000, stepId: 'backup', attempt: 1 });
    s.emit({ type: 'step-finished', at: T0 + 4000, stepId: 'backup', status: 'aborted', summary: 'Cancelled; the transaction was rolled back', durationMs: 2000 });
    s.emit({ type: 'run-finished', at: T0 + 4000, status: 'aborted', exitCode: 130, summary: 'Aborted during backup: Cancelled' });
    const f = await s.waitFor((x) => x.includes('■ ABORTED'));
    expect(f).toContain('■ ABORTED in 4.0 s · exit 130');
    expect(f).toContain('Start the same runbook again to resume it');
    expect(f).toContain('■ 2 Verified backup');
    expect(s.lines().at(-1)).toContain('[enter] close');
    let left = false;
    void s.store.waitForLeave().then(() => (left = true));
    await s.type(KEY.enter);
    await s.waitFor(() => left, 'leaving');
  });

  it('shows the full log with l and closes it with esc', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()), { type: 'step-started', at: T0, stepId: 'preflight', attempt: 1 });
    s.emit({ type: 'step-output', at: T0, stepId: 'preflight', lines: [{ stream: 'sql', text: 'SELECT 1 AS ok' }] });
    s.emit({ type: 'step-finished', at: T0 + 3, stepId: 'preflight', status: 'passed', summary: '1 row found', durationMs: 3 });
    void s.ask({ id: 'd2', kind: 'proceed', stepId: 'backup', title: 'Backup' });
    await s.waitFor((x) => x.includes('Next: 2'));
    await s.type('l');
    const f = await s.waitFor((x) => x.includes('log ·'));
    expect(f).toContain('── ✔ 1 Preflight passed (3 ms)');
    expect(f).toContain('│ SELECT 1 AS ok');
    await s.type(KEY.escape);
    await s.waitFor((x) => x.includes('Next: 2'));
  });

  it('shows help with ? that fits 60 columns', async () => {
    const s = runScreenAt(60);
    s.emit(started(migrate()));
    await s.waitFor((x) => x.includes('Apply the Parlant'));
    await s.type('?');
    const f = await s.waitFor((x) => x.includes('Keys'));
    expect(f).toContain('✔ passed');
    const help = s.lines().slice(2, -1).join('\n');
    expect(help).not.toContain('…');
    expect(widest(f)).toBeLessThanOrEqual(59);
  });

  it('shows the details of the step under the cursor with d', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()), ran('preflight', 'failed', 'No rows found, expected some'));
    s.emit({ type: 'run-finished', at: T0 + 2000, status: 'failed', exitCode: 1, summary: 'Stopped at preflight' });
    await s.waitFor((x) => x.includes('✖ FAILED'));
    await s.type('d');
    const f = await s.waitFor((x) => x.includes('kind check'));
    expect(f).toContain('✖ 1 Preflight passed · FAILED');
    expect(f).toContain('Why: A failed preflight means the window must not start.');
  });
});

describe('<RunScreen /> banner', () => {
  it('shows the target with PRODUCTION spelled out, and the runbook\'s risk', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate(), 'production'));
    await s.waitFor((x) => x.includes('PRODUCTION'));
    expect(s.lines()[0]).toBe('⚠ PRODUCTION db.internal:5432/sim as sim_admin · PostgreSQL 16.4');
    expect(s.lines()[1]).toMatch(/^Apply the Parlant schema extension · risk medium\s+⏱ \d\d:\d\d$/);
  });

  it('shows the incident clock for an incident runbook', async () => {
    const rb = incident();
    const s = runScreenAt(80, 24, rb);
    s.emit(started(rb, 'production', Date.now() - 6.5 * 60_000));
    const f = await s.waitFor((x) => x.includes('⏱'));
    // 6½ minutes in, still on the first step (assess-…): assess overran its 0–5 min box
    expect(f).toMatch(/⏱ 06:\d\d ! assess 0–5 min, over by 01:\d\d/);
  });
});
