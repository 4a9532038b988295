import path from 'node:path';
import { durationMs, type StepOf } from '../core/model.js';
import { formatMs } from '../core/engine.js';
import { describeBlocker, oneLine, type Blocker, type BlockerAction, type MigrationEvent, type MigrationOutcome, type MigrationPort, type MigrationRequest } from '../core/migrations.js';
import { packageRoot } from '../core/paths.js';
import type { StepContext, StepHandler, StepResult } from '../core/ports.js';
import { TRIGGER_TITLE, type TriggerAlert } from '../core/triggers.js';
import { HEALTH_SEEN_VAR, watchTriggers, type TriggerWatchHandle } from './triggers.js';

/**
 * Apply or roll back the Parlant migrations through the lock-safe engine (src/db/migrate): this step turns
 * the engine's events into the lines the screen and the journal show, and asks the operator what to do when
 * lock_timeout retries are used up while somebody blocks the migration.
 */
export const migrate: StepHandler<StepOf<'migrate'>> = async (ctx) => {
  const w = ctx.step.with;
  const port = ctx.ports.migrations;
  if (!port) return { status: 'failed', summary: 'No migration engine', error: 'This run has no database migration engine (internal: ports.migrations missing).' };
  const dir = w.dir ? path.resolve(path.dirname(ctx.runbook.source), w.dir) : path.join(packageRoot(), 'sql', 'migrations');
  const lockTimeoutMs = durationMs(w.lock_timeout, ctx.config.lockTimeoutMs ?? 2000);
  const show = shower(ctx, lockTimeoutMs);
  const req: MigrationRequest = {
      dir,
      direction: w.direction,
      ...(w.to !== undefined ? { to: w.to } : {}),
      ...(w.only ? { only: w.only } : {}),
      lockTimeoutMs,
      statementTimeoutMs: durationMs(w.statement_timeout, 5 * 60_000),
      concurrentTimeoutMs: durationMs(w.concurrent_timeout, 6 * 3_600_000),
      retries: w.retries ?? 8,
      lockWaitMs: durationMs(w.lock_wait, 15 * 60_000),
      batchPauseMs: durationMs(w.batch_pause, 0),
      ...(w.max_batches !== undefined ? { maxBatches: w.max_batches } : {}),
      dryRun: ctx.dryRun,
      runId: ctx.runId,
      operator: ctx.operator,
  };
  // The rollback triggers watch while the migration goes up (not in a dry run: nothing runs; not going down:
  // a rollback is the answer to the triggers, not something they should stop). A trigger only alerts, unless
  // the configuration lets it stop the migration (and roll back what this step applied in this run).
  const byTrigger = new AbortController();
  let fired: TriggerAlert | undefined;
  // Each lock_timeout retry is one of our own transactions rolled back: the error-rate trigger leaves them out.
  let ownRollbacks = 0;
  const watch = ctx.dryRun || w.direction === 'down'
    ? undefined
    : await watchTriggers(
        ctx,
        (a) => {
          fired = a;
          byTrigger.abort(new Error(`rollback trigger: ${a.message}`));
        },
        () => ownRollbacks,
      );
  let outcome: MigrationOutcome;
  try {
    outcome = await port.run(
      req,
      (e) => {
        if (e.type === 'retry') ownRollbacks++;
        show(e);
      },
      AbortSignal.any([ctx.signal, byTrigger.signal]),
      (blockers, file) => askAboutBlockers(ctx, blockers, file),
    );
  } finally {
    await watch?.stop();
  }
  if (fired && !ctx.signal.aborted) return afterTrigger(ctx, port, req, fired, outcome, show);
  if (outcome.aborted) return { status: 'aborted', summary: outcome.summary, ...(outcome.error ? { error: outcome.error } : {}) };
  if (!outcome.ok) {
    return {
      status: 'failed',
      summary: outcome.summary,
      error: outcome.error ?? outcome.summary,
      ...(outcome.advice ? { advice: outcome.advice } : {}),
      ...(outcome.refused ? { refused: true } : {}),
    };
  }
  // Applied, but a trigger was raised on the way: a warning, so the end of the run says it too.
  const raised = watch?.raised() ?? [];
  if (raised.length) {
    return {
      status: 'warned',
      summary: `${outcome.summary}; rollback trigger${raised.length === 1 ? '' : 's'} raised: ${raised.join(', ')}`,
      advice: 'The triggers above fired while the migration ran. Look at the application and the database before going on; to undo: parlant-runbook run rollback.',
      vars: { [`${ctx.step.id}.applied`]: outcome.applied.join(','), ...seenHealthy(watch) },
    };
  }
  return { status: ctx.dryRun ? 'skipped' : 'passed', summary: outcome.summary, vars: { [`${ctx.step.id}.applied`]: outcome.applied.join(','), ...seenHealthy(watch) } };
};

