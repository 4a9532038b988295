import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
import { backupsOf, flagSetting, isPort, resultOf, setting, showBackup } from './backup-show.js';

/**
 * Verify an archive: every byte read against the manifest's sha256, `pg_restore --list`, a full read that decodes
 * every block, optionally a trial restore into a scratch database. The verdict goes into the manifest, where the
 * gates read it. Which archive: the step's `file`, else the one this run's backup step took, else the newest
 * backup of the target.
 */
export const verifyBackup: StepHandler<StepOf<'verify-backup'>> = async (ctx) => {
  const port = backupsOf(ctx);
  if (!isPort(port)) return port;
  const w = ctx.step.with;
  let file = setting(ctx, w.file) ?? (typeof ctx.vars.backup_file === 'string' ? ctx.vars.backup_file : undefined);
  if (!file) file = (await ctx.ports.evidence?.latestBackup(ctx.target))?.file;
  if (!file) {
    return {
      status: 'failed',
      summary: 'No backup to verify',
      error: `No backup of ${ctx.target.database} is in the catalogue (${port.dir}), and the step names none.`,
      advice: 'Take one first (parlant-runbook run backup), or name an archive: --var file=<archive>.',
    };
  }
  if (ctx.dryRun) return { status: 'skipped', summary: `Dry run: would verify ${file}` };
  const out = await port.verify({ file, trialRestore: flagSetting(ctx, w.trial_restore, false) }, showBackup(ctx), ctx.signal);
  return resultOf(out, { vars: { verified_file: out.file ?? file } });
};
