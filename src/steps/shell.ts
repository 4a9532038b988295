import type { StepOf } from '../core/model.js';
import type { StepHandler } from '../core/ports.js';

/**
 * Run a command named in the operator's config (e.g. app.stop). Runbooks cannot carry shell text of their
 * own: what runs on the operator's machine is what the operator configured.
 */
export const shell: StepHandler<StepOf<'shell'>> = async (ctx) => {
  const name = ctx.step.with.command;
  const cmd = ctx.config.commands[name];
  if (!cmd) {
    const known = Object.keys(ctx.config.commands);
    return {
      status: 'failed',
      summary: `Command ${name} is not configured`,
      error: `No command named "${name}" in the config file.`,
      advice: `Add it under "commands:" in parlant-runbook.config.yaml, e.g.\n  commands:\n    ${name}: "systemctl stop sim"${known.length ? `\nConfigured: ${known.join(', ')}` : ''}`,
    };
  }
  const shown = typeof cmd.run === 'string' ? cmd.run : cmd.run.join(' ');
  ctx.output(`$ ${shown}`, 'sql');
  if (ctx.dryRun) return { status: 'skipped', summary: `Dry run: would run ${name}` };
  const r = await ctx.ports.proc.run(cmd.run, {
    onLine: (line, stream) => ctx.output(line, stream),
    signal: ctx.signal,
    timeoutMs: cmd.timeoutMs ?? ctx.timeoutMs,
  });
  if (r.aborted) return { status: 'aborted', summary: `${name} stopped` };
  if (r.ok) return { status: 'passed', summary: `${name} finished (exit 0)` };
  return { status: 'failed', summary: `${name} failed`, error: r.failure ?? `exit code ${r.exitCode}` };
};
