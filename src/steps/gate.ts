import { formatMs } from '../core/engine.js';
import { durationMs, type StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
import { BACKUP_FIX, judgeBackup } from './backup-evidence.js';

const DAY = 86_400_000;

/**
 * A gate: before migrate / rollback / restore, evidence that the earlier steps of the procedure happened against
 * this very database — a passed preflight run (from the journal), a verified backup (from the backup
 * catalogue), young enough. Missing evidence stops the run where the gate is enforced (production by default)
 * and warns elsewhere. An override needs a reason (`--var override_gates="<reason>"`), which goes into the journal.
 */
export const gate: StepHandler<StepOf<'gate'>> = async (ctx) => {
  const w = ctx.step.with;
  const enforced = (w.enforce_in ?? ['production']).includes(ctx.target.env);
  const now = ctx.ports.clock.now();
  const ev = ctx.ports.evidence;
  let missing: string;
  let fix: string;
  if (w.require === 'preflight') {
    const maxAge = durationMs(w.max_age, DAY);
    const r = ev ? await ev.lastRun('preflight', ctx.target) : undefined;
    fix = 'Run the checks first: parlant-runbook run preflight';
    if (!r) missing = `no finished preflight run against ${ctx.target.display} is in this state directory`;
    else if (r.status !== 'done') missing = `the last preflight against this database (run ${r.runId}) ${r.failedSteps ? `failed ${r.failedSteps} check${r.failedSteps === 1 ? '' : 's'}` : `ended ${r.status}`}`;
    else if (now - r.finishedAt > maxAge) missing = `the last passed preflight (run ${r.runId}) is ${formatMs(now - r.finishedAt)} old, more than ${formatMs(maxAge)}`;
    else return { status: 'passed', summary: `Preflight passed ${formatMs(now - r.finishedAt)} ago (run ${r.runId})` };
  } else {
    const maxAge = durationMs(w.max_age, ctx.config.maxBackupAgeMs ?? DAY);
    const verdict = judgeBackup(ev ? await ev.latestBackup(ctx.target) : undefined, now, maxAge, ctx.target);
    fix = BACKUP_FIX;
    if (verdict.ok) return { status: 'passed', summary: verdict.summary };
    missing = verdict.problem;
  }
  const reason = ctx.vars.override_gates;
  if (!enforced) {
    return { status: 'warned', summary: `Gate not met: ${missing}`, advice: `${fix}. In ${(w.enforce_in ?? ['production']).join(' / ')} this gate stops the run.` };
  }
  if (typeof reason === 'string' && reason.trim()) {
    ctx.output(`Gate overridden by ${ctx.operator}: ${reason.trim()}`, 'stderr');
    return { status: 'warned', summary: `Overridden (${reason.trim()}): ${missing}` };
  }
  return {
    status: 'failed',
    summary: 'Gate not met',
    error: `${missing[0]?.toUpperCase()}${missing.slice(1)}; this is required on a ${ctx.target.env} database.`,
    advice: `${fix}. To go on anyway, give a reason for the record: --var override_gates="<reason>".`,
    refused: true,
  };
};
