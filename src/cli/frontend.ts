import type { RunEvent } from '../core/events.js';
import type { Runbook } from '../core/model.js';
import type { Decide } from '../core/ports.js';
import type { RunState } from '../core/state.js';
import type { DecisionFlags } from './decide.js';

/**
 * What shows a run and answers its questions: the line-mode reporter with prompts or flags, or the TUI.
 * The engine is the same for all (DESIGN §3); only the front end changes.
 */
export interface Frontend {
  emit(e: RunEvent): void;
  decide: Decide;
  /** Ask before each step (TUI: enter / s / a). */
  stepGate: boolean;
  /** Ask what to do when a step fails (retry / skip / abort). */
  askOnFailure: boolean;
  /** The run is over: show the outcome; resolves when the operator leaves the screen. */
  finish(final: RunState): Promise<void>;
  /** Tear down (restore the terminal). Safe to call twice. */
  close(): void;
}

export interface FrontendOptions {
  runbook: Runbook;
  flags: DecisionFlags;
  /** Cancel the running step and stop the run (the engine records it as aborted). */
  requestAbort(): void;
  /** Quit at once after a second request (the journal records the run as interrupted). */
  forceQuit(): void;
  /** Phases of the incident clock, possibly shortened by configuration (training, tests). */
  incidentPhases?: { name: string; minutes: number }[];
  /** The journal's state of a resumed run, so the screen shows its target and finished steps at once. */
  initial?: RunState;
  /** The colour policy decided at start-up. */
  colour?: boolean;
}
