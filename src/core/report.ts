import { formatClock, phaseOfSteps, readClock, span, type IncidentPhase } from './incidentClock.js';
import { formatMs } from './engine.js';
import { assertNever, type DecisionAnswer, type DecisionRequest, type OutputLine, type RunEvent, type StepStatus } from './events.js';
import type { VerifyResult } from './journal.js';
import { STATUS_GLYPH, type RunState, type StepState } from './state.js';
import { TRIGGER_TITLE } from './triggers.js';

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

  // An incident run reads as a postmortem timeline, which also says every step and decision.
  const timeline = buildTimeline(state, verify.events);
  if (timeline) out.push(...renderTimelineMarkdown(timeline, runId));
  else out.push('## Steps', '', '| # | Step | Result | Started | Took | Summary |', '|---|---|---|---|---|---|');
  if (!timeline) state.steps.forEach((s, i) => {
    const started = s.startedAt ? new Date(s.startedAt).toISOString().slice(11, 19) : '—';
    const took = s.durationMs !== undefined ? formatMs(s.durationMs) : '—';
    out.push(`| ${i + 1} | ${cell(s.title)} \`${s.id}\`${s.destructive ? ' ⚠ destructive' : ''} | ${STATUS_GLYPH[s.status]} ${s.status} | ${started} | ${took} | ${cell(s.summary)} |`);
  });
  if (!timeline) out.push('');

  if (!timeline && state.alerts.length) {
    out.push('## Rollback triggers', '', '| Raised | Step | Trigger | What | Cleared | Acted |', '|---|---|---|---|---|---|');
    for (const a of state.alerts) {
      const t = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
      out.push(
        `| ${t(a.at)} | \`${a.stepId}\` | ${TRIGGER_TITLE[a.trigger]} | ${cell(a.message)} | ${a.clearedAt !== undefined ? `${t(a.clearedAt)}: ${cell(a.clearedMessage)}` : a.closedAt !== undefined ? `no (still raised when the step ended at ${t(a.closedAt)})` : 'no'} | ${a.acted ? `action ${a.acted} (the step's result says how it went)` : 'no (alert only)'} |`,
      );
    }
    out.push('');
  }

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

  if (timeline) return out.join('\n');
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
  const timeline = buildTimeline(state, verify.events);
  return JSON.stringify(
    {
      runId,
      journal: { intact: verify.ok, events: verify.events.length, ...(verify.ok ? {} : { badLine: verify.badLine, problem: verify.problem }) },
      ...rest,
      steps: steps.map(({ output, ...s }) => ({ ...s, outputTail: output.slice(-20) })),
      ...(timeline ? { timeline } : {}),
    },
    null,
    2,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Incident timeline (issue 7): for an incident runbook the report reads as a postmortem timeline.

/** Longest a single line in a timeline cell may be (the operator's own checklist notes are never cut). */
export const KEY_LINE_MAX = 160;

export interface TimelinePhase {
  name: string;
  minutes: number;
  /** The phase's time box, in minutes from the start of the run (boxes are consecutive). */
  fromMin: number;
  toMin: number;
  /** When the phase's last step ended, as time since the run started. */
  endedElapsedMs?: number;
  /** The run stopped short in this phase: it ends where the run did. */
  open?: boolean;
  /** How far past its box the phase's last step ended (ms); absent when on time. */
  overMs?: number;
  over?: string;
}

export interface TimelineRow {
  kind: 'step' | 'decision' | 'alert' | 'interrupted' | 'resumed' | 'ended';
  at: number;
  /** HH:MM:SS UTC (MM-DD HH:MM:SS when the run crossed midnight). */
  clock: string;
  elapsedMs: number;
  /** T+m:ss or T+h:mm:ss since the run started. */
  elapsed: string;
  phase?: string;
  /** On the row of a phase's last step when that step ended after the phase's time box: "over by m:ss". */
  phaseOver?: string;
  stepId?: string;
  attempt?: number;
  action: string;
  status?: string;
  result: string;
  who?: string;
  lines: string[];
}

export interface IncidentTimeline {
  runbook: { id: string; title: string; risk: string };
  target?: { where: string; env: string };
  declaredAt?: number;
  endedAt?: number;
  resolved: boolean;
  totalMs?: number;
  total?: string;
  finalState: { status: string; exitCode?: number; stepId?: string; stepTitle?: string; text: string };
  runBy: string[];
  phases: TimelinePhase[];
  rows: TimelineRow[];
  final: {
    lastStep?: { id: string; title: string; status: string; summary?: string; error?: string; advice?: string };
    exit: string;
    summary?: string;
    notReached: { id: string; title: string }[];
  };
}

const INCIDENT_ID = /emergenc|restore|pitr|partial-recovery/;
/** Step kinds that change something: the operator who ran them is named in the timeline. */
const CHANGING_KINDS = new Set(['sql', 'shell', 'http', 'migrate', 'backup', 'restore', 'sessions', 'partial-recovery', 'pitr']);

/** An incident run: its runbook is in the incident phase or has incident time boxes (id as a last resort). */
export function isIncidentRun(state: RunState): boolean {
  const rb = state.runbook;
  if (!rb) return false;
  return rb.phase === 'incident' || !!rb.incident?.phases.length || (!rb.phase && INCIDENT_ID.test(rb.id));
}

/** m:ss or h:mm:ss */
/** T+ elapsed in the timeline: m:ss, or h:mm:ss past an hour (the incident clock's format without the leading zero). */
export function formatElapsed(ms: number): string {
  return formatClock(ms, false);
}

function clip(s: string, max = KEY_LINE_MAX): string {
  const one = s.replace(/\s*\r?\n\s*/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

const GLYPH_OF_ANSWER: Record<string, string> = { run: '✔', skip: '↷', abort: '■', retry: '↻', rerun: '↻', goto: '→' };

function askedWhat(req: DecisionRequest | undefined, stepTitle: string): string {
  if (!req) return `Decision on "${stepTitle}"`;
  switch (req.kind) {
    case 'proceed':
      return `Run "${req.title}"?`;
    case 'confirm':
      return req.prompt;
    case 'type-to-confirm':
      return `${req.prompt} (type "${req.expected}")`;
    case 'choose':
      return req.prompt;
    case 'checklist':
      return `Checklist (${req.items.length} item${req.items.length === 1 ? '' : 's'})`;
    case 'on-failure':
      return `"${stepTitle}" failed: what now?`;
    case 'resume-in-flight':
      return `"${req.title}" was in flight when the run stopped: rerun or skip?`;
    default:
      return assertNever(req);
  }
}

function answerResult(a: DecisionAnswer, req: DecisionRequest | undefined): { status: string; result: string } {
  switch (a.kind) {
    case 'proceed':
    case 'failure':
    case 'resume':
      return { status: a.action, result: `${GLYPH_OF_ANSWER[a.action] ?? '→'} ${a.action}` };
    case 'confirm':
      return a.yes ? { status: 'yes', result: '✔ yes' } : { status: 'no', result: '✖ no' };
    case 'typed':
      return req?.kind === 'type-to-confirm' && a.text !== req.expected
        ? { status: 'mismatch', result: '✖ did not match' }
        : { status: 'confirmed', result: '✔ confirmed' };
    case 'choice':
      return { status: 'chosen', result: `→ ${a.value}` };
    case 'checklist': {
      const n = a.checked.filter(Boolean).length;
      return { status: n === a.checked.length ? 'ticked' : 'partly ticked', result: `${n === a.checked.length ? '✔' : '!'} ${n}/${a.checked.length} ticked` };
    }
    default:
      return assertNever(a);
  }
}

/** "alice typed 'sim'", "--confirm flag", "--yes", "--var into=new", "default (dry run)". */
function decidedBy(e: Extract<RunEvent, { type: 'decision-made' }>, operator: string): string {
  const a = e.answer;
  if (e.by === 'flag') {
    const r = e.reason ?? '';
    if (r === '--yes') return '--yes';
    if (r.startsWith('--var ') && a.kind === 'choice') return `${r}=${a.value}`;
    return r ? `${r} flag` : 'a flag';
  }
  if (e.by === 'default') return e.reason ? `default (${e.reason})` : 'default';
  switch (a.kind) {
    case 'typed':
      return `${operator} typed '${a.text}'`;
    case 'confirm':
      return `${operator} answered ${a.yes ? 'yes' : 'no'}`;
    case 'choice':
      return `${operator} chose '${a.value}'`;
    case 'checklist':
      return `${operator} ticked ${a.checked.filter(Boolean).length}/${a.checked.length}`;
    case 'proceed':
    case 'failure':
    case 'resume':
      return `${operator} chose ${a.action}`;
    default:
      return assertNever(a);
  }
}

interface OpenAttempt {
  seq: number;
  at: number;
  attempt: number;
  operator: string;
  errors: string[];
  warnings: string[];
  oks: string[];
}

/** Keep the first two lines of each kind worth showing: errors (✖, stderr), warnings (!), results (✔). */
function collect(open: OpenAttempt, line: OutputLine): void {
  if (line.stream === 'sql') return;
  const t = line.text.trim();
  if (!t) return;
  const bucket = t.startsWith('✖') || (line.stream === 'stderr' && !t.startsWith('!') && !t.startsWith('✔'))
    ? open.errors
    : t.startsWith('!') ? open.warnings : t.startsWith('✔') ? open.oks : undefined;
  if (bucket && bucket.length < 2 && !bucket.includes(t)) bucket.push(t);
}

/**
 * The incident timeline of a run, from its journal's events (retries, decisions and checklist notes at the
 * time they happened) and the folded state. Undefined for a run that is not an incident run.
 */
export function buildTimeline(state: RunState, events: readonly RunEvent[]): IncidentTimeline | undefined {
  if (!isIncidentRun(state) || !state.runbook) return undefined;
  const rb = state.runbook;
  const start = state.startedAt ?? events[0]?.at ?? 0;
  const declaredDay = new Date(start).toISOString().slice(0, 10);
  const clockOf = (ms: number): string => {
    const iso = new Date(ms).toISOString();
    return iso.slice(0, 10) === declaredDay ? iso.slice(11, 19) : `${iso.slice(5, 10)} ${iso.slice(11, 19)}`;
  };
  const phases: IncidentPhase[] = rb.incident?.phases ?? [];
  const stepIndex = new Map(state.steps.map((s, i) => [s.id, i]));
  const stepOf = (id: string): StepState | undefined => state.steps[stepIndex.get(id) ?? -1];
  const named = phases.length > 0 && phaseOfSteps(phases, state.steps, 0) !== undefined;
  const phaseIndexOf = (stepId: string | undefined, elapsedMs: number): number | undefined => {
    if (!phases.length) return undefined;
    if (named && stepId !== undefined && stepIndex.has(stepId)) return phaseOfSteps(phases, state.steps, stepIndex.get(stepId) as number);
    return readClock(phases, elapsedMs)?.index;
  };

  type Row = TimelineRow & { seq: number; phaseIndex?: number; endedAt?: number };
  const rows: Row[] = [];
  const runBy: string[] = [];
  const addRunBy = (who: string): void => {
    if (!runBy.includes(who)) runBy.push(who);
  };
  let operator = state.operator ?? 'the operator';
  if (state.operator) addRunBy(`${state.operator}${state.host ? `@${state.host}` : ''}`);
  const open = new Map<string, OpenAttempt>();
  const requests = new Map<string, DecisionRequest>();
  let inHand: string | undefined;
  const row = (seq: number, at: number, r: Omit<TimelineRow, 'at' | 'clock' | 'elapsedMs' | 'elapsed'>, phaseIndex?: number, endedAt?: number): void => {
    const elapsedMs = at - start;
    rows.push({
      seq,
      at,
      clock: clockOf(at),
      elapsedMs,
      elapsed: `T+${formatElapsed(elapsedMs)}`,
      ...r,
      ...(phaseIndex !== undefined ? { phase: phases[phaseIndex]?.name, phaseIndex } : {}),
      ...(endedAt !== undefined ? { endedAt } : {}),
    });
  };
  const stepRow = (stepId: string, o: OpenAttempt, finished?: Extract<RunEvent, { type: 'step-finished' }>, cutOff?: string): void => {
    const s = stepOf(stepId);
    const title = s?.title ?? stepId;
    const status = finished?.status ?? 'running';
    const ran = status !== 'skipped' && status !== 'running';
    const lines: string[] = [];
    if (finished?.summary) lines.push(clip(finished.summary));
    else if (cutOff) lines.push(clip(cutOff));
    if (finished?.error) lines.push(clip(`Error: ${finished.error}`));
    const extra = [...o.errors, ...o.warnings, ...o.oks].filter((l) => !lines.includes(clip(l)) && clip(l) !== clip(`Error: ${finished?.error ?? ''}`));
    lines.push(...extra.slice(0, 2).map((l) => clip(l)));
    const took = finished && status !== 'skipped' ? ` in ${formatMs(finished.durationMs)}` : '';
    const changing = !!s && (s.destructive || CHANGING_KINDS.has(s.kind));
    row(
      o.seq,
      o.at,
      {
        kind: 'step',
        stepId,
        ...(o.attempt > 1 ? { attempt: o.attempt } : {}),
        action: `${title}${o.attempt > 1 ? ` (attempt ${o.attempt})` : ''}${s?.destructive ? ' ⚠ destructive' : ''}`,
        status: finished ? status : 'cut off',
        result: finished ? `${STATUS_GLYPH[status as StepStatus]} ${status}${took}` : '▶ no result recorded',
        ...(changing && (ran || !finished) ? { who: o.operator } : {}),
        lines,
      },
      phaseIndexOf(stepId, o.at - start),
      finished?.at,
    );
  };

  events.forEach((e, seq) => {
    switch (e.type) {
      case 'run-started':
        operator = e.operator;
        addRunBy(`${e.operator}@${e.host}`);
        break;
      case 'run-resumed':
        for (const [id, o] of open) stepRow(id, o, undefined, 'the run stopped while this step was running');
        open.clear();
        operator = e.operator;
        addRunBy(`${e.operator}@${e.host}`);
        row(seq, e.at, { kind: 'resumed', action: 'Run resumed', result: '▶ resumed', who: `${e.operator}@${e.host}`, lines: [] });
        break;
      case 'step-started':
        open.set(e.stepId, { seq, at: e.at, attempt: e.attempt, operator, errors: [], warnings: [], oks: [] });
        if (e.attempt > 0) inHand = e.stepId;
        break;
      case 'step-output': {
        const o = open.get(e.stepId);
        if (o) for (const l of e.lines) collect(o, l);
        break;
      }
      case 'step-finished': {
        const o = open.get(e.stepId) ?? { seq, at: e.at - e.durationMs, attempt: 1, operator, errors: [], warnings: [], oks: [] };
        open.delete(e.stepId);
        stepRow(e.stepId, o, e);
        break;
      }
      case 'decision-requested':
        requests.set(e.request.id, e.request);
        inHand = e.request.stepId;
        break;
      case 'decision-made': {
        const req = requests.get(e.requestId);
        const title = stepOf(e.stepId)?.title ?? e.stepId;
        const { status, result } = answerResult(e.answer, req);
        const lines: string[] = [];
        if (e.answer.kind === 'choice' && req?.kind === 'choose') {
          const label = req.options.find((o) => o.value === (e.answer as { value: string }).value)?.label;
          // The step's own summary usually says the choice already.
          if (label && !stepOf(e.stepId)?.summary?.includes(label)) lines.push(clip(label));
        }
        if (e.answer.kind === 'checklist') {
          const checked = e.answer.checked;
          if (req?.kind === 'checklist') req.items.forEach((item, i) => (checked[i] ? undefined : lines.push(clip(`not ticked: ${item}`))));
          // The notes are the operator's own words: in full.
          if (e.answer.notes) lines.push(`Notes: ${e.answer.notes}`);
        }
        if (e.by === 'operator' && e.reason) lines.push(clip(`Reason: ${e.reason}`));
        row(
          seq,
          e.at,
          { kind: 'decision', stepId: e.stepId, action: `${open.has(e.stepId) ? '↳ ' : ''}Decision: ${askedWhat(req, title)}`, status, result, who: decidedBy(e, operator), lines },
          phaseIndexOf(e.stepId, e.at - start),
        );
        break;
      }
      case 'alert':
        row(
          seq,
          e.at,
          {
            kind: 'alert',
            stepId: e.stepId,
            action: e.state === 'raised' ? `⚠ Rollback trigger: ${TRIGGER_TITLE[e.trigger]}` : `Rollback trigger cleared: ${TRIGGER_TITLE[e.trigger]}`,
            status: e.state,
            result: e.state === 'raised' ? (e.acted ? `⚠ raised; action ${e.acted}` : '⚠ raised') : '✔ cleared',
            lines: [clip(e.message), ...(e.proposal ? [clip(e.proposal)] : [])],
          },
          phaseIndexOf(e.stepId, e.at - start),
        );
        break;
      case 'run-interrupted':
        for (const [id, o] of open) stepRow(id, o, undefined, `interrupted: ${e.reason}`);
        open.clear();
        row(seq, e.at, { kind: 'interrupted', action: 'Run interrupted', status: 'interrupted', result: '■ interrupted', lines: [clip(e.reason)] });
        break;
      case 'run-finished':
        for (const [id, o] of open) stepRow(id, o, undefined, 'the run ended while this step was running');
        open.clear();
        row(seq, e.at, {
          kind: 'ended',
          action: 'Run ended',
          status: e.status,
          result: `${e.status === 'done' ? '✔' : e.status === 'aborted' ? '■' : '✖'} ${e.status} (exit ${e.exitCode})`,
          lines: [clip(e.summary)],
        });
        break;
      case 'step-rows':
      case 'step-live':
      case 'var-set':
        break;
      default:
        assertNever(e);
    }
  });
  for (const [id, o] of open) stepRow(id, o, undefined, 'no result recorded: the journal ends here');
  rows.sort((a, b) => a.at - b.at || a.seq - b.seq);

  const st = state.status;
  const ended = state.status === 'running' || state.status === 'interrupted' ? (state.interruptions.at(-1)?.at ?? rows.at(-1)?.at) : state.finishedAt;
  // The step in hand when a run stopped short: the one running or asking (a gate answered with abort, a prompt).
  const inHandStep = st !== 'done' && inHand !== undefined ? stepOf(inHand) : undefined;
  // …when it stopped short there: aborted, refused, interrupted, or failed at that very step (a failed run that
  // went on past its failure to the last step did not stop in a phase).
  const stoppedShort = st === 'aborted' || st === 'refused' || st === 'interrupted' || st === 'running' || (st === 'failed' && inHandStep?.status === 'failed');
  const openPhase = inHandStep && stoppedShort && ended !== undefined ? phaseIndexOf(inHandStep.id, ended - start) : undefined;

  // Phase boxes are consecutive; a phase is over when its last step ended after its box. The phase in hand
  // when the run stopped short ends there: the clock on the screen ran on until then, and so does its box.
  let acc = 0;
  const timelinePhases: TimelinePhase[] = phases.map((p, i) => {
    const fromMin = acc;
    acc += p.minutes;
    const mine = rows.filter((r) => r.kind === 'step' && r.phaseIndex === i && r.endedAt !== undefined);
    const last = mine.reduce<Row | undefined>((m, r) => (!m || (r.endedAt as number) >= (m.endedAt as number) ? r : m), undefined);
    const open = i === openPhase && ended !== undefined;
    if (!last && !open) return { name: p.name, minutes: p.minutes, fromMin, toMin: acc };
    const endedAt = open ? Math.max(ended, (last?.endedAt as number | undefined) ?? ended) : (last?.endedAt as number);
    const endedElapsedMs = endedAt - start;
    const overMs = endedElapsedMs - acc * 60_000;
    const base = { name: p.name, minutes: p.minutes, fromMin, toMin: acc, endedElapsedMs, ...(open ? { open: true } : {}) };
    if (overMs <= 0) return base;
    const over = `over by ${formatElapsed(overMs)}`;
    if (last && !open) last.phaseOver = over;
    return { ...base, overMs, over };
  });

  const stepRows = rows.filter((r) => r.kind === 'step');
  const lastRow = stepRows.reduce<Row | undefined>((m, r) => (!m || (r.endedAt ?? r.at) >= (m.endedAt ?? m.at) ? r : m), undefined);
  const lastStep = lastRow?.stepId !== undefined ? stepOf(lastRow.stepId) : undefined;
  const troubled = [...state.steps].reverse().find((s) => s.status === 'failed' || s.status === 'aborted' || s.status === 'running');
  // A failed run names the failed step; a run stopped otherwise names where it stopped.
  const culprit = st === 'failed' ? (troubled ?? inHandStep ?? lastStep) : (inHandStep ?? troubled ?? lastStep);
  const at = (s: StepState | undefined): string => (s ? ` at step ${s.id} (${s.title})` : '');
  const finalText =
    st === 'done' ? 'done'
    : st === 'interrupted' ? `interrupted${at(culprit)}, can be resumed`
    : st === 'running' ? `unfinished${at(culprit)}: no end recorded`
    : `${st}${at(culprit)}`;
  const totalMs = ended !== undefined && state.startedAt !== undefined ? ended - state.startedAt : undefined;
  const strip = ({ seq: _seq, phaseIndex: _p, endedAt: _e, ...r }: Row): TimelineRow => r;
  return {
    runbook: { id: rb.id, title: rb.title, risk: rb.risk },
    ...(state.target ? { target: { where: state.target.key, env: state.target.env } } : {}),
    ...(state.startedAt !== undefined ? { declaredAt: state.startedAt } : {}),
    ...(ended !== undefined ? { endedAt: ended } : {}),
    resolved: st === 'done',
    ...(totalMs !== undefined ? { totalMs, total: formatElapsed(totalMs) } : {}),
    finalState: {
      status: st,
      ...(state.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
      ...(st !== 'done' && culprit ? { stepId: culprit.id, stepTitle: culprit.title } : {}),
      text: finalText,
    },
    runBy,
    phases: timelinePhases,
    rows: rows.map(strip),
    final: {
      ...(lastStep
        ? {
            lastStep: {
              id: lastStep.id,
              title: lastStep.title,
              status: lastStep.status,
              ...(lastStep.summary ? { summary: lastStep.summary } : {}),
              ...(lastStep.error ? { error: lastStep.error } : {}),
              ...(lastStep.advice ? { advice: lastStep.advice } : {}),
            },
          }
        : {}),
      exit: st === 'running' || st === 'interrupted' ? `${st}, no exit recorded` : `${st}${state.exitCode !== undefined ? ` (exit ${state.exitCode})` : ''}`,
      ...(state.summary ? { summary: state.summary } : {}),
      notReached: state.steps.filter((s) => s.status === 'pending').map((s) => ({ id: s.id, title: s.title })),
    },
  };
}

/** The timeline as Markdown: a header line, the phase boxes, the table, and the final state. */
export function renderTimelineMarkdown(t: IncidentTimeline, runId: string): string[] {
  const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, '<br>');
  const iso = (ms?: number): string => (ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
  const out: string[] = ['## Incident timeline', ''];
  const target = t.target ? `${esc(t.target.where)} (${t.target.env === 'production' ? '**production**' : t.target.env})` : '—';
  out.push(
    [
      `**Incident runbook** ${esc(t.runbook.id)} — ${esc(t.runbook.title)}`,
      `**target** ${target}`,
      `**declared** ${iso(t.declaredAt)}`,
      `**${t.resolved ? 'resolved' : 'ended'}** ${iso(t.endedAt)}`,
      `**incident time** ${t.total ?? '—'}`,
      `**final state** ${esc(t.finalState.text)}${t.finalState.status === 'interrupted' ? ` (\`--resume ${runId}\`)` : ''}`,
      `**run by** ${t.runBy.length ? esc(t.runBy.join(', then ')) : '—'}`,
    ].join(' · '),
    '',
  );
  if (t.phases.length) {
    const box = (p: TimelinePhase): string => {
      const head = `${esc(p.name)} ${span(p.fromMin, p.toMin)}`;
      if (p.endedElapsedMs === undefined) return `${head}: not reached`;
      if (p.open) return `${head}: ${p.over ? '!' : '■'} open when the run stopped at T+${formatElapsed(p.endedElapsedMs)}${p.over ? `, ${p.over}` : ''}`;
      return p.over ? `${head}: ! ended T+${formatElapsed(p.endedElapsedMs)}, ${p.over}` : `${head}: ✔ ended T+${formatElapsed(p.endedElapsedMs)}`;
    };
    out.push(`Phases: ${t.phases.map(box).join(' · ')}`, '');
  }
  const withPhase = t.phases.length > 0;
  out.push(
    `| Time (UTC) | Elapsed |${withPhase ? ' Phase |' : ''} Action | Result | Who | Key lines |`,
    `|---|---|${withPhase ? '---|' : ''}---|---|---|---|`,
  );
  for (const r of t.rows) {
    const phase = withPhase ? ` ${esc(r.phase ?? '')}${r.phaseOver ? ` ! ${r.phaseOver}` : ''} |` : '';
    const action = r.stepId !== undefined && r.kind === 'step' ? `${esc(r.action)} \`${r.stepId}\`` : esc(r.action);
    out.push(`| ${r.clock} | ${r.elapsed} |${phase} ${action} | ${esc(r.result)} | ${esc(r.who ?? '')} | ${r.lines.map(esc).join('<br>')} |`);
  }
  out.push('', '## Final state', '');
  const f = t.final;
  if (f.lastStep) {
    const s = f.lastStep;
    out.push(`- Last step: ${STATUS_GLYPH[s.status as StepStatus] ?? ''} ${esc(s.title)} (\`${s.id}\`) — ${s.status}${s.summary ? `: ${esc(s.summary)}` : ''}`);
    if (s.error) out.push(`- Error: ${esc(clip(s.error, 400))}`);
    if (s.advice) out.push(`- What to do: ${esc(s.advice)}`);
  } else out.push('- Last step: none ran');
  out.push(`- Exit: ${esc(f.exit)}`);
  if (f.summary) out.push(`- Summary: ${esc(f.summary)}`);
  if (f.notReached.length) out.push(`- Not reached: ${f.notReached.map((s) => `${esc(s.title)} (\`${s.id}\`)`).join(', ')}`);
  out.push('');
  return out;
}
