import { describe, expect, it } from 'vitest';
import { RunStore } from '../../src/ui/store.js';
import { migrate, ran, started } from './fixtures.js';

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ stream: 'stdout' as const, text: `line ${from + i}` }));

describe('RunStore', () => {
  it('folds every event in but publishes at most one snapshot per frame', async () => {
    const rb = migrate();
    const store = new RunStore({ frameMs: 50 });
    let published = 0;
    store.subscribe(() => published++);
    store.emit(started(rb));
    store.emit({ type: 'step-started', at: 1, stepId: 'apply', attempt: 1 });
    for (let i = 0; i < 200; i++) store.emit({ type: 'step-output', at: 2, stepId: 'apply', lines: lines(500, i * 500) });
    expect(published).toBe(0);
    await new Promise<void>((resolve) => store.subscribe(resolve));
    expect(published).toBe(1);
    const step = store.getSnapshot().run.steps.find((s) => s.id === 'apply');
    expect(step?.outputTotal).toBe(100_000);
    expect(step?.output.at(-1)?.text).toBe('line 99999');
    store.dispose();
  });

  it('shows a request, takes the answer for it, and ignores a stale one', async () => {
    const store = new RunStore();
    const answered = store.ask({ id: 'd1', kind: 'confirm', stepId: 'x', prompt: 'Go?' }, new AbortController().signal);
    expect(store.getSnapshot().asking?.id).toBe('d1');
    store.answer('d0', { kind: 'confirm', yes: false });
    store.answer('d1', { kind: 'confirm', yes: true });
    await expect(answered).resolves.toEqual({ kind: 'confirm', yes: true });
    expect(store.getSnapshot().asking).toBeUndefined();
  });

  it('drops the prompt when the engine aborts the request', async () => {
    const store = new RunStore();
    const ctl = new AbortController();
    const answered = store.ask({ id: 'd1', kind: 'proceed', stepId: 'x', title: 'X' }, ctl.signal);
    ctl.abort();
    await expect(answered).rejects.toThrow('aborted');
    expect(store.getSnapshot().asking).toBeUndefined();
  });

  it('keeps finished steps in an append-only transcript, ending with the run', () => {
    const rb = migrate();
    const store = new RunStore({ frameMs: 0 });
    store.emit(started(rb));
    for (const e of ran('preflight', 'passed', 'ok')) store.emit(e);
    for (const e of ran('backup', 'skipped', 'Skipped by the operator')) store.emit(e);
    store.emit({ type: 'run-finished', at: 9, status: 'aborted', exitCode: 130, summary: 'Aborted' });
    const t = store.getSnapshot().transcript;
    expect(t.map((x) => (x.kind === 'step' ? x.step.id : 'end'))).toEqual(['preflight', 'backup', 'end']);
    expect(store.getSnapshot().ended).toBe(true);
  });

  it('waits on the final screen until the operator leaves, unless they asked to quit', async () => {
    const store = new RunStore();
    let left = false;
    void store.waitForLeave().then(() => (left = true));
    await Promise.resolve();
    expect(left).toBe(false);
    store.leave();
    await Promise.resolve();
    expect(left).toBe(true);

    const quitting = new RunStore();
    quitting.quitOnEnd();
    await expect(quitting.waitForLeave()).resolves.toBeUndefined();
  });
});
