import { checkVerdict } from '../core/backup.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
import { backupsOf, isPort, resultOf, setting, showBackup } from './backup-show.js';

/**
 * Point-in-time recovery (src/backup/pitr.ts). readiness: what PITR needs (wal_level, archiving that works, a
 * base backup). base-backup: pg_basebackup with a manifest. recover: a copy of the cluster recovered to a target
 * time with recovery.signal and recovery_target_time — on the sandbox for real; elsewhere the exact procedure.
 */
export const pitr: StepHandler<StepOf<'pitr'>> = async (ctx) => {
  const port = backupsOf(ctx);
  if (!isPort(port)) return port;
  const w = ctx.step.with;
  const show = showBackup(ctx);
  switch (w.action) {
    case 'readiness': {
      const { checks, ready } = await port.pitrReadiness(show, ctx.signal);
      const mark = { ok: '✔ ok', warn: '! warn', fail: '✖ fail' } as const;
      ctx.rows(['check', 'result', 'detail'], checks.map((c) => [c.name, mark[checkVerdict(c)], c.detail]), checks.length);
      const failed = checks.filter((c) => checkVerdict(c) === 'fail');
      if (ready && !failed.length) return { status: checks.some((c) => checkVerdict(c) === 'warn') ? 'warned' : 'passed', summary: 'Ready for point-in-time recovery' };
      return {
        status: 'failed',
        summary: failed.length ? `Not ready: ${failed.map((c) => c.name).join(', ')}` : 'Not ready',
        error: failed.length ? failed.map((c) => `${c.name}: ${c.detail}`).join('\n') : 'The readiness checks did not pass.',
      };
    }
    case 'base-backup': {
      const out = await port.baseBackup({ runId: ctx.runId, operator: ctx.operator, dryRun: ctx.dryRun }, show, ctx.signal);
      if (ctx.dryRun && out.ok) return { status: 'skipped', summary: out.summary };
      return resultOf(out, out.file ? { vars: { base_backup: out.file } } : {});
    }
    case 'recover': {
      const target = setting(ctx, w.target_time);
      if (!target || Number.isNaN(Date.parse(target)) || !/\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?\s*([zZ]|[+-]\d\d(:?\d\d)?)$/.test(target)) {
        return {
          status: 'failed',
          summary: 'No valid target time',
          error: `"${target ?? ''}" is not a time with a zone.`,
          advice: 'Give the moment to recover to, with its zone, e.g. --var target_time=2026-11-21T10:30:00Z (the server clock: SELECT clock_timestamp()).',
        };
      }
      const base = setting(ctx, w.base);
      const out = await port.pitrRecover(
        { targetTime: target, action: w.recovery_action ?? 'promote', runId: ctx.runId, dryRun: ctx.dryRun, ...(base ? { base } : {}) },
        show,
        ctx.signal,
      );
      if (ctx.dryRun && out.ok) return { status: 'skipped', summary: out.summary };
      return resultOf(out, out.url ? { vars: { recovered_url: out.url } } : {});
    }
  }
};
