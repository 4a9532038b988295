import { formatMs } from '../core/engine.js';
import type { OutputLine } from '../core/events.js';
import type { Step } from '../core/model.js';
import { STATUS_GLYPH, type RunState, type StepState } from '../core/state.js';
import { formatTable } from '../plain/table.js';
import { tl, type ToneLine } from './Lines.js';
import { tableLines } from './ResultTable.js';
import { previewLines } from './stepPreview.js';
import { count, line, plural, wrap } from './text.js';
import { STATUS_TONE, STATUS_WORD, type Tone } from './theme.js';

/**
 * The pane's blocks as lines. Each function gets a width and a number of rows and returns at most that many
 * lines, each already cut to the width: the frame's height is exact by construction.
 */

export function stepTitle(step: StepState, n: number): string {
  return `${STATUS_GLYPH[step.status]} ${n} ${step.destructive ? '⚠ ' : ''}${step.title}`;
}

/** A mark per stream, so SQL, the step's own words and a child's stderr differ without colour. */
export const STREAM_MARK: Record<OutputLine['stream'], string> = { sql: '│ ', info: '  ', stdout: '  ', stderr: '┆ ' };

/**
 * The last output lines that fit in `max` rows. When lines are hidden, the first row says how many there
 * were, so a step printing 100,000 lines shows its count climbing, not a flood.
 */
export function outputLines(step: StepState, width: number, max: number): ToneLine[] {
  if (max <= 0 || !step.output.length) return [];
  const hidden = step.outputTotal > max;
  const keep = hidden ? max - 1 : max;
  const shown = keep > 0 ? step.output.slice(-keep) : [];
  return [
    ...(hidden ? [tl(`… ${count(step.outputTotal)} lines of output, the last ${shown.length} below`, 'muted')] : []),
    ...shown.map((l) => tl(line(`${STREAM_MARK[l.stream]}${l.text}`, width), l.stream === 'sql' ? 'muted' : l.stream === 'stderr' ? 'warn' : 'plain')),
  ];
}

/** A finished step: how it ended, why if it failed, what to do, and its rows (or its last output). */
export function resultLines(step: StepState, n: number, width: number, height: number): ToneLine[] {
  if (height <= 0) return [];
  const out: ToneLine[] = [];
  const took = step.durationMs !== undefined ? ` · ${formatMs(step.durationMs)}` : '';
  out.push(tl(`${stepTitle(step, n)} · ${STATUS_WORD[step.status]}${took}`, STATUS_TONE[step.status], true));
  const room = (): number => height - out.length;
  if (step.summary && room() > 0) for (const l of wrap(step.summary, width - 2, Math.min(2, room()))) out.push(tl(`  ${l}`));
  if (step.error && step.error !== step.summary && room() > 0) {
    for (const l of wrap(step.error, width - 4, Math.min(4, room()))) out.push(tl(`  ✖ ${l}`, 'bad'));
  }
  if (step.advice && room() > 0) for (const l of wrap(step.advice, width - 4, Math.min(3, room()))) out.push(tl(`  → ${l}`, 'warn'));
  if (step.rows && room() > 1) {
    for (const l of tableLines(step.rows, width - 2, room())) out.push({ ...l, text: `  ${l.text}` });
  } else if (room() > 1) {
    out.push(...outputLines(step, width - 2, room()).map((l) => ({ ...l, text: `  ${l.text}` })));
  }
  return out.slice(0, height);
}

