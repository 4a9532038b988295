import { formatMs } from './engine.js';
import { formatClock } from './incidentClock.js';

/**
 * The rollback triggers (issue 7, the seeds' "Emergency Rollback Triggers"), watched while a migration runs:
 *
 * - duration: the migration has run more than `durationFactor` × the expected time (preflight's estimate, or
 *   `--var expected_minutes`), and at least `durationFloorMs` — estimates of a few seconds are not precise
 *   enough to call a 10-second run overdue;
 * - error rate: more than `errorRate` of the database's transactions rolled back over the last `windowMs`
 *   (pg_stat_database xact_rollback / (xact_commit + xact_rollback)), once at least `minTransactions` ran in
 *   the window — two transactions, one rolled back, is not a 50 % error rate. This run's own rolled-back
 *   transactions (lock_timeout retries, reported in the samples) are left out: waiting out a blocker as designed
 *   must not look like the application failing;
 * - connections: client connections over `connections` × max_connections, server-wide (that is what runs out);
 * - health: app.health_url failing `healthFailures` times in a row after it was seen healthy. A URL that fails
 *   from the first look is an application stopped on purpose (a maintenance window), not an alarm.
 *
 * This module decides; it never samples or acts. The migrate step feeds it samples and shows what it raises.
 * A trigger is raised once when it becomes true and cleared when it is false again.
 */

export type TriggerId = 'duration' | 'error-rate' | 'connections' | 'health';
export type TriggerAction = 'alert' | 'stop' | 'rollback';

export interface TriggerSettings {
  action: TriggerAction;
  durationFactor: number;
  durationFloorMs: number;
  errorRate: number;
  minTransactions: number;
  connections: number;
  health: boolean;
  healthFailures: number;
  intervalMs: number;
  windowMs: number;
}

export const DEFAULT_TRIGGERS: TriggerSettings = {
  action: 'alert',
  durationFactor: 2,
  durationFloorMs: 60_000,
  errorRate: 0.05,
  minTransactions: 20,
  connections: 0.8,
  health: true,
  healthFailures: 2,
  intervalMs: 5_000,
  windowMs: 60_000,
};

export const TRIGGER_TITLE: Record<TriggerId, string> = {
  duration: 'run time',
  'error-rate': 'error rate',
  connections: 'connections',
  health: 'health',
};

/** One look at the database and the application. Missing parts were not measured. */
export interface TriggerSample {
  at: number;
  /** pg_stat_database of the target: transactions committed and rolled back since the stats were reset. */
  commits?: number;
  rollbacks?: number;
  /** Client backends on the server, and max_connections. */
  connections?: number;
  maxConnections?: number;
  /** The health URL's answer; undefined when it is not watched. */
  health?: { ok: boolean; detail: string };
  /** Of the rolled-back transactions, how many are this run's own so far (its lock_timeout retries). */
  ownRollbacks?: number;
}

/** What the step shows, journals and (when configured) acts on. */
export interface TriggerAlert {
  trigger: TriggerId;
  state: 'raised' | 'cleared';
  /** One line: what crossed which line, with the numbers. */
  message: string;
}

/** The expected duration and where it came from (for the message). */
export interface Expected {
  ms: number;
  source: string;
}

export class TriggerWatch {
  private readonly history: TriggerSample[] = [];
  private readonly active = new Map<TriggerId, string>();
  private healthFails = 0;
  private healthSeenOk = false;

  constructor(
    readonly settings: TriggerSettings,
    readonly expected: Expected | undefined,
    /** healthSeen: an earlier step of the run saw the application healthy, so a failing first look is an alarm. */
    opts: { healthSeen?: boolean } = {},
  ) {
    this.healthSeenOk = opts.healthSeen ?? false;
  }

  /** Whether the health URL answered its first look (false: the app is down on purpose; not watched until it is up). */
  get healthWatched(): boolean {
    return this.healthSeenOk;
  }

  /** The duration line a trigger at `elapsedMs` of migration would cross, or undefined when none is known. */
  get overdueAtMs(): number | undefined {
    if (!this.expected) return undefined;
    return Math.max(this.expected.ms * this.settings.durationFactor, this.settings.durationFloorMs);
  }

  /** Feed one sample and the migration's run time so far; returns what changed. */
  observe(sample: TriggerSample, migrationMs: number): TriggerAlert[] {
    // Only samples that read the counters serve as the error rate's baseline.
    if (sample.commits !== undefined && sample.rollbacks !== undefined) this.history.push(sample);
    // Keep what the window needs, plus the one sample just before it (the baseline).
    while (this.history.length > 2 && (this.history[1] as TriggerSample).at <= sample.at - this.settings.windowMs) this.history.shift();

    const now = new Map<TriggerId, string | undefined>([
      ['duration', this.duration(migrationMs)],
      ['error-rate', this.errorRate(sample)],
      ['connections', this.connections(sample)],
      ['health', this.health(sample)],
    ]);
    const changes: TriggerAlert[] = [];
    for (const [id, message] of now) {
      const was = this.active.get(id);
      if (message !== undefined && was === undefined) {
        this.active.set(id, message);
        changes.push({ trigger: id, state: 'raised', message });
      } else if (message === undefined && was !== undefined && this.measured(id, sample)) {
        this.active.delete(id);
        changes.push({ trigger: id, state: 'cleared', message: this.clearedText(id, sample) });
      } else if (message !== undefined) this.active.set(id, message);
    }
    return changes;
  }

