import { BACKUP_KINDS, type BackupKind } from '../core/backup.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
import { backupsOf, flagSetting, isPort, resultOf, setting, showBackup, tableSetting } from './backup-show.js';

type DumpKind = Exclude<BackupKind, 'base'>;
const DUMP_KINDS = BACKUP_KINDS.filter((k): k is DumpKind => k !== 'base');

/**
 * Take a backup with pg_dump: the engine (src/backup/dump.ts) checks client vs server and the disk first, shows
 * live progress, writes the archive under a temporary name with a manifest, and verifies it. Later steps find
 * the archive in `backup_file`.
 */
export const backup: StepHandler<StepOf<'backup'>> = async (ctx) => {
  const port = backupsOf(ctx);
  if (!isPort(port)) return port;
  const w = ctx.step.with;
  const kind = setting(ctx, w.kind);
  if (!kind || !(DUMP_KINDS as readonly string[]).includes(kind)) {
    return {
      status: 'failed',
      summary: 'Unknown kind of backup',
      error: `"${kind ?? ''}" is not a kind of backup this tool takes.`,
      advice: `Choose one of ${DUMP_KINDS.join(', ')}${w.kind.startsWith('{{') ? `, e.g. --var ${w.kind.replace(/[{}\s]/g, '')}=full` : ''}.`,
    };
  }
  const tables = tableSetting(ctx, w.tables);
  if ((kind === 'tables' || kind === 'csv') && !tables.length) {
    return {
      status: 'failed',
      summary: 'No tables chosen',
      error: `A ${kind} backup needs the tables to take.`,
      advice: 'Name them, e.g. --var tables=workspace,parlant_agent (schema-qualify tables outside public).',
    };
  }
  const out = await port.backup(
    {
      kind: kind as DumpKind,
      ...(tables.length ? { tables } : {}),
      ...(w.jobs !== undefined ? { jobs: w.jobs } : {}),
      ...(w.compress !== undefined ? { compress: w.compress } : {}),
      verify: flagSetting(ctx, w.verify, true),
      trialRestore: flagSetting(ctx, w.trial_restore, false),
      runId: ctx.runId,
      operator: ctx.operator,
      dryRun: ctx.dryRun,
    },
    showBackup(ctx),
    ctx.signal,
  );
  if (ctx.dryRun && out.ok) return { status: 'skipped', summary: out.summary };
  return resultOf(out, out.file ? { vars: { backup_file: out.file, [`${ctx.step.id}.file`]: out.file } } : {});
};
