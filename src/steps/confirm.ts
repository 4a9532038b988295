import { renderTemplate } from '../core/conditions.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';

/**
 * A go / no-go question. With `danger: true` the operator must type the database name (DESIGN §6); `--yes`
 * never answers that, only `--confirm <dbname>`. A "no" stops the run as refused.
 */
export const confirm: StepHandler<StepOf<'confirm'>> = async (ctx) => {
  const w = ctx.step.with;
  const prompt = renderTemplate(w.prompt, ctx.vars);
  if (!w.danger) {
    const a = await ctx.ask({ kind: 'confirm', prompt });
    if (a.kind === 'confirm' && a.yes) return { status: 'passed', summary: 'Confirmed' };
    return { status: 'failed', summary: 'Declined', error: `The operator declined: ${prompt}`, refused: true };
  }
  const consequences = (w.consequences ?? []).map((c) => renderTemplate(c, ctx.vars));
  for (const c of consequences) ctx.output(`will: ${c}`);
  const a = await ctx.ask({ kind: 'type-to-confirm', prompt, expected: ctx.target.database, target: ctx.target.display, consequences });
  if (a.kind === 'typed' && a.text === ctx.target.database) return { status: 'passed', summary: `Confirmed by typing "${ctx.target.database}"` };
  const got = a.kind === 'typed' ? `"${a.text}"` : 'no answer';
  return {
    status: 'failed',
    summary: 'Not confirmed',
    error: `Typed ${got}, which is not the database name "${ctx.target.database}"; nothing was done.`,
    refused: true,
  };
};
