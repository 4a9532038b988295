import path from 'node:path';
import { packageRoot } from '../core/paths.js';
import type { StepContext } from '../core/ports.js';
import {
  DEFAULT_TRIGGERS,
  expectedFromVar,
  ROLLBACK_PROPOSAL,
  TRIGGER_TITLE,
  TriggerWatch,
  watchingLine,
  type Expected,
  type TriggerAlert,
  type TriggerSample,
} from '../core/triggers.js';

/**
 * The rollback triggers' eyes while a migrate step runs: one look every `interval` at the database's
 * transaction counters and connections (sql/triggers/sample.sql, on the run's own connection — the migration
 * runs on connections of its own) and at app.health_url; src/core/triggers.ts decides what is raised. A raised
 * trigger is shown (ctx.alert) with the proposal to roll back; only when the configuration says so
 * (`rollback_triggers.action: stop | rollback`) is `act` called, once.
 */

export interface TriggerWatchHandle {
  /** Stop looking; resolves once the look in progress (if any) is over. */
  stop(): Promise<void>;
  /** The triggers raised while this step ran (cleared or not), by title. */
  raised(): string[];
  /** The health URL answered healthy at some point (carried to the next migrate step as a run variable). */
  healthSeen(): boolean;
}

/** Run variable: the application was seen healthy by an earlier migrate step of this run. */
export const HEALTH_SEEN_VAR = 'rollback_triggers.health_seen';

/**
 * @param ownRollbacks how many of the database's rolled-back transactions are this run's own (lock_timeout
 *   retries), so far: the error rate leaves them out.
 */
export async function watchTriggers(ctx: StepContext, act: (a: TriggerAlert) => void, ownRollbacks: () => number = () => 0): Promise<TriggerWatchHandle> {
  const settings = ctx.config.rollbackTriggers ?? DEFAULT_TRIGGERS;
  const expected = await expectedDuration(ctx);
  const watch = new TriggerWatch(settings, expected, { healthSeen: ctx.vars[HEALTH_SEEN_VAR] === true });
  const healthUrl = settings.health ? ctx.config.healthUrl : undefined;
  ctx.output(watchingLine(watch, Boolean(healthUrl)));

  // Migration time in this run: the migrate steps before this one (hot-migrate's phases) plus this one.
  const migrateIds = new Set(ctx.runbook.steps.filter((s) => s.kind === 'migrate').map((s) => s.id));
  const before = ctx.earlier.filter((s) => migrateIds.has(s.id)).reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
  const started = ctx.ports.clock.now();

  const sql = await ctx.ports.fs.readText(path.join(packageRoot(), 'sql', 'triggers', 'sample.sql'));
  const stopper = new AbortController();
  const signal = AbortSignal.any([stopper.signal, ctx.signal]);
  let acted = false;
  const raisedAny = new Set<string>();
  let sampleProblem = '';
  let healthSaid = false;

  const look = async (): Promise<TriggerSample> => {
    const at = ctx.ports.clock.now();
    const sample: TriggerSample = { at, ownRollbacks: ownRollbacks() };
    const timeoutMs = Math.min(Math.max(settings.intervalMs, 500), 3000);
    const [db, health] = await Promise.allSettled([
      // Only the run's own abort cancels a look on the shared connection: stopping the watch waits for it
      // instead (a cancel sent to the server after the look ended could hit the next step's statement).
      ctx.ports.db.query(sql, [], { timeoutMs, signal: ctx.signal }),
      healthUrl ? ctx.ports.http.request({ url: healthUrl, method: 'GET', timeoutMs, signal }) : Promise.resolve(undefined),
    ]);
    if (db.status === 'fulfilled') {
      const r = db.value.rows[0] ?? {};
      Object.assign(sample, { commits: Number(r.commits), rollbacks: Number(r.rollbacks), connections: Number(r.connections), maxConnections: Number(r.max_connections) });
      sampleProblem = '';
    } else if (!signal.aborted) {
      const why = db.reason instanceof Error ? db.reason.message : String(db.reason);
      // Said once per kind of problem: a server under pressure must not also get a screen full of these.
      if (why !== sampleProblem) ctx.output(`rollback triggers: could not read the database's statistics (${why}); trying again`, 'stderr');
      sampleProblem = why;
    }
    if (healthUrl) {
      sample.health =
        health.status === 'fulfilled' && health.value
          ? { ok: health.value.status >= 200 && health.value.status < 300, detail: `HTTP ${health.value.status}` }
          : { ok: false, detail: health.status === 'rejected' ? (health.reason instanceof Error ? health.reason.message : String(health.reason)) : 'no answer' };
    }
    return sample;
  };

  const loop = (async (): Promise<void> => {
    while (!signal.aborted) {
      const sample = await look();
      if (signal.aborted) return;
      if (healthUrl && !healthSaid && sample.health) {
        healthSaid = true;
        if (!sample.health.ok && !watch.healthWatched) ctx.output(`app.health_url does not answer healthy at the start (${sample.health.detail}): the application is stopped, so its health is not watched until it is up.`);
      }
      for (const change of watch.observe(sample, before + (ctx.ports.clock.now() - started))) {
        if (change.state === 'raised') raisedAny.add(TRIGGER_TITLE[change.trigger]);
        const acts = change.state === 'raised' && settings.action !== 'alert' && !acted;
        ctx.alert({
          ...change,
          ...(change.state === 'raised' && !acts ? { proposal: ROLLBACK_PROPOSAL } : {}),
          ...(acts ? { acted: settings.action === 'rollback' ? 'rollback' : 'stop' } : {}),
        });
        if (acts) {
          acted = true;
          act(change);
        }
      }
      await ctx.ports.clock.sleep(settings.intervalMs, signal).catch(() => undefined);
    }
  })();

  return {
    async stop() {
      stopper.abort();
      await loop.catch(() => undefined);
    },
    raised: () => [...raisedAny],
    healthSeen: () => watch.healthWatched,
  };
}

/** `--var expected_minutes`, else the newest preflight's estimate for this target, else nothing (said). */
async function expectedDuration(ctx: StepContext): Promise<Expected | undefined> {
  const fromVar = expectedFromVar(ctx.vars.expected_minutes);
  if (typeof fromVar === 'string') ctx.output(`${fromVar}; the run-time trigger uses the preflight's estimate instead`, 'stderr');
  else if (fromVar) return fromVar;
  const last = await ctx.ports.evidence?.lastRun('preflight', ctx.target).catch(() => undefined);
  const seconds = Number(last?.vars?.['risk.migrate_seconds']);
  if (!last || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  return { ms: seconds * 1000, source: `the preflight's estimate, run ${last.runId}` };
}
