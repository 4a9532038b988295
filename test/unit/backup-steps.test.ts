import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { progressLines, type BackupEvent, type CatalogItem, type Progress, type SessionInfo, type VerifyOutcome, type VerifyRequest } from '../../src/core/backup.js';
import type { DecisionAnswer, DecisionRequest, Env, TargetInfo } from '../../src/core/events.js';
import { loadRunbook } from '../../src/core/loader.js';
import type { Runbook, Step, StepOf } from '../../src/core/model.js';
import { packageRoot } from '../../src/core/paths.js';
import type { BackupEvidence, DistributiveOmit, EvidencePort, StepContext, StepResult } from '../../src/core/ports.js';
import { backup } from '../../src/steps/backup.js';
import { flagSetting, resultOf, showBackup, tableSetting } from '../../src/steps/backup-show.js';
import { partialRecovery } from '../../src/steps/partial-recovery.js';
import { pitr } from '../../src/steps/pitr.js';
import { restore, restoredName } from '../../src/steps/restore.js';
import { sessions } from '../../src/steps/sessions.js';
import { verifyBackup } from '../../src/steps/verify-backup.js';
import { FakeBackups, type BackupScript } from '../helpers/fake-backups.js';
import { FakeClock, FakeDb, fakePorts, rows as noRows } from '../helpers/fakes.js';

/* ----------------------------------------------------------------------------------------------------------------
 * Harness: a StepContext around a fake backup engine (as test/unit/gate.test.ts builds one for gates). Everything
 * the step does to the outside world is recorded: output lines, tables, the live block, questions, port calls,
 * and one shared timeline to check the order of things.
 * -------------------------------------------------------------------------------------------------------------- */

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
/** utcStamp(NOW) lower-cased, as the restore and partial-recovery steps use it in names. */
const STAMP = '20261121t120000z';

type Ask = DistributiveOmit<DecisionRequest, 'id' | 'stepId'>;
type Vars = Record<string, string | number | boolean | null>;

interface Setup {
  env?: Env;
  database?: string;
  vars?: Vars;
  dryRun?: boolean;
  script?: BackupScript;
  /** Build the ports without a backup engine. */
  noBackups?: boolean;
  /** What evidence.latestBackup answers; `noEvidence` leaves the evidence port out. */
  latest?: BackupEvidence;
  noEvidence?: boolean;
  /** The operator's answer; unset: asking fails the test. */
  answer?: (r: Ask) => DecisionAnswer;
  /** The DbPort's reconnect: absent, or failing with this message. */
  noReconnect?: boolean;
  reconnectFails?: string;
}

interface Harness<S extends Step> {
  ctx: StepContext<S>;
  port: FakeBackups;
  output: [string, string | undefined][];
  tables: { columns: string[]; rows: string[][]; total: number }[];
  live: string[][];
  asked: Ask[];
  timeline: string[];
  evidenceCalls: string[];
  reconnect: ReturnType<typeof vi.fn>;
  signal: AbortSignal;
}

function harness<S extends Step>(step: S, s: Setup = {}): Harness<S> {
  const env = s.env ?? 'dev';
  const database = s.database ?? 'sim';
  const target: TargetInfo = {
    host: 'db.example',
    port: 5433,
    database,
    user: 'op',
    env,
    display: `db.example:5433/${database} as op`,
    key: `db.example:5433/${database}`,
  };
  const timeline: string[] = [];
  const port = new FakeBackups(s.script ?? {}, timeline);
  const evidenceCalls: string[] = [];
  const evidence: EvidencePort = {
    async lastRun() {
      throw new Error('backup steps do not read runs');
    },
    async latestBackup(t) {
      evidenceCalls.push(`latestBackup ${t.key}`);
      timeline.push('latestBackup');
      return s.latest;
    },
  };
  const reconnect = vi.fn(async () => {
    timeline.push('reconnect');
    if (s.reconnectFails) throw new Error(s.reconnectFails);
  });
  const db = new FakeDb(() => noRows());
  const dbPort = s.noReconnect ? db : Object.assign(db, { reconnect });
  const ports = fakePorts(dbPort, {
    clock: new FakeClock(NOW),
    ...(s.noBackups ? {} : { backups: port }),
    ...(s.noEvidence ? {} : { evidence }),
  });
  const runbook: Runbook = {
    id: 'backup-test',
    title: 'Backup test',
    summary: 's',
    phase: 'incident',
    risk: 'high',
    steps: [step],
    source: '/virtual/backup-test.yaml',
    sha256: 'b'.repeat(64),
  };
  const output: [string, string | undefined][] = [];
  const tables: { columns: string[]; rows: string[][]; total: number }[] = [];
  const live: string[][] = [];
  const asked: Ask[] = [];
  const signal = new AbortController().signal;
  const ctx: StepContext<S> = {
    step,
    runbook,
    ports,
    config: { commands: {} },
    target,
    runId: 'r-42',
    operator: 'alice',
    vars: s.vars ?? {},
    dryRun: s.dryRun ?? false,
    signal,
    sqlSearchPath: [],
    output: (line, stream) => {
      output.push([line, stream]);
      timeline.push('output');
    },
    rows: (columns, r, total) => {
      tables.push({ columns, rows: r, total });
      timeline.push('rows');
    },
    alert: () => {
      throw new Error('a backup step raises no rollback trigger');
    },
    live: (lines) => {
      live.push(lines);
    },
    earlier: [],
    ask: async (r) => {
      asked.push(r);
      timeline.push(`ask ${r.kind}`);
      if (!s.answer) throw new Error(`unexpected question: ${r.kind}`);
      return s.answer(r);
    },
  };
  return { ctx, port, output, tables, live, asked, timeline, evidenceCalls, reconnect, signal };
}

const typed = (text: string) => (): DecisionAnswer => ({ kind: 'typed', text });
const yesNo = (yes: boolean) => (): DecisionAnswer => ({ kind: 'confirm', yes });

type With<K extends Step['kind']> = StepOf<K>['with'];
const backupStep = (w: With<'backup'>, id = 'dump'): StepOf<'backup'> => ({ id, title: 'Dump', kind: 'backup', with: w });
const verifyStep = (w: With<'verify-backup'> = {}): StepOf<'verify-backup'> => ({ id: 'verify', title: 'Verify', kind: 'verify-backup', with: w });
const restoreStep = (w: With<'restore'> = {}): StepOf<'restore'> => ({ id: 'restore', title: 'Restore', kind: 'restore', with: w });
const partialStep = (w: With<'partial-recovery'>): StepOf<'partial-recovery'> => ({ id: 'partial', title: 'Partial', kind: 'partial-recovery', with: w });
const pitrStep = (w: With<'pitr'>): StepOf<'pitr'> => ({ id: 'pitr', title: 'PITR', kind: 'pitr', with: w });

const okBackup = { ok: true, summary: 'Backed up sim (12 MB, verified)', file: '/var/backups/parlant/sim_full_20261121T120000Z.dump' };

function onlyCall<M extends FakeBackups['calls'][number]['method']>(port: FakeBackups, method: M): Extract<FakeBackups['calls'][number], { method: M }> {
  expect(port.methods()).toEqual([method]);
  return port.calls[0] as Extract<FakeBackups['calls'][number], { method: M }>;
}

/* ---------------------------------------------------------------------------------------------------------------- */

