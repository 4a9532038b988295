import { renderTemplate } from '../core/conditions.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';

/** A branch: the operator picks an option; the choice is stored in a variable and may jump to a step. */
export const choose: StepHandler<StepOf<'choose'>> = async (ctx) => {
  const w = ctx.step.with;
  const a = await ctx.ask({
    kind: 'choose',
    prompt: renderTemplate(w.prompt, ctx.vars),
    var: w.var,
    options: w.options.map((o) => ({ value: o.value, label: o.label })),
    ...(w.default !== undefined ? { default: w.default } : {}),
  });
  const value = a.kind === 'choice' ? a.value : undefined;
  const option = w.options.find((o) => o.value === value);
  if (!option) {
    return { status: 'failed', summary: 'No valid choice', error: `"${String(value)}" is not one of ${w.options.map((o) => o.value).join(', ')}`, refused: true };
  }
  return { status: 'passed', summary: `Chose ${option.label}`, vars: { [w.var]: option.value }, ...(option.goto ? { goto: option.goto } : {}) };
};
