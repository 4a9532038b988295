import { describe, expect, it } from 'vitest';
import type { RunEvent, RunbookInfo, StepInfo } from '../../src/core/events.js';
import { verifyJournal } from '../../src/core/journal.js';
import { journalText } from '../helpers/journal.js';
import { buildTimeline, formatElapsed, renderJson, renderMarkdown, type IncidentTimeline } from '../../src/core/report.js';
import { replay } from '../../src/core/state.js';

const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);
/** m minutes and s seconds after the incident was declared. */
const t = (m: number, s = 0): number => T0 + (m * 60 + s) * 1000;

const runbook: RunbookInfo = {
  id: 'emergency-locks', title: 'Emergency: runaway locks', source: '/rb/emergency.yaml', sha256: 'cd'.repeat(32),
  phase: 'incident', risk: 'critical',
  incident: { phases: [{ name: 'assess', minutes: 5 }, { name: 'stabilise', minutes: 10 }, { name: 'resolve', minutes: 15 }] },
};
const steps: StepInfo[] = [
  { id: 'assess-declare', title: 'Declare the incident', kind: 'checklist', destructive: false },
  { id: 'assess-locks', title: 'Who holds | waits for locks', kind: 'check', destructive: false },
  { id: 'stabilise-kill', title: 'Terminate the blockers', kind: 'sql', destructive: true },
  { id: 'stabilise-restart', title: 'Restart the workers', kind: 'shell', destructive: false },
  { id: 'resolve-verify', title: 'Verify writes flow', kind: 'confirm', destructive: false },
  { id: 'resolve-health', title: 'Health check', kind: 'http', destructive: false },
  { id: 'resolve-notify', title: 'Tell the channel', kind: 'note', destructive: false },
];
const notes = 'Paged by PagerDuty at 02:58 | API p99 at 30 s.\nSuspect the nightly batch.';

const events: RunEvent[] = [
  {
    type: 'run-started', at: t(0), runId: 'inc1', runbook, steps,
    target: { host: 'db1', port: 5432, database: 'sim', user: 'op', env: 'production', display: 'db1:5432/sim as op', key: 'db1:5432/sim', serverVersion: '16.4' },
    operator: 'alice', host: 'jump1', dryRun: false, toolVersion: '0.1.0', vars: {},
  },
  { type: 'step-started', at: t(0, 1), stepId: 'assess-declare', attempt: 1 },
  { type: 'decision-requested', at: t(0, 1), request: { id: 'd1', kind: 'checklist', stepId: 'assess-declare', items: ['Incident channel opened', 'Status page updated'], notes: true } },
  { type: 'decision-made', at: t(1, 30), requestId: 'd1', stepId: 'assess-declare', answer: { kind: 'checklist', checked: [true, false], notes }, by: 'operator' },
  { type: 'step-finished', at: t(1, 30), stepId: 'assess-declare', status: 'passed', summary: '1/2 ticked', durationMs: 89_000 },
  { type: 'step-started', at: t(1, 35), stepId: 'assess-locks', attempt: 1 },
  {
    type: 'step-output', at: t(1, 36), stepId: 'assess-locks', lines: [
      { stream: 'sql', text: 'SELECT * FROM pg_locks' },
      { stream: 'stdout', text: 'looking at pg_locks' },
      { stream: 'stdout', text: '✔ connections: 40 of 100' },
      { stream: 'stdout', text: '! pid 42 | idle in transaction for 12 min' },
      { stream: 'stderr', text: `WARNING: ${'x'.repeat(300)}` },
    ],
  },
  { type: 'step-finished', at: t(1, 40), stepId: 'assess-locks', status: 'warned', summary: '3 sessions wait on pid 42', durationMs: 5000 },
  { type: 'step-started', at: t(6), stepId: 'stabilise-kill', attempt: 1 },
  { type: 'decision-requested', at: t(6), request: { id: 'd2', kind: 'type-to-confirm', stepId: 'stabilise-kill', prompt: 'Terminate pid 42?', expected: 'sim', target: 'db1:5432/sim as op', consequences: [] } },
  { type: 'decision-made', at: t(6, 20), requestId: 'd2', stepId: 'stabilise-kill', answer: { kind: 'typed', text: 'sim' }, by: 'operator' },
  { type: 'step-finished', at: t(6, 21), stepId: 'stabilise-kill', status: 'passed', summary: 'Terminated 1 session', durationMs: 21_000 },
  { type: 'step-started', at: t(7), stepId: 'stabilise-restart', attempt: 1 },
  { type: 'step-output', at: t(7, 5), stepId: 'stabilise-restart', lines: [{ stream: 'stderr', text: 'systemctl: unit workers.service is masked' }] },
  { type: 'step-finished', at: t(7, 10), stepId: 'stabilise-restart', status: 'failed', summary: 'exit 1', error: 'systemctl exited with 1', durationMs: 10_000 },
  { type: 'decision-requested', at: t(7, 10), request: { id: 'd3', kind: 'on-failure', stepId: 'stabilise-restart', error: 'systemctl exited with 1', options: ['retry', 'skip', 'abort'] } },
  { type: 'decision-made', at: t(12), requestId: 'd3', stepId: 'stabilise-restart', answer: { kind: 'failure', action: 'retry' }, by: 'operator' },
  { type: 'step-started', at: t(12), stepId: 'stabilise-restart', attempt: 2 },
  { type: 'step-finished', at: t(17, 10), stepId: 'stabilise-restart', status: 'passed', summary: 'workers restarted', durationMs: 310_000 },
  { type: 'step-started', at: t(17, 15), stepId: 'resolve-verify', attempt: 1 },
  { type: 'decision-requested', at: t(17, 15), request: { id: 'd4', kind: 'confirm', stepId: 'resolve-verify', prompt: 'Do writes flow again?' } },
  { type: 'decision-made', at: t(17, 15), requestId: 'd4', stepId: 'resolve-verify', answer: { kind: 'confirm', yes: true }, by: 'flag', reason: '--yes' },
  { type: 'step-finished', at: t(17, 15), stepId: 'resolve-verify', status: 'passed', summary: 'Confirmed', durationMs: 0 },
  { type: 'step-started', at: t(18), stepId: 'resolve-health', attempt: 1 },
  { type: 'step-finished', at: t(18, 2), stepId: 'resolve-health', status: 'failed', summary: 'No answer from http://app/health', error: 'ECONNREFUSED', advice: 'Look at the app logs.', durationMs: 2000 },
  { type: 'run-finished', at: t(18, 3), status: 'failed', exitCode: 1, summary: 'Stopped at a failed step: Health check.' },
];