/** The application was seen healthy: later migrate steps of the run (hot-migrate's phases) watch its health from the start. */
function seenHealthy(watch: TriggerWatchHandle | undefined): Record<string, boolean> {
  return watch?.healthSeen() ? { [HEALTH_SEEN_VAR]: true } : {};
};

/**
 * A trigger stopped the migration (rollback_triggers.action stop or rollback). What the cancelled file did is
 * rolled back by the server (a transactional file) or left for the next run to finish (an index build leaves an
 * INVALID index that the next run drops and rebuilds; batches stop between batches). With `rollback`, the
 * versions this run applied or started — in this step and in the migrate steps before it — are rolled back
 * with their down files, each verified, as the rollback runbook would.
 */
async function afterTrigger(
  ctx: StepContext<StepOf<'migrate'>>,
  port: MigrationPort,
  req: MigrationRequest,
  fired: TriggerAlert,
  outcome: MigrationOutcome,
  show: (e: MigrationEvent) => void,
): Promise<StepResult> {
  const what = `Rollback trigger (${TRIGGER_TITLE[fired.trigger]}): ${fired.message}`;
  const stoppedHow = outcome.ok
    ? `The migration had finished as the trigger came (${outcome.summary}).`
    : `The migration was stopped: ${outcome.error ?? outcome.summary}`;
  const action = ctx.config.rollbackTriggers?.action ?? 'alert';
  if (action !== 'rollback') {
    return {
      status: outcome.ok ? 'warned' : 'failed',
      summary: outcome.ok ? `${outcome.summary}; a rollback trigger fired as it finished` : `Stopped by a rollback trigger (${TRIGGER_TITLE[fired.trigger]})`,
      error: `${what}\n${stoppedHow}`,
      advice: `Look at what raised it before going on. To undo what is applied: parlant-runbook run rollback; ${'`'}parlant-runbook status${'`'} shows where the database stands.`,
    };
  }
  // What this step changed in this run, by the engine's own history (earlier attempts included; a transactional
  // file that was cancelled rolled back whole and is left out). Earlier phases of hot-migrate are not touched:
  // the application deployed after them may need their tables — that rollback is the rollback runbook's, with
  // its checklist and typed confirmation.
  let versions: string[];
  try {
    const sql = await ctx.ports.fs.readText(path.join(packageRoot(), 'sql', 'triggers', 'run-versions.sql'));
    const rows = await ctx.ports.db.query(sql, [ctx.runId], { signal: ctx.signal });
    const scope = ctx.step.with.only;
    versions = rows.rows.map((r) => String(r.version)).filter((v) => !scope || scope.includes(v));
  } catch (e) {
    return {
      status: 'failed',
      summary: 'Stopped by a rollback trigger; could not tell what to roll back',
      error: `${what}\n${stoppedHow}\nReading this run's migration history failed: ${e instanceof Error ? e.message : String(e)}`,
      advice: 'parlant-runbook status shows what is applied; roll back with parlant-runbook run rollback.',
    };
  }
  if (!versions.length) {
    return { status: 'failed', summary: 'Stopped by a rollback trigger; this step had applied nothing to roll back', error: `${what}\n${stoppedHow}` };
  }
  ctx.output(`Rolling back what this step applied in this run: ${versions.join(', ')} (rollback_triggers.action: rollback)`, 'stderr');
  const back = await port.run({ ...req, direction: 'down', only: versions, to: undefined }, show, ctx.signal, (blockers, file) => askAboutBlockers(ctx, blockers, file));
  if (back.aborted) return { status: 'aborted', summary: `Stopped by a rollback trigger; the rollback was aborted: ${back.summary}`, error: what };
  return {
    status: 'failed',
    summary: back.ok ? `Stopped by a rollback trigger and rolled back: ${back.summary}` : 'Stopped by a rollback trigger; the ROLLBACK FAILED',
    error: `${what}\n${stoppedHow}${back.ok ? '' : `\nThe rollback failed: ${back.error ?? back.summary}`}`,
    advice: back.ok
      ? `${versions.join(', ')} rolled back, each down file verified${ctx.runbook.steps.some((s) => s.kind === 'migrate' && s.id !== ctx.step.id) ? '; what earlier steps applied stays (parlant-runbook status)' : ''}. Find the cause before migrating again.`
      : 'The database is partly rolled back. parlant-runbook status shows what is applied; if a down file cannot run, restore from the backup (parlant-runbook run restore).',
  };
}

