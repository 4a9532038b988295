import { progressLines, type BackupEvent, type BackupPort, type Outcome } from '../core/backup.js';
import { renderTemplate } from '../core/conditions.js';
import type { StepContext, StepResult } from '../core/ports.js';

/**
 * What the backup, verify, restore, partial-recovery and pitr steps share: the engine's events turned into what
 * the operator sees (journaled lines, a live progress block, tables), and a step's templated settings read
 * against the run's variables.
 */
export function showBackup(ctx: StepContext): (e: BackupEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'info':
        ctx.output(e.text, e.stream ?? 'stdout');
        return;
      case 'command':
        ctx.output(`$ ${e.text}`, 'sql');
        return;
      case 'output':
        ctx.output(e.text, e.stream);
        return;
      case 'progress':
        ctx.live(e.progress ? progressLines(e.progress) : []);
        return;
      case 'stage':
        ctx.output(`${e.ok ? (e.warn ? '!' : '✔') : '✖'} ${e.name}: ${e.detail}`, e.ok && !e.warn ? 'stdout' : 'stderr');
        return;
      case 'rows':
        ctx.rows(e.columns, e.rows, e.total);
        return;
    }
  };
}

/** The engine, or a failed result saying it is missing (a fake without it, a wiring mistake). */
export function backupsOf(ctx: StepContext): BackupPort | StepResult {
  return ctx.ports.backups ?? { status: 'failed', summary: 'No backup engine', error: 'This run has no backup engine (internal: ports.backups missing).' };
}

export function isPort(x: BackupPort | StepResult): x is BackupPort {
  return 'backup' in x;
}

/** A setting that may be a template ("{{tables}}"); undefined when absent or rendered empty. */
export function setting(ctx: StepContext, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const out = renderTemplate(v, ctx.vars).trim();
  return out === '' ? undefined : out;
}

/** true / false / a template rendered to yes|no|true|false|1|0 (anything else: the fallback). */
export function flagSetting(ctx: StepContext, v: boolean | string | undefined, fallback: boolean): boolean {
  if (typeof v === 'boolean') return v;
  const s = setting(ctx, v)?.toLowerCase();
  if (s === undefined) return fallback;
  if (['yes', 'y', 'true', '1', 'on'].includes(s)) return true;
  if (['no', 'n', 'false', '0', 'off'].includes(s)) return false;
  return fallback;
}

/** Table names from a list or one comma-separated string (templates rendered). */
export function tableSetting(ctx: StepContext, v: string | readonly string[] | undefined): string[] {
  if (v === undefined) return [];
  const parts = typeof v === 'string' ? (setting(ctx, v) ?? '').split(',') : v.map((x) => setting(ctx, x) ?? '');
  return parts.map((x) => x.trim()).filter(Boolean);
}

/** An engine outcome as a step result. */
export function resultOf(o: Outcome, extra: Partial<StepResult> = {}): StepResult {
  if (o.aborted) return { status: 'aborted', summary: o.summary, ...(o.error ? { error: o.error } : {}) };
  if (!o.ok) {
    return {
      status: 'failed',
      summary: o.summary,
      error: o.error ?? o.summary,
      ...(o.advice ? { advice: o.advice } : {}),
      ...(o.refused ? { refused: true } : {}),
      ...extra,
    };
  }
  return { status: 'passed', summary: o.summary, ...(o.advice ? { advice: o.advice } : {}), ...extra };
}