  /** Raised and not cleared. */
  activeTriggers(): TriggerId[] {
    return [...this.active.keys()];
  }

  private duration(ms: number): string | undefined {
    const line = this.overdueAtMs;
    if (line === undefined || !this.expected || ms <= line) return undefined;
    return `run time ${formatClock(ms)}, over ${this.settings.durationFactor}× the expected ${formatClock(this.expected.ms)} (${this.expected.source})`;
  }

  private rate(sample: TriggerSample): { rate: number; rolledBack: number; total: number } | undefined {
    const base = this.history[0];
    if (!base || base === sample || base.commits === undefined || base.rollbacks === undefined || sample.commits === undefined || sample.rollbacks === undefined) return undefined;
    const commits = sample.commits - base.commits;
    const own = Math.max(0, (sample.ownRollbacks ?? 0) - (base.ownRollbacks ?? 0));
    const rolledBack = sample.rollbacks - base.rollbacks - own;
    // Negative: the statistics were reset in between; nothing can be said until the next window.
    if (commits < 0 || rolledBack < 0) return undefined;
    const total = commits + rolledBack;
    if (total < this.settings.minTransactions) return undefined;
    return { rate: rolledBack / total, rolledBack, total };
  }

  private errorRate(sample: TriggerSample): string | undefined {
    const r = this.rate(sample);
    if (!r || r.rate <= this.settings.errorRate) return undefined;
    return `${pct(r.rate)} of transactions rolled back in the last ${formatClock(this.windowSpan(sample))} (${r.rolledBack} of ${r.total} on this database; the line is ${pct(this.settings.errorRate)})`;
  }

  private connections(sample: TriggerSample): string | undefined {
    if (sample.connections === undefined || !sample.maxConnections) return undefined;
    const share = sample.connections / sample.maxConnections;
    if (share <= this.settings.connections) return undefined;
    return `${sample.connections} of max_connections ${sample.maxConnections} in use (${pct(share)}; the line is ${pct(this.settings.connections)})`;
  }

  private health(sample: TriggerSample): string | undefined {
    if (!sample.health) return this.active.get('health');
    if (sample.health.ok) {
      this.healthSeenOk = true;
      this.healthFails = 0;
      return undefined;
    }
    // Never seen healthy (in this run): stopped on purpose, not failing.
    if (!this.healthSeenOk) return undefined;
    this.healthFails++;
    if (this.healthFails < this.settings.healthFailures) return this.active.get('health');
    return `app health check failed ${this.healthFails} times in a row: ${sample.health.detail}`;
  }

  /** A trigger clears only on a sample that measured it (a failed sample says nothing). */
  private measured(id: TriggerId, s: TriggerSample): boolean {
    if (id === 'duration') return true;
    // The rate must have been measured: a quiet window (the app died) or a failed look clears nothing.
    if (id === 'error-rate') return this.rate(s) !== undefined;
    if (id === 'connections') return s.connections !== undefined;
    return s.health?.ok === true;
  }

  private clearedText(id: TriggerId, s: TriggerSample): string {
    switch (id) {
      case 'error-rate': {
        const r = this.rate(s);
        return `error rate back to ${r ? pct(r.rate) : 'under the line'}`;
      }
      case 'connections':
        return `connections back to ${s.connections ?? '?'} of ${s.maxConnections ?? '?'}`;
      case 'health':
        return "the application's health check passes again";
      case 'duration':
        return 'run time back under the line';
    }
  }

  private windowSpan(sample: TriggerSample): number {
    const base = this.history[0];
    return base ? sample.at - base.at : 0;
  }
}

/** What the triggers watch, in one line (shown when a migration starts, so the operator knows). */
export function watchingLine(w: TriggerWatch, healthUrl: boolean): string {
  const s = w.settings;
  const parts = [
    w.overdueAtMs !== undefined ? `run time over ${formatClock(w.overdueAtMs)}` : 'run time: no expected duration (run the preflight, or pass --var expected_minutes=N)',
    `rolled-back transactions over ${pct(s.errorRate)}`,
    `connections over ${pct(s.connections)} of max_connections`,
    ...(healthUrl && s.health ? ['app.health_url failing'] : []),
  ];
  const act = s.action === 'alert' ? 'they alert, never act' : s.action === 'stop' ? 'a trigger STOPS the migration' : 'a trigger STOPS the migration and ROLLS BACK what this run applied';
  return `Rollback triggers (a look every ${formatMs(s.intervalMs)}; ${act}): ${parts.join(' · ')}`;
}

/** What the operator should consider when a trigger is raised and the configuration lets the run go on. */
export const ROLLBACK_PROPOSAL = 'consider rolling back: parlant-runbook run rollback (data damaged: run emergency)';

export function pct(share: number): string {
  const p = share * 100;
  return `${p >= 10 || Number.isInteger(p) ? Math.round(p) : p.toFixed(1)}%`;
}

/** "expected_minutes" from --var: a positive number of minutes, or a message saying what is wrong. */
export function expectedFromVar(v: string | number | boolean | null | undefined): Expected | string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (typeof v === 'boolean' || !Number.isFinite(n) || n <= 0) return `--var expected_minutes=${String(v)} is not a positive number of minutes (e.g. --var expected_minutes=15)`;
  return { ms: n * 60_000, source: '--var expected_minutes' };
}
