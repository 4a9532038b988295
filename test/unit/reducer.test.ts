import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import { activeAlerts, initialState, isResumable, OUTPUT_CAP, reduce, replay } from '../../src/core/state.js';

const start: RunEvent = {
  type: 'run-started',
  at: 1,
  runId: 'r',
  runbook: { id: 'x', title: 'X', source: '/x', sha256: 'a', phase: 'before', risk: 'low' },
  steps: [
    { id: 'a', title: 'A', kind: 'check', destructive: false },
    { id: 'b', title: 'B', kind: 'sql', destructive: true },
  ],
  target: { host: 'h', port: 1, database: 'd', user: 'u', env: 'production', display: 'h:1/d as u', key: 'h:1/d' },
  operator: 'op',
  host: 'box',
  dryRun: false,
  toolVersion: '1',
  vars: { a: 1 },
};

describe('reduce', () => {
  it('starts with every step pending', () => {
    const s = reduce(initialState, start);
    expect(s.status).toBe('running');
    expect(s.steps.map((x) => x.status)).toEqual(['pending', 'pending']);
    expect(s.vars).toEqual({ a: 1 });
  });

  it('a raised trigger is active until cleared, and closed (not cleared) when its step ends or the run resumes', () => {
    const base: RunEvent[] = [start, { type: 'step-started', at: 2, stepId: 'a', attempt: 1 }];
    const raised = replay([
      ...base,
      { type: 'alert', at: 3, stepId: 'a', trigger: 'connections', state: 'raised', message: '90 of 100' },
      { type: 'alert', at: 4, stepId: 'a', trigger: 'health', state: 'raised', message: 'HTTP 503' },
    ]);
    expect(activeAlerts(raised).map((x) => x.trigger)).toEqual(['health', 'connections']);
    const cleared = reduce(raised, { type: 'alert', at: 5, stepId: 'a', trigger: 'health', state: 'cleared', message: 'passes again' });
    expect(activeAlerts(cleared).map((x) => x.trigger)).toEqual(['connections']);
    expect(cleared.alerts.find((x) => x.trigger === 'health')).toMatchObject({ clearedAt: 5, clearedMessage: 'passes again' });
    const ended = reduce(cleared, { type: 'step-finished', at: 6, stepId: 'a', status: 'warned', summary: 'ok', durationMs: 4 });
    expect(activeAlerts(ended)).toEqual([]);
    expect(ended.alerts.find((x) => x.trigger === 'connections')).toMatchObject({ closedAt: 6 });
    expect(ended.alerts.find((x) => x.trigger === 'connections')?.clearedAt).toBeUndefined();
    // A resumed run starts without the dead process's alerts.
    const resumed = reduce(raised, { type: 'run-resumed', at: 9, runId: 'r', operator: 'o', host: 'h' });
    expect(activeAlerts(resumed)).toEqual([]);
  });

  it('a live block replaces the previous one, [] clears it, and finishing the step clears it too', () => {
    const base: RunEvent[] = [start, { type: 'step-started', at: 2, stepId: 'a', attempt: 1 }];
    const one = replay([...base, { type: 'step-live', at: 3, stepId: 'a', lines: ['waiting 1 s', 'blocked by pid 7'] }]);
    expect(one.steps[0]?.live).toEqual(['waiting 1 s', 'blocked by pid 7']);
    const two = reduce(one, { type: 'step-live', at: 4, stepId: 'a', lines: ['waiting 2 s'] });
    expect(two.steps[0]?.live).toEqual(['waiting 2 s']);
    expect(two.steps[0]?.output).toEqual([]);
    expect(reduce(two, { type: 'step-live', at: 5, stepId: 'a', lines: [] }).steps[0]?.live).toBeUndefined();
    expect(reduce(two, { type: 'step-finished', at: 6, stepId: 'a', status: 'passed', summary: 'ok', durationMs: 4 }).steps[0]?.live).toBeUndefined();
  });

  it('tracks a step through running to finished with its rows and output', () => {
    const s = replay([
      start,
      { type: 'step-started', at: 2, stepId: 'a', attempt: 1 },
      { type: 'step-output', at: 3, stepId: 'a', lines: [{ stream: 'sql', text: 'select 1' }] },
      { type: 'step-rows', at: 4, stepId: 'a', columns: ['n'], rows: [['1']], total: 1 },
      { type: 'step-finished', at: 5, stepId: 'a', status: 'passed', summary: '1 row', durationMs: 3 },
    ]);
    const a = s.steps[0];
    expect(a?.status).toBe('passed');
    expect(a?.rows?.rows).toEqual([['1']]);
    expect(a?.output).toHaveLength(1);
    expect(s.currentStepId).toBeUndefined();
  });

  it('caps the output kept per step but counts every line', () => {
    let s = reduce(reduce(initialState, start), { type: 'step-started', at: 2, stepId: 'a', attempt: 1 });
    for (let i = 0; i < 10; i++) {
      s = reduce(s, { type: 'step-output', at: 3, stepId: 'a', lines: Array.from({ length: 100 }, (_, k) => ({ stream: 'stdout' as const, text: `${i}-${k}` })) });
    }
    const a = s.steps[0];
    expect(a?.output).toHaveLength(OUTPUT_CAP);
    expect(a?.outputTotal).toBe(1000);
    expect(a?.outputDropped).toBe(1000 - OUTPUT_CAP);
    expect(a?.output[OUTPUT_CAP - 1]?.text).toBe('9-99');
  });

  it('records a decision with who made it, and clears the pending request', () => {
    const s = replay([
      start,
      { type: 'decision-requested', at: 2, request: { id: 'd1', kind: 'type-to-confirm', stepId: 'b', prompt: 'drop?', expected: 'd', target: 'h:1/d as u', consequences: [] } },
      { type: 'decision-made', at: 3, requestId: 'd1', stepId: 'b', answer: { kind: 'typed', text: 'd' }, by: 'flag', reason: '--confirm' },
    ]);
    expect(s.pending).toBeUndefined();
    expect(s.decisions).toEqual([{ requestId: 'd1', stepId: 'b', kind: 'type-to-confirm', answer: 'typed "d"', by: 'flag', at: 3, reason: '--confirm' }]);
  });

  it('marks an interrupted run resumable, and a done run not', () => {
    expect(isResumable(replay([start, { type: 'run-interrupted', at: 2, reason: 'SIGHUP' }]))).toBe(true);
    expect(isResumable(replay([start, { type: 'run-finished', at: 2, status: 'aborted', exitCode: 130, summary: '' }]))).toBe(true);
    expect(isResumable(replay([start, { type: 'run-finished', at: 2, status: 'done', exitCode: 0, summary: '' }]))).toBe(false);
  });
});
