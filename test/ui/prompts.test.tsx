import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, started, T0 } from './fixtures.js';
import { runScreenAt } from './harness.js';
import { KEY, widest } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

const TYPE_REQ = {
  id: 'd5',
  kind: 'type-to-confirm' as const,
  stepId: 'drop-old',
  prompt: 'Drop the staging tables?',
  expected: 'sim',
  target: 'db.internal:5432/sim as sim_admin',
  consequences: ['DROP TABLE parlant_staging (1,204 rows)', 'DROP TABLE parlant_staging_log'],
};

const atStep = async (columns: number, stepId: string) => {
  const s = runScreenAt(columns);
  s.emit(started(migrate()), { type: 'step-started', at: T0, stepId, attempt: 1 });
  await s.waitFor((x) => x.includes('▶'));
  return s;
};

describe('<TypeToConfirmPrompt />', () => {
  for (const columns of [80, 60]) {
    it(`shows what will be destroyed on which database at ${columns} columns`, async () => {
      const s = await atStep(columns, 'drop-old');
      void s.ask(TYPE_REQ);
      const f = await s.waitFor((x) => x.includes('DESTRUCTIVE'));
      expect(f).toContain('• DROP TABLE parlant_staging (1,204 rows)');
      expect(f).toContain('• DROP TABLE parlant_staging_log');
      // the whole target, never cut: on a narrow pane it takes the next row
      const lines = s.lines();
      const at = lines.findIndex((l) => l.includes('on ⚠ PRODUCTION'));
      expect(at).toBeGreaterThan(0);
      expect(`${lines[at]}${lines[at + 1]}`).toContain('db.internal:5432/sim as sim_admin');
      expect(f).toContain('Type the database name sim to go ahead:');
      expect(widest(f)).toBeLessThanOrEqual(columns - 1);
      expect(s.lines()).toHaveLength(23);
    });
  }

  it('refuses the wrong name with a message and keeps asking', async () => {
    const s = await atStep(80, 'drop-old');
    let answered = false;
    void s.ask(TYPE_REQ).then(() => (answered = true));
    await s.waitFor((x) => x.includes('Type the database name'));
    s.stdin.write('simm');
    await s.waitFor((x) => x.includes('› simm'));
    await s.type(KEY.enter);
    const f = await s.waitFor((x) => x.includes('✖ "simm" is not "sim".'));
    expect(f).toMatch(/Type it exactly, or esc\s+(│ +)?to refuse\./);
    expect(answered).toBe(false);
  });

  it('accepts the right name, typed after a correction', async () => {
    const s = await atStep(80, 'drop-old');
    const answer = s.ask(TYPE_REQ);
    await s.waitFor((x) => x.includes('Type the database name'));
    await s.type('s', 'x', KEY.backspace, 'i', 'm');
    await s.waitFor((x) => x.includes('› sim█'));
    await s.type(KEY.enter);
    await expect(answer).resolves.toEqual({ kind: 'typed', text: 'sim' });
  });

  it('takes letters as text, not as the screen\'s keys', async () => {
    const s = await atStep(80, 'drop-old');
    void s.ask({ ...TYPE_REQ, expected: 'qualdb' });
    await s.waitFor((x) => x.includes('Type the database name'));
    s.stdin.write('qald');
    await s.waitFor((x) => x.includes('› qald'));
    expect(s.controls.requestAbort).not.toHaveBeenCalled();
    expect(s.frame()).not.toContain('log ·');
  });

  it('refuses the step on esc, so nothing is done', async () => {
    const s = await atStep(80, 'drop-old');
    const answer = s.ask(TYPE_REQ);
    await s.waitFor((x) => x.includes('Type the database name'));
    await s.type(KEY.escape);
    await expect(answer).resolves.toEqual({ kind: 'typed', text: '' });
  });
});

describe('the other prompts', () => {
  it('confirm: y answers yes, and enter alone decides nothing', async () => {
    const s = await atStep(80, 'lock');
    const answer = s.ask({ id: 'c1', kind: 'confirm', stepId: 'lock', prompt: 'Take the lock now?' });
    await s.waitFor((x) => x.includes('? Take the lock now?'));
    await s.type(KEY.enter, 'y');
    await expect(answer).resolves.toEqual({ kind: 'confirm', yes: true });
  });

  it('choice: starts on the default, moves with ↓, picks with enter', async () => {
    const s = await atStep(60, 'lock');
    const answer = s.ask({ id: 'c2', kind: 'choose', stepId: 'lock', prompt: 'Which way?', var: 'path', default: 'short', options: [{ value: 'short', label: 'The short way' }, { value: 'long', label: 'The long way' }] });
    const f = await s.waitFor((x) => x.includes('? Which way?'));
    expect(f).toContain('› 1 The short way (default)');
    s.stdin.write(`${KEY.down}\r`);
    await expect(answer).resolves.toEqual({ kind: 'choice', value: 'long' });
  });

  it('checklist: space ticks the item under the cursor, then notes go to the journal', async () => {
    const s = await atStep(80, 'backup');
    const answer = s.ask({ id: 'c3', kind: 'checklist', stepId: 'backup', items: ['App team told', 'Window open', 'Inside tmux'], notes: true });
    await s.waitFor((x) => x.includes('Tick what is done'));
    // one burst, as an SSH link delivers fast keys
    s.stdin.write(` ${KEY.down}${KEY.down} \r`);
    await s.waitFor((x) => x.includes('Notes for the journal'));
    expect(s.frame()).toContain('2/3 ticked.');
    s.stdin.write('ok with ops');
    await s.waitFor((x) => x.includes('› ok with ops'));
    await s.type(KEY.enter);
    await expect(answer).resolves.toEqual({ kind: 'checklist', checked: [true, false, true], notes: 'ok with ops' });
  });

  it('on failure: r retries, and the goto offer names its step', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()), { type: 'step-started', at: T0, stepId: 'apply', attempt: 1 });
    s.emit({ type: 'step-finished', at: T0 + 9, stepId: 'apply', status: 'failed', summary: 'Failed', error: 'canceling statement due to lock timeout', durationMs: 9 });
    const answer = s.ask({ id: 'c4', kind: 'on-failure', stepId: 'apply', error: 'canceling statement due to lock timeout', options: ['goto', 'retry', 'skip', 'abort'], gotoStep: 'validate' });
    const f = await s.waitFor((x) => x.includes('The step failed'));
    expect(f).toContain('canceling statement due to lock timeout');
    expect(f).toContain('[g] go to validate');
    expect(f).toContain('[r] retry the step');
    await s.type('r');
    await expect(answer).resolves.toEqual({ kind: 'failure', action: 'retry' });
  });

  it('resume in flight: m marks the step done', async () => {
    const s = runScreenAt(80);
    s.emit(started(migrate()));
    const answer = s.ask({ id: 'c5', kind: 'resume-in-flight', stepId: 'apply', title: 'Apply 0001_parlant_tables' });
    await s.waitFor((x) => x.includes('It may have taken effect'));
    await s.type('m');
    await expect(answer).resolves.toEqual({ kind: 'resume', action: 'skip' });
  });
});
