import { describe, expect, it } from 'vitest';
import { commandFor, formatHints, hintsFor, type KeyContext } from '../../src/ui/keymap.js';
import { initialUi } from '../../src/ui/uiState.js';

const ctx = (over: Partial<KeyContext> = {}): KeyContext => ({
  stage: 'gate',
  stepRunning: false,
  ui: initialUi,
  focus: 2,
  stepCount: 6,
  logMax: 40,
  page: 18,
  ...over,
});
const ctrlC = { ctrl: true };

describe('the run screen\'s keys', () => {
  it('runs the next step with enter and skips it with s at the gate', () => {
    expect(commandFor(ctx(), '', { return: true })).toEqual({ type: 'proceed', action: 'run' });
    expect(commandFor(ctx(), 's', {})).toEqual({ type: 'proceed', action: 'skip' });
  });

  it('asks once before aborting a running step, and quits at once on a second Ctrl+C', () => {
    const running = ctx({ stage: 'running', stepRunning: true });
    expect(commandFor(running, 'c', ctrlC)).toEqual({ type: 'ui', action: { type: 'ask', question: 'abort-step' } });
    expect(commandFor(running, 'a', {})).toEqual({ type: 'ui', action: { type: 'ask', question: 'abort-step' } });
    const asked = ctx({ stage: 'running', stepRunning: true, ui: { ...initialUi, question: 'abort-step' } });
    expect(commandFor(asked, 'c', ctrlC)).toEqual({ type: 'force-quit' });
    expect(commandFor(asked, 'y', {})).toEqual({ type: 'abort' });
    expect(commandFor(asked, 'n', {})).toEqual({ type: 'ui', action: { type: 'dismiss' } });
    expect(commandFor(asked, 'x', {})).toEqual({ type: 'none' });
  });

  it('asks whether to quit when q is pressed while a step runs, and just stops at the gate', () => {
    expect(commandFor(ctx({ stage: 'running', stepRunning: true }), 'q', {})).toEqual({ type: 'ui', action: { type: 'ask', question: 'quit-running' } });
    expect(commandFor(ctx({ stage: 'running', stepRunning: true, ui: { ...initialUi, question: 'quit-running' } }), 'y', {})).toEqual({ type: 'quit' });
    expect(commandFor(ctx(), 'q', {})).toEqual({ type: 'quit' });
  });

  it('offers to quit at once when Ctrl+C comes while an abort is under way', () => {
    const aborting = ctx({ stage: 'running', stepRunning: true, ui: { ...initialUi, aborting: true } });
    expect(commandFor(aborting, 'c', ctrlC)).toEqual({ type: 'ui', action: { type: 'ask', question: 'force-quit' } });
    expect(commandFor({ ...aborting, ui: { ...aborting.ui, question: 'force-quit' } }, 'y', {})).toEqual({ type: 'force-quit' });
  });

  it('leaves every letter to the prompt while the operator types, except Ctrl+C', () => {
    const typing = ctx({ stage: 'prompt', prompt: 'type-to-confirm', stepRunning: true, ui: { ...initialUi, textEntry: true } });
    for (const k of ['q', 'a', 'l', 'd', '?', 's']) expect(commandFor(typing, k, {})).toEqual({ type: 'none' });
    expect(commandFor(typing, '', { return: true })).toEqual({ type: 'none' });
    expect(commandFor(typing, 'c', ctrlC)).toEqual({ type: 'ui', action: { type: 'ask', question: 'abort-step' } });
  });

  it('leaves r, s, a and g to the failure prompt', () => {
    const failed = ctx({ stage: 'prompt', prompt: 'on-failure' });
    for (const k of ['r', 's', 'a', 'g']) expect(commandFor(failed, k, {})).toEqual({ type: 'none' });
    expect(commandFor(failed, 'l', {})).toEqual({ type: 'ui', action: { type: 'toggle-overlay', overlay: 'log' } });
  });

  it('opens the log, help and details, and scrolls the log by line and page', () => {
    expect(commandFor(ctx(), 'l', {})).toEqual({ type: 'ui', action: { type: 'toggle-overlay', overlay: 'log' } });
    expect(commandFor(ctx(), '?', {})).toEqual({ type: 'ui', action: { type: 'toggle-overlay', overlay: 'help' } });
    expect(commandFor(ctx(), 'd', {})).toEqual({ type: 'ui', action: { type: 'toggle-overlay', overlay: 'details' } });
    const log = ctx({ ui: { ...initialUi, overlay: 'log' } });
    expect(commandFor(log, '', { upArrow: true })).toEqual({ type: 'ui', action: { type: 'log-scroll', delta: 1, max: 40 } });
    expect(commandFor(log, '', { pageDown: true })).toEqual({ type: 'ui', action: { type: 'log-scroll', delta: -18, max: 40 } });
    expect(commandFor(log, '', { escape: true })).toEqual({ type: 'ui', action: { type: 'close-overlay' } });
    // q closes the overlay rather than quitting the run
    expect(commandFor(log, 'q', {})).toEqual({ type: 'ui', action: { type: 'close-overlay' } });
  });

  it('leaves the final screen with enter, q or Ctrl+C', () => {
    const done = ctx({ stage: 'finished' });
    expect(commandFor(done, '', { return: true })).toEqual({ type: 'leave' });
    expect(commandFor(done, 'q', {})).toEqual({ type: 'leave' });
    expect(commandFor(done, 'c', ctrlC)).toEqual({ type: 'leave' });
  });
});

describe('formatHints()', () => {
  const gate = hintsFor(ctx());
  it('uses "[key] label" when it fits', () => {
    expect(formatHints(gate, 100)).toBe('[enter] run  [s] skip  [a] abort  [l] log  [d] details  [?] help  [q] quit');
  });
  it('drops the brackets, then the least needed hints, to stay on one line', () => {
    const at60 = formatHints(gate, 59);
    expect([...at60].length).toBeLessThanOrEqual(59);
    expect(at60).toContain('enter run');
    expect(at60).toContain('q quit');
    const at30 = formatHints(gate, 30);
    expect([...at30].length).toBeLessThanOrEqual(30);
    expect(at30).toMatch(/enter run.*s skip/);
  });
});
