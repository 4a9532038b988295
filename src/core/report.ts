import { formatMs } from './engine.js';
import type { VerifyResult } from './journal.js';
import { STATUS_GLYPH, type RunState } from './state.js';

/**
 * `report`: who ran what against which database, every step's result, timings and decisions — the audit
 * trail (DESIGN §5). Built from the journal alone, so it says only what was recorded.
 */
export function renderMarkdown(state: RunState, verify: VerifyResult, runId: string): string {
  const out: string[] = [];
  const rb = state.runbook;
  const tg = state.target;
  const iso = (ms?: number): string => (ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
  const cell = (s: string | undefined): string => (s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');

  out.push(`# Run report: ${rb?.title ?? 'unknown runbook'}`, '');
  if (!verify.ok) {
    out.push(`> **Warning: the journal does not verify.** Line ${verify.badLine}: ${verify.problem}. What follows is only what came before that line; treat it as untrusted.`, '');
  }
  const outcome = state.status === 'running' || state.status === 'interrupted'
    ? `${state.status === 'interrupted' ? 'interrupted' : 'unfinished'} (can be resumed with \`--resume ${runId}\`)`
    : `${state.status}${state.exitCode !== undefined ? ` (exit ${state.exitCode})` : ''}`;
  out.push('| | |', '|---|---|');
  out.push(`| Run | \`${runId}\` |`);
  out.push(`| Runbook | ${cell(rb?.id)} — ${cell(rb?.title)} (risk ${rb?.risk ?? '?'}) |`);
  out.push(`| Runbook file | \`${cell(rb?.source)}\` sha256 \`${rb?.sha256.slice(0, 12) ?? '?'}\` |`);
  out.push(`| Target | ${tg ? `${tg.env === 'production' ? '**PRODUCTION** ' : `${tg.env} `}${cell(tg.display)}` : '—'} |`);
  out.push(`| Server | ${tg?.serverVersion ? `PostgreSQL ${tg.serverVersion}` : '—'} |`);
  out.push(`| Operator | ${cell(state.operator)}@${cell(state.host)} |`);
  out.push(`| Tool | parlant-runbook ${state.toolVersion ?? '?'}${state.dryRun ? ' — **dry run**' : ''} |`);
  out.push(`| Started | ${iso(state.startedAt)} |`);
  out.push(`| Finished | ${iso(state.finishedAt)} |`);
  if (state.startedAt && state.finishedAt) out.push(`| Duration | ${formatMs(state.finishedAt - state.startedAt)} |`);
  out.push(`| Result | ${outcome}${state.summary ? ` — ${cell(state.summary)}` : ''} |`);
  out.push(`| Journal | ${verify.ok ? `intact: ${verify.events.length} events, hash chain verified` : `**broken at line ${verify.badLine}**`} |`);
  for (const r of state.resumes) out.push(`| Resumed | ${iso(r.at)} by ${cell(r.operator)}@${cell(r.host)} |`);
  for (const r of state.interruptions) out.push(`| Interrupted | ${iso(r.at)}: ${cell(r.reason)} |`);
  out.push('');

  out.push('## Steps', '', '| # | Step | Result | Started | Took | Summary |', '|---|---|---|---|---|---|');
  state.steps.forEach((s, i) => {
    const started = s.startedAt ? new Date(s.startedAt).toISOString().slice(11, 19) : '—';
    const took = s.durationMs !== undefined ? formatMs(s.durationMs) : '—';
    out.push(`| ${i + 1} | ${cell(s.title)} \`${s.id}\`${s.destructive ? ' ⚠ destructive' : ''} | ${STATUS_GLYPH[s.status]} ${s.status} | ${started} | ${took} | ${cell(s.summary)} |`);
  });
  out.push('');

  const notable = state.steps.filter((s) => s.error || s.advice || s.rows || s.status === 'failed' || s.status === 'warned' || s.status === 'aborted');
  if (notable.length) {
    out.push('## Details', '');
    for (const s of notable) {
      out.push(`### ${STATUS_GLYPH[s.status]} ${s.title} (\`${s.id}\`)`, '');
      if (s.error) out.push(`Error: ${s.error}`, '');
      if (s.advice) out.push(`What to do: ${s.advice}`, '');
      if (s.rows && s.rows.columns.length) {
        out.push(`| ${s.rows.columns.map(cell).join(' | ')} |`, `|${s.rows.columns.map(() => '---').join('|')}|`);
        for (const r of s.rows.rows.slice(0, 20)) out.push(`| ${r.map(cell).join(' | ')} |`);
        if (s.rows.total > Math.min(20, s.rows.rows.length)) out.push('', `(${s.rows.total - Math.min(20, s.rows.rows.length)} more rows not shown)`);
        out.push('');
      }
      const tail = s.output.filter((l) => l.stream !== 'sql').slice(-10);
      if (tail.length) out.push('```', ...tail.map((l) => l.text), '```', '');
    }
  }

  out.push('## Decisions', '');
  if (!state.decisions.length) out.push('None were asked.', '');
  else {
    out.push('| Time | Step | Question | Answer | By | Reason |', '|---|---|---|---|---|---|');
    for (const d of state.decisions) {
      out.push(`| ${new Date(d.at).toISOString().slice(11, 19)} | \`${d.stepId}\` | ${d.kind} | ${cell(d.answer)} | ${d.by} | ${cell(d.reason)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

export function renderJson(state: RunState, verify: VerifyResult, runId: string): string {
  const { steps, ...rest } = state;
  return JSON.stringify(
    {
      runId,
      journal: { intact: verify.ok, events: verify.events.length, ...(verify.ok ? {} : { badLine: verify.badLine, problem: verify.problem }) },
      ...rest,
      steps: steps.map(({ output, ...s }) => ({ ...s, outputTail: output.slice(-20) })),
    },
    null,
    2,
  );
}
