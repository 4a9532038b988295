import type { ClientTool } from '../../core/ports.js';
import type { Probe } from '../probe.js';
import { needHost, serverMajor } from './common.js';

/**
 * Check 2: pg_dump, pg_restore and psql found, each at least the server's major version — an older pg_dump
 * refuses to dump a newer server (DESIGN §9.13): find out now, not in the window.
 */
export const clientTools: Probe = async (ctx) => {
  const host = needHost(ctx);
  const server = serverMajor(ctx);
  const tools: ClientTool[] = [];
  for (const name of ['pg_dump', 'pg_restore', 'psql'] as const) tools.push(await host.clientTool(name));
  const problems: string[] = [];
  const warnings: string[] = [];
  const rows = tools.map((t) => {
    let verdict = 'ok';
    if (t.problem || t.major === undefined) {
      verdict = t.problem ?? 'version unknown';
      (t.name === 'psql' ? warnings : problems).push(`${t.name}: ${verdict}`);
    } else if (server !== undefined && t.major < server) {
      verdict = `older than the server (${t.major} < ${server})`;
      (t.name === 'psql' ? warnings : problems).push(`${t.name} ${t.version} (${t.path}) is older than the server, PostgreSQL ${ctx.target.serverVersion}`);
    }
    return [t.name, t.version ?? '—', t.path ?? 'not found', verdict];
  });
  ctx.rows(['tool', 'version', 'path', 'verdict'], rows, rows.length);
  const advice =
    `Install the client tools of PostgreSQL ${server ?? 'the server version'} or newer (Debian: apt-get install postgresql-client-${server ?? 'N'}) ` +
    'and make sure they come first on PATH (or in /usr/lib/postgresql/<version>/bin).';
  if (problems.length) {
    return { status: 'failed', summary: `${problems.length} client tool${problems.length === 1 ? '' : 's'} unusable for this server`, error: problems.join('\n'), advice };
  }
  if (warnings.length) return { status: 'warned', summary: warnings.join('; '), advice };
  return { status: 'passed', summary: `pg_dump, pg_restore and psql ${tools[0]?.version ?? ''} (server ${ctx.target.serverVersion ?? '?'})` };
};