describe('backup step', () => {
  it('takes the kind from a template variable and sends the full request to the engine', async () => {
    const h = harness(backupStep({ kind: '{{backup_kind}}' }), { vars: { backup_kind: 'directory' }, script: { backup: okBackup } });
    await backup(h.ctx);
    const { req } = onlyCall(h.port, 'backup');
    expect(req).toEqual({ kind: 'directory', verify: true, trialRestore: false, runId: 'r-42', operator: 'alice', dryRun: false });
    expect(h.port.signals).toEqual([h.signal]);
  });

  it('fails an unknown kind with advice naming the kinds and the --var to set, without calling the engine', async () => {
    const h = harness(backupStep({ kind: '{{backup_kind}}' }), { vars: { backup_kind: 'zip' } });
    const r = await backup(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('Unknown kind of backup');
    expect(r.error).toBe('"zip" is not a kind of backup this tool takes.');
    expect(r.advice).toBe('Choose one of full, directory, schema, tables, csv, e.g. --var backup_kind=full.');
    expect(h.port.calls).toEqual([]);
  });

  it('fails when the kind variable is not set, and refuses "base" (pg_basebackup belongs to the pitr step)', async () => {
    const unset = await backup(harness(backupStep({ kind: '{{ backup_kind }}' })).ctx);
    expect(unset.status).toBe('failed');
    expect(unset.error).toBe('"" is not a kind of backup this tool takes.');
    expect(unset.advice).toContain('--var backup_kind=full');

    const h = harness(backupStep({ kind: '{{backup_kind}}' }), { vars: { backup_kind: 'base' } });
    const base = await backup(h.ctx);
    expect(base.status).toBe('failed');
    expect(base.error).toContain('"base"');
    expect(base.advice).not.toContain('base');
    expect(h.port.calls).toEqual([]);
  });

  it.each(['tables', 'csv'] as const)('a %s backup without tables fails with advice naming --var tables', async (kind) => {
    const h = harness(backupStep({ kind, tables: '{{tables}}' }), { vars: {} });
    const r = await backup(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('No tables chosen');
    expect(r.error).toBe(`A ${kind} backup needs the tables to take.`);
    expect(r.advice).toContain('--var tables=');
    expect(h.port.calls).toEqual([]);
  });

  it('splits a comma-separated table list, trimming names and dropping empty ones', async () => {
    const h = harness(backupStep({ kind: 'tables', tables: '{{tables}}' }), { vars: { tables: 'a, b ,c,, ' }, script: { backup: okBackup } });
    await backup(h.ctx);
    expect(onlyCall(h.port, 'backup').req.tables).toEqual(['a', 'b', 'c']);
  });

  it('takes a literal comma-separated string and a list whose items are templates', async () => {
    const h1 = harness(backupStep({ kind: 'csv', tables: 'a, b ,c' }), { script: { backup: okBackup } });
    await backup(h1.ctx);
    expect(onlyCall(h1.port, 'backup').req.tables).toEqual(['a', 'b', 'c']);

    const h2 = harness(backupStep({ kind: 'tables', tables: ['public.workspace', '{{more}}', '{{unset}}'] }), { vars: { more: ' parlant_agent ' }, script: { backup: okBackup } });
    await backup(h2.ctx);
    expect(onlyCall(h2.port, 'backup').req.tables).toEqual(['public.workspace', 'parlant_agent']);
  });

  it('passes jobs and compress through, and leaves them out when not given', async () => {
    const h = harness(backupStep({ kind: 'directory', jobs: 4, compress: 6 }), { script: { backup: okBackup } });
    await backup(h.ctx);
    const { req } = onlyCall(h.port, 'backup');
    expect(req.jobs).toBe(4);
    expect(req.compress).toBe(6);

    const h2 = harness(backupStep({ kind: 'full' }), { script: { backup: okBackup } });
    await backup(h2.ctx);
    const req2 = onlyCall(h2.port, 'backup').req;
    expect('jobs' in req2).toBe(false);
    expect('compress' in req2).toBe(false);
    expect('tables' in req2).toBe(false);
  });

  it('verify defaults to true; verify: false turns it off', async () => {
    const on = harness(backupStep({ kind: 'full' }), { script: { backup: okBackup } });
    await backup(on.ctx);
    expect(onlyCall(on.port, 'backup').req.verify).toBe(true);

    const off = harness(backupStep({ kind: 'full', verify: false }), { script: { backup: okBackup } });
    await backup(off.ctx);
    expect(onlyCall(off.port, 'backup').req.verify).toBe(false);
  });

  it.each([
    ['yes', true],
    ['no', false],
    ['Y', true],
    ['off', false],
    ['1', true],
    ['false', false],
    ['maybe', false], // not a flag: the fallback
    ['', false], // rendered empty: the fallback
  ] as const)('trial_restore "{{trial_restore}}" with %j is %s', async (value, expected) => {
    const h = harness(backupStep({ kind: 'full', trial_restore: '{{trial_restore}}' }), { vars: { trial_restore: value }, script: { backup: okBackup } });
    await backup(h.ctx);
    expect(onlyCall(h.port, 'backup').req.trialRestore).toBe(expected);
  });

  it('a templated verify falls back to true when the variable is not a flag, and is false for "no"', async () => {
    const maybe = harness(backupStep({ kind: 'full', verify: '{{v}}' }), { vars: { v: 'perhaps' }, script: { backup: okBackup } });
    await backup(maybe.ctx);
    expect(onlyCall(maybe.port, 'backup').req.verify).toBe(true);
    const no = harness(backupStep({ kind: 'full', verify: '{{v}}' }), { vars: { v: 'no' }, script: { backup: okBackup } });
    await backup(no.ctx);
    expect(onlyCall(no.port, 'backup').req.verify).toBe(false);
  });

  it('ok → passed, with the archive in backup_file and <step id>.file', async () => {
    const h = harness(backupStep({ kind: 'full' }, 'nightly'), { script: { backup: { ...okBackup, advice: 'Copy it off this machine.' } } });
    const r = await backup(h.ctx);
    expect(r).toEqual({
      status: 'passed',
      summary: 'Backed up sim (12 MB, verified)',
      advice: 'Copy it off this machine.',
      vars: { backup_file: okBackup.file, 'nightly.file': okBackup.file },
    });
  });

  it('ok without a file → passed without variables', async () => {
    const h = harness(backupStep({ kind: 'schema' }), { script: { backup: { ok: true, summary: 'done' } } });
    const r = await backup(h.ctx);
    expect(r).toEqual({ status: 'passed', summary: 'done' });
  });

  it('ok: false → failed with the engine error and advice, not refused', async () => {
    const h = harness(backupStep({ kind: 'full' }), {
      script: { backup: { ok: false, summary: 'pg_dump failed', error: 'pg_dump: error: permission denied for table x', advice: 'Run as the owner.' } },
    });
    const r = await backup(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('pg_dump failed');
    expect(r.error).toBe('pg_dump: error: permission denied for table x');
    expect(r.advice).toBe('Run as the owner.');
    expect(r.refused).toBeUndefined();
    expect(r.vars).toBeUndefined();
  });

  it('ok: false without an error text uses the summary as the error', async () => {
    const r = await backup(harness(backupStep({ kind: 'full' }), { script: { backup: { ok: false, summary: 'disk full' } } }).ctx);
    expect(r.status).toBe('failed');
    expect(r.error).toBe('disk full');
  });

  it('refused by a safety rule → failed with refused: true', async () => {
    const h = harness(backupStep({ kind: 'full' }), {
      script: { backup: { ok: false, refused: true, summary: 'Refused', error: 'pg_dump 14 cannot dump a 16 server', advice: 'Install pg_dump 16.' } },
    });
    const r = await backup(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.refused).toBe(true);
    expect(r.error).toBe('pg_dump 14 cannot dump a 16 server');
    expect(r.advice).toBe('Install pg_dump 16.');
  });

  it('aborted → aborted (no variables, even when the engine named a partial file)', async () => {
    const h = harness(backupStep({ kind: 'full' }), { script: { backup: { ok: false, aborted: true, summary: 'Aborted', error: 'cancelled by the operator', file: '/x.partial' } } });
    const r = await backup(h.ctx);
    expect(r).toEqual({ status: 'aborted', summary: 'Aborted', error: 'cancelled by the operator' });
  });

  it('a dry run that the engine accepts → skipped, with dryRun sent to the engine', async () => {
    const h = harness(backupStep({ kind: 'full' }), { dryRun: true, script: { backup: { ok: true, summary: 'Dry run: would dump sim (≈ 12 MB)', file: '/x.dump' } } });
    const r = await backup(h.ctx);
    expect(r).toEqual({ status: 'skipped', summary: 'Dry run: would dump sim (≈ 12 MB)' });
    expect(onlyCall(h.port, 'backup').req.dryRun).toBe(true);
  });

  it('a dry run the engine rejects still fails (a dry run is not a way to hide a problem)', async () => {
    const r = await backup(harness(backupStep({ kind: 'full' }), { dryRun: true, script: { backup: { ok: false, summary: 'No space', error: 'needs 12 MB, 1 MB free' } } }).ctx);
    expect(r.status).toBe('failed');
    expect(r.error).toBe('needs 12 MB, 1 MB free');
  });

  it('shows the engine events while it works', async () => {
    const h = harness(backupStep({ kind: 'full' }), {
      script: { backup: okBackup, events: [{ type: 'command', text: 'pg_dump -Fc sim' }, { type: 'info', text: 'written' }] },
    });
    await backup(h.ctx);
    expect(h.output).toEqual([
      ['$ pg_dump -Fc sim', 'sql'],
      ['written', 'stdout'],
    ]);
  });

  it('fails cleanly when the run has no backup engine', async () => {
    const r = await backup(harness(backupStep({ kind: 'full' }), { noBackups: true }).ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('No backup engine');
    expect(r.error).toContain('ports.backups missing');
  });
});

/* ---------------------------------------------------------------------------------------------------------------- */

describe('showBackup: engine events as the operator sees them', () => {
  function shown(...events: BackupEvent[]): Harness<StepOf<'backup'>> {
    const h = harness(backupStep({ kind: 'full' }));
    const emit = showBackup(h.ctx);
    for (const e of events) emit(e);
    return h;
  }

  it('info goes to output on its stream (stdout by default)', () => {
    const h = shown({ type: 'info', text: 'client 16.4, server 16.2: ok' }, { type: 'info', text: 'slow disk', stream: 'stderr' });
    expect(h.output).toEqual([
      ['client 16.4, server 16.2: ok', 'stdout'],
      ['slow disk', 'stderr'],
    ]);
  });

  it('a command is shown as "$ …" on the sql stream', () => {
    expect(shown({ type: 'command', text: 'pg_restore --list x.dump' }).output).toEqual([['$ pg_restore --list x.dump', 'sql']]);
  });

  it('output lines keep their stream', () => {
    const h = shown({ type: 'output', text: 'pg_restore: error: x', stream: 'stderr' }, { type: 'output', text: 'uploaded', stream: 'stdout' });
    expect(h.output).toEqual([
      ['pg_restore: error: x', 'stderr'],
      ['uploaded', 'stdout'],
    ]);
  });

  it('stages: ok ✔ on stdout, warn ! on stderr, fail ✖ on stderr (a failed stage is never a warning)', () => {
    const h = shown(
      { type: 'stage', name: 'checksum', ok: true, detail: 'sha256 matches' },
      { type: 'stage', name: 'age', ok: true, warn: true, detail: '3 days old' },
      { type: 'stage', name: 'full read', ok: false, detail: 'block 7 corrupt' },
      { type: 'stage', name: 'list', ok: false, warn: true, detail: 'unreadable' },
    );
    expect(h.output).toEqual([
      ['✔ checksum: sha256 matches', 'stdout'],
      ['! age: 3 days old', 'stderr'],
      ['✖ full read: block 7 corrupt', 'stderr'],
      ['✖ list: unreadable', 'stderr'],
    ]);
  });

  it('progress goes to the live block as progressLines, and null clears it', () => {
    const p: Progress = { action: 'dumping', done: 3, total: 10, bytes: 2_500_000, bytesTotal: 10_000_000, elapsedMs: 5000, current: 'public.workspace' };
    const h = shown({ type: 'progress', progress: p }, { type: 'progress', progress: null });
    expect(h.live).toEqual([progressLines(p), []]);
    expect(h.live[0]).toEqual(['dumping: 3/10 tables · 2.5 MB of 10.0 MB · 500 kB/s · 0:05', '  now: public.workspace']);
    expect(h.output).toEqual([]);
  });

  it('rows go to ctx.rows with their total', () => {
    const h = shown({ type: 'rows', columns: ['table', 'manifest', 'restored'], rows: [['workspace', '10', '10']], total: 7 });
    expect(h.tables).toEqual([{ columns: ['table', 'manifest', 'restored'], rows: [['workspace', '10', '10']], total: 7 }]);
    expect(h.output).toEqual([]);
  });
});

describe('backup-show helpers', () => {
  it('flagSetting: booleans as given, templates as yes/no words, the fallback otherwise', () => {
    const { ctx } = harness(backupStep({ kind: 'full' }), { vars: { a: 'YES', b: 'n', c: 'whatever', d: true, e: 0 } });
    expect(flagSetting(ctx, false, true)).toBe(false);
    expect(flagSetting(ctx, true, false)).toBe(true);
    expect(flagSetting(ctx, '{{a}}', false)).toBe(true);
    expect(flagSetting(ctx, '{{b}}', true)).toBe(false);
    expect(flagSetting(ctx, '{{c}}', true)).toBe(true);
    expect(flagSetting(ctx, '{{c}}', false)).toBe(false);
    expect(flagSetting(ctx, '{{d}}', false)).toBe(true);
    expect(flagSetting(ctx, '{{e}}', true)).toBe(false);
    expect(flagSetting(ctx, undefined, true)).toBe(true);
  });

  it('tableSetting: undefined → []', () => {
    const { ctx } = harness(backupStep({ kind: 'full' }));
    expect(tableSetting(ctx, undefined)).toEqual([]);
    expect(tableSetting(ctx, ' , ')).toEqual([]);
  });

  it('resultOf: an aborted outcome without error text has no error key; extra is added to failures and passes', () => {
    expect(resultOf({ ok: false, aborted: true, summary: 'stopped' }, { vars: { x: 1 } })).toEqual({ status: 'aborted', summary: 'stopped' });
    expect(resultOf({ ok: true, summary: 'fine' }, { vars: { x: 1 } })).toEqual({ status: 'passed', summary: 'fine', vars: { x: 1 } });
    expect(resultOf({ ok: false, summary: 'bad' }, { vars: { x: 1 } })).toEqual({ status: 'failed', summary: 'bad', error: 'bad', vars: { x: 1 } });
  });
});

/* ---------------------------------------------------------------------------------------------------------------- */

describe('verify-backup step', () => {
  const okVerify = (file: string) => ({ ok: true, summary: `Verified ${file}`, file: `/var/backups/parlant/${file}`, stages: [] });
  const latest: BackupEvidence = { file: 'c.dump', finishedAt: NOW - 1000, verified: false, kind: 'full' };

  it('with.file (a template) wins over backup_file and the catalogue', async () => {
    const h = harness(verifyStep({ file: '{{file}}' }), { vars: { file: 'a.dump', backup_file: 'b.dump' }, latest, script: { verify: okVerify('a.dump') } });
    const r = await verifyBackup(h.ctx);
    expect(onlyCall(h.port, 'verify').req).toEqual({ file: 'a.dump', trialRestore: false });
    expect(h.evidenceCalls).toEqual([]);
    expect(r.status).toBe('passed');
    expect(r.vars).toEqual({ verified_file: '/var/backups/parlant/a.dump' });
  });

  it('without with.file (or with it rendered empty) the archive of this run (backup_file) is verified', async () => {
    for (const w of [{}, { file: '{{file}}' }]) {
      const h = harness(verifyStep(w), { vars: { backup_file: 'b.dump' }, latest, script: { verify: okVerify('b.dump') } });
      await verifyBackup(h.ctx);
      expect(onlyCall(h.port, 'verify').req.file).toBe('b.dump');
      expect(h.evidenceCalls).toEqual([]);
    }
  });

  it('else the newest backup of the target from the catalogue', async () => {
    const h = harness(verifyStep(), { latest, script: { verify: okVerify('c.dump') } });
    await verifyBackup(h.ctx);
    expect(h.evidenceCalls).toEqual(['latestBackup db.example:5433/sim']);
    expect(onlyCall(h.port, 'verify').req.file).toBe('c.dump');
  });

  it('no archive anywhere → failed with advice, engine not called', async () => {
    const h = harness(verifyStep());
    const r = await verifyBackup(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('No backup to verify');
    expect(r.error).toBe('No backup of sim is in the catalogue (/var/backups/parlant), and the step names none.');
    expect(r.advice).toContain('parlant-runbook run backup');
    expect(r.advice).toContain('--var file=<archive>');
    expect(h.port.calls).toEqual([]);
  });

  it('no evidence port and no file → failed (not a crash)', async () => {
    const r = await verifyBackup(harness(verifyStep(), { noEvidence: true }).ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('No backup to verify');
  });

  it('a dry run → skipped, naming the archive, without calling the engine', async () => {
    const h = harness(verifyStep(), { dryRun: true, vars: { backup_file: 'b.dump' } });
    const r = await verifyBackup(h.ctx);
    expect(r).toEqual({ status: 'skipped', summary: 'Dry run: would verify b.dump' });
    expect(h.port.calls).toEqual([]);
  });

  it('passes trial_restore, and a failed verification fails with the engine error', async () => {
    const h = harness(verifyStep({ trial_restore: true }), {
      vars: { backup_file: 'b.dump' },
      script: {
        verify: { ok: false, summary: 'Corrupt archive', error: 'sha256 mismatch', stages: [{ name: 'checksum', ok: false, detail: 'mismatch' }] },
        events: [{ type: 'stage', name: 'checksum', ok: false, detail: 'sha256 mismatch' }],
      },
    });
    const r = await verifyBackup(h.ctx);
    expect(onlyCall(h.port, 'verify').req).toEqual({ file: 'b.dump', trialRestore: true });
    expect(r.status).toBe('failed');
    expect(r.error).toBe('sha256 mismatch');
    expect(h.output).toEqual([['✖ checksum: sha256 mismatch', 'stderr']]);
  });

  it('verified_file falls back to the requested name when the engine names none', async () => {
    const h = harness(verifyStep(), { vars: { backup_file: 'b.dump' }, script: { verify: { ok: true, summary: 'ok', stages: [] } } });
    const r = await verifyBackup(h.ctx);
    expect(r.vars).toEqual({ verified_file: 'b.dump' });
  });
});

/* ---------------------------------------------------------------------------------------------------------------- */

describe('restore step', () => {
  const restored = (database: string, over: Partial<{ ok: boolean; errors: string[]; error: string; aborted: boolean; refused: boolean; summary: string }> = {}) => ({
    ok: true,
    summary: `Restored into ${database}`,
    database,
    file: '/var/backups/parlant/sim_full.dump',
    errors: [],
    ...over,
  });
  const sessions: SessionInfo[] = [
    { pid: 4242, user: 'app', applicationName: 'sim-web', client: '10.0.0.5', state: 'active', ageSeconds: 120, query: 'select 1' },
    { pid: 4343, user: 'cron', applicationName: '', client: '', state: 'idle', ageSeconds: 5, query: '' },
  ];

  it('defaults to a new database named <db>_restored_<stamp>, lower-case, newest archive, no question asked', async () => {
    const name = `sim_restored_${STAMP}`;
    const h = harness(restoreStep(), { script: { restore: restored(name) } });
    const r = await restore(h.ctx);
    const { req } = onlyCall(h.port, 'restore');
    expect(req).toEqual({ file: 'newest', database: name, mode: 'new', noOwner: false, runId: 'r-42', dryRun: false });
    expect(req.database).toMatch(/^[a-z0-9_]+$/);
    expect(req.database.length).toBeLessThanOrEqual(63);
    expect(h.asked).toEqual([]);
    expect(h.reconnect).not.toHaveBeenCalled();
    expect(r).toEqual({ status: 'passed', summary: `Restored into ${name}`, vars: { restored_database: name } });
  });

  it('the default name never exceeds 63 bytes for a long database name, and keeps the whole stamp', async () => {
    const long = 'a'.repeat(63);
    const h = harness(restoreStep(), { database: long, script: { restore: restored('x') } });
    await restore(h.ctx);
    const db = onlyCall(h.port, 'restore').req.database;
    expect(Buffer.byteLength(db)).toBeLessThanOrEqual(63);
    expect(db).toMatch(/^a+_restored_\d{8}t\d{6}z$/);
    expect(db).not.toBe(long);
  });

  it('restoredName counts bytes, not characters (PostgreSQL names are 63 bytes)', () => {
    const name = restoredName('ü'.repeat(40), new Date(Date.UTC(2026, 10, 21, 12, 0, 0)));
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name.endsWith('_restored_20261121t120000z')).toBe(true);
  });

  it('templates that render empty fall back to the defaults (as restore.yaml passes "{{into}}", "{{file}}", "{{database}}")', async () => {
    const h = harness(restoreStep({ into: '{{into}}', file: '{{file}}', database: '{{database}}' }), { script: { restore: restored('x') } });
    await restore(h.ctx);
    const { req } = onlyCall(h.port, 'restore');
    expect(req.mode).toBe('new');
    expect(req.file).toBe('newest');
    expect(req.database).toBe(`sim_restored_${STAMP}`);
  });

  it('passes a chosen file, database, jobs and no_owner', async () => {
    const h = harness(restoreStep({ file: '{{file}}', database: 'sim_blue', jobs: 4, no_owner: '{{no_owner}}' }), {
      vars: { file: 'sim_full_x.dump', no_owner: 'yes' },
      script: { restore: restored('sim_blue') },
    });
    await restore(h.ctx);
    expect(onlyCall(h.port, 'restore').req).toEqual({ file: 'sim_full_x.dump', database: 'sim_blue', mode: 'new', jobs: 4, noOwner: true, runId: 'r-42', dryRun: false });
  });

  it('an invalid into fails with advice, engine not called', async () => {
    const h = harness(restoreStep({ into: '{{into}}' }), { vars: { into: 'sideways' } });
    const r = await restore(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('Unknown restore mode');
    expect(r.error).toBe('"sideways" is neither new nor replace.');
    expect(r.advice).toContain('--var into=new');
    expect(r.advice).toContain('--var into=replace');
    expect(h.port.calls).toEqual([]);
  });

  it('replace: lists the sessions (ctx.rows) before asking for the typed database name', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { env: 'production', script: { sessions, restore: restored('sim') }, answer: typed('sim') });
    await restore(h.ctx);
    expect(h.port.calls[0]).toEqual({ method: 'sessions', database: 'sim' });
    expect(h.output[0]).toEqual(['2 sessions on sim will be cut off:', undefined]);
    expect(h.tables[0]).toEqual({
      columns: ['pid', 'user', 'application', 'client', 'state', 'connected'],
      rows: [
        ['4242', 'app', 'sim-web', '10.0.0.5', 'active', '120s'],
        ['4343', 'cron', '-', 'local', 'idle', '5s'],
      ],
      total: 2,
    });
    expect(h.timeline.indexOf('rows')).toBeLessThan(h.timeline.indexOf('ask type-to-confirm'));
    expect(h.timeline).toEqual(['sessions', 'output', 'rows', 'ask type-to-confirm', 'restore', 'reconnect']);
    const q = h.asked[0];
    expect(q?.kind).toBe('type-to-confirm');
    if (q?.kind !== 'type-to-confirm') throw new Error('unreachable');
    expect(q.expected).toBe('sim');
    expect(q.target).toBe('db.example:5433/sim as op');
    expect(q.prompt).toBe('Replace the database sim with the backup newest?');
    expect(q.consequences[0]).toContain('(2 now)');
  });

  it('replace with nobody connected says so and shows no table', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { script: { sessions: [], restore: restored('sim') }, answer: typed('sim') });
    await restore(h.ctx);
    expect(h.output[0]).toEqual(['No other session is connected to sim.', undefined]);
    expect(h.tables).toEqual([]);
    expect(h.asked).toHaveLength(1);
  });

  it('replace: a wrong typed name → failed and refused; the engine does not restore and nothing reconnects', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { script: { sessions, restore: restored('sim') }, answer: typed('sym') });
    const r = await restore(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.refused).toBe(true);
    expect(r.summary).toBe('Not confirmed');
    expect(r.error).toBe('Typed "sym", which is not the database name "sim"; nothing was done.');
    expect(h.port.methods()).toEqual(['sessions']);
    expect(h.reconnect).not.toHaveBeenCalled();
  });

  it('replace: an answer that is not typed text is refused too', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { script: { sessions: [], restore: restored('sim') }, answer: yesNo(true) });
    const r = await restore(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.refused).toBe(true);
    expect(r.error).toContain('no answer');
    expect(h.port.methods()).toEqual(['sessions']);
  });

  it('replace: the right name → restore in mode replace into the target database, then reconnect', async () => {
    const h = harness(restoreStep({ into: '{{into}}' }), { vars: { into: 'replace' }, script: { sessions, restore: restored('sim') }, answer: typed('sim') });
    const r = await restore(h.ctx);
    expect(h.port.methods()).toEqual(['sessions', 'restore']);
    const req = h.port.calls[1];
    if (req?.method !== 'restore') throw new Error('expected a restore call');
    expect(req.req.mode).toBe('replace');
    expect(req.req.database).toBe('sim');
    expect(h.reconnect).toHaveBeenCalledTimes(1);
    expect(h.timeline.indexOf('reconnect')).toBeGreaterThan(h.timeline.indexOf('restore'));
    expect(r.status).toBe('passed');
    expect(r.vars).toEqual({ restored_database: 'sim' });
  });

  it('replace: a failing reconnect is reported on stderr and does not change the verdict', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { script: { sessions: [], restore: restored('sim') }, answer: typed('sim'), reconnectFails: 'connection refused' });
    const r = await restore(h.ctx);
    expect(h.output).toContainEqual(['Could not reconnect to sim after the restore: connection refused', 'stderr']);
    expect(r.status).toBe('passed');
  });

  it('replace: a DbPort without reconnect is fine', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { script: { sessions: [], restore: restored('sim') }, answer: typed('sim'), noReconnect: true });
    const r = await restore(h.ctx);
    expect(r.status).toBe('passed');
    expect(h.reconnect).not.toHaveBeenCalled();
  });

  it('replace of another database asks for that name and does not reconnect our session', async () => {
    const h = harness(restoreStep({ into: 'replace', database: 'sim_copy' }), { script: { sessions: [], restore: restored('sim_copy') }, answer: typed('sim_copy') });
    await restore(h.ctx);
    expect(h.port.calls[0]).toEqual({ method: 'sessions', database: 'sim_copy' });
    const q = h.asked[0];
    expect(q?.kind === 'type-to-confirm' && q.expected).toBe('sim_copy');
    expect(h.reconnect).not.toHaveBeenCalled();
  });

  it('replace in a dry run: no sessions, no question, the engine is asked for a dry run → skipped', async () => {
    const h = harness(restoreStep({ into: 'replace' }), { dryRun: true, script: { restore: { ...restored('sim'), summary: 'Dry run: would replace sim' } } });
    const r = await restore(h.ctx);
    expect(h.port.methods()).toEqual(['restore']);
    expect(h.asked).toEqual([]);
    expect(h.reconnect).not.toHaveBeenCalled();
    expect(r).toEqual({ status: 'skipped', summary: 'Dry run: would replace sim' });
  });

  it("pg_restore's errors are shown as rows, and the step fails", async () => {
    const errors = ['pg_restore: error: could not execute query: ERROR:  role "sim_owner" does not exist', 'pg_restore: error: relation "x" already exists'];
    const h = harness(restoreStep(), { script: { restore: restored('sim_new', { ok: false, errors, summary: 'Restore failed', error: errors[0] }) } });
    const r = await restore(h.ctx);
    expect(h.tables).toEqual([{ columns: ['pg_restore error'], rows: errors.map((e) => [e]), total: 2 }]);
    expect(r.status).toBe('failed');
    expect(r.error).toBe(errors[0]);
  });

  it('at most 50 error rows are shown, with the true total', async () => {
    const errors = Array.from({ length: 60 }, (_, i) => `error ${i}`);
    const h = harness(restoreStep(), { script: { restore: restored('x', { ok: false, errors }) } });
    await restore(h.ctx);
    expect(h.tables[0]?.rows).toHaveLength(50);
    expect(h.tables[0]?.rows[49]).toEqual(['error 49']);
    expect(h.tables[0]?.total).toBe(60);
  });

  it('an aborted restore is aborted and shows no error table', async () => {
    const h = harness(restoreStep(), { script: { restore: restored('x', { ok: false, aborted: true, errors: ['killed'], summary: 'Aborted' }) } });
    const r = await restore(h.ctx);
    expect(r.status).toBe('aborted');
    expect(h.tables).toEqual([]);
  });

  const failures: [string, Parameters<typeof restored>[1], boolean][] = [
    ['with errors', { ok: false, errors: ['boom'] }, false],
    ['without error lines', { ok: false, error: 'createdb failed' }, false],
    ['refused', { ok: false, refused: true, error: 'newest backup is not verified' }, false],
    ['aborted', { ok: false, aborted: true }, false],
    ['failed in a dry run', { ok: false, error: 'archive missing' }, true],
  ];
  it.each(failures)('a failed restore (%s) is never passed', async (_name, over, dryRun) => {
    const h = harness(restoreStep(), { dryRun, script: { restore: restored('x', over) } });
    const r = await restore(h.ctx);
    expect(r.status).not.toBe('passed');
    expect(r.status).not.toBe('skipped');
    expect(['failed', 'aborted']).toContain(r.status);
  });

  it('a refused restore carries refused: true', async () => {
    const r = await restore(harness(restoreStep(), { script: { restore: restored('x', { ok: false, refused: true, error: 'not verified' }) } }).ctx);
    expect(r.refused).toBe(true);
  });
});

