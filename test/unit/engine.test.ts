import { describe, expect, it } from 'vitest';
import { runEngine, type EngineOptions } from '../../src/core/engine.js';
import type { RunEvent, TargetInfo } from '../../src/core/events.js';
import { CancelledError, DbError } from '../../src/core/ports.js';
import { replay } from '../../src/core/state.js';
import { handlers } from '../../src/steps/index.js';
import { FakeDb, fakePorts, rows, runbookFromYaml, scripted } from '../helpers/fakes.js';

const target: TargetInfo = { host: '127.0.0.1', port: 5432, database: 'sim', user: 'op', env: 'dev', display: '127.0.0.1:5432/sim as op', key: '127.0.0.1:5432/sim' };

function options(yaml: string, over: Partial<EngineOptions> = {}): EngineOptions & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  const db = new FakeDb((sql) => (sql.includes('fail') ? new DbError('relation "fail" does not exist', '42P01') : rows({ n: 1 })));
  return {
    events,
    runbook: runbookFromYaml(yaml),
    runId: 'r1',
    handlers,
    ports: fakePorts(db),
    config: { commands: {} },
    target,
    operator: 'op',
    host: 'h',
    toolVersion: '0.0.0',
    vars: {},
    dryRun: false,
    stepGate: false,
    askOnFailure: false,
    decide: scripted({}),
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    sqlSearchPath: [],
    ...over,
  };
}

const head = `id: t\ntitle: T\nsummary: s\nphase: training\nrisk: low\n`;

