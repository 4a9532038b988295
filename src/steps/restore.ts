import { utcStamp } from '../core/backup.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
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
  const file = setting(ctx, w.file) ?? 'newest';
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

/** <db>_restored_<stamp>, within PostgreSQL's 63 bytes: the database part is shortened, never the stamp. */
export function restoredName(db: string, at: Date): string {
  const suffix = `_restored_${utcStamp(at).toLowerCase()}`;
  let head = db;
  while (Buffer.byteLength(head + suffix) > 63) head = head.slice(0, -1);
  return head + suffix;
}
