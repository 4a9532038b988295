import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import { findUnfinished, JournalWriter, listRuns, newRunId, verifyJournal } from '../../src/core/journal.js';

const target = { host: 'h', port: 1, database: 'sim', user: 'u', env: 'dev' as const, display: 'h:1/sim as u', key: 'h:1/sim' };
const started = (runId: string, runbook = 'tour'): RunEvent => ({
  type: 'run-started',
  at: 1,
  runId,
  runbook: { id: runbook, title: 'T', source: '/x', sha256: 'a'.repeat(64), phase: 'training', risk: 'low' },
  steps: [{ id: 's1', title: 'S1', kind: 'note', destructive: false }],
  target,
  operator: 'op',
  host: 'box',
  dryRun: false,
  toolVersion: '0',
  vars: {},
});

function writeRun(stateDir: string, runId: string, events: RunEvent[]): string {
  const w = JournalWriter.create(path.join(stateDir, 'runs', runId));
  for (const e of events) w.append(e);
  w.close();
  return w.file;
}

describe('journal', () => {
  it('writes a 0600 file in a 0700 directory, one hash-chained event per line', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-j-'));
    const file = writeRun(dir, 'r1', [started('r1'), { type: 'step-started', at: 2, stepId: 's1', attempt: 1 }]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; prev: string; hash: string });
    expect(lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(lines[1]?.prev).toBe(lines[0]?.hash);
    expect(verifyJournal(readFileSync(file, 'utf8')).ok).toBe(true);
  });

  it('detects a tampered line, naming its line number', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-j-'));
    const file = writeRun(dir, 'r1', [
      started('r1'),
      { type: 'step-started', at: 2, stepId: 's1', attempt: 1 },
      { type: 'step-finished', at: 3, stepId: 's1', status: 'failed', summary: 'boom', durationMs: 1 },
      { type: 'run-finished', at: 4, status: 'failed', exitCode: 1, summary: 'x' },
    ]);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"status":"failed","summary":"boom"', '"status":"passed","summary":"boom"'));
    const v = verifyJournal(readFileSync(file, 'utf8'));
    expect(v.ok).toBe(false);
    expect(v.badLine).toBe(3);
    expect(v.problem).toMatch(/changed after it was written/);
    expect(v.events).toHaveLength(2);
  });

  it('detects a removed line and a reordered journal', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-j-'));
    const file = writeRun(dir, 'r1', [started('r1'), { type: 'step-started', at: 2, stepId: 's1', attempt: 1 }, { type: 'run-interrupted', at: 3, reason: 'x' }]);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(verifyJournal([lines[0], lines[2]].join('\n')).badLine).toBe(2);
    expect(verifyJournal([lines[1], lines[0], lines[2]].join('\n')).badLine).toBe(1);
  });

  it('treats a half-written last line (a crash mid-write) as not verifying, keeping the events before it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-j-'));
    const file = writeRun(dir, 'r1', [started('r1')]);
    const v = verifyJournal(`${readFileSync(file, 'utf8')}{"seq":2,"prev`);
    expect(v.ok).toBe(false);
    expect(v.problem).toMatch(/incomplete/);
    expect(v.events).toHaveLength(1);
  });

  it('reopens a journal for resume and continues the chain', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-j-'));
    const file = writeRun(dir, 'r1', [started('r1')]);
    const { writer, verify } = JournalWriter.reopen(file);
    expect(verify.ok).toBe(true);
    writer.append({ type: 'run-resumed', at: 5, runId: 'r1', operator: 'op', host: 'box' });
    writer.close();
    const v = verifyJournal(readFileSync(file, 'utf8'));
    expect(v.ok).toBe(true);
    expect(v.events.map((e) => e.type)).toEqual(['run-started', 'run-resumed']);
  });

  it('finds the newest unfinished run of a runbook against a target, and not finished ones', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'prb-j-'));
    writeRun(dir, 'a-done', [started('a-done'), { type: 'run-finished', at: 9, status: 'done', exitCode: 0, summary: '' }]);
    writeRun(dir, 'b-open', [started('b-open'), { type: 'run-interrupted', at: 9, reason: 'SIGHUP' }]);
    writeRun(dir, 'c-other', [started('c-other', 'migrate')]);
    expect((await listRuns(dir)).map((r) => r.runId).sort()).toEqual(['a-done', 'b-open', 'c-other']);
    expect((await findUnfinished(dir, 'tour', 'h:1/sim'))?.runId).toBe('b-open');
    expect(await findUnfinished(dir, 'tour', 'other:1/sim')).toBeUndefined();
  });

  it('makes run ids that sort by time and name the runbook', () => {
    const id = newRunId('migrate', new Date(Date.UTC(2026, 10, 21, 3, 4, 5)));
    expect(id).toMatch(/^20261121-030405Z-migrate-[0-9a-f]{4}$/);
  });
});