function render(evts: RunEvent[] = events): { md: string; tl: IncidentTimeline } {
  const v = verifyJournal(journalText(evts));
  expect(v.ok).toBe(true);
  const state = replay(v.events);
  return { md: renderMarkdown(state, v, 'inc1'), tl: buildTimeline(state, v.events) as IncidentTimeline };
}

describe('incident timeline', () => {
  it('formats elapsed time as m:ss or h:mm:ss', () => {
    expect(formatElapsed(9_000)).toBe('0:09');
    expect(formatElapsed(12 * 60_000 + 5_000)).toBe('12:05');
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
  });

  it('has one row per step attempt, decision and the end, at their wall-clock and T+ times, with phases', () => {
    const { tl } = render();
    expect(tl.rows.map((r) => [r.clock, r.elapsed, r.phase, r.kind, r.stepId ?? '', r.status])).toEqual([
      ['03:00:01', 'T+0:01', 'assess', 'step', 'assess-declare', 'passed'],
      ['03:01:30', 'T+1:30', 'assess', 'decision', 'assess-declare', 'partly ticked'],
      ['03:01:35', 'T+1:35', 'assess', 'step', 'assess-locks', 'warned'],
      ['03:06:00', 'T+6:00', 'stabilise', 'step', 'stabilise-kill', 'passed'],
      ['03:06:20', 'T+6:20', 'stabilise', 'decision', 'stabilise-kill', 'confirmed'],
      ['03:07:00', 'T+7:00', 'stabilise', 'step', 'stabilise-restart', 'failed'],
      ['03:12:00', 'T+12:00', 'stabilise', 'decision', 'stabilise-restart', 'retry'],
      ['03:12:00', 'T+12:00', 'stabilise', 'step', 'stabilise-restart', 'passed'],
      ['03:17:15', 'T+17:15', 'resolve', 'step', 'resolve-verify', 'passed'],
      ['03:17:15', 'T+17:15', 'resolve', 'decision', 'resolve-verify', 'yes'],
      ['03:18:00', 'T+18:00', 'resolve', 'step', 'resolve-health', 'failed'],
      ['03:18:03', 'T+18:03', undefined, 'ended', '', 'failed'],
    ]);
    expect(tl.rows[7]?.attempt).toBe(2);
    expect(tl.rows[7]?.action).toBe('Restart the workers (attempt 2)');
  });

  it('says who: the typed confirmation, the flag, the operator for steps that change something', () => {
    const { tl } = render();
    const who = (kind: string, stepId: string, n = 0): string | undefined => tl.rows.filter((r) => r.kind === kind && r.stepId === stepId)[n]?.who;
    expect(who('decision', 'stabilise-kill')).toBe("alice typed 'sim'");
    expect(who('decision', 'resolve-verify')).toBe('--yes');
    expect(who('decision', 'stabilise-restart')).toBe('alice chose retry');
    expect(who('decision', 'assess-declare')).toBe('alice ticked 1/2');
    expect(who('step', 'stabilise-kill')).toBe('alice'); // destructive sql
    expect(who('step', 'stabilise-restart', 1)).toBe('alice'); // shell
    expect(who('step', 'assess-locks')).toBeUndefined(); // a read-only check
    expect(tl.runBy).toEqual(['alice@jump1']);
  });

  it('keeps a checklist\'s notes in full and names what was not ticked', () => {
    const { tl, md } = render();
    const row = tl.rows.find((r) => r.kind === 'decision' && r.stepId === 'assess-declare');
    expect(row?.lines).toEqual(['not ticked: Status page updated', `Notes: ${notes}`]);
    expect(md).toContain('Notes: Paged by PagerDuty at 02:58 \\| API p99 at 30 s.<br>Suspect the nightly batch.');
  });

  it('picks the summary and at most two notable output lines, each cut to 160 characters', () => {
    const { tl } = render();
    const locks = tl.rows.find((r) => r.stepId === 'assess-locks');
    expect(locks?.lines[0]).toBe('3 sessions wait on pid 42');
    expect(locks?.lines).toHaveLength(3);
    // Errors (stderr) first, then warnings; never the SQL or plain stdout.
    expect(locks?.lines[1]?.startsWith('WARNING: xxx')).toBe(true);
    expect(locks?.lines[1]).toHaveLength(160);
    expect(locks?.lines[1]?.endsWith('…')).toBe(true);
    expect(locks?.lines[2]).toBe('! pid 42 | idle in transaction for 12 min');
    const failed = tl.rows.find((r) => r.stepId === 'stabilise-restart' && r.attempt === undefined);
    expect(failed?.lines).toEqual(['exit 1', 'Error: systemctl exited with 1', 'systemctl: unit workers.service is masked']);
    expect(failed?.result).toBe('✖ failed in 10 s');
  });

  it('notes a phase that ended after its time box', () => {
    const { tl, md } = render();
    // stabilise is 5–15 min; its last step ended at T+17:10.
    expect(tl.phases.map((p) => [p.name, p.fromMin, p.toMin, p.over])).toEqual([
      ['assess', 0, 5, undefined],
      ['stabilise', 5, 15, 'over by 2:10'],
      ['resolve', 15, 30, undefined],
    ]);
    expect(tl.rows.filter((r) => r.phaseOver).map((r) => [r.stepId, r.attempt, r.phaseOver])).toEqual([['stabilise-restart', 2, 'over by 2:10']]);
    // The run failed in resolve: that phase did not end, it was open when the run stopped.
    expect(md).toContain('Phases: assess 0–5 min: ✔ ended T+1:40 · stabilise 5–15 min: ! ended T+17:10, over by 2:10 · resolve 15–30 min: ■ open when the run stopped at T+18:03');
    expect(md).toContain('| 03:12:00 | T+12:00 | stabilise ! over by 2:10 | Restart the workers (attempt 2) `stabilise-restart` | ✔ passed in 5 min 10 s | alice | workers restarted |');
  });

  it('names the step the run was aborted at (a gate after skipped steps), and judges its phase by when the run stopped', () => {
    const steps2: StepInfo[] = [
      { id: 'assess-alert', title: 'Alert', kind: 'http', destructive: false },
      { id: 'stabilise-stop-app', title: 'Stop the application', kind: 'shell', destructive: false },
      { id: 'stabilise-stop-app-manual', title: 'Stop the application', kind: 'checklist', destructive: false },
      { id: 'recover-restore', title: 'Restore', kind: 'restore', destructive: true },
    ];
    const rb2 = { ...runbook, incident: { phases: [{ name: 'assess', minutes: 0.1 }, { name: 'stabilise', minutes: 0.1 }, { name: 'recover', minutes: 1 }] } };
    const s = 1000;
    const evts: RunEvent[] = [
      { ...(events[0] as Extract<RunEvent, { type: 'run-started' }>), runbook: rb2, steps: steps2 },
      { type: 'step-started', at: t(0, 1), stepId: 'assess-alert', attempt: 1 },
      { type: 'step-finished', at: t(0, 2), stepId: 'assess-alert', status: 'passed', summary: 'HTTP 200', durationMs: s },
      { type: 'step-started', at: t(0, 9), stepId: 'stabilise-stop-app', attempt: 1 },
      { type: 'step-finished', at: t(0, 9), stepId: 'stabilise-stop-app', status: 'skipped', summary: 'Skipped: app.stop is not configured', durationMs: 0 },
      { type: 'decision-requested', at: t(0, 9), request: { id: 'd1', kind: 'proceed', stepId: 'stabilise-stop-app-manual', title: 'Stop the application' } },
      { type: 'decision-made', at: t(0, 15), requestId: 'd1', stepId: 'stabilise-stop-app-manual', answer: { kind: 'proceed', action: 'abort' }, by: 'operator' },
      { type: 'run-finished', at: t(0, 15), status: 'aborted', exitCode: 130, summary: 'Aborted by the operator before stabilise-stop-app-manual.' },
    ];
    const { md, tl } = render(evts);
    expect(tl.finalState).toMatchObject({ status: 'aborted', stepId: 'stabilise-stop-app-manual' });
    // stabilise's box is 0:06–0:12; the run stopped in it at T+0:15.
    expect(md).toContain('stabilise 0:06–0:12: ! open when the run stopped at T+0:15, over by 0:03');
    expect(md).toContain('recover 0:12–1:12: not reached');
  });

  it('does not call a phase open when a failed run went on past its failure to the end', () => {
    // resolve-health fails but the run goes on (on_failure: continue) and ends after a passed resolve step.
    const last = events.length - 1;
    const evts: RunEvent[] = [
      ...events.slice(0, last),
      { type: 'step-started', at: t(18, 5), stepId: 'resolve-verify', attempt: 2 },
      { type: 'step-finished', at: t(18, 6), stepId: 'resolve-verify', status: 'passed', summary: 'Confirmed', durationMs: 1000 },
      { type: 'run-finished', at: t(18, 7), status: 'failed', exitCode: 1, summary: 'Finished with 1 failed step.' },
    ];
    const { md } = render(evts);
    expect(md).toContain('resolve 15–30 min: ✔ ended T+18:06');
    expect(md).not.toContain('open when the run stopped');
  });

  it('renders the Markdown: header line, table rows with escaped pipes, decisions inline, the final state', () => {
    const { md } = render();
    expect(md).toContain(
      '**Incident runbook** emergency-locks — Emergency: runaway locks · **target** db1:5432/sim (**production**) · **declared** 2026-11-21 03:00:00 UTC · **ended** 2026-11-21 03:18:03 UTC · **incident time** 18:03 · **final state** failed at step resolve-health (Health check) · **run by** alice@jump1',
    );
    expect(md).toContain('| Time (UTC) | Elapsed | Phase | Action | Result | Who | Key lines |');
    expect(md).toContain('| 03:01:35 | T+1:35 | assess | Who holds \\| waits for locks `assess-locks` | ! warned in 5.0 s |  | 3 sessions wait on pid 42<br>WARNING: ');
    expect(md).toContain('<br>! pid 42 \\| idle in transaction for 12 min |');
    expect(md).toContain('| 03:06:20 | T+6:20 | stabilise | ↳ Decision: Terminate pid 42? (type "sim") | ✔ confirmed | alice typed \'sim\' |  |');
    expect(md).toContain('| 03:17:15 | T+17:15 | resolve | ↳ Decision: Do writes flow again? | ✔ yes | --yes |  |');
    expect(md).toContain('| 03:18:03 | T+18:03 |  | Run ended | ✖ failed (exit 1) |  | Stopped at a failed step: Health check. |');
    expect(md).toContain(
      [
        '## Final state',
        '',
        '- Last step: ✖ Health check (`resolve-health`) — failed: No answer from http://app/health',
        '- Error: ECONNREFUSED',
        '- What to do: Look at the app logs.',
        '- Exit: failed (exit 1)',
        '- Summary: Stopped at a failed step: Health check.',
        '- Not reached: Tell the channel (`resolve-notify`)',
      ].join('\n'),
    );
    // The timeline replaces the step and decision tables; the details stay.
    expect(md).not.toContain('## Steps');
    expect(md).not.toContain('## Decisions');
    expect(md).toContain('### ✖ Health check (`resolve-health`)');
    // Every table row has the same number of unescaped cell separators.
    const table = md.split('\n').filter((l) => l.startsWith('| ') && /^\| (Time|\d\d:)/.test(l));
    for (const l of table) expect(l.replace(/\\\|/g, '').split('|').length).toBe(9);
  });

  it('puts the same timeline under `timeline` in the JSON', () => {
    const v = verifyJournal(journalText(events));
    const j = JSON.parse(renderJson(replay(v.events), v, 'inc1')) as { timeline: IncidentTimeline };
    expect(j.timeline.finalState).toEqual({ status: 'failed', exitCode: 1, stepId: 'resolve-health', stepTitle: 'Health check', text: 'failed at step resolve-health (Health check)' });
    expect(j.timeline.total).toBe('18:03');
    expect(j.timeline.rows).toHaveLength(12);
    expect(j.timeline.rows[1]).toMatchObject({ kind: 'decision', who: 'alice ticked 1/2', elapsed: 'T+1:30', elapsedMs: 90_000 });
    expect(j.timeline.phases[1]).toMatchObject({ name: 'stabilise', overMs: 130_000, over: 'over by 2:10' });
  });

  it('places steps in phases by time when no step id names a phase, and names who resumed', () => {
    const plain = events.map((e): RunEvent => {
      const rename = (id: string): string => id.replace(/^(assess|stabilise|resolve)-/, '');
      if (e.type === 'run-started') return { ...e, steps: e.steps.map((s) => ({ ...s, id: rename(s.id) })) };
      if ('stepId' in e) return { ...e, stepId: rename(e.stepId) } as RunEvent;
      if (e.type === 'decision-requested') return { ...e, request: { ...e.request, stepId: rename(e.request.stepId) } };
      return e;
    });
    const cut = plain.slice(0, 18); // stops after the retry was chosen and the step started again
    const resumed: RunEvent[] = [
      ...cut,
      { type: 'run-interrupted', at: t(13), reason: 'the terminal went away (SIGHUP)' },
      { type: 'run-resumed', at: t(20), runId: 'inc1', operator: 'bob', host: 'jump2' },
      { type: 'step-started', at: t(20, 5), stepId: 'restart', attempt: 3 },
      { type: 'step-finished', at: t(21), stepId: 'restart', status: 'passed', summary: 'workers restarted', durationMs: 55_000 },
    ];
    const { tl, md } = render(resumed);
    expect(tl.rows.filter((r) => r.kind === 'step').map((r) => [r.stepId, r.phase, r.status, r.who])).toEqual([
      ['declare', 'assess', 'passed', undefined],
      ['locks', 'assess', 'warned', undefined],
      ['kill', 'stabilise', 'passed', 'alice'],
      ['restart', 'stabilise', 'failed', 'alice'],
      ['restart', 'stabilise', 'cut off', 'alice'],
      ['restart', 'resolve', 'passed', 'bob'],
    ]);
    expect(tl.rows.find((r) => r.kind === 'resumed')?.who).toBe('bob@jump2');
    expect(tl.runBy).toEqual(['alice@jump1', 'bob@jump2']);
    expect(tl.finalState.text).toBe('unfinished at step restart (Restart the workers): no end recorded');
    expect(md).toContain('**run by** alice@jump1, then bob@jump2');
    expect(md).toContain('| ▶ no result recorded | alice | interrupted: the terminal went away (SIGHUP) |');
  });

  it('an incident runbook without time boxes gets the timeline without a phase column', () => {
    const noBoxes = events.map((e): RunEvent => (e.type === 'run-started' ? { ...e, runbook: { ...runbook, incident: undefined } } : e));
    const { md, tl } = render(noBoxes);
    expect(tl.phases).toEqual([]);
    expect(md).toContain('| Time (UTC) | Elapsed | Action | Result | Who | Key lines |');
    expect(md).not.toContain('Phases:');
  });

  it('leaves a run of a non-incident runbook as it was', () => {
    const training = events.map((e): RunEvent => (e.type === 'run-started' ? { ...e, runbook: { ...runbook, id: 'tour', phase: 'training', incident: undefined } } : e));
    const { md, tl } = render(training);
    expect(tl).toBeUndefined();
    expect(md).not.toContain('Incident timeline');
    expect(md).toContain('## Steps');
    expect(md).toContain('## Decisions');
    const v = verifyJournal(journalText(training));
    expect(JSON.parse(renderJson(replay(v.events), v, 'inc1'))).not.toHaveProperty('timeline');
  });
});
