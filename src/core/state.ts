import {
  assertNever,
  type DecisionRequest,
  type OutputLine,
  type RunbookInfo,
  type RunEvent,
  type RunStatus,
  type StepInfo,
  type StepStatus,
  type TargetInfo,
} from './events.js';
import type { TriggerId } from './triggers.js';

/** Output kept per step in memory; the journal keeps everything (STYLE §2: buffers are capped in the reducer). */
export const OUTPUT_CAP = 400;

export interface StepState extends StepInfo {
  status: StepStatus;
  attempt: number;
  summary?: string;
  error?: string;
  advice?: string;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  output: OutputLine[];
  /** Lines dropped from `output` because of the cap. */
  outputDropped: number;
  outputTotal: number;
  rows?: { columns: string[]; rows: string[][]; total: number };
  /** While the step runs: the lines it keeps up to date in place (who blocks it, how long it has waited). */
  live?: string[];
}

export interface DecisionRecord {
  requestId: string;
  stepId: string;
  kind: DecisionRequest['kind'];
  answer: string;
  by: string;
  at: number;
  reason?: string;
}

export interface RunState {
  runId?: string;
  runbook?: RunbookInfo;
  target?: TargetInfo;
  operator?: string;
  host?: string;
  dryRun: boolean;
  toolVersion?: string;
  status: RunStatus;
  steps: StepState[];
  currentStepId?: string;
  pending?: DecisionRequest;
  decisions: DecisionRecord[];
  vars: Record<string, string | number | boolean | null>;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  summary?: string;
  interruptions: { at: number; reason: string }[];
  resumes: { at: number; operator: string; host: string }[];
  /** Rollback triggers raised during the run, newest last; `clearedAt` once the condition went away. */
  alerts: AlertState[];
}

export interface AlertState {
  stepId: string;
  trigger: TriggerId;
  message: string;
  proposal?: string;
  acted?: 'stop' | 'rollback';
  at: number;
  clearedAt?: number;
  clearedMessage?: string;
  /** The watch ended with its step (or the run was resumed) while the trigger was still raised. */
  closedAt?: number;
}

/** Raised, not cleared, and still watched (its step runs), newest first. */
export function activeAlerts(state: RunState): AlertState[] {
  return state.alerts.filter((a) => a.clearedAt === undefined && a.closedAt === undefined).reverse();
}

/** The open alerts closed at `at` (their step ended; a resumed run starts with none). */
function closeAlerts(alerts: AlertState[], at: number, stepId?: string): AlertState[] {
  const open = (a: AlertState): boolean => a.clearedAt === undefined && a.closedAt === undefined && (stepId === undefined || a.stepId === stepId);
  return alerts.some(open) ? alerts.map((a) => (open(a) ? { ...a, closedAt: at } : a)) : alerts;
}

export const initialState: RunState = {
  dryRun: false,
  status: 'idle',
  steps: [],
  decisions: [],
  vars: {},
  interruptions: [],
  resumes: [],
  alerts: [],
};

function updateStep(state: RunState, stepId: string, f: (s: StepState) => StepState): RunState {
  return { ...state, steps: state.steps.map((s) => (s.id === stepId ? f(s) : s)) };
}

export function describeAnswer(e: Extract<RunEvent, { type: 'decision-made' }>): string {
  const a = e.answer;
  switch (a.kind) {
    case 'proceed':
      return a.action;
    case 'confirm':
      return a.yes ? 'yes' : 'no';
    case 'typed':
      return `typed "${a.text}"`;
    case 'choice':
      return a.value;
    case 'checklist':
      return `${a.checked.filter(Boolean).length}/${a.checked.length} ticked${a.notes ? ` — ${a.notes}` : ''}`;
    case 'failure':
      return a.action;
    case 'resume':
      return a.action;
    default:
      return assertNever(a);
  }
}

