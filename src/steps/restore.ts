import { fitName, formatSize, utcStamp, type BackupPort, type CatalogItem } from '../core/backup.js';
import { formatMs } from '../core/engine.js';
import type { StepOf } from '../core/model.js';
import type { StepContext, StepHandler, StepResult } from '../core/ports.js';
import { backupsOf, flagSetting, isPort, resultOf, setting, showBackup } from './backup-show.js';

/**
 * Restore an archive (src/backup/restore.ts). Into a new database by default — blue-green: the old one stays as
 * it was and the operator switches when the new one checks out. Over an existing database only after the name is
 * typed, with the sessions that will be cut off listed first. pg_restore runs with --exit-on-error: a restore
 * with errors is a failed restore.
 */
export const restore: StepHandler<StepOf<'restore'>> = async (ctx) => {
  const port = backupsOf(ctx);
  if (!isPort(port)) return port;
  const w = ctx.step.with;
  const into = setting(ctx, w.into) ?? 'new';
  if (into !== 'new' && into !== 'replace') {
    return { status: 'failed', summary: 'Unknown restore mode', error: `"${into}" is neither new nor replace.`, advice: 'Use --var into=new (a new database, the default) or --var into=replace.' };
  }
  let file = setting(ctx, w.file) ?? 'newest';
  if (flagSetting(ctx, w.verify_first, false) && !ctx.dryRun) {
    const checked = await verifiedChoice(ctx, port, file);
    if (typeof checked !== 'string') return checked;
    file = checked;
  }
  const database = setting(ctx, w.database) ?? (into === 'replace' ? ctx.target.database : restoredName(ctx.target.database, new Date(ctx.ports.clock.now())));
  const show = showBackup(ctx);

  if (into === 'replace' && !ctx.dryRun) {
    // This run's own connections are cut off too, but they are not somebody's work: the step reconnects after.
    const all = await port.sessions(database);
    const ours = all.filter((x) => x.applicationName.includes(`run=${ctx.runId}`));
    const sessions = all.filter((x) => !ours.includes(x));
    if (ours.length) ctx.output(`This run's own connection${ours.length === 1 ? '' : 's'} (pid ${ours.map((x) => x.pid).join(', ')}) will reconnect after the restore.`);
    if (sessions.length) {
      ctx.output(`${sessions.length} session${sessions.length === 1 ? '' : 's'} on ${database} will be cut off:`);
      ctx.rows(
        ['pid', 'user', 'application', 'client', 'state', 'connected'],
        sessions.slice(0, 50).map((s) => [String(s.pid), s.user, s.applicationName || '-', s.client || 'local', s.state, `${s.ageSeconds}s`]),
        sessions.length,
      );
    } else ctx.output(`No other session is connected to ${database}.`);
    const a = await ctx.ask({
      kind: 'type-to-confirm',
      prompt: `Replace the database ${database} with the backup ${file}?`,
      expected: database,
      target: ctx.target.display,
      consequences: [
        `every session on ${database} is terminated (${sessions.length} now) and new ones are refused until the restore ends`,
        `${database} is dropped and created again from the archive`,
        'whatever was written since the backup is lost',
      ],
    });
    if (!(a.kind === 'typed' && a.text === database)) {
      const got = a.kind === 'typed' ? `"${a.text}"` : 'no answer';
      return { status: 'failed', summary: 'Not confirmed', error: `Typed ${got}, which is not the database name "${database}"; nothing was done.`, refused: true };
    }
  }

  const out = await port.restore(
    {
      file,
      database,
      mode: into,
      ...(w.jobs !== undefined ? { jobs: w.jobs } : {}),
      noOwner: flagSetting(ctx, w.no_owner, false),
      runId: ctx.runId,
      dryRun: ctx.dryRun,
    },
    show,
    ctx.signal,
  );
  // Replacing our own database terminated our session with the others: later steps need a new one.
  if (into === 'replace' && !ctx.dryRun && database === ctx.target.database && ctx.ports.db.reconnect) {
    try {
      await ctx.ports.db.reconnect();
    } catch (e) {
      ctx.output(`Could not reconnect to ${database} after the restore: ${(e as Error).message}`, 'stderr');
    }
  }
  if (out.errors.length && !out.aborted) {
    ctx.rows(['pg_restore error'], out.errors.slice(0, 50).map((e) => [e]), out.errors.length);
  }
  if (ctx.dryRun && out.ok) return { status: 'skipped', summary: out.summary };
  // Never a success with errors, whatever the engine said.
  if (out.ok && out.errors.length) return resultOf({ ...out, ok: false, summary: `Restore reported ${out.errors.length} error${out.errors.length === 1 ? '' : 's'}`, error: out.errors[0] ?? '' });
  return resultOf(out, { vars: { restored_database: out.database } });
};

