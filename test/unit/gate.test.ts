import { describe, expect, it } from 'vitest';
import type { Env, TargetInfo } from '../../src/core/events.js';
import type { Runbook, StepOf } from '../../src/core/model.js';
import type { BackupEvidence, EvidencePort, RunEvidence, StepConfig, StepContext, StepResult } from '../../src/core/ports.js';
import { gate } from '../../src/steps/gate.js';
import { FakeClock, FakeDb, fakePorts, rows } from '../helpers/fakes.js';

const H = 3_600_000;
const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

type GateWith = StepOf<'gate'>['with'];

interface Setup {
  with: GateWith;
  env?: Env;
  /** What the evidence port answers (undefined: nothing found). */
  run?: RunEvidence;
  backup?: BackupEvidence;
  /** Build the ports without an evidence port at all. */
  noEvidencePort?: boolean;
  vars?: Record<string, string | number | boolean | null>;
  config?: Partial<StepConfig>;
}

interface Harness {
  ctx: StepContext<StepOf<'gate'>>;
  output: [string, string | undefined][];
  calls: string[];
}

function harness(s: Setup): Harness {
  const env = s.env ?? 'production';
  const target: TargetInfo = {
    host: 'db.example',
    port: 5433,
    database: 'sim',
    user: 'op',
    env,
    display: 'db.example:5433/sim as op',
    key: 'db.example:5433/sim',
  };
  const calls: string[] = [];
  const evidence: EvidencePort = {
    async lastRun(runbookId, t) {
      calls.push(`lastRun ${runbookId} ${t.key}`);
      return s.run;
    },
    async latestBackup(t) {
      calls.push(`latestBackup ${t.key}`);
      return s.backup;
    },
  };
  const step: StepOf<'gate'> = { id: 'g', title: 'Gate', kind: 'gate', with: s.with };
  const runbook: Runbook = {
    id: 'migrate',
    title: 'Migrate',
    summary: 's',
    phase: 'during',
    risk: 'high',
    steps: [step],
    source: '/virtual/migrate.yaml',
    sha256: 'a'.repeat(64),
  };
  const output: [string, string | undefined][] = [];
  const ports = fakePorts(new FakeDb(() => rows()), { clock: new FakeClock(NOW), ...(s.noEvidencePort ? {} : { evidence }) });
  const ctx: StepContext<StepOf<'gate'>> = {
    step,
    runbook,
    ports,
    config: { commands: {}, ...s.config },
    target,
    runId: 'r-now',
    operator: 'alice',
    vars: s.vars ?? {},
    dryRun: false,
    signal: new AbortController().signal,
    sqlSearchPath: [],
    output: (line, stream) => output.push([line, stream]),
    rows: () => {
      throw new Error('a gate shows no rows');
    },
    earlier: [],
    live: () => {
      throw new Error('a gate shows no live lines');
    },
    alert: () => {
      throw new Error('a gate raises no rollback trigger');
    },
    ask: async () => {
      throw new Error('a gate asks nothing');
    },
  };
  return { ctx, output, calls };
}

async function run(s: Setup): Promise<StepResult & { output: [string, string | undefined][]; calls: string[] }> {
  const h = harness(s);
  const r = await gate(h.ctx);
  return { ...r, output: h.output, calls: h.calls };
}

const preflight = (over: Partial<RunEvidence> = {}): RunEvidence => ({ runId: 'r-pre', status: 'done', finishedAt: NOW - 2 * H, failedSteps: 0, ...over });
const backup = (over: Partial<BackupEvidence> = {}): BackupEvidence => ({
  file: 'sim-20261121T100000Z.dump',
  finishedAt: NOW - 2 * H,
  verifiedAt: NOW - H,
  verified: true,
  kind: 'pg_dump',
  ...over,
});

