import * as clack from '@clack/prompts';
import type { DecisionRequest } from '../core/events.js';
import { DecisionRefused, type Decide, type Decision } from '../core/ports.js';

export interface DecisionFlags {
  yes: boolean;
  /** --confirm <dbname> */
  confirm?: string;
  vars: Record<string, string>;
  dryRun: boolean;
  /**
   * How often a --var has answered each step's question in this run. A flag that answers "retry" to a step
   * that keeps failing would loop for ever; after MAX_FLAG_ANSWERS the question goes to the operator (or the
   * run stops, without one).
   */
  answered?: Map<string, number>;
}

export const MAX_FLAG_ANSWERS = 3;

/**
 * Answers that the command line already gives (STYLE §5). Returns undefined when the flags say nothing, so
 * an interactive source can ask. `--yes` never answers a type-to-confirm: only --confirm <dbname> does.
 */
export function answerFromFlags(req: DecisionRequest, f: DecisionFlags): Decision | undefined {
  if (f.dryRun) return dryRunAnswer(req);
  switch (req.kind) {
    case 'proceed':
      return { answer: { kind: 'proceed', action: 'run' }, by: 'default' };
    case 'confirm':
      return f.yes ? { answer: { kind: 'confirm', yes: true }, by: 'flag', reason: '--yes' } : undefined;
    case 'type-to-confirm':
      return f.confirm !== undefined ? { answer: { kind: 'typed', text: f.confirm }, by: 'flag', reason: '--confirm' } : undefined;
    case 'choose': {
      const v = f.vars[req.var];
      if (v !== undefined) {
        const key = `${req.stepId} ${req.var}`;
        const n = (f.answered?.get(key) ?? 0) + 1;
        f.answered?.set(key, n);
        if (n > MAX_FLAG_ANSWERS) return undefined;
        return { answer: { kind: 'choice', value: v }, by: 'flag', reason: `--var ${req.var}` };
      }
      // --yes takes the runbook's default branch; without a default the operator must say which.
      return f.yes && req.default !== undefined ? { answer: { kind: 'choice', value: req.default }, by: 'default', reason: '--yes takes the default' } : undefined;
    }
    case 'checklist':
      return f.yes ? { answer: { kind: 'checklist', checked: req.items.map(() => true) }, by: 'flag', reason: '--yes' } : undefined;
    case 'on-failure':
    case 'resume-in-flight':
      return undefined;
  }
}

/** In a dry run nothing writes, so questions take their harmless default and the run goes on to show every step. */
function dryRunAnswer(req: DecisionRequest): Decision {
  const by = 'default' as const;
  switch (req.kind) {
    case 'proceed':
      return { answer: { kind: 'proceed', action: 'run' }, by };
    case 'confirm':
      return { answer: { kind: 'confirm', yes: true }, by, reason: 'dry run' };
    case 'type-to-confirm':
      return { answer: { kind: 'typed', text: req.expected }, by, reason: 'dry run' };
    case 'choose':
      return { answer: { kind: 'choice', value: req.default ?? req.options[0]?.value ?? '' }, by, reason: 'dry run' };
    case 'checklist':
      return { answer: { kind: 'checklist', checked: req.items.map(() => true) }, by, reason: 'dry run' };
    case 'on-failure':
      return { answer: { kind: 'failure', action: 'skip' }, by, reason: 'dry run' };
    case 'resume-in-flight':
      return { answer: { kind: 'resume', action: 'skip' }, by, reason: 'dry run' };
  }
}

/** What to tell an operator whose non-interactive run needs an answer it was not given. */
export function refusalFor(req: DecisionRequest): string {
  switch (req.kind) {
    case 'confirm':
      return `Step ${req.stepId} asks "${req.prompt}" and this run is not interactive. Pass --yes to answer yes.`;
    case 'type-to-confirm':
      return `Step ${req.stepId} is destructive on ${req.target}: ${req.prompt} Pass --confirm ${req.expected} to go ahead (--yes does not cover destructive steps).`;
    case 'choose':
      return `Step ${req.stepId} asks "${req.prompt}". Pass --var ${req.var}=<${req.options.map((o) => o.value).join('|')}>${req.default !== undefined ? ', or --yes to take the default' : ''}.`;
    case 'checklist':
      return `Step ${req.stepId} is a manual checklist (${req.items.length} items). Tick it interactively, or pass --yes to record every item as done.`;
    case 'resume-in-flight':
      return `Step ${req.stepId} ("${req.title}") was running when the last run stopped, and may have taken effect. Check it, then resume in a terminal to choose rerun or skip.`;
    case 'on-failure':
      return `Step ${req.stepId} failed: ${req.error}`;
    case 'proceed':
      return `Step ${req.stepId} needs the operator.`;
  }
}