/**
 * Engine events → what the operator sees. Discrete events become output lines (journaled); the waits — for the
 * migration lock, for a table lock — become a live block that replaces itself at most once a second, so the
 * radar reads as one up-to-date picture instead of a scrolling log.
 */
function shower(ctx: StepContext, lockTimeoutMs: number): (e: MigrationEvent) => void {
  let liveAt = 0;
  let liveShown = false;
  let attempt = '';
  const live = (lines: string[]): void => {
    const now = Date.now();
    if (lines.length && now - liveAt < 1000) return;
    if (!lines.length && !liveShown) return;
    liveAt = lines.length ? now : 0;
    liveShown = lines.length > 0;
    ctx.live(lines);
  };
  return (e) => {
    switch (e.type) {
      case 'lock-wait':
        live([
          `waiting ${formatMs(e.waitedMs)} for the migration lock`,
          ...(e.holder
            ? [
                `held by pid ${e.holder.pid} ${e.holder.applicationName || '(no application_name)'}`,
                `${e.holder.clientAddr ? `from ${e.holder.clientAddr}, ` : ''}connected since ${e.holder.since}`,
              ]
            : []),
        ]);
        return;
      case 'lock-acquired':
        live([]);
        ctx.output(`Migration lock taken${e.waitedMs > 1000 ? ` after ${formatMs(e.waitedMs)}` : ''} (one migration per database at a time)`);
        return;
      case 'plan':
        ctx.output(`${e.direction === 'up' ? 'To apply' : 'To roll back'}: ${e.files.join(', ')}`);
        return;
      case 'file-start': {
        live([]);
        const how =
          e.mode === 'transaction'
            ? `one transaction, lock_timeout ${formatMs(lockTimeoutMs)}`
            : e.mode === 'batches'
              ? 'in batches, each its own transaction'
              : 'statement by statement, outside a transaction';
        if (e.attempt === 1) ctx.output(`▶ ${e.file} — ${how}`);
        return;
      }
      case 'statement':
        live([]);
        ctx.output(`  ${e.summary}  ${formatMs(e.ms)}  (${e.index}/${e.total})`);
        return;
      case 'radar':
        live([
          `waiting ${formatMs(e.waitingMs)} for a lock${attempt}`,
          ...e.blockers.slice(0, 3).flatMap((b) => [`blocked by pid ${b.pid} ${b.applicationName || '(no application_name)'}`, `  ${b.state ?? ''}${b.ageSeconds !== null ? ` ${b.ageSeconds}s` : ''}${b.query ? `: ${oneLine(b.query).slice(0, 60)}` : ''}`]),
          ...(e.queued ? [`${e.queued} session${e.queued === 1 ? '' : 's'} queued behind us`] : []),
        ]);
        return;
      case 'retry':
        attempt = ` (attempt ${e.attempt} of ${e.of})`;
        ctx.output(`  retry ${e.attempt}/${e.of} in ${formatMs(e.delayMs)} · ${e.reason}`, 'stderr');
        return;
      case 'signalled':
        ctx.output(
          e.ok
            ? `  ${e.action === 'cancel' ? 'cancelled the query of' : 'terminated'} pid ${e.pid}`
            : `  could not ${e.action} pid ${e.pid}: ${e.detail ?? 'refused'}${/permission|must be/i.test(e.detail ?? '') ? ' (the role needs pg_signal_backend, or to be the same role)' : ''}`,
          e.ok ? 'stdout' : 'stderr',
        );
        return;
      case 'batch':
        ctx.output(`  batch ${e.batch}: ${e.rows} rows (${e.total} in all)  ${formatMs(e.ms)}`);
        return;
      case 'invalid-index':
        ctx.output(
          e.action === 'dropped'
            ? `  dropped the INVALID index ${e.index} left by an earlier failed build; building it again`
            : `  ${e.index} is INVALID (the build failed); the next run drops and rebuilds it`,
          'stderr',
        );
        return;
      case 'verify':
        if (!e.problems.length) ctx.output(`  ${e.file}: no problems`);
        else {
          ctx.output(`  ${e.file}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}`, 'stderr');
          ctx.rows(['problem', 'object', 'detail'], e.problems.slice(0, 50).map((p) => [p.problem, p.object, p.detail]), e.problems.length);
        }
        return;
      case 'file-done':
        live([]);
        attempt = '';
        ctx.output(`✔ ${e.file} in ${formatMs(e.ms)}`);
        return;
      case 'dry-run':
        ctx.output(`── ${e.file} (dry run: nothing runs)`);
        for (const s of e.statements) {
          ctx.output(`-- line ${s.line}: ${s.locks}`, 'sql');
          for (const l of s.text.split('\n')) ctx.output(l, 'sql');
        }
        return;
    }
  };
}

