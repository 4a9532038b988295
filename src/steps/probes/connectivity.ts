import type { Probe } from '../probe.js';
import { needHost } from './common.js';

/** Check 1: a fresh connection, timed; the server's version. A failure explains itself (ConnectionError). */
export const connectivity: Probe = async (ctx) => {
  const r = await needHost(ctx).connectTime();
  ctx.rows(['target', 'server', 'connect time'], [[ctx.target.display, `PostgreSQL ${r.serverVersion}`, `${r.ms} ms`]], 1);
  const summary = `PostgreSQL ${r.serverVersion}, connected in ${r.ms} ms`;
  if (r.serverVersionNum < 120000) {
    return { status: 'failed', summary, error: `PostgreSQL ${r.serverVersion} is older than 12, which this runbook does not support (recovery settings, lock behaviour).`, advice: 'Upgrade the server first.' };
  }
  if (r.ms > 1000) {
    return { status: 'warned', summary, advice: 'Connecting took over a second: every step opens connections. Check DNS, the network path or the connection pooler before the window.' };
  }
  return { status: 'passed', summary };
};
