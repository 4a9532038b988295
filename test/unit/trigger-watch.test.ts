import { describe, expect, it } from 'vitest';
import type { TargetInfo } from '../../src/core/events.js';
import type { ClockPort, EvidencePort, StepContext } from '../../src/core/ports.js';
import { CancelledError } from '../../src/core/ports.js';
import { DEFAULT_TRIGGERS, type TriggerAlert } from '../../src/core/triggers.js';
import { watchTriggers } from '../../src/steps/triggers.js';
import { FakeDb, fakePorts, rows, runbookFromYaml } from '../helpers/fakes.js';

/**
 * The trigger watch as the migrate step runs it, on fakes: where the expected duration comes from (the newest
 * preflight's estimate, --var expected_minutes, a bad --var), and that a raised trigger only alerts by default.
 * The clock moves 5 s per look and yields between looks, so the run-time line is crossed after a known time.
 */

const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);
const target: TargetInfo = { host: 'h', port: 5432, database: 'sim', user: 'op', env: 'dev', display: 'h:5432/sim as op', key: 'h:5432/sim' };

class SteppingClock implements ClockPort {
  t = T0;
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new CancelledError();
    this.t += ms;
    await new Promise((r) => setImmediate(r));
  }
}

function harness(vars: Record<string, string>, preflightSeconds?: number) {
  const out: string[] = [];
  const alerts: (TriggerAlert & { proposal?: string; acted?: string })[] = [];
  const acted: TriggerAlert[] = [];
  const evidence: EvidencePort = {
    lastRun: async (id) => (id === 'preflight' && preflightSeconds !== undefined ? { runId: 'pf-1', status: 'done', finishedAt: T0 - 3_600_000, failedSteps: 0, vars: { 'risk.migrate_seconds': preflightSeconds } } : undefined),
    latestBackup: async () => undefined,
  };
  const runbook = runbookFromYaml('id: m\ntitle: M\nsummary: s\nphase: during\nrisk: high\nsteps:\n  - { id: apply, title: Apply, kind: migrate, with: { direction: up } }\n');
  const ports = fakePorts(new FakeDb(() => rows({ commits: 1000, rollbacks: 0, connections: 5, max_connections: 100 })), {
    clock: new SteppingClock(),
    evidence,
    fs: { readText: async () => 'SELECT 1' },
  });
  const ctx = {
    step: runbook.steps[0],
    runbook,
    ports,
    config: { commands: {}, rollbackTriggers: DEFAULT_TRIGGERS },
    target,
    runId: 'r-1',
    operator: 'op',
    vars,
    dryRun: false,
    signal: new AbortController().signal,
    sqlSearchPath: [],
    output: (l: string) => out.push(l),
    rows: () => undefined,
    live: () => undefined,
    alert: (a: TriggerAlert) => alerts.push(a),
    earlier: [],
    ask: async () => {
      throw new Error('the watch asks nothing');
    },
  } as unknown as StepContext;
  return { ctx, out, alerts, acted, clock: ports.clock as SteppingClock };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe('the trigger watch in a migrate step', () => {
  it("takes the expected duration from the newest preflight's estimate and alerts past twice it, without acting", async () => {
    const h = harness({}, 40);
    const w = await watchTriggers(h.ctx, (a) => h.acted.push(a));
    expect(h.out[0]).toBe('Rollback triggers (a look every 5.0 s; they alert, never act): run time over 01:20 · rolled-back transactions over 5% · connections over 80% of max_connections');
    await until(() => h.alerts.length > 0);
    await w.stop();
    expect(h.alerts[0]).toMatchObject({ trigger: 'duration', state: 'raised', proposal: expect.stringMatching(/parlant-runbook run rollback/) });
    expect(h.alerts[0]?.message).toMatch(/^run time 01:2\d, over 2× the expected 00:40 \(the preflight's estimate, run pf-1\)$/);
    expect(h.clock.t - T0).toBeGreaterThan(80_000);
    expect(h.acted).toEqual([]);
    expect(w.raised()).toEqual(['run time']);
  });

  it('prefers --var expected_minutes, and names a bad one before falling back to the preflight', async () => {
    const good = harness({ expected_minutes: '2' }, 40);
    const w1 = await watchTriggers(good.ctx, () => undefined);
    await w1.stop();
    expect(good.out[0]).toMatch(/run time over 04:00/);

    const bad = harness({ expected_minutes: 'soon' }, 40);
    const w2 = await watchTriggers(bad.ctx, () => undefined);
    await w2.stop();
    expect(bad.out[0]).toBe("--var expected_minutes=soon is not a positive number of minutes (e.g. --var expected_minutes=15); the run-time trigger uses the preflight's estimate instead");
    expect(bad.out[1]).toMatch(/run time over 01:20/);

    const none = harness({});
    const w3 = await watchTriggers(none.ctx, () => undefined);
    await w3.stop();
    expect(none.out[0]).toMatch(/run time: no expected duration/);
  });
});