/* ---------------------------------------------------------------------------------------------------------------- */

describe('partial-recovery step', () => {
  const tables = 'parlant_agent, parlant_session';
  const diffs = [
    { table: 'parlant_agent', key: ['id'], live: 10, backup: 13, missing: 3, differ: 1 },
    { table: 'parlant_session', key: ['id'], live: 5, backup: 7, missing: 2, differ: 0 },
  ];

  describe('load', () => {
    it('computes the summary from the diffs and sets partial_schema / partial_missing / partial_differ', async () => {
      const h = harness(partialStep({ action: 'load', tables, schema: 'recovered_x', file: 'a.dump' }), { script: { partialLoad: { ok: true, summary: 'loaded', diffs } } });
      const r = await partialRecovery(h.ctx);
      expect(onlyCall(h.port, 'partialLoad').req).toEqual({ file: 'a.dump', tables: ['parlant_agent', 'parlant_session'], schema: 'recovered_x' });
      expect(r).toEqual({
        status: 'passed',
        summary: '5 rows missing, 1 differ (backup rows in recovered_x)',
        vars: { partial_schema: 'recovered_x', partial_missing: 5, partial_differ: 1 },
      });
    });

    it('defaults: schema recovered_<stamp>, file newest; one missing row is singular', async () => {
      const h = harness(partialStep({ action: 'load', tables: '{{tables}}', schema: '{{schema}}', file: '{{file}}' }), {
        vars: { tables: 'parlant_agent' },
        script: { partialLoad: { ok: true, summary: 'loaded', diffs: [{ table: 'parlant_agent', key: ['id'], live: 1, backup: 2, missing: 1, differ: 0 }] } },
      });
      const r = await partialRecovery(h.ctx);
      expect(onlyCall(h.port, 'partialLoad').req).toEqual({ file: 'newest', tables: ['parlant_agent'], schema: `recovered_${STAMP}` });
      expect(r.summary).toBe(`1 row missing, 0 differ (backup rows in recovered_${STAMP})`);
      expect(r.vars).toEqual({ partial_schema: `recovered_${STAMP}`, partial_missing: 1, partial_differ: 0 });
    });

    it('no tables → failed with advice, engine not called', async () => {
      const h = harness(partialStep({ action: 'load', tables: '{{tables}}' }));
      const r = await partialRecovery(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.summary).toBe('No tables chosen');
      expect(r.advice).toContain('--var tables=');
      expect(h.port.calls).toEqual([]);
    });

    it('a failed load keeps the engine summary and error', async () => {
      const h = harness(partialStep({ action: 'load', tables, schema: 'recovered_x' }), {
        script: { partialLoad: { ok: false, summary: 'Load failed', error: 'schema recovered_x already exists', diffs: [] } },
      });
      const r = await partialRecovery(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.summary).toBe('Load failed');
      expect(r.error).toBe('schema recovered_x already exists');
    });

    it('a dry run → skipped without loading', async () => {
      const h = harness(partialStep({ action: 'load', tables, schema: 'recovered_x' }), { dryRun: true });
      const r = await partialRecovery(h.ctx);
      expect(r).toEqual({ status: 'skipped', summary: 'Dry run: would load parlant_agent, parlant_session from newest into the schema recovered_x' });
      expect(h.port.calls).toEqual([]);
    });
  });

  describe('merge', () => {
    const merged = { ok: true, summary: 'merged', diffs: [], merged: { parlant_agent: 3, parlant_session: 2 } };

    it('without a side schema → failed with advice, nothing asked', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { answer: yesNo(true) });
      const r = await partialRecovery(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.summary).toBe('No side schema');
      expect(r.advice).toContain('--var schema=');
      expect(h.asked).toEqual([]);
      expect(h.port.calls).toEqual([]);
    });

    it('with partial_missing 0 → passed without asking or merging', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { env: 'production', vars: { partial_schema: 'recovered_x', partial_missing: 0 } });
      const r = await partialRecovery(h.ctx);
      expect(r).toEqual({ status: 'passed', summary: 'No rows are missing: nothing to merge' });
      expect(h.asked).toEqual([]);
      expect(h.port.calls).toEqual([]);
    });

    it('in dev asks a y/n confirm; yes → merge with the schema from the load step', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { env: 'dev', vars: { partial_schema: 'recovered_x', partial_missing: 5 }, script: { partialMerge: merged }, answer: yesNo(true) });
      const r = await partialRecovery(h.ctx);
      expect(h.asked).toEqual([{ kind: 'confirm', prompt: 'Insert 5 missing rows from recovered_x into parlant_agent, parlant_session on sim?' }]);
      expect(onlyCall(h.port, 'partialMerge').req).toEqual({ tables: ['parlant_agent', 'parlant_session'], schema: 'recovered_x' });
      expect(r).toEqual({ status: 'passed', summary: 'Inserted 5 rows; recovered_x kept for inspection' });
    });

    it('staging asks a y/n confirm too (only production wants the name typed)', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { env: 'staging', vars: { partial_schema: 'recovered_x', partial_missing: 1 }, script: { partialMerge: merged }, answer: yesNo(true) });
      await partialRecovery(h.ctx);
      expect(h.asked.map((a) => a.kind)).toEqual(['confirm']);
      expect(h.asked[0]).toEqual({ kind: 'confirm', prompt: 'Insert 1 missing row from recovered_x into parlant_agent, parlant_session on sim?' });
    });

    it('in dev, declined → failed and refused, partialMerge not called', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { vars: { partial_schema: 'recovered_x', partial_missing: 5 }, script: { partialMerge: merged }, answer: yesNo(false) });
      const r = await partialRecovery(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.refused).toBe(true);
      expect(r.summary).toBe('Not confirmed');
      expect(h.port.calls).toEqual([]);
    });

    it('in production asks to type the database name; typed right → merge', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { env: 'production', vars: { partial_schema: 'recovered_x', partial_missing: 5 }, script: { partialMerge: merged }, answer: typed('sim') });
      const r = await partialRecovery(h.ctx);
      const q = h.asked[0];
      expect(h.asked).toHaveLength(1);
      if (q?.kind !== 'type-to-confirm') throw new Error(`expected type-to-confirm, got ${q?.kind}`);
      expect(q.expected).toBe('sim');
      expect(q.target).toBe('db.example:5433/sim as op');
      expect(q.prompt).toBe('Insert 5 missing rows from recovered_x into parlant_agent, parlant_session on sim?');
      expect(q.consequences).toContain('recovered_x stays until you drop it');
      expect(onlyCall(h.port, 'partialMerge').req.schema).toBe('recovered_x');
      expect(r.status).toBe('passed');
    });

    it('in production, a wrong typed name → refused, partialMerge not called', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { env: 'production', vars: { partial_schema: 'recovered_x', partial_missing: 5 }, script: { partialMerge: merged }, answer: typed('prod') });
      const r = await partialRecovery(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.refused).toBe(true);
      expect(r.error).toBe('The operator did not confirm the merge; nothing was inserted.');
      expect(h.port.calls).toEqual([]);
    });

    it('with.schema wins over partial_schema; an unknown count is asked about as "the missing rows"', async () => {
      const h = harness(partialStep({ action: 'merge', tables, schema: '{{schema}}' }), { vars: { schema: 'recovered_named', partial_schema: 'recovered_x' }, script: { partialMerge: merged }, answer: yesNo(true) });
      await partialRecovery(h.ctx);
      expect(h.asked[0]).toEqual({ kind: 'confirm', prompt: 'Insert the missing rows from recovered_named into parlant_agent, parlant_session on sim?' });
      expect(onlyCall(h.port, 'partialMerge').req).toEqual({ tables: ['parlant_agent', 'parlant_session'], schema: 'recovered_named' });
    });

    it('a dry run → skipped without asking', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), { dryRun: true, vars: { partial_schema: 'recovered_x', partial_missing: 5 } });
      const r = await partialRecovery(h.ctx);
      expect(r).toEqual({ status: 'skipped', summary: 'Dry run: would insert the missing rows from recovered_x' });
      expect(h.asked).toEqual([]);
      expect(h.port.calls).toEqual([]);
    });

    it('a failed merge fails with the engine error', async () => {
      const h = harness(partialStep({ action: 'merge', tables }), {
        vars: { partial_schema: 'recovered_x', partial_missing: 5 },
        script: { partialMerge: { ok: false, summary: 'Merge failed', error: 'insert or update on table "parlant_session" violates foreign key constraint', diffs: [] } },
        answer: yesNo(true),
      });
      const r = await partialRecovery(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.summary).toBe('Merge failed');
      expect(r.error).toContain('foreign key');
    });
  });
});

