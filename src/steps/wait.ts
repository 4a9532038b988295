import { formatMs } from '../core/engine.js';
import { evaluateExpectation } from '../core/expect.js';
import { durationMs, type StepOf } from '../core/model.js';
import { CancelledError, type StepHandler } from '../core/ports.js';
import { loadSql } from './source.js';

const DEFAULT_WAIT_MS = 5 * 60_000;

/** Wait a fixed time, or poll a query or a URL until it answers as expected (or the step's timeout). */
export const wait: StepHandler<StepOf<'wait'>> = async (ctx) => {
  const w = ctx.step.with;
  const { clock } = ctx.ports;
  if ('seconds' in w) {
    ctx.output(`waiting ${formatMs(w.seconds * 1000)}`);
    try {
      await clock.sleep(w.seconds * 1000, ctx.signal);
    } catch {
      return { status: 'aborted', summary: 'Wait cancelled' };
    }
    return { status: 'passed', summary: `Waited ${formatMs(w.seconds * 1000)}` };
  }
  const interval = durationMs(w.interval, 1000);
  const limit = ctx.timeoutMs ?? DEFAULT_WAIT_MS;
  const started = clock.now();
  let attempts = 0;
  let last = '';
  const probe = async (): Promise<{ ok: boolean; reason: string }> => {
    if ('until' in w) {
      const { text, params } = await loadSql(ctx, w.until);
      const r = await ctx.ports.db.query(text, params, { signal: ctx.signal, readOnly: true, timeoutMs: Math.max(1000, interval * 5) });
      return evaluateExpectation(w.until.expect, r.rows);
    }
    const url = w.until_http.url ?? (w.until_http.url_from === 'health' ? ctx.config.healthUrl : undefined);
    if (!url) return { ok: false, reason: 'no health URL is configured (app.health_url in the config file)' };
    const want = w.until_http.status ?? 200;
    try {
      const r = await ctx.ports.http.request({ url, method: 'GET', timeoutMs: Math.max(1000, interval * 2), signal: ctx.signal });
      return { ok: r.status === want, reason: `HTTP ${r.status}${r.status === want ? '' : `, waiting for ${want}`}` };
    } catch (e) {
      return { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  };
  for (;;) {
    attempts++;
    let verdict: { ok: boolean; reason: string };
    try {
      verdict = await probe();
    } catch (e) {
      if (e instanceof CancelledError || ctx.signal.aborted) return { status: 'aborted', summary: 'Wait cancelled' };
      verdict = { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
    if (verdict.reason !== last) ctx.output(`${formatMs(clock.now() - started)}: ${verdict.reason}`);
    last = verdict.reason;
    if (verdict.ok) return { status: 'passed', summary: `Condition met after ${formatMs(clock.now() - started)} (${attempts} ${attempts === 1 ? 'try' : 'tries'})` };
    if (clock.now() - started + interval > limit) {
      return { status: 'failed', summary: `Gave up after ${formatMs(clock.now() - started)}`, error: `still not met after ${attempts} tries: ${verdict.reason}` };
    }
    try {
      await clock.sleep(interval, ctx.signal);
    } catch {
      return { status: 'aborted', summary: 'Wait cancelled' };
    }
  }
};
