import { assertNever } from '../core/events.js';

/**
 * State that belongs to the screen, not to the run: which overlay is open, which question is asked, where
 * the cursor and the log view are. The run itself is RunState from core/state.ts; this never copies it.
 */

export type Overlay = 'none' | 'help' | 'log' | 'details';

/**
 * The yes/no questions the screen asks on its footer line.
 * - abort-step: Ctrl+C or `a` while a step runs.
 * - stop-run: Ctrl+C or `a` while no step runs (at the step gate or a prompt).
 * - quit-running: `q` while a step runs.
 * - force-quit: Ctrl+C while an abort is already under way.
 */
export type Question = 'abort-step' | 'stop-run' | 'quit-running' | 'force-quit';

export interface UiState {
  overlay: Overlay;
  question: Question | null;
  /** Step index the operator moved the cursor to; null: follow the run. */
  cursor: number | null;
  /** Lines scrolled up from the end of the log view; 0 follows the tail. */
  logScroll: number;
  /** A prompt is taking typed text, so letters go to it and not to the screen's keys. */
  textEntry: boolean;
  /** The operator confirmed an abort; the engine is cancelling the step. */
  aborting: boolean;
}

export const initialUi: UiState = { overlay: 'none', question: null, cursor: null, logScroll: 0, textEntry: false, aborting: false };

export type UiAction =
  | { type: 'toggle-overlay'; overlay: Exclude<Overlay, 'none'> }
  | { type: 'close-overlay' }
  | { type: 'ask'; question: Question }
  | { type: 'dismiss' }
  | { type: 'abort-confirmed' }
  | { type: 'cursor'; delta: number; from: number; count: number }
  | { type: 'follow' }
  | { type: 'log-scroll'; delta: number; max: number }
  | { type: 'log-end' }
  | { type: 'text-entry'; on: boolean };

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

export function uiReduce(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'toggle-overlay':
      // Opening the log starts at its tail, where the running step writes.
      return s.overlay === a.overlay ? { ...s, overlay: 'none' } : { ...s, overlay: a.overlay, logScroll: 0 };
    case 'close-overlay':
      return { ...s, overlay: 'none' };
    case 'ask':
      return { ...s, question: a.question };
    case 'dismiss':
      return { ...s, question: null };
    case 'abort-confirmed':
      return { ...s, question: null, aborting: true, textEntry: false };
    case 'cursor': {
      if (a.count <= 0) return s;
      const from = s.cursor ?? a.from;
      return { ...s, cursor: clamp(from + a.delta, 0, a.count - 1) };
    }
    case 'follow':
      return { ...s, cursor: null };
    case 'log-scroll':
      return { ...s, logScroll: clamp(s.logScroll + a.delta, 0, Math.max(0, a.max)) };
    case 'log-end':
      return { ...s, logScroll: 0 };
    case 'text-entry':
      return s.textEntry === a.on ? s : { ...s, textEntry: a.on };
    default:
      return assertNever(a);
  }
}
