import { renderTemplate } from '../core/conditions.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';

const TIMEOUT_MS = 10_000;

/** A health check or a webhook call. The webhook URL carries a secret and is never shown or journaled. */
export const http: StepHandler<StepOf<'http'>> = async (ctx) => {
  const w = ctx.step.with;
  const fromConfig = w.url_from === 'health' ? ctx.config.healthUrl : w.url_from === 'webhook' ? ctx.config.webhookUrl : undefined;
  const url = w.url ? renderTemplate(w.url, ctx.vars) : fromConfig;
  const shown = w.url_from === 'webhook' ? 'the configured webhook' : (url ?? '');
  // An alert nobody configured is not a failure of the incident: say so, and who must be told by hand.
  if (!url && w.url_from === 'webhook') {
    return { status: 'skipped', summary: 'No webhook configured (alerts.webhook_url): alert the team yourself', advice: 'Set alerts.webhook_url in parlant-runbook.config.yaml to alert automatically next time.' };
  }
  if (!url) {
    const key = w.url_from === 'health' ? 'app.health_url' : 'alerts.webhook_url';
    return { status: 'failed', summary: `No ${w.url_from} URL configured`, error: `${key} is not set in the config file.`, advice: `Set ${key} in parlant-runbook.config.yaml.` };
  }
  const method = w.method ?? (w.body ? 'POST' : 'GET');
  // Who, what, where and when are always there for a body to name; the run's own variables come on top.
  const builtIn = { database: ctx.target.database, target: ctx.target.display, env: ctx.target.env, operator: ctx.operator, run_id: ctx.runId, runbook: ctx.runbook.id, now: new Date(ctx.ports.clock.now()).toISOString() };
  const body = w.body ? renderBody(w.body, { ...builtIn, ...ctx.vars }) : undefined;
  ctx.output(`${method} ${shown}`, 'sql');
  if (ctx.dryRun && method !== 'GET' && method !== 'HEAD') return { status: 'skipped', summary: `Dry run: would ${method} to ${shown}` };
  const expected = w.expect_status;
  try {
    const r = await ctx.ports.http.request({ url, method, body, timeoutMs: ctx.timeoutMs ?? TIMEOUT_MS, signal: ctx.signal });
    const ok = expected ? expected.includes(r.status) : r.status >= 200 && r.status < 300;
    const snippet = r.body.trim().slice(0, 200);
    if (snippet) ctx.output(snippet, 'stdout');
    if (ok) return { status: 'passed', summary: `HTTP ${r.status} from ${shown}` };
    return { status: 'failed', summary: `HTTP ${r.status} from ${shown}`, error: `expected ${expected ? expected.join(' or ') : '2xx'}, got ${r.status}` };
  } catch (e) {
    if (ctx.signal.aborted) return { status: 'aborted', summary: 'Request cancelled' };
    const msg = (e instanceof Error ? e.message : String(e)).split(url).join(shown);
    return { status: 'failed', summary: `No answer from ${shown}`, error: msg };
  }
};

function renderBody(body: Record<string, unknown>, vars: Readonly<Record<string, string | number | boolean | null>>): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return renderTemplate(v, vars);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(body) as Record<string, unknown>;
}
