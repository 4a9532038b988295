import { evaluateWhen, renderTemplate } from './conditions.js';
import {
  EXIT,
  type DecisionAnswer,
  type DecisionRequest,
  type OutputLine,
  type RunEvent,
  type StepInfo,
  type TargetInfo,
} from './events.js';
import { READ_ONLY_KINDS, durationMs, type Runbook, type Step, type StepKind } from './model.js';
import {
  DecisionRefused,
  type Decide,
  type DistributiveOmit,
  type Ports,
  type StepConfig,
  type StepContext,
  type StepHandler,
  type StepResult,
} from './ports.js';
import { initialState, reduce, type RunState } from './state.js';

/**
 * The engine (DESIGN §3): walks a runbook's steps, asks for decisions, applies `when` / `on_failure`, and
 * says everything it does as RunEvents. It knows nothing of the screen, the database driver or processes.
 */

export type Handlers = { [K in StepKind]: StepHandler<Extract<Step, { kind: K }>> };

export interface EngineOptions {
  runbook: Runbook;
  runId: string;
  handlers: Handlers;
  ports: Ports;
  config: StepConfig;
  target: TargetInfo;
  operator: string;
  host: string;
  toolVersion: string;
  /** Runbook defaults merged with --var. */
  vars: Record<string, string | number | boolean>;
  dryRun: boolean;
  /** Ask before every step (the TUI's enter / s / a). */
  stepGate: boolean;
  /** Ask the operator what to do when a step fails, instead of applying on_failure alone. */
  askOnFailure: boolean;
  decide: Decide;
  emit: (e: RunEvent) => void;
  signal: AbortSignal;
  sqlSearchPath: readonly string[];
  /** State replayed from the journal of an unfinished run. */
  resume?: RunState;
  /** How long output is batched into one event (ms). */
  outputBatchMs?: number;
  /** After a step's abort or timeout, how long it may take to clean up (cancel its query) before we move on. */
  abortGraceMs?: number;
}

const MAX_STEP_RUNS = 1000;
/** Read-only kinds that ask the operator anyway: autorun never passes them by. */
const ASKING_KINDS: ReadonlySet<StepKind> = new Set(['checklist', 'confirm', 'choose']);
const DEFAULT_STEP_TIMEOUT_MS = 6 * 3_600_000;

