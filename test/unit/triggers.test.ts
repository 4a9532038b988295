import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, stepConfig, timeBoxesMs, triggerSettings } from '../../src/core/config.js';
import { readClock, boxLabel, clockText, withTimeBoxes } from '../../src/core/incidentClock.js';
import { FileProblemsError } from '../../src/core/loader.js';
import { DEFAULT_TRIGGERS, expectedFromVar, TriggerWatch, watchingLine, type TriggerSample, type TriggerSettings } from '../../src/core/triggers.js';

const S = (over: Partial<TriggerSettings> = {}): TriggerSettings => ({ ...DEFAULT_TRIGGERS, ...over });
const at = (s: number, over: Omit<TriggerSample, 'at'> = {}): TriggerSample => ({ at: s * 1000, ...over });

describe('rollback triggers: run time', () => {
  it('raises once past twice the expected duration, and not before', () => {
    const w = new TriggerWatch(S(), { ms: 90_000, source: 'the preflight' });
    expect(w.observe(at(0), 179_000)).toEqual([]);
    const up = w.observe(at(5), 181_000);
    expect(up).toHaveLength(1);
    expect(up[0]).toMatchObject({ trigger: 'duration', state: 'raised' });
    expect(up[0]?.message).toBe('run time 03:01, over 2× the expected 01:30 (the preflight)');
    expect(w.observe(at(10), 200_000)).toEqual([]);
    expect(w.activeTriggers()).toEqual(['duration']);
  });

  it('never calls a run overdue before the floor, and says nothing without an expected duration', () => {
    const w = new TriggerWatch(S(), { ms: 3_000, source: '--var expected_minutes' });
    expect(w.overdueAtMs).toBe(60_000);
    expect(w.observe(at(0), 59_000)).toEqual([]);
    expect(w.observe(at(1), 61_000).map((c) => c.trigger)).toEqual(['duration']);
    const none = new TriggerWatch(S(), undefined);
    expect(none.observe(at(0), 10 * 3_600_000)).toEqual([]);
    expect(watchingLine(none, false)).toMatch(/no expected duration \(run the preflight, or pass --var expected_minutes=N\)/);
  });
});

describe('rollback triggers: error rate', () => {
  const c = (commits: number, rollbacks: number): Omit<TriggerSample, 'at'> => ({ commits, rollbacks });

  it('compares rolled-back with all transactions over the window, from the sample before it', () => {
    const w = new TriggerWatch(S({ windowMs: 30_000 }), undefined);
    expect(w.observe(at(0, c(1000, 10)), 0)).toEqual([]);
    // 90 commits, 10 rollbacks: 10% > 5%
    const up = w.observe(at(10, c(1090, 20)), 10_000);
    expect(up.map((x) => [x.trigger, x.state])).toEqual([['error-rate', 'raised']]);
    expect(up[0]?.message).toBe('10% of transactions rolled back in the last 00:10 (10 of 100 on this database; the line is 5%)');
    // The window slides past the bad burst: 40 s later the baseline is the sample at 10 s.
    w.observe(at(20, c(1190, 21)), 20_000);
    const down = w.observe(at(45, c(1490, 22)), 45_000);
    expect(down.map((x) => [x.trigger, x.state])).toEqual([['error-rate', 'cleared']]);
    expect(down[0]?.message).toMatch(/^error rate back to 0\.5%/);
  });

  it("leaves out the run's own rolled-back transactions (lock_timeout retries)", () => {
    const w = new TriggerWatch(S(), undefined);
    w.observe(at(0, { commits: 100, rollbacks: 0, ownRollbacks: 0 }), 0);
    // 8 rollbacks in 48 transactions would be 17 %, but 7 of them are our own retries: 1 in 41.
    expect(w.observe(at(30, { commits: 140, rollbacks: 8, ownRollbacks: 7 }), 30_000)).toEqual([]);
    expect(w.observe(at(40, { commits: 150, rollbacks: 20, ownRollbacks: 7 }), 40_000).map((c) => c.trigger)).toEqual(['error-rate']);
  });

  it('does not clear when the traffic stops or a look fails, only on a measured rate under the line', () => {
    const w = new TriggerWatch(S({ windowMs: 10_000 }), undefined);
    w.observe(at(0, c(100, 0)), 0);
    expect(w.observe(at(5, c(125, 25)), 5000).map((x) => x.state)).toEqual(['raised']);
    // A failed look, then a quiet window (the app died): neither says the rate is fine.
    expect(w.observe(at(10), 10_000)).toEqual([]);
    expect(w.observe(at(20, c(126, 26)), 20_000)).toEqual([]);
    expect(w.activeTriggers()).toEqual(['error-rate']);
    expect(w.observe(at(30, c(226, 27)), 30_000).map((x) => [x.state, x.message])).toEqual([['cleared', 'error rate back to 1.0%']]);
  });

  it('says nothing about a handful of transactions, or across a statistics reset', () => {
    const w = new TriggerWatch(S(), undefined);
    w.observe(at(0, c(10, 0)), 0);
    // 1 of 3 rolled back is 33 %, but 3 transactions say nothing.
    expect(w.observe(at(5, c(12, 1)), 5000)).toEqual([]);
    // pg_stat_reset(): the counters went down.
    expect(w.observe(at(10, c(0, 0)), 10_000)).toEqual([]);
    expect(w.activeTriggers()).toEqual([]);
  });
});

