import type { SessionInfo } from '../core/backup.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';
import { backupsOf, isPort } from './backup-show.js';

const COLUMNS = ['pid', 'user', 'application', 'client', 'state', 'connected', 'query'];
const SHOWN = 50;

/**
 * Cut the other sessions off the target database (the emergency runbook's "terminate active connections"): who is
 * connected is listed first, the operator types the database name, then each session is terminated from a
 * maintenance connection. This run's own connections (application_name with run=<id>) and the applications the
 * step names in exclude_apps are left alone.
 */
export const sessions: StepHandler<StepOf<'sessions'>> = async (ctx) => {
  const port = backupsOf(ctx);
  if (!isPort(port)) return port;
  const database = ctx.target.database;
  const excluded = new Set(ctx.step.with.exclude_apps ?? []);
  if (ctx.dryRun) return { status: 'skipped', summary: `Dry run: would list and terminate the other sessions on ${database}` };
  if (!port.terminate) {
    return { status: 'failed', summary: 'Cannot terminate sessions', error: 'This backup engine cannot terminate sessions (internal: BackupPort.terminate missing).' };
  }

  const others = (all: SessionInfo[]): SessionInfo[] => all.filter((s) => !s.applicationName.includes(`run=${ctx.runId}`) && !excluded.has(s.applicationName));
  const found = others(await port.sessions(database));
  if (!found.length) return { status: 'passed', summary: `No other session on ${database}` };

  ctx.output(`${plural(found.length, 'session')} on ${database} will be cut off:`);
  ctx.rows(COLUMNS, found.slice(0, SHOWN).map(row), found.length);
  const a = await ctx.ask({
    kind: 'type-to-confirm',
    prompt: `Terminate ${plural(found.length, 'session')} on ${database}?`,
    expected: database,
    target: ctx.target.display,
    consequences: [...who(found), 'their open transactions are rolled back; clients that reconnect by themselves come back at once'],
  });
  if (!(a.kind === 'typed' && a.text === database)) {
    const got = a.kind === 'typed' ? `"${a.text}"` : 'no answer';
    return { status: 'failed', summary: 'Not confirmed', error: `Typed ${got}, which is not the database name "${database}"; no session was terminated.`, refused: true };
  }

  const results = await port.terminate(found.map((s) => s.pid));
  const failed = results.filter((r) => !r.ok);
  for (const r of results) ctx.output(`${r.ok ? '✔' : '✖'} pid ${r.pid}: ${r.message}`, r.ok ? 'stdout' : 'stderr');
  if (failed.length) {
    return {
      status: 'failed',
      summary: `${plural(failed.length, 'session')} of ${found.length} could not be terminated`,
      error: `pid ${failed[0]!.pid}: ${failed[0]!.message}`,
      advice: 'Terminating another role\'s session needs superuser or membership in pg_signal_backend (or that role). Ask a DBA to run pg_terminate_backend(<pid>), or stop those clients.',
    };
  }
  // A client that reconnects on its own (an application still running) is back within a second: say so.
  const back = others(await port.sessions(database)).filter((s) => !found.some((f) => f.pid === s.pid));
  if (back.length) {
    ctx.rows(COLUMNS, back.slice(0, SHOWN).map(row), back.length);
    return {
      status: 'warned',
      summary: `Terminated ${plural(found.length, 'session')}; ${back.length} new already connected`,
      advice: `Something reconnects at once (${[...new Set(back.map((s) => s.applicationName || '-'))].join(', ')}): stop it (the application?) before restoring. The restore step refuses new connections while it works.`,
    };
  }
  return { status: 'passed', summary: `Terminated ${plural(found.length, 'session')} on ${database}` };
};

function row(s: SessionInfo): string[] {
  return [String(s.pid), s.user, s.applicationName || '-', s.client || 'local', s.state, `${s.ageSeconds}s`, s.query || '-'];
}

/** "3 sessions of sim-standin (user sim, from local)" per application: who is cut off, in words. */
function who(found: readonly SessionInfo[]): string[] {
  const groups = new Map<string, SessionInfo[]>();
  for (const s of found) {
    const key = `${s.applicationName || 'an unnamed client'}\u0000${s.user}\u0000${s.client || 'local'}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.entries()].map(([key, list]) => {
    const [app, user, client] = key.split('\u0000');
    return `${plural(list.length, 'session')} of ${app} (user ${user}, from ${client}) ${list.length === 1 ? 'is' : 'are'} terminated`;
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
