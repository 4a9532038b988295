import type { Probe } from '../probe.js';

/** Check 11: the application's health URL answers 2xx, when one is configured. */
export const health: Probe = async (ctx) => {
  const url = ctx.config.healthUrl;
  if (!url) return { status: 'skipped', summary: 'No app.health_url configured' };
  const t0 = ctx.ports.clock.now();
  try {
    const r = await ctx.ports.http.request({ url, method: 'GET', timeoutMs: 5000, signal: ctx.signal });
    const ms = ctx.ports.clock.now() - t0;
    ctx.rows(['url', 'status', 'time'], [[url, String(r.status), `${ms} ms`]], 1);
    if (r.status >= 200 && r.status < 300) return { status: 'passed', summary: `Healthy: ${r.status} in ${ms} ms` };
    return { status: 'failed', summary: `Unhealthy: HTTP ${r.status}`, error: `${url} answered ${r.status}${r.body ? `: ${r.body.slice(0, 200)}` : ''}`, advice: 'Migrate a healthy application only: find out why first.' };
  } catch (e) {
    return { status: 'failed', summary: 'Health URL unreachable', error: `${url}: ${(e as Error).message}`, advice: 'Check app.health_url and that the application runs.' };
  }
};
