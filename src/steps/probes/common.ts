import path from 'node:path';
import type { StepOf } from '../../core/model.js';
import { packageRoot } from '../../core/paths.js';
import type { HostPort, StepContext } from '../../core/ports.js';

export type ProbeContext = StepContext<StepOf<'probe'>>;

export function migrationsDir(ctx: ProbeContext): string {
  const d = ctx.step.with.dir;
  return d ? path.resolve(path.dirname(ctx.runbook.source), d) : path.join(packageRoot(), 'sql', 'migrations');
}

export function needHost(ctx: ProbeContext): HostPort {
  if (!ctx.ports.host) throw new Error('this run has no host port (internal)');
  return ctx.ports.host;
}

export function serverMajor(ctx: ProbeContext): number | undefined {
  const v = ctx.target.serverVersion;
  const m = v ? /^(\d+)/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}
