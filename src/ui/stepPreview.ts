import type { Step } from '../core/model.js';
import { backupText, gateText, migrateText, probeText, sessionsText } from '../core/describe.js';

/**
 * What a step will do, for the pane before it runs: its SQL (or the file it comes from), its command, the
 * URL it calls. Read from the runbook; the SQL from a file appears in the output once the step runs.
 */
export function previewLines(step: Step): string[] {
  switch (step.kind) {
    case 'note':
      return step.with.text.trim().split('\n');
    case 'checklist':
      return step.with.items.map((i) => `☐ ${i}`);
    case 'check':
      return [...sqlLines(step.with), `expects ${expectText(step.with.expect)}${step.with.severity === 'warn' ? ' (warns otherwise)' : ''}`];
    case 'sql':
      return [...sqlLines(step.with), step.with.transaction === false ? 'runs outside a transaction' : 'runs in one transaction'];
    case 'confirm':
      return [step.with.prompt, ...(step.with.danger ? ['asks you to type the database name', ...(step.with.consequences ?? []).map((c) => `will: ${c}`)] : [])];
    case 'choose':
      return [step.with.prompt, ...step.with.options.map((o) => `• ${o.label}`)];
    case 'wait':
      if ('seconds' in step.with) return [`waits ${step.with.seconds} s`];
      if ('until' in step.with) return ['polls until this answers as expected:', ...sqlLines(step.with.until)];
      return [`polls ${step.with.until_http.url ?? `the configured ${step.with.until_http.url_from ?? 'health'} URL`} until it answers`];
    case 'shell':
      return [`runs the configured command ${step.with.command}`];
    case 'http':
      return [`${step.with.method ?? (step.with.body ? 'POST' : 'GET')} ${step.with.url ?? `the configured ${step.with.url_from ?? ''} URL`}`];
    case 'migrate':
      return [migrateText(step.with), ...(step.with.dir ? [`files from ${step.with.dir}`] : [])];
    case 'gate':
      return [gateText(step.with)];
    case 'probe':
      return [probeText(step.with)];
    case 'backup':
    case 'verify-backup':
    case 'restore':
    case 'partial-recovery':
    case 'pitr':
      return [backupText(step)];
    case 'sessions':
      return [sessionsText(step)];
  }
}

function sqlLines(w: { sql?: string; file?: string }): string[] {
  if (w.sql !== undefined) return w.sql.trim().split('\n');
  return [`SQL from ${w.file ?? '?'}`];
}

function expectText(e: Record<string, unknown>): string {
  return Object.entries(e)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${String(v)}`)
    .join(', ');
}
