import { describe, expect, it, vi } from 'vitest';
import type { DecisionFlags } from '../../src/cli/decide.js';
import { skeletonState, themeFor, tuiFrontend } from '../../src/cli/tui-mode.js';
import { toneStyle } from '../../src/ui/theme.js';
import { migrate, ran, started } from './fixtures.js';
import { fakeIo } from './fakeTerminal.js';

const flags: DecisionFlags = { yes: false, vars: {}, dryRun: false };

async function frontend(over: Partial<DecisionFlags> = {}, extra: Record<string, unknown> = {}) {
  const t = fakeIo();
  const requestAbort = vi.fn();
  const forceQuit = vi.fn();
  const f = await tuiFrontend({ runbook: migrate(), flags: { ...flags, ...over }, requestAbort, forceQuit, io: t.io, colour: false, ...extra });
  if (!f) throw new Error('expected a TUI on a fake TTY');
  const until = async (ok: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 3000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal got:\n${t.stdout.text().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 0));
  };
  return { f, t, requestAbort, forceQuit, until };
}

describe('tuiFrontend()', () => {
  it('asks at every step gate: enter runs, s skips', async () => {
    const { f, t, until } = await frontend();
    expect(f.stepGate).toBe(true);
    expect(f.askOnFailure).toBe(true);
    f.emit(started(migrate()));
    const gate = f.decide({ id: 'd1', kind: 'proceed', stepId: 'preflight', title: 'Preflight passed' }, new AbortController().signal);
    await until(() => t.stdout.text().includes('First: 1 Preflight passed'), 'the gate');
    t.stdin.press('\r');
    await expect(gate).resolves.toEqual({ answer: { kind: 'proceed', action: 'run' }, by: 'operator' });
    f.close();
  });

  it('lets flags answer first, as in line mode: --yes confirms, --confirm types the name', async () => {
    const { f } = await frontend({ yes: true, confirm: 'sim' });
    const signal = new AbortController().signal;
    await expect(f.decide({ id: 'd1', kind: 'confirm', stepId: 'x', prompt: 'Go?' }, signal)).resolves.toMatchObject({ answer: { kind: 'confirm', yes: true }, by: 'flag' });
    await expect(
      f.decide({ id: 'd2', kind: 'type-to-confirm', stepId: 'x', prompt: 'Drop?', expected: 'sim', target: 't', consequences: [] }, signal),
    ).resolves.toMatchObject({ answer: { kind: 'typed', text: 'sim' }, by: 'flag' });
    f.close();
  });

  it('keeps the final screen until the operator presses enter, and closes twice safely', async () => {
    const { f, t, until } = await frontend();
    f.emit(started(migrate()));
    for (const e of ran('preflight', 'passed', '1 row found')) f.emit(e);
    f.emit({ type: 'run-finished', at: Date.now(), status: 'done', exitCode: 0, summary: 'Finished: every step passed.' });
    let left = false;
    const finished = f.finish(skeletonState(migrate())).then(() => (left = true));
    await until(() => t.stdout.text().includes('✔ DONE'), 'the outcome');
    expect(left).toBe(false);
    t.stdin.press('\r');
    await finished;
    f.close();
    f.close();
  });

  it('writes finished steps to the scrollback once, above the live frame', async () => {
    const { f, t, until } = await frontend();
    f.emit(started(migrate()));
    for (const e of ran('preflight', 'passed', '1 row found')) f.emit(e);
    await until(() => t.stdout.text().includes('✔ 1 Preflight passed — passed: 1 row found'), 'the transcript line');
    const times = t.stdout.text().split('✔ 1 Preflight passed — passed').length - 1;
    expect(times).toBe(1);
    f.close();
  });

  it('shows a resumed run\'s finished steps and target at once when given the journal\'s state', async () => {
    const rb = migrate();
    let state = skeletonState(rb);
    const { reduce } = await import('../../src/core/state.js');
    for (const e of [started(rb), ...ran('preflight', 'passed', '1 row found')]) state = reduce(state, e);
    const { f, t, until } = await frontend({}, { initial: { ...state, status: 'interrupted' } });
    await until(() => t.stdout.text().includes('db.internal:5432/sim'), 'the target');
    expect(t.stdout.text()).toContain('✔ 1 Preflight passed');
    f.close();
  });

  it('is not offered without a terminal', async () => {
    const t = fakeIo();
    Object.defineProperty(t.stdout, 'isTTY', { value: false });
    await expect(tuiFrontend({ runbook: migrate(), flags, requestAbort: vi.fn(), forceQuit: vi.fn(), io: t.io })).resolves.toBeUndefined();
  });
});

describe('the colour policy', () => {
  it('turns colour off for NO_COLOR, --no-color and TERM=dumb, and styles nothing then', () => {
    expect(themeFor(undefined, { NO_COLOR: '1' }).colour).toBe(false);
    expect(themeFor(false, {}).colour).toBe(false);
    expect(themeFor(undefined, { TERM: 'dumb' })).toEqual({ colour: false, ascii: true });
    expect(toneStyle('danger', { colour: false, ascii: false })).toEqual({});
    expect(toneStyle('danger', { colour: true, ascii: false })).toMatchObject({ color: 'red', bold: true });
  });
});