/** Retries used up and somebody is in the way: keep waiting, cancel or terminate them (typed), or stop. */
async function askAboutBlockers(ctx: StepContext, blockers: Blocker[], file: string): Promise<BlockerAction> {
  const who = blockers.map(describeBlocker).join('; ');
  const a = await ctx.ask({
    kind: 'choose',
    prompt: `${file} could not get its lock: ${who}. What now?`,
    var: 'on_blocked',
    options: [
      { value: 'stop', label: 'Stop: leave the database as it is (nothing of this file applied)' },
      { value: 'wait', label: 'Keep trying (another round of retries)' },
      { value: 'cancel', label: "Cancel the blocker's query (pg_cancel_backend)" },
      { value: 'terminate', label: "Terminate the blocker's session (pg_terminate_backend)" },
    ],
    default: 'stop',
  });
  const choice = a.kind === 'choice' ? a.value : 'stop';
  if (choice !== 'cancel' && choice !== 'terminate') return choice === 'wait' ? 'wait' : 'stop';
  const typed = await ctx.ask({
    kind: 'type-to-confirm',
    prompt: `${choice === 'cancel' ? 'Cancel the query of' : 'Terminate'} ${blockers.map((b) => `pid ${b.pid}`).join(', ')} on ${ctx.target.database}?`,
    expected: ctx.target.database,
    target: ctx.target.display,
    consequences: blockers.map(
      (b) => `pid ${b.pid} (${b.applicationName || 'no application_name'}): ${choice === 'cancel' ? 'its running statement fails' : 'its connection is closed'} and its open transaction is rolled back`,
    ),
  });
  return typed.kind === 'typed' && typed.text === ctx.target.database ? choice : 'stop';
}