/* ---------------------------------------------------------------------------------------------------------------- */

describe('pitr step', () => {
  const check = (name: string, ok: boolean, detail: string, warn?: boolean) => ({ name, ok, detail, ...(warn ? { warn } : {}) });

  describe('readiness', () => {
    it('ready → passed, with every check shown as a row', async () => {
      const checks = [check('wal_level', true, 'replica'), check('archive_command', true, 'archiving works (last 10 s ago)')];
      const h = harness(pitrStep({ action: 'readiness' }), { script: { pitrReadiness: { checks, ready: true } } });
      const r = await pitr(h.ctx);
      expect(r).toEqual({ status: 'passed', summary: 'Ready for point-in-time recovery' });
      expect(h.tables).toEqual([
        {
          columns: ['check', 'result', 'detail'],
          rows: [
            ['wal_level', '✔ ok', 'replica'],
            ['archive_command', '✔ ok', 'archiving works (last 10 s ago)'],
          ],
          total: 2,
        },
      ]);
      expect(h.port.methods()).toEqual(['pitrReadiness']);
    });

    it('ready but a check warns → warned', async () => {
      const checks = [check('wal_level', true, 'replica'), check('base backup', true, 'the newest is 9 days old', true)];
      const h = harness(pitrStep({ action: 'readiness' }), { script: { pitrReadiness: { checks, ready: true } } });
      const r = await pitr(h.ctx);
      expect(r.status).toBe('warned');
      expect(h.tables[0]?.rows[1]).toEqual(['base backup', '! warn', 'the newest is 9 days old']);
    });

    it('a warning as the engine writes it (ok: false, warn: true) is a warning, not a failure', async () => {
      const checks = [check('wal_level', true, 'replica'), check('base backup privilege', false, 'sim_admin has no REPLICATION', true)];
      const h = harness(pitrStep({ action: 'readiness' }), { script: { pitrReadiness: { checks, ready: true } } });
      const r = await pitr(h.ctx);
      expect(r.status).toBe('warned');
      expect(r.summary).toBe('Ready for point-in-time recovery');
      expect(h.tables[0]?.rows[1]).toEqual(['base backup privilege', '! warn', 'sim_admin has no REPLICATION']);
    });

    it('not ready → failed, naming the failing checks in the summary and their details in the error', async () => {
      const checks = [check('wal_level', false, 'minimal: needs replica'), check('archive_mode', true, 'on'), check('archive_command', false, 'last archiving failed')];
      const h = harness(pitrStep({ action: 'readiness' }), { script: { pitrReadiness: { checks, ready: false } } });
      const r = await pitr(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.summary).toBe('Not ready: wal_level, archive_command');
      expect(r.error).toBe('wal_level: minimal: needs replica\narchive_command: last archiving failed');
      expect(h.tables[0]?.rows.map((x) => x[1])).toEqual(['✖ fail', '✔ ok', '✖ fail']);
      expect(h.tables[0]?.total).toBe(3);
    });
  });

  describe('recover', () => {
    it.each(['2026-11-21 10:00', '2026-11-21T10:00:00', 'yesterday', 'not a time Z'])('a target time without a zone (%j) fails with advice, engine not called', async (t) => {
      const h = harness(pitrStep({ action: 'recover', target_time: '{{target_time}}' }), { vars: { target_time: t } });
      const r = await pitr(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.summary).toBe('No valid target time');
      expect(r.error).toBe(`"${t}" is not a time with a zone.`);
      expect(r.advice).toContain('--var target_time=2026-11-21T10:30:00Z');
      expect(h.port.calls).toEqual([]);
    });

    it('no target time at all fails the same way', async () => {
      const h = harness(pitrStep({ action: 'recover', target_time: '{{target_time}}' }), { vars: { target_time: '' } });
      const r = await pitr(h.ctx);
      expect(r.status).toBe('failed');
      expect(r.error).toBe('"" is not a time with a zone.');
      expect(h.port.calls).toEqual([]);
    });

    it('"2026-11-21T10:00:00Z" → the engine is asked to recover with action promote', async () => {
      const h = harness(pitrStep({ action: 'recover', target_time: '{{target_time}}' }), {
        vars: { target_time: '2026-11-21T10:00:00Z' },
        script: { pitrRecover: { ok: true, summary: 'Recovered to 10:00', url: 'postgresql://op@localhost:55432/sim' } },
      });
      const r = await pitr(h.ctx);
      expect(onlyCall(h.port, 'pitrRecover').req).toEqual({ targetTime: '2026-11-21T10:00:00Z', action: 'promote', runId: 'r-42', dryRun: false });
      expect(r).toEqual({ status: 'passed', summary: 'Recovered to 10:00', vars: { recovered_url: 'postgresql://op@localhost:55432/sim' } });
    });

    it('an offset zone, a chosen base and recovery_action reach the engine', async () => {
      const h = harness(pitrStep({ action: 'recover', target_time: '2026-11-21 11:00:00+01:00', base: '{{base}}', recovery_action: 'pause' }), {
        vars: { base: 'base_20261121' },
        script: { pitrRecover: { ok: true, summary: 'Paused at the target' } },
      });
      const r = await pitr(h.ctx);
      expect(onlyCall(h.port, 'pitrRecover').req).toEqual({ targetTime: '2026-11-21 11:00:00+01:00', action: 'pause', runId: 'r-42', dryRun: false, base: 'base_20261121' });
      expect(r).toEqual({ status: 'passed', summary: 'Paused at the target' });
    });

    it('a dry run the engine accepts → skipped; a failed recovery → failed', async () => {
      const dry = harness(pitrStep({ action: 'recover', target_time: '2026-11-21T10:00:00Z' }), { dryRun: true, script: { pitrRecover: { ok: true, summary: 'Dry run: the procedure' } } });
      expect(await pitr(dry.ctx)).toEqual({ status: 'skipped', summary: 'Dry run: the procedure' });
      expect(onlyCall(dry.port, 'pitrRecover').req.dryRun).toBe(true);

      const bad = harness(pitrStep({ action: 'recover', target_time: '2026-11-21T10:00:00Z' }), {
        script: { pitrRecover: { ok: false, summary: 'Recovery failed', error: 'WAL segment missing', advice: 'Check the archive.' } },
      });
      const r = await pitr(bad.ctx);
      expect(r.status).toBe('failed');
      expect(r.error).toBe('WAL segment missing');
      expect(r.advice).toBe('Check the archive.');
    });
  });

  describe('base-backup', () => {
    it('passes the run id, operator and dry-run flag; the archive goes into base_backup', async () => {
      const h = harness(pitrStep({ action: 'base-backup' }), { script: { baseBackup: { ok: true, summary: 'Base backup taken', file: '/var/backups/parlant/base_x' } } });
      const r = await pitr(h.ctx);
      expect(onlyCall(h.port, 'baseBackup').req).toEqual({ runId: 'r-42', operator: 'alice', dryRun: false });
      expect(r).toEqual({ status: 'passed', summary: 'Base backup taken', vars: { base_backup: '/var/backups/parlant/base_x' } });
    });

    it('a dry run → skipped; a failure → failed', async () => {
      const dry = harness(pitrStep({ action: 'base-backup' }), { dryRun: true, script: { baseBackup: { ok: true, summary: 'Dry run: pg_basebackup …' } } });
      expect(await pitr(dry.ctx)).toEqual({ status: 'skipped', summary: 'Dry run: pg_basebackup …' });
      expect(onlyCall(dry.port, 'baseBackup').req).toEqual({ runId: 'r-42', operator: 'alice', dryRun: true });

      const bad = harness(pitrStep({ action: 'base-backup' }), { script: { baseBackup: { ok: false, summary: 'Failed', error: 'no replication slot' } } });
      const r = await pitr(bad.ctx);
      expect(r.status).toBe('failed');
      expect(r.error).toBe('no replication slot');
    });
  });

  it('shows engine events (the live block) while it works', async () => {
    const p: Progress = { action: 'base backup', done: 0, bytes: 500, elapsedMs: 1000 };
    const h = harness(pitrStep({ action: 'base-backup' }), {
      script: { baseBackup: { ok: true, summary: 'ok' }, events: [{ type: 'progress', progress: p }, { type: 'progress', progress: null }] },
    });
    await pitr(h.ctx);
    expect(h.live).toEqual([['base backup: 0 tables · 500 B · 500 B/s · 0:01'], []]);
  });
});