describe('gate: require preflight', () => {
  it('passes on a fresh, passed preflight run against this target, naming the run', async () => {
    const r = await run({ with: { require: 'preflight' }, run: preflight() });
    expect(r.status).toBe('passed');
    expect(r.summary).toBe('Preflight passed 2 h 0 min ago (run r-pre)');
    expect(r.refused).toBeUndefined();
    expect(r.calls).toEqual(['lastRun preflight db.example:5433/sim']);
    expect(r.output).toEqual([]);
  });

  it('fails and refuses in production without a preflight run, with the fix and the override flag', async () => {
    const r = await run({ with: { require: 'preflight' } });
    expect(r.status).toBe('failed');
    expect(r.refused).toBe(true);
    expect(r.summary).toBe('Gate not met');
    expect(r.error).toBe(
      'No finished preflight run against db.example:5433/sim as op is in this state directory; this is required on a production database.',
    );
    expect(r.advice).toBe('Run the checks first: parlant-runbook run preflight. To go on anyway, give a reason for the record: --var override_gates="<reason>".');
  });

  it('only warns in dev, saying where it would stop the run', async () => {
    const r = await run({ with: { require: 'preflight' }, env: 'dev' });
    expect(r.status).toBe('warned');
    expect(r.refused).toBeUndefined();
    expect(r.summary).toBe('Gate not met: no finished preflight run against db.example:5433/sim as op is in this state directory');
    expect(r.advice).toBe('Run the checks first: parlant-runbook run preflight. In production this gate stops the run.');
  });

  it('says how many checks the last preflight failed', async () => {
    const two = await run({ with: { require: 'preflight' }, run: preflight({ status: 'failed', failedSteps: 2 }) });
    expect(two.status).toBe('failed');
    expect(two.error).toBe('The last preflight against this database (run r-pre) failed 2 checks; this is required on a production database.');
    const one = await run({ with: { require: 'preflight' }, env: 'staging', run: preflight({ status: 'failed', failedSteps: 1 }) });
    expect(one.status).toBe('warned');
    expect(one.summary).toBe('Gate not met: the last preflight against this database (run r-pre) failed 1 check');
  });

  it('says how a preflight that failed no check ended (aborted)', async () => {
    const r = await run({ with: { require: 'preflight' }, run: preflight({ status: 'aborted' }) });
    expect(r.status).toBe('failed');
    expect(r.error).toBe('The last preflight against this database (run r-pre) ended aborted; this is required on a production database.');
  });

  it('refuses a preflight older than max_age (default 24 h), saying how old against the limit', async () => {
    const old = await run({ with: { require: 'preflight' }, run: preflight({ finishedAt: NOW - 25 * H }) });
    expect(old.status).toBe('failed');
    expect(old.refused).toBe(true);
    expect(old.error).toBe('The last passed preflight (run r-pre) is 25 h 0 min old, more than 24 h 0 min; this is required on a production database.');
    const young = await run({ with: { require: 'preflight' }, run: preflight({ finishedAt: NOW - 23 * H }) });
    expect(young.status).toBe('passed');
  });

  it('uses max_age from the step, to the millisecond', async () => {
    const over = await run({ with: { require: 'preflight', max_age: '1h' }, run: preflight({ finishedAt: NOW - H - 1 }) });
    expect(over.status).toBe('failed');
    expect(over.error).toContain('is 1 h 0 min old, more than 1 h 0 min');
    const within = await run({ with: { require: 'preflight', max_age: '1h' }, run: preflight({ finishedAt: NOW - H + 1 }) });
    expect(within.status).toBe('passed');
  });

  it("is not bounded by the config's max_backup_age", async () => {
    const r = await run({ with: { require: 'preflight' }, run: preflight({ finishedAt: NOW - 2 * H }), config: { maxBackupAgeMs: H } });
    expect(r.status).toBe('passed');
  });

  it('enforces where enforce_in says: staging refused, dev warned naming both', async () => {
    const w: GateWith = { require: 'preflight', enforce_in: ['staging', 'production'] };
    const staging = await run({ with: w, env: 'staging' });
    expect(staging.status).toBe('failed');
    expect(staging.refused).toBe(true);
    expect(staging.error).toMatch(/; this is required on a staging database\.$/);
    const dev = await run({ with: w, env: 'dev' });
    expect(dev.status).toBe('warned');
    expect(dev.advice).toBe('Run the checks first: parlant-runbook run preflight. In staging / production this gate stops the run.');
  });

  it('does not enforce in production when enforce_in leaves it out', async () => {
    const r = await run({ with: { require: 'preflight', enforce_in: ['staging'] }, env: 'production' });
    expect(r.status).toBe('warned');
    expect(r.refused).toBeUndefined();
  });
});

describe('gate: override', () => {
  it('lets a reason override the gate in production: warned, the reason in the summary, who in the output', async () => {
    const r = await run({ with: { require: 'preflight' }, vars: { override_gates: '  CHG-4711: preflight ran on the replica  ' } });
    expect(r.status).toBe('warned');
    expect(r.refused).toBeUndefined();
    expect(r.summary).toBe(
      'Overridden (CHG-4711: preflight ran on the replica): no finished preflight run against db.example:5433/sim as op is in this state directory',
    );
    expect(r.output).toEqual([['Gate overridden by alice: CHG-4711: preflight ran on the replica', 'stderr']]);
  });

  it('overrides a backup gate the same way', async () => {
    const r = await run({ with: { require: 'backup' }, backup: backup({ verified: false }), vars: { override_gates: 'restore tested yesterday' } });
    expect(r.status).toBe('warned');
    expect(r.summary).toBe('Overridden (restore tested yesterday): the newest backup (sim-20261121T100000Z.dump) is not verified');
    expect(r.output).toEqual([['Gate overridden by alice: restore tested yesterday', 'stderr']]);
  });

  it('is no override without a reason: blank or not a string still refuses', async () => {
    for (const v of ['   ', '', true, 1, null]) {
      const r = await run({ with: { require: 'preflight' }, vars: { override_gates: v } });
      expect(r.status, String(v)).toBe('failed');
      expect(r.refused, String(v)).toBe(true);
      expect(r.output, String(v)).toEqual([]);
    }
  });

  it('records no override when the gate is met or not enforced', async () => {
    const met = await run({ with: { require: 'preflight' }, run: preflight(), vars: { override_gates: 'just in case' } });
    expect(met.status).toBe('passed');
    expect(met.output).toEqual([]);
    const dev = await run({ with: { require: 'preflight' }, env: 'dev', vars: { override_gates: 'just in case' } });
    expect(dev.status).toBe('warned');
    expect(dev.summary).toMatch(/^Gate not met: /);
    expect(dev.output).toEqual([]);
  });
});