/** The step the gate is about: what it does and why, then the keys. */
export function nextLines(step: StepState, model: Step | undefined, n: number, width: number, height: number, first: boolean): ToneLine[] {
  if (height <= 0) return [];
  const before = step.attempt > 0 && step.status !== 'pending' ? ` (${STATUS_WORD[step.status]} before)` : '';
  const title = tl(`${first ? 'First' : 'Next'}: ${n} ${step.destructive ? '⚠ ' : ''}${step.title}${before}`, 'strong', true);
  if (height === 1) return [title];
  // The first and last rows are the title and the keys: without the keys the operator does not know what enter does.
  let room = height - 2;
  const why = step.why ? wrap(step.why, width - 2, Math.min(2, room)) : [];
  room -= why.length;
  const flagText = [step.destructive ? '⚠ DESTRUCTIVE' : '', step.touches?.length ? `touches ${step.touches.join(', ')}` : ''].filter(Boolean).join(' · ');
  const flags = flagText && room > 0 ? [tl(`  ${flagText}`, step.destructive ? 'bad' : 'muted', step.destructive)] : [];
  room -= flags.length;
  const preview = model ? previewLines(model) : [];
  const shown = preview.length > room ? [...preview.slice(0, Math.max(0, room - 1)), `… ${plural(preview.length - room + 1, 'more line')}`].slice(0, room) : preview;
  return [
    title,
    ...why.map((l) => tl(`  ${l}`, 'muted')),
    ...flags,
    ...shown.map((l) => tl(`  │ ${l}`, 'info')),
    tl('  [enter] run this step   [s] skip it', 'strong'),
  ];
}

const END_WORD: Record<RunState['status'], { text: string; tone: Tone }> = {
  idle: { text: '· NOT STARTED', tone: 'muted' },
  running: { text: '▶ RUNNING', tone: 'info' },
  done: { text: '✔ DONE', tone: 'ok' },
  failed: { text: '✖ FAILED', tone: 'bad' },
  aborted: { text: '■ ABORTED', tone: 'bad' },
  refused: { text: '✖ REFUSED', tone: 'bad' },
  interrupted: { text: '■ INTERRUPTED', tone: 'warn' },
};

/** The end of the run: the outcome in a word, the counts, and where to go next. */
export function outcomeLines(run: RunState, width: number): ToneLine[] {
  const w = END_WORD[run.status];
  const took = run.startedAt !== undefined && run.finishedAt !== undefined ? ` in ${formatMs(run.finishedAt - run.startedAt)}` : '';
  const reason = run.status === 'interrupted' ? (run.interruptions[run.interruptions.length - 1]?.reason ?? '') : (run.summary ?? '');
  const counts = (['passed', 'warned', 'failed', 'aborted', 'skipped'] as const)
    .map((s) => [s, run.steps.filter((x) => x.status === s).length] as const)
    .filter(([, k]) => k > 0)
    .map(([s, k]) => `${k} ${STATUS_GLYPH[s]} ${STATUS_WORD[s].toLowerCase()}`)
    .join(' · ');
  const out: ToneLine[] = [tl(`${w.text}${took}${run.exitCode !== undefined ? ` · exit ${run.exitCode}` : ''}`, w.tone, true)];
  for (const l of wrap(reason, width, 2)) out.push(tl(l));
  if (counts) out.push(tl(counts, 'muted'));
  if (run.status !== 'done') for (const l of wrap('Start the same runbook again to resume it; finished steps are not repeated.', width, 2)) out.push(tl(l, 'warn'));
  if (run.runId) for (const l of wrap(`Report: parlant-runbook report ${run.runId}`, width, 2)) out.push(tl(l, 'muted'));
  return out;
}