/** Fold one event into the state. Pure; the TUI, line mode, report and resume all use it. */
export function reduce(state: RunState, e: RunEvent): RunState {
  switch (e.type) {
    case 'run-started':
      return {
        ...initialState,
        runId: e.runId,
        runbook: e.runbook,
        target: e.target,
        operator: e.operator,
        host: e.host,
        dryRun: e.dryRun,
        toolVersion: e.toolVersion,
        status: 'running',
        startedAt: e.at,
        vars: { ...e.vars },
        steps: e.steps.map((s) => ({ ...s, status: 'pending', attempt: 0, output: [], outputDropped: 0, outputTotal: 0 })),
      };
    case 'run-resumed':
      return {
        ...state,
        status: 'running',
        finishedAt: undefined,
        exitCode: undefined,
        resumes: [...state.resumes, { at: e.at, operator: e.operator, host: e.host }],
        alerts: closeAlerts(state.alerts, e.at),
      };
    case 'step-started':
      return {
        ...updateStep(state, e.stepId, (s) => ({
          ...s,
          status: 'running',
          attempt: e.attempt,
          startedAt: e.at,
          finishedAt: undefined,
          durationMs: undefined,
          summary: undefined,
          error: undefined,
          advice: undefined,
          rows: undefined,
        })),
        currentStepId: e.stepId,
      };
    case 'step-output':
      return updateStep(state, e.stepId, (s) => {
        const all = [...s.output, ...e.lines];
        const drop = Math.max(0, all.length - OUTPUT_CAP);
        return {
          ...s,
          output: drop ? all.slice(drop) : all,
          outputDropped: s.outputDropped + drop,
          outputTotal: s.outputTotal + e.lines.length,
        };
      });
    case 'step-rows':
      return updateStep(state, e.stepId, (s) => ({ ...s, rows: { columns: e.columns, rows: e.rows, total: e.total } }));
    case 'step-live':
      return updateStep(state, e.stepId, (s) => ({ ...s, live: e.lines.length ? e.lines : undefined }));
    case 'step-finished':
      return {
        ...updateStep(state, e.stepId, (s) => ({
          ...s,
          status: e.status,
          summary: e.summary,
          error: e.error,
          advice: e.advice,
          finishedAt: e.at,
          durationMs: e.durationMs,
          live: undefined,
        })),
        currentStepId: state.currentStepId === e.stepId ? undefined : state.currentStepId,
        alerts: closeAlerts(state.alerts, e.at, e.stepId),
      };
    case 'alert': {
      if (e.state === 'raised') {
        const a: AlertState = { stepId: e.stepId, trigger: e.trigger, message: e.message, at: e.at, ...(e.proposal ? { proposal: e.proposal } : {}), ...(e.acted ? { acted: e.acted } : {}) };
        return { ...state, alerts: [...state.alerts.filter((x) => !(x.trigger === e.trigger && x.clearedAt === undefined && x.closedAt === undefined)), a] };
      }
      return { ...state, alerts: state.alerts.map((x) => (x.trigger === e.trigger && x.clearedAt === undefined && x.closedAt === undefined ? { ...x, clearedAt: e.at, clearedMessage: e.message } : x)) };
    }
    case 'decision-requested':
      return { ...state, pending: e.request };
    case 'decision-made':
      return {
        ...state,
        pending: state.pending?.id === e.requestId ? undefined : state.pending,
        decisions: [
          ...state.decisions,
          {
            requestId: e.requestId,
            stepId: e.stepId,
            kind: state.pending?.id === e.requestId ? state.pending.kind : 'confirm',
            answer: describeAnswer(e),
            by: e.by,
            at: e.at,
            reason: e.reason,
          },
        ],
      };
    case 'var-set':
      return { ...state, vars: { ...state.vars, [e.name]: e.value } };
    case 'run-finished':
      return {
        ...state,
        status: e.status,
        exitCode: e.exitCode,
        summary: e.summary,
        finishedAt: e.at,
        pending: undefined,
        currentStepId: undefined,
      };
    case 'run-interrupted':
      return {
        ...state,
        status: 'interrupted',
        pending: undefined,
        interruptions: [...state.interruptions, { at: e.at, reason: e.reason }],
      };
    default:
      return assertNever(e);
  }
}

export function replay(events: readonly RunEvent[]): RunState {
  return events.reduce(reduce, initialState);
}

/**
 * A run that did not finish with every step done can be resumed: it was interrupted (SSH dropped, killed),
 * aborted, refused at a gate, or stopped at a failed step the operator has since fixed.
 */
export function isResumable(state: RunState): boolean {
  return state.status !== 'done' && state.status !== 'idle';
}

export const STATUS_GLYPH: Record<StepStatus, string> = {
  pending: '·',
  running: '▶',
  passed: '✔',
  warned: '!',
  failed: '✖',
  skipped: '↷',
  aborted: '■',
};
