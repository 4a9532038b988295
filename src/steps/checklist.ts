import { renderTemplate } from '../core/conditions.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';

/** Manual items the operator ticks. Unticked items make the step a warning, with the items named. */
export const checklist: StepHandler<StepOf<'checklist'>> = async (ctx) => {
  const items = ctx.step.with.items.map((i) => renderTemplate(i, ctx.vars));
  const a = await ctx.ask({ kind: 'checklist', items, notes: Boolean(ctx.step.with.notes) });
  if (a.kind !== 'checklist') return { status: 'failed', summary: 'No checklist answer', error: `expected a checklist answer, got ${a.kind}` };
  items.forEach((item, i) => ctx.output(`${a.checked[i] ? '[x]' : '[ ]'} ${item}`));
  if (a.notes) ctx.output(`notes: ${a.notes}`);
  const open = items.filter((_, i) => !a.checked[i]);
  if (open.length) return { status: 'warned', summary: `${items.length - open.length} of ${items.length} items ticked`, advice: `Not ticked: ${open.join('; ')}` };
  return { status: 'passed', summary: `All ${items.length} items ticked` };
};
