import type { OutputLine, RunEvent } from '../core/events.js';
import { formatMs } from '../core/engine.js';
import { reduce, initialState, STATUS_GLYPH, type RunState } from '../core/state.js';
import { formatTable, truncate } from './table.js';
import { TRIGGER_TITLE } from '../core/triggers.js';
import { clockText, phaseOfSteps, readClock } from '../core/incidentClock.js';
import type { Paint } from './paint.js';

/**
 * Line mode (`--plain`, or stdout not a terminal): one line per event, readable in a log file and in CI.
 * Every line starts with the wall-clock time; steps are numbered; output lines are indented under their step.
 */
export class PlainReporter {
  private state: RunState;

  constructor(
    private readonly write: (text: string) => void,
    private readonly paint: Paint,
    private readonly width: number = 100,
    /** On a terminal, long output lines are cut to its width so they do not wrap; in a log file nothing is cut. */
    private readonly truncateTo?: number,
    /** A resumed run's state from its journal, so step numbers and titles are known from the first line. */
    initial: RunState = initialState,
  ) {
    this.state = initial;
  }

  private fit(text: string, indent: number): string {
    return this.truncateTo ? truncate(text, Math.max(10, this.truncateTo - indent)) : text;
  }

  get current(): RunState {
    return this.state;
  }

  handle(e: RunEvent): void {
    const before = this.state;
    this.state = reduce(this.state, e);
    const p = this.paint;
    const t = p.dim(clock(e.at));
    const n = (id: string): string => {
      const i = this.state.steps.findIndex((s) => s.id === id);
      return p.dim(`[${i + 1}/${this.state.steps.length}]`);
    };
    const title = (id: string): string => this.state.steps.find((s) => s.id === id)?.title ?? id;
    switch (e.type) {
      case 'run-started': {
        const tg = e.target;
        this.line(`${t} ${p.bold(e.runbook.title)} ${p.dim(`(${e.runbook.id}, risk ${e.runbook.risk}, ${e.steps.length} steps)`)}${e.dryRun ? p.warn(' DRY RUN: nothing that writes will run') : ''}`);
        this.line(`${t} target ${envLabel(tg.env, p)} ${tg.display}${tg.serverVersion ? ` · PostgreSQL ${tg.serverVersion}` : ''}`);
        this.line(`${t} run ${e.runId} by ${e.operator}@${e.host}`);
        return;
      }
      case 'run-resumed':
        this.line(`${t} resuming run ${e.runId} (${this.state.steps.filter((s) => s.status === 'passed' || s.status === 'warned' || s.status === 'skipped').length} of ${this.state.steps.length} steps already done)`);
        return;
      case 'step-started': {
        if (e.attempt === 0) return; // "not reached" bookkeeping: the finished line says it
        this.phaseLine(e.stepId, e.at, t);
        const again = e.attempt > 1 ? p.dim(` (attempt ${e.attempt})`) : '';
        this.line(`${t} ${n(e.stepId)} ${STATUS_GLYPH.running} ${p.bold(title(e.stepId))}${again}`);
        return;
      }
      case 'step-output':
        for (const l of e.lines) this.line(`${t}       ${outputPrefix(l, p)}${this.fit(l.text, 17)}`);
        return;
      case 'step-live': {
        // A log is not a screen: print the block when who/what changed, else at most every 10 s.
        const key = e.lines.slice(1).join('\n');
        if (!e.lines.length || (key === this.liveKey && e.at - this.liveAt < 10_000)) return;
        this.liveKey = key;
        this.liveAt = e.at;
        for (const l of e.lines) this.line(`${t}       ${p.warn('⏳')} ${this.fit(l, 17)}`);
        return;
      }
      case 'step-rows': {
        if (!e.rows.length) return; // "No rows" in the step's result says it
        const table = formatTable(e.columns, e.rows, (this.truncateTo ?? this.width) - 17);
        for (const l of table) this.line(`${t}       ${l}`);
        if (e.total > e.rows.length) this.line(`${t}       ${p.dim(`(${e.total - e.rows.length} more rows not shown)`)}`);
        return;
      }
      case 'step-finished': {
        const glyph = STATUS_GLYPH[e.status];
        const colour = e.status === 'passed' ? p.ok : e.status === 'warned' ? p.warn : e.status === 'failed' || e.status === 'aborted' ? p.bad : p.dim;
        const word = { passed: 'passed', warned: 'warning', failed: 'FAILED', skipped: 'skipped', aborted: 'ABORTED' }[e.status];
        this.line(`${t} ${n(e.stepId)} ${colour(`${glyph} ${word}`)} ${title(e.stepId)}: ${e.summary} ${p.dim(`(${formatMs(e.durationMs)})`)}`);
        if (e.error && e.error !== e.summary) for (const l of e.error.split('\n')) this.line(`${t}       ${p.bad(l)}`);
        if (e.advice) for (const l of e.advice.split('\n')) this.line(`${t}       ${p.dim('→')} ${l}`);
        return;
      }
      case 'alert': {
        // A rollback trigger is the one line in a log that must not be missed.
        if (e.state === 'raised') {
          this.line(`${t} ${p.bad(p.bold('⚠ ROLLBACK TRIGGER'))} ${p.bold(TRIGGER_TITLE[e.trigger])}: ${e.message}`);
          if (e.proposal) this.line(`${t}       ${p.bad('→')} ${e.proposal}`);
          if (e.acted) this.line(`${t}       ${p.bad('→')} ${e.acted === 'stop' ? 'stopping the migration (rollback_triggers.action: stop)' : 'stopping the migration and rolling back what this run applied (rollback_triggers.action: rollback)'}`);
        } else this.line(`${t}       ${p.ok('✔')} trigger cleared: ${e.message}`);
        return;
      }
      case 'decision-requested':
        return; // prompts speak for themselves; the answer is logged below
      case 'decision-made': {
        const rec = this.state.decisions[this.state.decisions.length - 1];
        if (!rec || before.pending?.kind === 'proceed') return;
        // Nobody saw a prompt when a flag or a default answered: the log must still say what was asked.
        const q = before.pending;
        if (q && rec.by !== 'operator' && (q.kind === 'choose' || q.kind === 'confirm' || q.kind === 'type-to-confirm')) {
          this.line(`${t}       ${p.dim('asked:')} ${this.fit(q.prompt, 24)}`);
        }
        this.line(`${t}       ${p.dim('answer:')} ${rec.answer} ${p.dim(`(${rec.by === 'flag' ? 'from a flag' : rec.by === 'default' ? 'default' : 'operator'})`)}`);
        return;
      }
      case 'var-set':
        return;
      case 'run-finished': {
        const word = { done: p.ok('✔ DONE'), failed: p.bad('✖ FAILED'), aborted: p.bad('■ ABORTED'), refused: p.bad('✖ REFUSED') }[e.status];
        const dur = this.state.startedAt ? ` in ${formatMs(e.at - this.state.startedAt)}` : '';
        this.line(`${t} ${word} ${e.summary}${dur} ${p.dim(`(exit ${e.exitCode})`)}`);
        this.line(`${t} ${p.dim(`report: parlant-runbook report ${this.state.runId ?? 'latest'}`)}`);
        return;
      }
      case 'run-interrupted':
        this.line(`${t} ${p.warn('■ INTERRUPTED')} ${e.reason}. Run the same command with --resume latest to continue.`);
        return;
    }
  }

