import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import { verifyJournal } from '../../src/core/journal.js';
import { journalText } from '../helpers/journal.js';
import { renderJson, renderMarkdown } from '../../src/core/report.js';
import { replay } from '../../src/core/state.js';

const events: RunEvent[] = [
  {
    type: 'run-started', at: Date.UTC(2026, 10, 21, 2, 0, 0), runId: 'r1',
    runbook: { id: 'tour', title: 'Tour', source: '/rb/tour.yaml', sha256: 'ab'.repeat(32), phase: 'training', risk: 'low' },
    steps: [
      { id: 'a', title: 'Check | pipes', kind: 'check', destructive: false },
      { id: 'b', title: 'Drop', kind: 'sql', destructive: true },
    ],
    target: { host: 'db', port: 5432, database: 'sim', user: 'op', env: 'production', display: 'db:5432/sim as op', key: 'db:5432/sim', serverVersion: '16.4' },
    operator: 'alice', host: 'jump1', dryRun: false, toolVersion: '0.1.0', vars: {},
  },
  { type: 'step-started', at: Date.UTC(2026, 10, 21, 2, 0, 1), stepId: 'a', attempt: 1 },
  { type: 'step-rows', at: Date.UTC(2026, 10, 21, 2, 0, 2), stepId: 'a', columns: ['pid', 'state'], rows: [['42', 'idle in transaction']], total: 1 },
  { type: 'step-finished', at: Date.UTC(2026, 10, 21, 2, 0, 2), stepId: 'a', status: 'warned', summary: '1 row found, expected none', advice: 'End that session.', durationMs: 1000 },
  { type: 'decision-requested', at: Date.UTC(2026, 10, 21, 2, 0, 3), request: { id: 'd1', kind: 'type-to-confirm', stepId: 'b', prompt: 'Drop?', expected: 'sim', target: 'db:5432/sim as op', consequences: [] } },
  { type: 'decision-made', at: Date.UTC(2026, 10, 21, 2, 0, 9), requestId: 'd1', stepId: 'b', answer: { kind: 'typed', text: 'sim' }, by: 'operator' },
  { type: 'step-started', at: Date.UTC(2026, 10, 21, 2, 0, 9), stepId: 'b', attempt: 1 },
  { type: 'step-finished', at: Date.UTC(2026, 10, 21, 2, 0, 10), stepId: 'b', status: 'passed', summary: 'Committed: DROP', durationMs: 900 },
  { type: 'run-finished', at: Date.UTC(2026, 10, 21, 2, 0, 10), status: 'done', exitCode: 0, summary: 'Finished with 1 warning.' },
];

describe('report', () => {
  it('reads as an audit trail: target, operator, each step with time, decisions with who', () => {
    const v = verifyJournal(journalText(events));
    const md = renderMarkdown(replay(v.events), v, 'r1');
    expect(md).toContain('| Target | **PRODUCTION** db:5432/sim as op |');
    expect(md).toContain('| Operator | alice@jump1 |');
    expect(md).toContain('| Result | done (exit 0) — Finished with 1 warning. |');
    expect(md).toContain('| 1 | Check \\| pipes `a` | ! warned | 02:00:01 | 1.0 s | 1 row found, expected none |');
    expect(md).toContain('| 2 | Drop `b` ⚠ destructive | ✔ passed | 02:00:09 | 900 ms | Committed: DROP |');
    expect(md).toContain('| 02:00:09 | `b` | type-to-confirm | typed "sim" | operator |  |');
    expect(md).toContain('| 42 | idle in transaction |');
    expect(md).toContain('What to do: End that session.');
    expect(md).toContain('intact: 9 events, hash chain verified');
  });

  it('warns first when the journal does not verify', () => {
    const tampered = journalText(events).replace('"summary":"Committed: DROP"', '"summary":"Nothing"');
    const v = verifyJournal(tampered);
    const md = renderMarkdown(replay(v.events), v, 'r1');
    expect(md).toMatch(/^# Run report: Tour\n\n> \*\*Warning: the journal does not verify.\*\* Line 8/);
  });

  it('renders JSON with the journal verdict and output tails', () => {
    const v = verifyJournal(journalText(events));
    const j = JSON.parse(renderJson(replay(v.events), v, 'r1')) as { journal: { intact: boolean; events: number }; steps: { id: string }[] };
    expect(j.journal).toEqual({ intact: true, events: 9 });
    expect(j.steps.map((s) => s.id)).toEqual(['a', 'b']);
  });
});