export async function runEngine(o: EngineOptions): Promise<RunState> {
  let state: RunState = o.resume ?? initialState;
  const fire = (e: RunEvent): void => {
    state = reduce(state, e);
    o.emit(e);
  };
  const now = (): number => o.ports.clock.now();

  if (o.resume) {
    fire({ type: 'run-resumed', at: now(), runId: o.runId, operator: o.operator, host: o.host });
  } else {
    fire({
      type: 'run-started',
      at: now(),
      runId: o.runId,
      runbook: {
        id: o.runbook.id,
        title: o.runbook.title,
        source: o.runbook.source,
        sha256: o.runbook.sha256,
        phase: o.runbook.phase,
        risk: o.runbook.risk,
        ...(o.runbook.incident ? { incident: o.runbook.incident } : {}),
      },
      steps: o.runbook.steps.map(stepInfo),
      target: o.target,
      operator: o.operator,
      host: o.host,
      dryRun: o.dryRun,
      toolVersion: o.toolVersion,
      vars: o.vars,
    });
  }

  let decisionSeq = state.decisions.length;
  const ask = async (stepId: string, req: DistributiveOmit<DecisionRequest, 'id' | 'stepId'>, signal: AbortSignal): Promise<DecisionAnswer> => {
    const request = { ...req, id: `d${++decisionSeq}`, stepId } as DecisionRequest;
    fire({ type: 'decision-requested', at: now(), request });
    const d = await raceAbort(o.decide(request, signal), signal);
    fire({ type: 'decision-made', at: now(), requestId: request.id, stepId, answer: d.answer, by: d.by, ...(d.reason ? { reason: d.reason } : {}) });
    return d.answer;
  };

  const finish = (status: 'done' | 'failed' | 'aborted' | 'refused', summary: string): RunState => {
    const exitCode = { done: EXIT.done, failed: EXIT.stepFailed, aborted: EXIT.aborted, refused: EXIT.refused }[status];
    fire({ type: 'run-finished', at: now(), status, exitCode, summary });
    return state;
  };

  const steps = o.runbook.steps;
  const indexOf = (id: string): number => steps.findIndex((s) => s.id === id);
  const done = (id: string): boolean => {
    const st = state.steps.find((s) => s.id === id)?.status;
    return st === 'passed' || st === 'warned' || st === 'skipped';
  };

  let i = o.resume ? steps.findIndex((s) => !done(s.id)) : 0;
  if (i < 0) return finish('done', 'Every step had already finished.');
  let runs = 0;
  let failedSteps = 0;

  while (i < steps.length) {
    const step = steps[i] as Step;
    if (o.signal.aborted) return finish('aborted', `Aborted before step ${step.id}.`);
    if (++runs > MAX_STEP_RUNS) return finish('failed', `Stopped after ${MAX_STEP_RUNS} steps: the runbook loops (check its goto targets).`);
    if (o.resume && done(step.id)) {
      i++;
      continue;
    }

    try {
      // A step that was in flight when the last run died is re-checked, never blindly re-run (DESIGN §5).
      // Read-only steps and single-transaction SQL are safe: the latter either committed (then it finished)
      // or was rolled back by the server when the connection died. A migrate step checks the database's own
      // tracking state before it does anything, so re-running it is the re-check.
      const prior = state.steps.find((s) => s.id === step.id);
      if (o.resume && (prior?.status === 'running' || prior?.status === 'aborted') && !READ_ONLY_KINDS.has(step.kind) && !(step.kind === 'sql' && step.with.transaction !== false) && step.kind !== 'migrate') {
        const a = await ask(step.id, { kind: 'resume-in-flight', title: step.title }, o.signal);
        if (a.kind === 'resume' && a.action === 'abort') return finish('aborted', `Aborted at ${step.id}, which was in flight when the last run stopped.`);
        if (a.kind === 'resume' && a.action === 'skip') {
          fire({ type: 'step-started', at: now(), stepId: step.id, attempt: (prior.attempt ?? 0) + 1 });
          fire({ type: 'step-finished', at: now(), stepId: step.id, status: 'skipped', summary: 'Marked done by the operator after the interrupted run', durationMs: 0 });
          i++;
          continue;
        }
      }

      const cond = evaluateWhen(step.when, { env: o.target.env, vars: state.vars, statusOf: (id) => state.steps.find((s) => s.id === id)?.status, commands: Object.keys(o.config.commands) });
      if (!cond.ok) {
        fire({ type: 'step-started', at: now(), stepId: step.id, attempt: 1 });
        fire({ type: 'step-finished', at: now(), stepId: step.id, status: 'skipped', summary: `Skipped: ${cond.reason}`, durationMs: 0 });
        i++;
        continue;
      }

      const autorun = o.runbook.autorun === 'read-only' && READ_ONLY_KINDS.has(step.kind) && !ASKING_KINDS.has(step.kind);
      if (o.stepGate && !autorun) {
        const a = await ask(step.id, { kind: 'proceed', title: step.title }, o.signal);
        if (a.kind === 'proceed' && a.action === 'abort') return finish('aborted', `Aborted by the operator before ${step.id}.`);
        if (a.kind === 'proceed' && a.action === 'skip') {
          fire({ type: 'step-started', at: now(), stepId: step.id, attempt: 1 });
          fire({ type: 'step-finished', at: now(), stepId: step.id, status: 'skipped', summary: 'Skipped by the operator', durationMs: 0 });
          i++;
          continue;
        }
      }

      // Run, retrying as on_failure or the operator says.
      let attempt = 0;
      let result: StepResult;
      for (;;) {
        attempt++;
        result = await runOne(step, attempt);
        if (result.status === 'aborted' || o.signal.aborted) {
          return finish('aborted', `Aborted during ${step.id}: ${result.summary}`);
        }
        if (result.refused) return finish('refused', result.error ?? result.summary);
        if (result.status !== 'failed') break;

        const policy = step.on_failure ?? 'stop';
        if (typeof policy === 'object' && 'retry' in policy && attempt <= policy.retry) {
          await o.ports.clock.sleep(durationMs(policy.delay, 1000), o.signal).catch(() => undefined);
          continue;
        }
        if (o.askOnFailure) {
          const gotoStep = typeof policy === 'object' && 'goto' in policy ? policy.goto : undefined;
          const a = await ask(
            step.id,
            {
              kind: 'on-failure',
              error: result.error ?? result.summary,
              options: gotoStep ? ['goto', 'retry', 'skip', 'abort'] : ['retry', 'skip', 'abort'],
              ...(gotoStep ? { gotoStep } : {}),
            },
            o.signal,
          );
          const action = a.kind === 'failure' ? a.action : 'abort';
          if (action === 'retry') continue;
          if (action === 'abort') return finish('failed', `Stopped at ${step.id}: ${result.error ?? result.summary}`);
          if (action === 'skip') {
            failedSteps++;
            result = { ...result, goto: undefined };
            break;
          }
          failedSteps++;
          result = { ...result, goto: gotoStep };
          break;
        }
        failedSteps++;
        const then = typeof policy === 'object' && 'retry' in policy ? (policy.then ?? 'stop') : policy;
        if (then === 'stop') return finish('failed', `Stopped at ${step.id}: ${result.error ?? result.summary}`);
        if (typeof then === 'object' && 'goto' in then) result = { ...result, goto: then.goto };
        break;
      }

      if (result.vars) for (const [name, value] of Object.entries(result.vars)) fire({ type: 'var-set', at: now(), name, value });
      if (result.goto) {
        const j = indexOf(result.goto);
        if (j < 0) return finish('failed', `Step ${step.id} goes to "${result.goto}", which is not in this runbook.`);
        i = j;
      } else i++;
    } catch (e) {
      if (e instanceof DecisionRefused) {
        fire({ type: 'step-finished', at: now(), stepId: step.id, status: 'failed', summary: 'Refused: no answer', error: e.message, durationMs: 0 });
        return finish('refused', e.message);
      }
      if (o.signal.aborted || (e instanceof Error && e.name === 'AbortError')) {
        const running = state.steps.find((s) => s.id === step.id)?.status === 'running';
        if (running) fire({ type: 'step-finished', at: now(), stepId: step.id, status: 'aborted', summary: 'Aborted by the operator', durationMs: 0 });
        return finish('aborted', `Aborted during ${step.id}.`);
      }
      throw e;
    }
  }

  // Steps never reached (a goto jumped over them) are recorded as such, so the report is complete.
  for (const s of state.steps) {
    if (s.status === 'pending') {
      fire({ type: 'step-started', at: now(), stepId: s.id, attempt: 0 });
      fire({ type: 'step-finished', at: now(), stepId: s.id, status: 'skipped', summary: 'Not reached', durationMs: 0 });
    }
  }
  if (failedSteps > 0) return finish('failed', `Finished with ${failedSteps} failed step${failedSteps === 1 ? '' : 's'}.`);
  const warned = state.steps.filter((s) => s.status === 'warned').length;
  return finish('done', warned ? `Finished with ${warned} warning${warned === 1 ? '' : 's'}.` : 'Finished: every step passed.');

  async function runOne(step: Step, attempt: number): Promise<StepResult> {
    const started = now();
    fire({ type: 'step-started', at: started, stepId: step.id, attempt });

    const timeoutMs = durationMs(step.timeout, DEFAULT_STEP_TIMEOUT_MS);
    const ctl = new AbortController();
    const onRunAbort = (): void => ctl.abort(new Error('aborted by the operator'));
    o.signal.addEventListener('abort', onRunAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort(new Error('step timeout'));
    }, timeoutMs);
    timer.unref?.();

    // Output is batched so that a step printing 100,000 lines does not produce 100,000 events.
    let buffer: OutputLine[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      if (!buffer.length) return;
      const lines = buffer;
      buffer = [];
      fire({ type: 'step-output', at: now(), stepId: step.id, lines });
    };
    const ctx: StepContext = {
      step,
      runbook: o.runbook,
      ports: o.ports,
      config: o.config,
      target: o.target,
      runId: o.runId,
      operator: o.operator,
      earlier: state.steps
        .filter((s) => s.id !== step.id && s.status !== 'pending' && s.status !== 'running')
        .map((s) => ({ id: s.id, title: s.title, status: s.status, ...(s.summary !== undefined ? { summary: s.summary } : {}), ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}) })),
      vars: state.vars,
      dryRun: o.dryRun,
      signal: ctl.signal,
      timeoutMs: step.timeout === undefined ? undefined : timeoutMs,
      sqlSearchPath: o.sqlSearchPath,
      output(text, stream = 'info') {
        buffer.push({ stream, text });
        if (buffer.length >= 500) flush();
        else if (!flushTimer) {
          flushTimer = setTimeout(flush, o.outputBatchMs ?? 100);
          flushTimer.unref?.();
        }
      },
      rows(columns, rows, total) {
        flush();
        fire({ type: 'step-rows', at: now(), stepId: step.id, columns, rows, total });
      },
      live(lines) {
        flush();
        fire({ type: 'step-live', at: now(), stepId: step.id, lines });
      },
      alert(a) {
        flush();
        fire({ type: 'alert', at: now(), stepId: step.id, ...a });
      },
      ask: (req) => {
        flush();
        return ask(step.id, req, ctl.signal);
      },
    };

    let result: StepResult;
    try {
      const handler = o.handlers[step.kind] as StepHandler;
      // A step that ignores its signal must not hang the run: after the grace period we stop waiting for it.
      result = await Promise.race([handler(ctx), afterAbort(ctl.signal, o.abortGraceMs ?? 5000)]);
    } catch (e) {
      if (e instanceof DecisionRefused) throw e;
      if (ctl.signal.aborted && !timedOut) result = { status: 'aborted', summary: 'Aborted by the operator' };
      else result = { status: 'failed', summary: timedOut ? `Timed out after ${formatMs(timeoutMs)}` : 'Failed', error: errorText(e) };
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onRunAbort);
      flush();
    }
    if (timedOut && result.status !== 'passed') {
      result = { ...result, status: 'failed', summary: `Timed out after ${formatMs(timeoutMs)}`, error: result.error ?? `the step did not finish within its timeout of ${formatMs(timeoutMs)}` };
    }
    if (o.signal.aborted && result.status !== 'passed') result = { ...result, status: 'aborted' };
    // on_failure: warn — the failure is said (error and all) but it is a warning: nothing waits on it.
    if (result.status === 'failed' && step.on_failure === 'warn' && !result.refused) {
      result = { ...result, status: 'warned', summary: `${result.summary} (on_failure: warn, the run goes on)` };
    }
    fire({
      type: 'step-finished',
      at: now(),
      stepId: step.id,
      status: result.status,
      summary: renderTemplate(result.summary, { ...state.vars, ...(result.vars ?? {}) }),
      ...(result.error ? { error: result.error } : {}),
      ...(result.advice ? { advice: result.advice } : {}),
      durationMs: now() - started,
    });
    return result;
  }
}

export function stepInfo(s: Step): StepInfo {
  return {
    id: s.id,
    title: s.title,
    kind: s.kind,
    destructive: Boolean(s.destructive) || (s.kind === 'confirm' && Boolean(s.with.danger)),
    ...(s.why ? { why: s.why } : {}),
    ...(s.touches ? { touches: s.touches } : {}),
  };
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function afterAbort(signal: AbortSignal, graceMs: number): Promise<never> {
  return new Promise<never>((_, reject) => {
    const go = (): void => {
      const t = setTimeout(() => reject(new Error(`the step did not stop within ${formatMs(graceMs)} of being cancelled`)), graceMs);
      t.unref?.();
    };
    if (signal.aborted) go();
    else signal.addEventListener('abort', go, { once: true });
  });
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}