/* ---------------------------------------------------------------------------------------------------------------- */

describe('runbooks that use the backup steps', () => {
  const root = packageRoot();
  const runbooksDir = path.join(root, 'runbooks');
  const load = (name: string): Promise<Runbook> => loadRunbook(path.join(runbooksDir, `${name}.yaml`), runbooksDir, root);
  const stepOf = <K extends Step['kind']>(rb: Runbook, id: string, kind: K): StepOf<K> => {
    const s = rb.steps.find((x) => x.id === id);
    if (!s || s.kind !== kind) throw new Error(`${rb.id}: no ${kind} step ${id}`);
    return s as StepOf<K>;
  };

  it('backup.yaml loads, and its dump step takes the chosen kind with the runbook default trial_restore "no"', async () => {
    const rb = await load('backup');
    expect(rb.id).toBe('backup');
    expect(rb.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['kind:choose', 'dump:backup', 'done:note']);
    const h = harness(stepOf(rb, 'dump', 'backup'), { vars: { ...rb.vars, backup_kind: 'full' }, script: { backup: okBackup } });
    const r = await backup(h.ctx);
    expect(onlyCall(h.port, 'backup').req).toEqual({ kind: 'full', verify: true, trialRestore: false, runId: 'r-42', operator: 'alice', dryRun: false });
    expect(r.vars).toEqual({ backup_file: okBackup.file, 'dump.file': okBackup.file });
  });

  it('restore.yaml loads; its restore step is destructive and defaults to a new database', async () => {
    const rb = await load('restore');
    expect(rb.id).toBe('restore');
    expect(rb.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['mode:choose', 'restore:restore', 'switch:note', 'replaced:note']);
    const step = stepOf(rb, 'restore', 'restore');
    expect(step.destructive).toBe(true);
    const h = harness(step, { vars: { ...rb.vars }, script: { restore: { ok: true, summary: 'ok', database: 'x', errors: [] } } });
    await restore(h.ctx);
    expect(onlyCall(h.port, 'restore').req).toMatchObject({ mode: 'new', file: 'newest', database: `sim_restored_${STAMP}` });
  });

  it('partial-recovery.yaml loads: load then merge, the merge destructive', async () => {
    const rb = await load('partial-recovery');
    expect(rb.id).toBe('partial-recovery');
    expect(rb.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['what:note', 'load:partial-recovery', 'merge:partial-recovery', 'cleanup:note']);
    expect(stepOf(rb, 'load', 'partial-recovery').with.action).toBe('load');
    const merge = stepOf(rb, 'merge', 'partial-recovery');
    expect(merge.with.action).toBe('merge');
    expect(merge.destructive).toBe(true);
  });

  it('pitr.yaml loads: readiness, base-backup, recover (promote), and recover refuses the default empty target_time', async () => {
    const rb = await load('pitr');
    expect(rb.id).toBe('pitr');
    expect(rb.steps.map((s) => `${s.id}:${s.kind}`)).toEqual(['base-backup:pitr', 'readiness:pitr', 'recover:pitr', 'prepared:note', 'recovered:note']);
    const rec = stepOf(rb, 'recover', 'pitr');
    expect(rec.with).toEqual({ action: 'recover', target_time: '{{target_time}}', recovery_action: 'promote' });
    const h = harness(rec, { vars: { ...rb.vars } });
    const r: StepResult = await pitr(h.ctx);
    expect(r.status).toBe('failed');
    expect(r.summary).toBe('No valid target time');
    expect(h.port.calls).toEqual([]);
  });
});

