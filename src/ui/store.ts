import type { DecisionAnswer, DecisionRequest, RunEvent } from '../core/events.js';
import { initialState, reduce, type RunState, type StepState } from '../core/state.js';

/**
 * The bridge between the engine (which pushes events and awaits answers) and React (which reads snapshots).
 * Events are folded into RunState at once with core's reducer, but published to the screen at most once per
 * frame: a step printing 100,000 lines costs a few hundred renders, not 100,000, and the engine never waits
 * for the screen.
 */

/** One finished attempt of a step, or the end of the run: what goes to the terminal's scrollback. */
export type TranscriptItem =
  | { kind: 'step'; key: string; index: number; step: StepState }
  | { kind: 'end'; key: string; run: RunState };

export interface RunSnapshot {
  readonly run: RunState;
  /** The request the operator must answer now (flags already answered the others). */
  readonly asking: DecisionRequest | undefined;
  /** The run has ended (finished, aborted, refused or interrupted). */
  readonly ended: boolean;
  /** Append-only: finished steps in the order they finished. */
  readonly transcript: readonly TranscriptItem[];
}

interface Pending {
  request: DecisionRequest;
  resolve: (a: DecisionAnswer) => void;
  reject: (e: Error) => void;
  signal: AbortSignal;
  onAbort: () => void;
}

export interface RunStoreOptions {
  initial?: RunState;
  /** Minimum time between published snapshots: 50 ms is 20 frames a second. */
  frameMs?: number;
}

export class RunStore {
  private run: RunState;
  private pending: Pending | undefined;
  private ended = false;
  private transcript: TranscriptItem[] = [];
  /** A new array only when an item was added, so a frame that adds none re-renders no transcript. */
  private transcriptView: readonly TranscriptItem[] = [];
  private snapshot: RunSnapshot;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastPublish = 0;
  private readonly frameMs: number;
  private leaveWaiters: (() => void)[] = [];
  private left = false;
  private quitWhenEnded = false;

  constructor(o: RunStoreOptions = {}) {
    this.run = o.initial ?? initialState;
    this.frameMs = o.frameMs ?? 50;
    // Steps that finished before this screen opened (a resumed run) head the transcript.
    this.run.steps.forEach((s, index) => {
      if (s.status !== 'pending' && s.status !== 'running') this.transcript.push({ kind: 'step', key: `${s.id}#${s.attempt}`, index, step: s });
    });
    this.snapshot = this.makeSnapshot();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): RunSnapshot => this.snapshot;

  /** Fold an engine event in; the screen sees it with the next frame. */
  emit(e: RunEvent): void {
    this.run = reduce(this.run, e);
    if (e.type === 'step-finished') {
      const index = this.run.steps.findIndex((s) => s.id === e.stepId);
      const step = this.run.steps[index];
      if (step) this.transcript.push({ kind: 'step', key: `${step.id}#${step.attempt}#${this.transcript.length}`, index, step });
    }
    if (e.type === 'run-finished' || e.type === 'run-interrupted') {
      this.ended = true;
      this.transcript.push({ kind: 'end', key: `end#${this.transcript.length}`, run: this.run });
      this.publish();
      if (this.quitWhenEnded) this.leave();
      return;
    }
    this.schedule();
  }

  /** Show a prompt and wait for the operator. Rejects when the engine aborts the request (Ctrl+C, SIGHUP). */
  ask(request: DecisionRequest, signal: AbortSignal): Promise<DecisionAnswer> {
    this.drop(new Error('superseded by a newer request'));
    return new Promise<DecisionAnswer>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.pending?.request.id !== request.id) return;
        this.pending = undefined;
        const err = new Error('aborted');
        err.name = 'AbortError';
        reject(err);
        this.publish();
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending = { request, resolve, reject, signal, onAbort };
      this.publish();
    });
  }

  /** The operator's answer to the open request; an answer to anything else (a stale key press) is ignored. */
  readonly answer = (requestId: string, answer: DecisionAnswer): void => {
    const p = this.pending;
    if (!p || p.request.id !== requestId) return;
    this.pending = undefined;
    p.signal.removeEventListener('abort', p.onAbort);
    p.resolve(answer);
    this.publish();
  };

  /** Resolves when the operator leaves the final screen (or at once if they asked to quit). */
  waitForLeave(): Promise<void> {
    if (this.left || this.quitWhenEnded) return Promise.resolve();
    return new Promise((resolve) => this.leaveWaiters.push(resolve));
  }

  readonly leave = (): void => {
    this.left = true;
    const ws = this.leaveWaiters;
    this.leaveWaiters = [];
    for (const w of ws) w();
  };

  /** The operator chose to quit: do not hold them on the final screen. */
  readonly quitOnEnd = (): void => {
    this.quitWhenEnded = true;
    if (this.ended) this.leave();
  };

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.drop(new Error('the screen was closed'));
    this.leave();
  }

  private drop(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    p.signal.removeEventListener('abort', p.onAbort);
    p.reject(err);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.frameMs - (Date.now() - this.lastPublish));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publish();
    }, wait);
    this.timer.unref?.();
  }

  private makeSnapshot(): RunSnapshot {
    if (this.transcriptView.length !== this.transcript.length) this.transcriptView = [...this.transcript];
    return { run: this.run, asking: this.pending?.request, ended: this.ended, transcript: this.transcriptView };
  }

  private publish(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastPublish = Date.now();
    this.snapshot = this.makeSnapshot();
    for (const l of this.listeners) l();
  }
}