describe('rollback triggers: connections and health', () => {
  it('raises past 80% of max_connections and clears only on a sample that measured them', () => {
    const w = new TriggerWatch(S(), undefined);
    expect(w.observe(at(0, { connections: 80, maxConnections: 100 }), 0)).toEqual([]);
    const up = w.observe(at(5, { connections: 81, maxConnections: 100 }), 5000);
    expect(up[0]?.message).toBe('81 of max_connections 100 in use (81%; the line is 80%)');
    // A failed sample (no numbers) keeps it raised.
    expect(w.observe(at(10), 10_000)).toEqual([]);
    expect(w.activeTriggers()).toEqual(['connections']);
    const down = w.observe(at(15, { connections: 40, maxConnections: 100 }), 15_000);
    expect(down).toEqual([{ trigger: 'connections', state: 'cleared', message: 'connections back to 40 of 100' }]);
  });

  it('watches health only once the app was seen healthy, and raises after two failures in a row', () => {
    const down = { health: { ok: false, detail: 'HTTP 503' } };
    const up = { health: { ok: true, detail: 'HTTP 200' } };
    // Stopped on purpose (a maintenance window): failing from the first look is no alarm.
    const stopped = new TriggerWatch(S(), undefined);
    for (let i = 0; i < 5; i++) expect(stopped.observe(at(i, down), 0)).toEqual([]);
    expect(stopped.healthWatched).toBe(false);

    const w = new TriggerWatch(S(), undefined);
    w.observe(at(0, up), 0);
    expect(w.observe(at(5, down), 0)).toEqual([]);
    const raised = w.observe(at(10, down), 0);
    expect(raised).toEqual([{ trigger: 'health', state: 'raised', message: 'app health check failed 2 times in a row: HTTP 503' }]);
    expect(w.observe(at(15, down), 0)).toEqual([]);
    expect(w.observe(at(20, up), 0)).toEqual([{ trigger: 'health', state: 'cleared', message: "the application's health check passes again" }]);
  });

  it('watches health from the first look when an earlier step of the run saw the app healthy', () => {
    const down = { health: { ok: false, detail: 'HTTP 503' } };
    const w = new TriggerWatch(S(), undefined, { healthSeen: true });
    expect(w.healthWatched).toBe(true);
    expect(w.observe(at(0, down), 0)).toEqual([]);
    expect(w.observe(at(5, down), 0).map((x) => x.trigger)).toEqual(['health']);
  });
});

describe('expected duration from --var', () => {
  it('takes positive minutes and names a bad value', () => {
    expect(expectedFromVar('15')).toEqual({ ms: 900_000, source: '--var expected_minutes' });
    expect(expectedFromVar(0.5)).toEqual({ ms: 30_000, source: '--var expected_minutes' });
    expect(expectedFromVar(undefined)).toBeUndefined();
    expect(expectedFromVar('soon')).toMatch(/--var expected_minutes=soon is not a positive number of minutes/);
    expect(expectedFromVar('-3')).toMatch(/not a positive number/);
  });
});

function configIn(text: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'prb-trig-'));
  writeFileSync(path.join(d, 'parlant-runbook.config.yaml'), text);
  return d;
}

describe('config: rollback_triggers and incident.time_boxes', () => {
  it('defaults to alerting only, and reads shares as 5% or 0.05', async () => {
    expect(triggerSettings(undefined)).toEqual(DEFAULT_TRIGGERS);
    expect(DEFAULT_TRIGGERS.action).toBe('alert');
    const d = configIn('rollback_triggers:\n  action: stop\n  error_rate: 2.5%\n  connections: 0.9\n  interval: 500ms\n  window: 10s\n  duration_floor: 0s\n');
    const c = (await loadConfig({ cwd: d, stateDir: d })).config;
    expect(stepConfig(c).rollbackTriggers).toMatchObject({ action: 'stop', errorRate: 0.025, connections: 0.9, intervalMs: 500, windowMs: 10_000, durationFloorMs: 0 });
  });

  it('refuses an unknown action or a share over 100%, with the line', async () => {
    const d = configIn('rollback_triggers:\n  action: panic\n  error_rate: 5\n');
    const err = await loadConfig({ cwd: d, stateDir: d }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileProblemsError);
    expect((err as FileProblemsError).problems.map((p) => p.line)).toEqual([2, 3]);
  });

  it('takes time boxes with units only (a bare number would read as seconds here, minutes in a runbook)', async () => {
    const ok = configIn('incident:\n  time_boxes: { assess: 20s, stabilise: 1m }\n');
    expect(timeBoxesMs((await loadConfig({ cwd: ok, stateDir: ok })).config)).toEqual({ assess: 20_000, stabilise: 60_000 });
    const bad = configIn('incident:\n  time_boxes: { assess: 5 }\n');
    const err = await loadConfig({ cwd: bad, stateDir: bad }).catch((e: unknown) => e);
    expect(String((err as FileProblemsError).problems[0]?.message)).toMatch(/write a time box with its unit, like 20s, 5m or 1h/);
  });

  it('replaces the named boxes, keeps the others, and returns names that are not phases', () => {
    const phases = [
      { name: 'assess', minutes: 5 },
      { name: 'stabilise', minutes: 10 },
    ];
    const r = withTimeBoxes(phases, { assess: 20_000, Stabilize: 30_000 });
    expect(r.phases).toEqual([
      { name: 'assess', minutes: 1 / 3 },
      { name: 'stabilise', minutes: 10 },
    ]);
    expect(r.unknown).toEqual(['Stabilize']);
    expect(phases[0]?.minutes).toBe(5);
    // Boxes of seconds read as m:ss in the clock.
    const reading = readClock(r.phases, 25_000);
    expect(reading && boxLabel(reading)).toBe('stabilise 0:20–10:20');
    const over = readClock(r.phases, 25_000, 0);
    expect(over && clockText(over, false)).toBe('⏱ 00:25 ! assess 0:00–0:20, over by 00:05');
  });
});