/* ----------------------------------------------------------------------------------------------------------------
 * verify_first (the emergency runbook): the archive is verified before it is restored; a damaged one is never
 * restored, the other verified backups are offered instead.
 * -------------------------------------------------------------------------------------------------------------- */

describe('restore step with verify_first', () => {
  const HOUR = 3_600_000;
  const item = (file: string, hoursOld: number, verification: CatalogItem['verification'] = 'verified'): CatalogItem => ({ file, kind: 'full', finishedAt: NOW - hoursOld * HOUR, size: 12_000_000, verification });
  const verifyOk = (file: string): VerifyOutcome => ({ ok: true, summary: `Verified ${file}`, file, stages: [] });
  const verifyBad = (file: string): VerifyOutcome => ({ ok: false, summary: `Verification of ${file} failed`, error: 'checksum: sha256 differs from the manifest', file, stages: [] });

  /** A fake engine whose verify fails for the files in `bad` (and marks them failed in the catalogue, as the real one does). */
  function withCatalogue(h: Harness<StepOf<'restore'>>, items: CatalogItem[], bad: string[]): string[] {
    const verified: string[] = [];
    Object.assign(h.port, {
      catalogue: async () => structuredClone(items),
      verify: async (req: VerifyRequest) => {
        verified.push(req.file);
        if (bad.includes(req.file)) {
          const i = items.findIndex((x) => x.file === req.file);
          if (i >= 0) items[i] = { ...items[i]!, verification: 'failed' };
          return verifyBad(req.file);
        }
        return verifyOk(req.file);
      },
    });
    return verified;
  }
  const restored = { ok: true, summary: 'Restored', database: 'sim', errors: [] };
  const texts = (h: Harness<Step>): string => h.output.map(([t]) => t).join('\n');

  it('verifies the newest verified backup, then restores exactly that file (no question when it verifies)', async () => {
    const h = harness(restoreStep({ verify_first: true }), { script: { restore: restored } });
    const verified = withCatalogue(h, [item('sim_full_new.dump', 1), item('sim_full_old.dump', 25)], []);
    const r = await restore(h.ctx);
    expect(verified).toEqual(['sim_full_new.dump']);
    expect(onlyCall(h.port, 'restore').req.file).toBe('sim_full_new.dump');
    expect(h.asked).toEqual([]);
    expect(texts(h)).toMatch(/✔ sim_full_new\.dump verified: restoring it/);
    expect(r.status).toBe('passed');
  });

  it('a corrupt newest backup: says so plainly, lists the other verified ones newest first, asks backup_choice, restores the chosen one', async () => {
    const h = harness(restoreStep({ verify_first: true }), {
      script: { restore: restored },
      answer: (q) => (q.kind === 'choose' ? { kind: 'choice', value: 'sim_full_old.dump' } : { kind: 'confirm', yes: false }),
    });
    const verified = withCatalogue(h, [item('sim_full_new.dump', 1), item('sim_full_mid.dump', 5, 'unverified'), item('sim_full_old.dump', 25)], ['sim_full_new.dump']);
    const r = await restore(h.ctx);
    expect(verified).toEqual(['sim_full_new.dump', 'sim_full_old.dump']);
    expect(texts(h)).toMatch(/✖ sim_full_new\.dump FAILED verification: checksum: sha256 differs from the manifest\. It will not be restored\./);
    expect(h.tables[0]).toEqual({ columns: ['file', 'age', 'size'], rows: [['sim_full_old.dump', '25 h 0 min', '12.0 MB']], total: 1 });
    const q = h.asked[0];
    expect(q?.kind).toBe('choose');
    if (q?.kind === 'choose') {
      expect(q.var).toBe('backup_choice');
      expect(q.options.map((o) => o.value)).toEqual(['sim_full_old.dump', 'stop']);
      // No default: --yes must not fall back to an older backup (what was written after it is lost).
      expect(q.default).toBeUndefined();
    }
    expect(onlyCall(h.port, 'restore').req.file).toBe('sim_full_old.dump');
    expect(r.status).toBe('passed');
  });

  it('choosing "stop" restores nothing and names the options left', async () => {
    const h = harness(restoreStep({ verify_first: true }), { answer: () => ({ kind: 'choice', value: 'stop' }) });
    withCatalogue(h, [item('a.dump', 1), item('b.dump', 2)], ['a.dump']);
    const r = await restore(h.ctx);
    expect(h.port.methods()).not.toContain('restore');
    expect(r).toMatchObject({ status: 'failed', refused: true, summary: 'Nothing restored: a.dump failed verification' });
    expect(r.advice).toMatch(/PITR|pitr/);
    expect(r.advice).toMatch(/--var file=<archive>/);
  });

  it('no verified backup at all: fails before touching anything, lists the unverified ones and the options left', async () => {
    const h = harness(restoreStep({ verify_first: true }));
    const verified = withCatalogue(h, [item('u.dump', 3, 'unverified'), item('f.dump', 9, 'failed')], []);
    const r = await restore(h.ctx);
    expect(verified).toEqual([]);
    expect(h.port.methods()).not.toContain('restore');
    expect(r).toMatchObject({ status: 'failed', summary: 'No verified backup of sim to restore' });
    expect(r.error).toMatch(/Nothing was restored/);
    expect(r.advice).toMatch(/take a backup of it now/);
    expect(h.tables[0]?.rows.map((x) => x[0])).toEqual(['u.dump', 'f.dump']);
  });

  it('the only verified backup is corrupt: fails with the options left, never restores the damaged one', async () => {
    const h = harness(restoreStep({ verify_first: true }));
    withCatalogue(h, [item('only.dump', 1)], ['only.dump']);
    const r = await restore(h.ctx);
    expect(h.port.methods()).not.toContain('restore');
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/only\.dump failed verification and no other verified backup of sim is in the catalogue/);
    expect(h.asked).toEqual([]);
  });

  it('without verify_first nothing is verified first (existing behaviour)', async () => {
    const h = harness(restoreStep(), { script: { restore: { ...restored, database: `sim_restored_${STAMP}` } } });
    const verified = withCatalogue(h, [item('a.dump', 1)], []);
    await restore(h.ctx);
    expect(verified).toEqual([]);
    expect(onlyCall(h.port, 'restore').req.file).toBe('newest');
  });
});