type Ctx = StepContext<StepOf<'restore'>>;

/**
 * verify_first: the archive to restore, verified just now (checksum, pg_restore --list, full read — no trial
 * restore: in an emergency minutes count). When it fails, the other verified backups of the database are offered
 * (var backup_choice) until one verifies or the operator stops. A result when there is nothing left to restore.
 */
async function verifiedChoice(ctx: Ctx, port: BackupPort, named: string): Promise<string | StepResult> {
  const show = showBackup(ctx);
  const catalogue = port.catalogue ? await port.catalogue() : [];
  let file = named;
  if (file === 'newest') {
    const newest = catalogue.find((b) => b.verification === 'verified');
    if (!newest) return noVerifiedBackup(ctx, catalogue);
    ctx.output(`Newest verified backup of ${ctx.target.database}: ${newest.file} (${age(ctx, newest)} old)`);
    file = newest.file;
  }
  const tried = new Set<string>();
  for (;;) {
    tried.add(file);
    ctx.output(`Verifying ${file} before restoring it`);
    const v = await port.verify({ file }, show, ctx.signal);
    if (v.aborted) return { status: 'aborted', summary: v.summary };
    if (v.ok) {
      ctx.output(`✔ ${file} verified: restoring it`);
      return file;
    }
    ctx.output(`✖ ${file} FAILED verification: ${v.error ?? v.summary}. It will not be restored.`, 'stderr');
    // The verification just wrote "failed" into its manifest: read the catalogue again.
    const now = port.catalogue ? await port.catalogue() : [];
    const others = now.filter((b) => b.verification === 'verified' && !tried.has(b.file));
    if (!others.length) return noVerifiedBackup(ctx, now, file);
    ctx.output(`Other verified backups of ${ctx.target.database}, newest first:`);
    ctx.rows(['file', 'age', 'size'], others.map((b) => [b.file, age(ctx, b), b.size !== undefined ? formatSize(b.size) : '?']), others.length);
    const a = await ctx.ask({
      kind: 'choose',
      prompt: `${file} cannot be restored (it failed verification). Restore an older verified backup instead? (whatever was written after it is lost)`,
      var: 'backup_choice',
      // No default: falling back to an older backup loses what was written after it, so --yes never decides it;
      // at a terminal the newest other verified backup is offered first, without a flag it takes --var backup_choice.
      options: [...others.map((b) => ({ value: b.file, label: `${b.file} (${age(ctx, b)} old)` })), { value: 'stop', label: 'Stop: restore nothing' }],
    });
    const choice = a.kind === 'choice' ? a.value : 'stop';
    if (choice === 'stop') {
      return { status: 'failed', summary: `Nothing restored: ${file} failed verification`, error: `${file} failed verification and the operator chose to stop.`, advice: OPTIONS_LEFT(ctx), refused: true };
    }
    if (!others.some((b) => b.file === choice)) {
      return { status: 'failed', summary: 'No valid choice', error: `"${choice}" is not one of ${[...others.map((b) => b.file), 'stop'].join(', ')}.`, refused: true };
    }
    file = choice;
  }
}

const OPTIONS_LEFT = (ctx: Ctx): string =>
  [
    `If ${ctx.target.database} is still usable, take a backup of it now (parlant-runbook run backup --var backup_kind=full) before anything else.`,
    'Point-in-time recovery, where WAL is archived: parlant-runbook run pitr.',
    'Restore an unverified archive by name, knowing it may be damaged: --var file=<archive> (parlant-runbook backups lists them).',
  ].join('\n');

function noVerifiedBackup(ctx: Ctx, catalogue: readonly CatalogItem[], failed?: string): StepResult {
  const rest = catalogue.filter((b) => b.file !== failed && b.verification !== 'verified');
  if (rest.length) {
    ctx.output(`Backups of ${ctx.target.database} that are not verified:`);
    ctx.rows(['file', 'age', 'size', 'verification'], rest.map((b) => [b.file, age(ctx, b), b.size !== undefined ? formatSize(b.size) : '?', b.verification]), rest.length);
  }
  const why = failed ? `${failed} failed verification and no other verified backup of ${ctx.target.database} is in the catalogue.` : `No verified backup of ${ctx.target.database} is in the catalogue.`;
  return { status: 'failed', summary: `No verified backup of ${ctx.target.database} to restore`, error: `${why} Nothing was restored.`, advice: OPTIONS_LEFT(ctx) };
}

function age(ctx: Ctx, b: CatalogItem): string {
  return formatMs(Math.max(0, ctx.ports.clock.now() - b.finishedAt));
}

/** <db>_restored_<stamp>, within PostgreSQL's 63 bytes: the database part is shortened, never the stamp. */
export function restoredName(db: string, at: Date): string {
  return fitName(db, `_restored_${utcStamp(at).toLowerCase()}`);
}