describe('gate: require backup', () => {
  it('fails without a backup, naming database, host and port, with the fix', async () => {
    const r = await run({ with: { require: 'backup' } });
    expect(r.status).toBe('failed');
    expect(r.refused).toBe(true);
    expect(r.calls).toEqual(['latestBackup db.example:5433/sim']);
    expect(r.error).toBe('No backup of sim on db.example:5433 is in the backup catalogue; this is required on a production database.');
    expect(r.advice).toBe('Take and verify a backup first: parlant-runbook run backup (or verify an existing archive: parlant-runbook backups verify <file>). To go on anyway, give a reason for the record: --var override_gates="<reason>".');
  });

  it('fails on a backup that is not verified', async () => {
    const r = await run({ with: { require: 'backup' }, backup: backup({ verified: false, verifiedAt: undefined }) });
    expect(r.status).toBe('failed');
    expect(r.error).toBe('The newest backup (sim-20261121T100000Z.dump) is not verified; this is required on a production database.');
  });

  it("fails on a verified backup older than the config's max_backup_age", async () => {
    const r = await run({ with: { require: 'backup' }, backup: backup({ finishedAt: NOW - 7 * H }), config: { maxBackupAgeMs: 6 * H } });
    expect(r.status).toBe('failed');
    expect(r.error).toBe(
      'The newest verified backup (sim-20261121T100000Z.dump) is 7 h 0 min old, more than 6 h 0 min; this is required on a production database.',
    );
    // The same backup is young enough under the 24 h default…
    expect((await run({ with: { require: 'backup' }, backup: backup({ finishedAt: NOW - 7 * H }) })).status).toBe('passed');
    // …and the step's own max_age wins over the config.
    expect((await run({ with: { require: 'backup', max_age: '8h' }, backup: backup({ finishedAt: NOW - 7 * H }), config: { maxBackupAgeMs: 6 * H } })).status).toBe('passed');
  });

  it('fails on a verified backup older than 24 h when the config sets no max_backup_age', async () => {
    const r = await run({ with: { require: 'backup' }, backup: backup({ finishedAt: NOW - 25 * H }) });
    expect(r.status).toBe('failed');
    expect(r.error).toContain('is 25 h 0 min old, more than 24 h 0 min');
  });

  it('passes on a fresh verified backup, naming the file', async () => {
    const r = await run({ with: { require: 'backup' }, backup: backup(), config: { maxBackupAgeMs: 6 * H } });
    expect(r.status).toBe('passed');
    expect(r.summary).toBe('Verified backup 2 h 0 min old: sim-20261121T100000Z.dump');
    expect(r.output).toEqual([]);
  });

  it('only warns about a missing backup in dev', async () => {
    const r = await run({ with: { require: 'backup' }, env: 'dev' });
    expect(r.status).toBe('warned');
    expect(r.summary).toBe('Gate not met: no backup of sim on db.example:5433 is in the backup catalogue');
    expect(r.advice).toBe('Take and verify a backup first: parlant-runbook run backup (or verify an existing archive: parlant-runbook backups verify <file>). In production this gate stops the run.');
  });
});

describe('gate: no evidence port', () => {
  it('treats the evidence as missing', async () => {
    const pre = await run({ with: { require: 'preflight' }, noEvidencePort: true, run: preflight() });
    expect(pre.status).toBe('failed');
    expect(pre.refused).toBe(true);
    expect(pre.error).toMatch(/^No finished preflight run against db\.example:5433\/sim as op/);
    expect(pre.calls).toEqual([]);
    const bak = await run({ with: { require: 'backup' }, noEvidencePort: true, backup: backup() });
    expect(bak.status).toBe('failed');
    expect(bak.error).toMatch(/^No backup of sim on db\.example:5433/);
    const dev = await run({ with: { require: 'backup' }, noEvidencePort: true, env: 'dev' });
    expect(dev.status).toBe('warned');
  });
});
