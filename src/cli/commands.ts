import * as clack from '@clack/prompts';
import path from 'node:path';
import { EXIT } from '../core/events.js';
import { listRuns, readRun } from '../core/journal.js';
import { loadAllRunbooks, loadRunbook } from '../core/loader.js';
import { HOME_PHASE_ORDER, PHASE_TITLE, PHASES, type Runbook, type Step } from '../core/model.js';
import { backupText, gateText, migrateText, probeText, sessionsText } from '../core/describe.js';
import { renderJson, renderMarkdown } from '../core/report.js';
import { envLabel } from '../plain/reporter.js';
import { formatTable } from '../plain/table.js';
import { openSession, UsageError, type Basics } from './session.js';


/** `list`: id, title, risk, step count. `--plain`: tab-separated, one per line, for scripts. */
export async function listCommand(b: Basics): Promise<number> {
  const { runbooks, broken } = await loadAllRunbooks(b.runbooksDir, b.root);
  if (b.opts.plain) {
    for (const r of runbooks) b.out(`${r.id}\t${r.title}\t${r.risk}\t${r.steps.length}\n`);
  } else if (b.opts.json) {
    b.out(`${JSON.stringify(runbooks.map((r) => ({ id: r.id, title: r.title, risk: r.risk, phase: r.phase, steps: r.steps.length, summary: r.summary })), null, 2)}\n`);
  } else {
    const width = process.stdout.columns || 100;
    for (const phase of PHASES) {
      const group = runbooks.filter((r) => r.phase === phase);
      if (!group.length) continue;
      b.out(`${b.paint.bold(PHASE_TITLE[phase])}\n`);
      for (const l of formatTable(['id', 'title', 'risk', 'steps'], group.map((r) => [r.id, r.title, r.risk, String(r.steps.length)]), width - 2)) b.out(`  ${l}\n`);
      b.out('\n');
    }
    if (!runbooks.length) b.out('No runbooks found.\n');
  }
  for (const e of broken) b.err(`${e.message}\n`);
  return broken.length ? EXIT.usage : EXIT.done;
}

/** `show <runbook>`: every step — what it does, what it touches, whether it is destructive. */
export async function showCommand(ref: string, b: Basics): Promise<number> {
  const rb = await loadRunbook(ref, b.runbooksDir, b.root);
  if (b.opts.json) {
    b.out(`${JSON.stringify({ ...rb }, null, 2)}\n`);
    return EXIT.done;
  }
  const p = b.paint;
  b.out(`${p.bold(rb.title)} ${p.dim(`(${rb.id})`)}\n${rb.summary}\n`);
  b.out(`phase: ${PHASE_TITLE[rb.phase]} · risk: ${rb.risk} · ${rb.steps.length} steps · ${path.relative(process.cwd(), rb.source) || rb.source}\n`);
  if (rb.incident) b.out(`incident clock: ${rb.incident.phases.map((x) => `${x.name} ${x.minutes} min`).join(' → ')}\n`);
  b.out('\n');
  rb.steps.forEach((s, i) => {
    const destructive = s.destructive || (s.kind === 'confirm' && s.with.danger);
    b.out(`${String(i + 1).padStart(2)}. ${p.bold(s.title)} ${p.dim(`[${s.kind}] ${s.id}`)}${destructive ? ` ${p.bad('⚠ DESTRUCTIVE')}` : ''}\n`);
    if (s.why) b.out(`    why: ${s.why}\n`);
    b.out(`    does: ${describeStep(s)}\n`);
    if (s.touches?.length) b.out(`    touches: ${s.touches.join(', ')}\n`);
    if (s.when) b.out(`    when: ${JSON.stringify(s.when)}\n`);
    if (s.on_failure) b.out(`    on failure: ${typeof s.on_failure === 'string' ? s.on_failure : JSON.stringify(s.on_failure)}\n`);
  });
  return EXIT.done;
}

export function describeStep(s: Step): string {
  switch (s.kind) {
    case 'note':
      return 'shows a note';
    case 'checklist':
      return `asks the operator to tick ${s.with.items.length} item${s.with.items.length === 1 ? '' : 's'}`;
    case 'check':
      return `runs ${s.with.file ?? 'a query'} read-only and expects ${JSON.stringify(s.with.expect)} (${s.with.severity === 'warn' ? 'warns' : 'fails'} otherwise)`;
    case 'sql':
      return `runs ${s.with.file ?? 'SQL'} ${s.with.transaction === false ? 'outside a transaction' : 'in one transaction'}`;
    case 'confirm':
      return s.with.danger ? 'asks the operator to type the database name' : 'asks the operator to confirm';
    case 'choose':
      return `asks the operator to choose: ${s.with.options.map((o) => o.value).join(' / ')}`;
    case 'wait':
      return 'seconds' in s.with ? `waits ${s.with.seconds} s` : 'until' in s.with ? 'polls a query until it answers as expected' : 'polls a URL until it answers';
    case 'shell':
      return `runs the configured command ${s.with.command}`;
    case 'http':
      return `${s.with.method ?? (s.with.body ? 'POST' : 'GET')} ${s.with.url_from ? `the configured ${s.with.url_from} URL` : s.with.url}`;
    case 'migrate':
      return migrateText(s.with);
    case 'gate':
      return gateText(s.with);
    case 'probe':
      return probeText(s.with);
    case 'backup':
    case 'verify-backup':
    case 'restore':
    case 'partial-recovery':
    case 'pitr':
      return backupText(s);
    case 'sessions':
      return sessionsText(s);
  }
}