/** Everything known about one step, for the details view (d). */
export function detailLines(step: StepState, model: Step | undefined, n: number, width: number): ToneLine[] {
  const out: ToneLine[] = [tl(`${stepTitle(step, n)} · ${STATUS_WORD[step.status]}`, STATUS_TONE[step.status], true)];
  const facts = [
    `kind ${step.kind}`,
    step.attempt > 1 ? `attempt ${step.attempt}` : '',
    step.durationMs !== undefined ? `took ${formatMs(step.durationMs)}` : '',
    step.destructive ? '⚠ destructive' : '',
  ].filter(Boolean);
  out.push(tl(facts.join(' · '), 'muted'));
  if (step.why) for (const l of wrap(`Why: ${step.why}`, width, 3)) out.push(tl(l));
  if (step.touches?.length) out.push(tl(`Touches: ${step.touches.join(', ')}`));
  if (model) for (const l of previewLines(model).slice(0, 6)) out.push(tl(`│ ${l}`, 'info'));
  if (step.summary) for (const l of wrap(step.summary, width, 3)) out.push(tl(l, 'strong'));
  if (step.error && step.error !== step.summary) for (const l of wrap(step.error, width - 2, 8)) out.push(tl(`✖ ${l}`, 'bad'));
  if (step.advice) for (const l of wrap(step.advice, width - 2, 4)) out.push(tl(`→ ${l}`, 'warn'));
  if (step.rows) out.push(...tableLines(step.rows, width, 14));
  if (step.output.length) out.push(...outputLines(step, width, 12));
  if (step.status === 'pending') out.push(tl('Not run yet.', 'muted'));
  return out;
}

/** The whole run as a log (l): each step that ran, its output as kept, its rows and its result. */
export function logLines(run: RunState, width: number): ToneLine[] {
  const out: ToneLine[] = [];
  run.steps.forEach((s, i) => {
    if (s.attempt === 0 && s.status === 'pending') return;
    out.push(tl(`── ${stepTitle(s, i + 1)}${s.durationMs !== undefined ? ` (${formatMs(s.durationMs)})` : ''}`, STATUS_TONE[s.status], true));
    if (s.outputDropped > 0) out.push(tl(`  … ${plural(s.outputDropped, 'earlier line')} not kept here; the journal has every line`, 'muted'));
    for (const l of s.output) out.push(tl(line(`  ${STREAM_MARK[l.stream]}${l.text}`, width), l.stream === 'stderr' ? 'warn' : l.stream === 'sql' ? 'muted' : 'plain'));
    if (s.rows) {
      for (const l of formatTable(s.rows.columns, s.rows.rows, width - 2)) out.push(tl(`  ${l}`));
      if (s.rows.total > s.rows.rows.length) out.push(tl(`  … ${plural(s.rows.total - s.rows.rows.length, 'more row')}`, 'muted'));
    }
    if (s.summary) out.push(tl(`  ${STATUS_WORD[s.status]}: ${s.summary}`, STATUS_TONE[s.status]));
    if (s.error && s.error !== s.summary) for (const l of s.error.split('\n')) out.push(tl(`  ✖ ${l}`, 'bad'));
    if (s.advice) out.push(tl(`  → ${s.advice}`, 'warn'));
  });
  if (!out.length) out.push(tl('Nothing has run yet.', 'muted'));
  return out;
}

/** What a finished step leaves in the terminal's scrollback (through <Static>). */
export function transcriptLines(step: StepState, n: number, width: number): ToneLine[] {
  const took = step.durationMs !== undefined ? ` (${formatMs(step.durationMs)})` : '';
  const out: ToneLine[] = [tl(`${stepTitle(step, n)} — ${STATUS_WORD[step.status]}${step.summary ? `: ${step.summary}` : ''}${took}`, STATUS_TONE[step.status], true)];
  if (step.outputDropped > 0) out.push(tl(`    … ${plural(step.outputDropped, 'earlier line')} (the journal has every line)`, 'muted'));
  for (const l of step.output) out.push(tl(`    ${STREAM_MARK[l.stream]}${l.text}`, l.stream === 'stderr' ? 'warn' : l.stream === 'sql' ? 'muted' : 'plain'));
  if (step.rows) {
    for (const l of formatTable(step.rows.columns, step.rows.rows, width - 4)) out.push(tl(`    ${l}`));
    if (step.rows.total > step.rows.rows.length) out.push(tl(`    … ${plural(step.rows.total - step.rows.rows.length, 'more row')}`, 'muted'));
  }
  if (step.error && step.error !== step.summary) for (const l of step.error.split('\n')) out.push(tl(`    ✖ ${l}`, 'bad'));
  if (step.advice) out.push(tl(`    → ${step.advice}`, 'warn'));
  return out;
}