describe('sessions step', () => {
  const stepOf = (exclude?: string[]): StepOf<'sessions'> => ({ id: 'stabilise-sessions', title: 'Sessions', kind: 'sessions', with: { action: 'terminate', ...(exclude ? { exclude_apps: exclude } : {}) } });
  const s = (pid: number, app: string, user = 'app'): SessionInfo => ({ pid, user, applicationName: app, client: '10.0.0.5', state: 'idle', ageSeconds: 30, query: 'select 1' });

  function withTerminate(h: Harness<StepOf<'sessions'>>, after: SessionInfo[] = [], refuse: number[] = []): number[][] {
    const calls: number[][] = [];
    let listed = 0;
    const first = h.port.sessions.bind(h.port);
    Object.assign(h.port, {
      sessions: async (db: string) => (listed++ === 0 ? first(db) : structuredClone(after)),
      terminate: async (pids: number[]) => {
        calls.push(pids);
        return pids.map((pid) => (refuse.includes(pid) ? { pid, ok: false, message: 'permission denied to terminate process' } : { pid, ok: true, message: 'terminated' }));
      },
    });
    return calls;
  }

  it('nobody else connected: passed "No other session", no question asked (our own run connection ignored)', async () => {
    const h = harness(stepOf(), { script: { sessions: [s(1, 'parlant-runbook/1.0 run=r-42')] } });
    const calls = withTerminate(h);
    const r = await sessions(h.ctx);
    expect(r).toEqual({ status: 'passed', summary: 'No other session on sim' });
    expect(calls).toEqual([]);
    expect(h.asked).toEqual([]);
  });

  it('lists who will be cut off, asks for the database name, terminates them', async () => {
    const h = harness(stepOf(['pg-monitor']), {
      script: { sessions: [s(10, 'sim-web'), s(11, 'sim-web'), s(12, 'pg-monitor'), s(13, 'parlant-runbook run=r-42')] },
      answer: () => ({ kind: 'typed', text: 'sim' }),
    });
    const calls = withTerminate(h);
    const r = await sessions(h.ctx);
    expect(h.tables[0]?.columns).toEqual(['pid', 'user', 'application', 'client', 'state', 'connected', 'query']);
    expect(h.tables[0]?.rows.map((x) => x[0])).toEqual(['10', '11']);
    const q = h.asked[0];
    expect(q?.kind).toBe('type-to-confirm');
    if (q?.kind === 'type-to-confirm') {
      expect(q.expected).toBe('sim');
      expect(q.consequences[0]).toBe('2 sessions of sim-web (user app, from 10.0.0.5) are terminated');
    }
    expect(calls).toEqual([[10, 11]]);
    expect(r).toEqual({ status: 'passed', summary: 'Terminated 2 sessions on sim' });
  });

  it('a wrong name is refused and nothing is terminated', async () => {
    const h = harness(stepOf(), { script: { sessions: [s(10, 'sim-web')] }, answer: () => ({ kind: 'typed', text: 'sim2' }) });
    const calls = withTerminate(h);
    const r = await sessions(h.ctx);
    expect(calls).toEqual([]);
    expect(r).toMatchObject({ status: 'failed', refused: true });
    expect(r.error).toMatch(/Typed "sim2", which is not the database name "sim"; no session was terminated/);
  });

  it('a client that reconnects at once is a warning naming it', async () => {
    const h = harness(stepOf(), { script: { sessions: [s(10, 'sim-web')] }, answer: () => ({ kind: 'typed', text: 'sim' }) });
    withTerminate(h, [s(20, 'sim-web')]);
    const r = await sessions(h.ctx);
    expect(r.status).toBe('warned');
    expect(r.advice).toMatch(/Something reconnects at once \(sim-web\): stop it/);
  });

  it('a session the role may not terminate fails the step with what to do', async () => {
    const h = harness(stepOf(), { script: { sessions: [s(10, 'sim-web'), s(11, 'psql', 'dba')] }, answer: () => ({ kind: 'typed', text: 'sim' }) });
    withTerminate(h, [], [11]);
    const r = await sessions(h.ctx);
    expect(r).toMatchObject({ status: 'failed', summary: '1 session of 2 could not be terminated' });
    expect(r.error).toMatch(/pid 11: permission denied/);
    expect(r.advice).toMatch(/pg_signal_backend/);
  });
});
