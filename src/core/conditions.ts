import type { Env, StepStatus } from './events.js';
import type { Condition } from './model.js';

export interface ConditionScope {
  env: Env;
  vars: Readonly<Record<string, string | number | boolean | null>>;
  statusOf(stepId: string): StepStatus | undefined;
  /** Names of the commands the operator's config defines. */
  commands?: readonly string[];
}

/** Evaluate a step's `when`. All given parts must hold. The reason is shown when the step is skipped. */
export function evaluateWhen(cond: Condition | undefined, scope: ConditionScope): { ok: boolean; reason: string } {
  if (!cond) return { ok: true, reason: '' };
  if (cond.env && !cond.env.includes(scope.env)) {
    return { ok: false, reason: `runs only in ${cond.env.join(' / ')}; this target is ${scope.env}` };
  }
  if (cond.not_env && cond.not_env.includes(scope.env)) {
    return { ok: false, reason: `does not run in ${scope.env}` };
  }
  if (cond.var !== undefined) {
    const v = scope.vars[cond.var];
    if (cond.equals !== undefined && String(v) !== String(cond.equals)) {
      return { ok: false, reason: `${cond.var} is ${v === undefined ? 'not set' : `"${String(v)}"`}, not "${String(cond.equals)}"` };
    }
    if (cond.in !== undefined && !cond.in.map(String).includes(String(v))) {
      return { ok: false, reason: `${cond.var} is ${v === undefined ? 'not set' : `"${String(v)}"`}, not one of ${cond.in.join(', ')}` };
    }
    if (cond.equals === undefined && cond.in === undefined && (v === undefined || v === null || v === false || v === '')) {
      return { ok: false, reason: `${cond.var} is not set` };
    }
  }
  if (cond.step !== undefined) {
    const st = scope.statusOf(cond.step);
    const wanted = cond.status ?? ['passed', 'warned'];
    if (!st || !(wanted as readonly string[]).includes(st)) {
      return { ok: false, reason: `step ${cond.step} is ${st ?? 'unknown'}, not ${wanted.join(' / ')}` };
    }
  }
  if (cond.command !== undefined) {
    const has = (scope.commands ?? []).includes(cond.command);
    const want = cond.configured ?? true;
    if (has !== want) return { ok: false, reason: `${cond.command} is ${has ? '' : 'not '}configured` };
  }
  return { ok: true, reason: '' };
}

/** Replace {{name}} with a variable's value. Used for text and bind parameters only, never spliced into SQL. */
export function renderTemplate(text: string, vars: Readonly<Record<string, string | number | boolean | null>>): string {
  return text.replace(/\{\{\s*([a-zA-Z_][\w.]*)\s*\}\}/g, (_m, name: string) => {
    const v = vars[name];
    return v === undefined || v === null ? '' : String(v);
  });
}