/** Non-interactive: flags or refuse (exit 3, naming the flag to pass). */
export function flagDecider(f: DecisionFlags): Decide {
  return async (req) => {
    const d = answerFromFlags(req, f);
    if (d) return d;
    if (req.kind === 'choose' && (f.answered?.get(`${req.stepId} ${req.var}`) ?? 0) > MAX_FLAG_ANSWERS) {
      throw new DecisionRefused(
        `--var ${req.var}=${f.vars[req.var]} has answered step ${req.stepId} ${MAX_FLAG_ANSWERS} times and the question keeps coming back; stopping here rather than looping. ` +
          'Look at the output above for why, then run again (or answer it at a terminal).',
      );
    }
    throw new DecisionRefused(refusalFor(req));
  };
}

/** Line mode on a terminal: flags first, then a prompt (@clack/prompts). Ctrl+C at a prompt aborts. */
export function promptDecider(f: DecisionFlags, onCancel: () => void): Decide {
  const cancelled = <T>(v: T | symbol): v is symbol => {
    if (clack.isCancel(v)) {
      onCancel();
      return true;
    }
    return false;
  };
  return async (req, signal) => {
    const d = answerFromFlags(req, f);
    if (d) return d;
    const opts = { signal };
    switch (req.kind) {
      case 'confirm': {
        const v = await clack.confirm({ message: req.prompt, ...opts });
        if (cancelled(v)) throw new DecisionRefused('Cancelled at a prompt.');
        return { answer: { kind: 'confirm', yes: v }, by: 'operator' };
      }
      case 'type-to-confirm': {
        clack.note([...req.consequences.map((c) => `• ${c}`), '', `Target: ${req.target}`].join('\n'), 'This step is destructive');
        const v = await clack.text({
          message: `${req.prompt} Type the database name "${req.expected}" to go ahead`,
          validate: (s) => (s === req.expected ? undefined : `That is not "${req.expected}". Type it exactly, or press Ctrl+C to stop.`),
          ...opts,
        });
        if (cancelled(v)) throw new DecisionRefused('Cancelled at the destructive-step confirmation; nothing was done.');
        return { answer: { kind: 'typed', text: v }, by: 'operator' };
      }
      case 'choose': {
        const v = await clack.select({
          message: req.prompt,
          options: req.options.map((o) => ({ value: o.value, label: o.label })),
          ...(req.default !== undefined ? { initialValue: req.default } : {}),
          ...opts,
        });
        if (cancelled(v)) throw new DecisionRefused('Cancelled at a choice.');
        return { answer: { kind: 'choice', value: String(v) }, by: 'operator' };
      }
      case 'checklist': {
        const v = await clack.multiselect({
          message: 'Tick what is done (space to tick, enter to confirm)',
          options: req.items.map((item, i) => ({ value: i, label: item })),
          required: false,
          ...opts,
        });
        if (cancelled(v)) throw new DecisionRefused('Cancelled at a checklist.');
        const ticked = new Set(v);
        let notes: string | undefined;
        if (req.notes) {
          const n = await clack.text({ message: 'Notes for the journal (enter to skip)', defaultValue: '', ...opts });
          if (!cancelled(n) && n) notes = n;
        }
        return { answer: { kind: 'checklist', checked: req.items.map((_, i) => ticked.has(i)), ...(notes ? { notes } : {}) }, by: 'operator' };
      }
      case 'on-failure': {
        const labels: Record<string, string> = { retry: 'Retry the step', skip: 'Skip it and go on', abort: 'Stop the run', goto: `Go to ${req.gotoStep ?? ''} (the runbook's path for this failure)` };
        const v = await clack.select({ message: `Step ${req.stepId} failed. What now?`, options: req.options.map((o) => ({ value: o, label: labels[o] ?? o })), ...opts });
        if (cancelled(v)) return { answer: { kind: 'failure', action: 'abort' }, by: 'operator' };
        return { answer: { kind: 'failure', action: v }, by: 'operator' };
      }
      case 'resume-in-flight': {
        const v = await clack.select({
          message: `"${req.title}" was running when the last run stopped. It may have taken effect.`,
          options: [
            { value: 'skip' as const, label: 'It finished: mark it done and go on' },
            { value: 'rerun' as const, label: 'Run it again' },
            { value: 'abort' as const, label: 'Stop here' },
          ],
          ...opts,
        });
        if (cancelled(v)) return { answer: { kind: 'resume', action: 'abort' }, by: 'operator' };
        return { answer: { kind: 'resume', action: v }, by: 'operator' };
      }
      case 'proceed':
        return { answer: { kind: 'proceed', action: 'run' }, by: 'default' };
    }
  };
}