  /**
   * Incident runbooks: a line when the run enters a phase, with the incident clock as the screen would show
   * it (amber/red past the box, in words too), so a log reads like the TUI's clock.
   */
  private phaseLine(stepId: string, at: number, t: string): void {
    const phases = this.state.runbook?.incident?.phases;
    if (!phases?.length || this.state.startedAt === undefined) return;
    const index = this.state.steps.findIndex((s) => s.id === stepId);
    const phase = phaseOfSteps(phases, this.state.steps, index);
    if (phase === undefined || phase === this.phase) return;
    this.phase = phase;
    const r = readClock(phases, at - this.state.startedAt, phase);
    if (!r) return;
    const colour = r.level === 'on-time' ? this.paint.dim : r.level === 'over' ? this.paint.warn : this.paint.bad;
    this.line(`${t} ${colour(`── ${clockText(r, false)}`)}`);
  }

  private phase: number | undefined;
  private liveKey = '';
  private liveAt = 0;

  private line(s: string): void {
    this.write(`${s}\n`);
  }
}

function outputPrefix(l: OutputLine, p: Paint): string {
  if (l.stream === 'sql') return p.dim('│ ');
  if (l.stream === 'stderr') return p.warn('│ ');
  return p.dim('│ ');
}

export function envLabel(env: string, p: Paint): string {
  return env === 'production' ? p.bad(p.bold('PRODUCTION')) : env === 'staging' ? p.warn('staging') : p.ok(env);
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

/** `--json`: one JSON object per event, for scripts and log shippers. */
export function jsonLine(e: RunEvent): string {
  return `${JSON.stringify(e)}\n`;
}