describe('engine', () => {
  it('runs steps in order and finishes done with exit 0', async () => {
    const o = options(`${head}steps:
  - { id: a, title: A, kind: note, with: { text: hi } }
  - { id: b, title: B, kind: check, with: { sql: select 1, expect: { rows: some } } }
`);
    const final = await runEngine(o);
    expect(final.status).toBe('done');
    expect(final.exitCode).toBe(0);
    expect(final.steps.map((s) => s.status)).toEqual(['passed', 'passed']);
    expect(o.events.map((e) => e.type)).toEqual([
      'run-started', 'step-started', 'step-output', 'step-finished', 'step-started', 'step-output', 'step-rows', 'step-finished', 'run-finished',
    ]);
  });

  it('stops at a failed step by default (exit 1) and never runs the rest', async () => {
    const o = options(`${head}steps:
  - { id: a, title: A, kind: sql, with: { sql: select fail } }
  - { id: b, title: B, kind: note, with: { text: never } }
`);
    const final = await runEngine(o);
    expect(final.exitCode).toBe(1);
    expect(final.steps.map((s) => s.status)).toEqual(['failed', 'pending']);
    expect(final.steps[0]?.error).toMatch(/relation "fail" does not exist/);
  });

  it('goes on after a failure with on_failure: continue, and still exits 1', async () => {
    const o = options(`${head}steps:
  - { id: a, title: A, kind: sql, on_failure: continue, with: { sql: select fail } }
  - { id: b, title: B, kind: note, with: { text: after } }
`);
    const final = await runEngine(o);
    expect(final.steps.map((s) => s.status)).toEqual(['failed', 'passed']);
    expect(final.exitCode).toBe(1);
  });

  it('records a failure under on_failure: warn as a warning with its error, never asks, and exits 0', async () => {
    const o = options(
      `${head}steps:
  - { id: a, title: A, kind: sql, on_failure: warn, with: { sql: select fail } }
  - { id: b, title: B, kind: note, when: { step: a, status: [warned] }, with: { text: after } }
`,
      { askOnFailure: true, decide: scripted({}) },
    );
    const final = await runEngine(o);
    expect(final.steps.map((s) => s.status)).toEqual(['warned', 'passed']);
    expect(final.steps[0]?.error).toMatch(/relation "fail" does not exist/);
    expect(final.steps[0]?.summary).toMatch(/on_failure: warn/);
    expect(o.events.some((e) => e.type === 'decision-requested')).toBe(false);
    expect(final.exitCode).toBe(0);
    expect(final.summary).toMatch(/1 warning/);
  });

  it('jumps with on_failure: goto and records the steps it jumped over as not reached', async () => {
    const o = options(`${head}steps:
  - { id: a, title: A, kind: sql, on_failure: { goto: c }, with: { sql: select fail } }
  - { id: b, title: B, kind: note, with: { text: skipped } }
  - { id: c, title: C, kind: note, with: { text: recovery } }
`);
    const final = await runEngine(o);
    expect(final.steps.map((s) => [s.id, s.status, s.summary])).toEqual([
      ['a', 'failed', 'Failed'],
      ['b', 'skipped', 'Not reached'],
      ['c', 'passed', 'Read'],
    ]);
  });

  it('retries as on_failure says, then stops', async () => {
    let calls = 0;
    const db = new FakeDb(() => {
      calls++;
      return calls < 3 ? new DbError('boom', 'XX000') : rows({ ok: true });
    });
    const o = options(`${head}steps:
  - { id: a, title: A, kind: sql, on_failure: { retry: 3, delay: 1s }, with: { sql: select 1 } }
`, { ports: fakePorts(db) });
    const final = await runEngine(o);
    expect(calls).toBe(3);
    expect(final.steps[0]?.status).toBe('passed');
    expect(final.steps[0]?.attempt).toBe(3);
  });

  it('skips a step whose when does not hold, saying why', async () => {
    const o = options(`${head}steps:
  - { id: a, title: A, kind: note, when: { env: [production] }, with: { text: prod only } }
`);
    const final = await runEngine(o);
    expect(final.steps[0]?.status).toBe('skipped');
    expect(final.steps[0]?.summary).toBe('Skipped: runs only in production; this target is dev');
  });

  it('stores a choice in a variable, follows the option goto, and later steps see it', async () => {
    const o = options(`${head}steps:
  - id: pick
    title: Pick
    kind: choose
    with: { prompt: Which?, var: way, options: [ { value: a, label: A }, { value: b, label: B, goto: end } ] }
  - { id: mid, title: Mid, kind: note, with: { text: mid } }
  - { id: end, title: End, kind: note, when: { var: way, equals: b }, with: { text: "way={{way}}" } }
`, { decide: scripted({ choose: () => ({ answer: { kind: 'choice', value: 'b' }, by: 'operator' }) }) });
    const final = await runEngine(o);
    expect(final.vars.way).toBe('b');
    expect(final.steps.map((s) => s.status)).toEqual(['passed', 'skipped', 'passed']);
    expect(final.steps[2]?.output[0]?.text).toBe('way=b');
  });

  it('refuses a destructive step whose typed confirmation is wrong (exit 3) and runs nothing after it', async () => {
    const db = new FakeDb(() => rows());
    const o = options(`${head}steps:
  - { id: c, title: C, kind: confirm, with: { prompt: Drop it?, danger: true, consequences: [drop] } }
  - { id: d, title: D, kind: sql, destructive: true, with: { sql: drop table x } }
`, { ports: fakePorts(db), decide: scripted({ 'type-to-confirm': () => ({ answer: { kind: 'typed', text: 'prod' }, by: 'operator' }) }) });
    const final = await runEngine(o);
    expect(final.exitCode).toBe(3);
    expect(final.status).toBe('refused');
    expect(db.seen).toEqual([]);
    expect(final.steps[0]?.error).toMatch(/not the database name "sim"/);
  });

  it('accepts the right database name', async () => {
    const o = options(`${head}steps:
  - { id: c, title: C, kind: confirm, with: { prompt: Drop it?, danger: true } }
`, { decide: scripted({ 'type-to-confirm': (r) => ({ answer: { kind: 'typed', text: r.kind === 'type-to-confirm' ? r.expected : '' }, by: 'operator' }) }) });
    expect((await runEngine(o)).exitCode).toBe(0);
  });

  it('ends as refused (exit 3) when a decision cannot be answered', async () => {
    const o = options(`${head}steps:
  - { id: c, title: C, kind: confirm, with: { prompt: Go? } }
`);
    const final = await runEngine(o);
    expect(final.exitCode).toBe(3);
    expect(final.summary).toMatch(/no scripted answer/);
  });

  it('aborts a running step when the signal fires, cancelling its query (exit 130)', async () => {
    const ctl = new AbortController();
    const db = new FakeDb(
      () =>
        new Promise((_, reject) => {
          ctl.signal.addEventListener('abort', () => reject(new CancelledError()));
          setTimeout(() => ctl.abort(), 10);
        }),
    );
    const o = options(`${head}steps:
  - { id: s, title: S, kind: sql, with: { sql: select pg_sleep(60) } }
  - { id: n, title: N, kind: note, with: { text: never } }
`, { ports: fakePorts(db), signal: ctl.signal });
    const final = await runEngine(o);
    expect(final.status).toBe('aborted');
    expect(final.exitCode).toBe(130);
    expect(final.steps.map((s) => s.status)).toEqual(['aborted', 'pending']);
  });

  it('fails a step that outlives its timeout', async () => {
    const db = new FakeDb(() => new Promise(() => undefined));
    const o = options(`${head}steps:
  - { id: s, title: S, kind: check, timeout: 50ms, with: { sql: select 1, expect: { rows: some } } }
`, { ports: fakePorts(db), abortGraceMs: 20 });
    const final = await runEngine(o);
    expect(final.steps[0]?.status).toBe('failed');
    expect(final.steps[0]?.summary).toBe('Timed out after 50 ms');
  });

  it('resumes: finished steps are not repeated, a failed step runs again', async () => {
    let fail = true;
    const db = new FakeDb((sql) => (sql.includes('flaky') && fail ? new DbError('flaky', 'XX000') : rows({ n: 1 })));
    const yaml = `${head}steps:
  - { id: a, title: A, kind: sql, with: { sql: select 'first' } }
  - { id: b, title: B, kind: sql, with: { sql: select 'flaky' } }
  - { id: c, title: C, kind: note, with: { text: last } }
`;
    const first = options(yaml, { ports: fakePorts(db) });
    await runEngine(first);
    expect(replay(first.events).exitCode).toBe(1);
    fail = false;
    db.seen.length = 0;
    const second = options(yaml, { ports: fakePorts(db), resume: replay(first.events) });
    const final = await runEngine(second);
    expect(db.seen).toEqual(["select 'flaky'"]);
    expect(final.status).toBe('done');
    expect(second.events[0]?.type).toBe('run-resumed');
  });

  it('asks before re-running a non-transactional step that was in flight, and honours "skip"', async () => {
    const yaml = `${head}steps:
  - { id: a, title: A, kind: sql, with: { sql: create index concurrently i on t(x), transaction: false } }
  - { id: b, title: B, kind: note, with: { text: next } }
`;
    const db = new FakeDb(() => rows());
    const first = options(yaml, { ports: fakePorts(db) });
    // A journal that stops while step a runs: the process died mid-step.
    const events = [] as RunEvent[];
    await runEngine({ ...first, emit: (e) => events.push(e) });
    const cut = events.slice(0, events.findIndex((e) => e.type === 'step-started') + 1);
    const decide = scripted({ 'resume-in-flight': () => ({ answer: { kind: 'resume', action: 'skip' }, by: 'operator' }) });
    db.seen.length = 0;
    const final = await runEngine(options(yaml, { ports: fakePorts(db), resume: replay(cut), decide }));
    expect(decide.asked.map((r) => r.kind)).toEqual(['resume-in-flight']);
    expect(db.seen).toEqual([]);
    expect(final.steps.map((s) => s.status)).toEqual(['skipped', 'passed']);
  });

  it('in a dry run shows SQL but runs no write, and checks still run read-only', async () => {
    const db = new FakeDb(() => rows({ n: 1 }));
    const o = options(`${head}steps:
  - { id: c, title: C, kind: check, with: { sql: select 1 as n, expect: { rows: some } } }
  - { id: w, title: W, kind: sql, with: { sql: drop table t } }
`, { ports: fakePorts(db), dryRun: true });
    const final = await runEngine(o);
    expect(db.seen).toEqual(['select 1 as n']);
    expect(final.steps[1]?.status).toBe('skipped');
    expect(final.steps[1]?.summary).toMatch(/Dry run: would run/);
    expect(final.steps[1]?.output.map((l) => l.text)).toContain('drop table t');
  });

  it('batches a flood of output lines into few events', async () => {
    const proc = {
      run: async (_c: unknown, o: { onLine: (l: string, s: 'stdout' | 'stderr') => void }) => {
        for (let i = 0; i < 10_000; i++) o.onLine(`line ${i}`, 'stdout');
        return { ok: true, exitCode: 0, aborted: false, timedOut: false, durationMs: 1 };
      },
    };
    const o = options(`${head}steps:
  - { id: s, title: S, kind: shell, with: { command: app.noisy } }
`, { ports: fakePorts(new FakeDb(() => rows()), { proc }), config: { commands: { 'app.noisy': { run: 'noisy' } } } });
    const final = await runEngine(o);
    const outputEvents = o.events.filter((e) => e.type === 'step-output');
    expect(outputEvents.length).toBeLessThanOrEqual(25);
    expect(final.steps[0]?.outputTotal).toBe(10_001);
    expect(final.steps[0]?.output.length).toBeLessThanOrEqual(400);
  });

  it('fails a shell step naming a command the config does not have, with the fix', async () => {
    const o = options(`${head}steps:
  - { id: s, title: S, kind: shell, with: { command: app.stop } }
`);
    const final = await runEngine(o);
    expect(final.steps[0]?.status).toBe('failed');
    expect(final.steps[0]?.advice).toMatch(/Add it under "commands:"/);
  });
});
