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

/** 1536 → "1.5 kB", binary-free decimal units as df -H and pg_size_pretty's cousins print them. */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function ago(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} days`;
}

export function serverMajor(ctx: ProbeContext): number | undefined {
  const v = ctx.target.serverVersion;
  const m = v ? /^(\d+)/.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}
