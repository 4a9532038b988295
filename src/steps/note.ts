import { renderTemplate } from '../core/conditions.js';
import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';

/** A note is read, not run: its text is shown and the step passes. */
export const note: StepHandler<StepOf<'note'>> = async (ctx) => {
  for (const line of renderTemplate(ctx.step.with.text, ctx.vars).trimEnd().split('\n')) ctx.output(line);
  return { status: 'passed', summary: 'Read' };
};