/** `report <run-id|latest>`: Markdown (default) or JSON. A journal that does not verify is said first, exit 1. */
export async function reportCommand(which: string, format: string, b: Basics): Promise<number> {
  if (format !== 'md' && format !== 'json') throw new UsageError(`--format ${format} is not known. Use md or json.`);
  const run = which === 'latest' ? (await listRuns(b.stateDir))[0] : await readRun(path.join(b.stateDir, 'runs', which));
  if (!run) {
    const recent = (await listRuns(b.stateDir)).slice(0, 5).map((r) => r.runId);
    throw new UsageError(
      which === 'latest'
        ? `No runs yet in ${path.join(b.stateDir, 'runs')}. Start one with: parlant-runbook run <runbook>`
        : `No run "${which}" in ${path.join(b.stateDir, 'runs')}.${recent.length ? ` Recent runs: ${recent.join(', ')}.` : ''}`,
    );
  }
  b.out(format === 'json' ? `${renderJson(run.state, run.verify, run.runId)}\n` : `${renderMarkdown(run.state, run.verify, run.runId)}\n`);
  if (!run.verify.ok) {
    b.err(`The journal of run ${run.runId} does not verify: line ${run.verify.badLine}: ${run.verify.problem}.\n`);
    return EXIT.stepFailed;
  }
  return EXIT.done;
}

/**
 * Home (no command): the target banner and the runbooks grouped by phase. On a terminal the operator picks
 * one and it runs; elsewhere the list is printed. The incident runbooks come first in the picker: the
 * emergency runbook is two keystrokes from launch (down/enter or enter).
 */
export async function homeCommand(b: Basics, run: (ref: string) => Promise<number>): Promise<number> {
  const session = await openSession(b, undefined);
  const t = session.info;
  await session.close();
  const p = b.paint;
  const banner = (): void => b.out(`${p.bold('parlant-runbook')} · ${envLabel(t.env, p)} ${t.display} · PostgreSQL ${t.serverVersion ?? '?'}\n\n`);
  const { runbooks, broken } = await loadAllRunbooks(b.runbooksDir, b.root);
  for (const e of broken) b.err(`${e.message}\n`);
  const unfinished = (await listRuns(b.stateDir)).filter((r) => r.state.target?.key === t.key && r.state.status !== 'done');
  if (!b.interactive) {
    banner();
    await listCommand(b);
    if (unfinished[0]) b.out(`Unfinished: ${unfinished[0].runId} (${unfinished[0].state.runbook?.id}, ${unfinished[0].state.status}). Resume: parlant-runbook run ${unfinished[0].state.runbook?.id} --resume latest\n`);
    return EXIT.done;
  }
  if (!process.env.PARLANT_RUNBOOK_NO_TUI) {
    const latest = unfinished[0];
    const picked = await (await import('./tui-mode.js')).homeInTui({
      target: t,
      colour: b.colour,
      runbooks,
      ...(latest?.state.runbook
        ? {
            unfinished: {
              runId: latest.runId,
              runbookId: latest.state.runbook.id,
              title: latest.state.runbook.title,
              status: latest.state.status,
              done: latest.state.steps.filter((s) => s.status === 'passed' || s.status === 'warned' || s.status === 'skipped').length,
              total: latest.state.steps.length,
            },
          }
        : {}),
    });
    if (picked === null) return EXIT.done;
    if (picked !== undefined) return run(picked);
  }
  banner();
  const options = HOME_PHASE_ORDER.flatMap((phase) =>
    runbooks
      .filter((r) => r.phase === phase)
      .map((r: Runbook) => ({ value: r.id, label: `${r.title}`, hint: `${PHASE_TITLE[phase]} · risk ${r.risk} · ${r.summary}`.slice(0, 90) })),
  );
  if (unfinished[0]?.state.runbook) {
    options.unshift({ value: `resume:${unfinished[0].state.runbook.id}`, label: `Resume ${unfinished[0].state.runbook.title}`, hint: `${unfinished[0].runId} (${unfinished[0].state.status})` });
  }
  if (!options.length) {
    b.out('No runbooks found.\n');
    return EXIT.usage;
  }
  const v = await clack.select({ message: 'Pick a runbook', options });
  if (clack.isCancel(v)) return EXIT.aborted;
  return run(String(v));
}
