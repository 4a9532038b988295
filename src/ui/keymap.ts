import type { DecisionRequest } from '../core/events.js';
import type { Stage } from './stage.js';
import type { UiAction, UiState } from './uiState.js';

/**
 * The screen's keys as a pure function: (what is on screen, key) → what to do. The footer's hints come from
 * the same place, so a hint is never shown for a key that does nothing. Keys that a prompt uses (letters
 * while typing, arrows in a choice, r/s/a/g after a failure) are left to the prompt.
 */

/** The parts of Ink's Key this map looks at; tests build it by hand. */
export interface KeyPress {
  ctrl?: boolean;
  escape?: boolean;
  return?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
}

export interface KeyContext {
  stage: Stage;
  prompt?: DecisionRequest['kind'];
  /** A step is running (also while it asks a question of its own). */
  stepRunning: boolean;
  ui: UiState;
  /** The step the cursor starts from when the operator moves it. */
  focus: number;
  stepCount: number;
  /** How far the log view can scroll, and by how much a page moves it. */
  logMax: number;
  page: number;
}

export type Command =
  | { type: 'none' }
  | { type: 'ui'; action: UiAction }
  | { type: 'proceed'; action: 'run' | 'skip' }
  /** The operator said yes to stopping: answer the gate with abort, or cancel the running step. */
  | { type: 'abort' }
  /** Stop (as above) and leave the screen as soon as the run has ended. */
  | { type: 'quit' }
  | { type: 'force-quit' }
  /** Leave the final screen. */
  | { type: 'leave' };

const none: Command = { type: 'none' };
const ui = (action: UiAction): Command => ({ type: 'ui', action });

/** Keys each prompt handles itself (besides Ctrl+C, which is always the screen's). */
const PROMPT_KEYS: Record<DecisionRequest['kind'], ReadonlySet<string>> = {
  proceed: new Set(),
  confirm: new Set(['y', 'n', 'Y', 'N']),
  'type-to-confirm': new Set(), // typing: textEntry takes every key
  choose: new Set(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'j', 'k', ' ']),
  checklist: new Set([' ', 'j', 'k', 'x']),
  'on-failure': new Set(['r', 's', 'a', 'g']),
  'resume-in-flight': new Set(['m', 'r', 'a']),
};

export function commandFor(c: KeyContext, input: string, key: KeyPress): Command {
  const ctrlC = Boolean(key.ctrl) && input === 'c';

  if (c.ui.question) {
    // "Ask once": a second Ctrl+C while the question is open quits at once.
    if (ctrlC) return { type: 'force-quit' };
    if (input === 'y' || input === 'Y') {
      if (c.ui.question === 'force-quit') return { type: 'force-quit' };
      if (c.ui.question === 'quit-running') return { type: 'quit' };
      return { type: 'abort' };
    }
    if (input === 'n' || input === 'N' || key.escape) return ui({ type: 'dismiss' });
    return none;
  }

  if (ctrlC) {
    if (c.stage === 'finished') return { type: 'leave' };
    if (c.ui.aborting) return ui({ type: 'ask', question: 'force-quit' });
    return ui({ type: 'ask', question: c.stepRunning ? 'abort-step' : 'stop-run' });
  }

  if (c.stage === 'prompt' && c.ui.textEntry) return none;

  if (c.ui.overlay !== 'none') return overlayKey(c, input, key);

  const overlayToggle = (): Command | undefined => {
    if (input === 'l') return ui({ type: 'toggle-overlay', overlay: 'log' });
    if (input === '?') return ui({ type: 'toggle-overlay', overlay: 'help' });
    if (input === 'd') return ui({ type: 'toggle-overlay', overlay: 'details' });
    return undefined;
  };
  const cursor = (): Command | undefined => {
    if (key.upArrow || input === 'k') return ui({ type: 'cursor', delta: -1, from: c.focus, count: c.stepCount });
    if (key.downArrow || input === 'j') return ui({ type: 'cursor', delta: 1, from: c.focus, count: c.stepCount });
    if (key.escape && c.ui.cursor !== null) return ui({ type: 'follow' });
    return undefined;
  };
  const stop = (): Command => (c.ui.aborting ? none : ui({ type: 'ask', question: c.stepRunning ? 'abort-step' : 'stop-run' }));
  const quit = (): Command => (c.stepRunning ? ui({ type: 'ask', question: 'quit-running' }) : { type: 'quit' });

  switch (c.stage) {
    case 'finished':
      if (key.return || input === 'q' || key.escape) return { type: 'leave' };
      return overlayToggle() ?? cursor() ?? none;
    case 'gate':
      if (key.return) return { type: 'proceed', action: 'run' };
      if (input === 's') return { type: 'proceed', action: 'skip' };
      if (input === 'a') return stop();
      if (input === 'q') return quit();
      return overlayToggle() ?? cursor() ?? none;
    case 'running':
    case 'starting':
      if (input === 'a') return stop();
      if (input === 'q') return quit();
      return overlayToggle() ?? cursor() ?? none;
    case 'prompt': {
      const owned = c.prompt ? PROMPT_KEYS[c.prompt] : new Set<string>();
      if (owned.has(input) || key.return || key.upArrow || key.downArrow || key.escape) return none;
      if (input === 'a') return stop();
      if (input === 'q') return quit();
      return overlayToggle() ?? none;
    }
    default:
      return none;
  }
}

function overlayKey(c: KeyContext, input: string, key: KeyPress): Command {
  const o = c.ui.overlay;
  if (key.escape || input === 'q' || (o === 'log' && input === 'l') || (o === 'help' && input === '?') || (o === 'details' && input === 'd')) {
    return ui({ type: 'close-overlay' });
  }
  if (o === 'log') {
    if (key.upArrow || input === 'k') return ui({ type: 'log-scroll', delta: 1, max: c.logMax });
    if (key.downArrow || input === 'j') return ui({ type: 'log-scroll', delta: -1, max: c.logMax });
    if (key.pageUp || input === 'b') return ui({ type: 'log-scroll', delta: c.page, max: c.logMax });
    if (key.pageDown || input === ' ') return ui({ type: 'log-scroll', delta: -c.page, max: c.logMax });
    if (key.home || input === 'g') return ui({ type: 'log-scroll', delta: c.logMax, max: c.logMax });
    if (key.end || input === 'G') return ui({ type: 'log-end' });
  }
  if (o === 'details') {
    if (key.upArrow || input === 'k') return ui({ type: 'cursor', delta: -1, from: c.focus, count: c.stepCount });
    if (key.downArrow || input === 'j') return ui({ type: 'cursor', delta: 1, from: c.focus, count: c.stepCount });
  }
  if (o === 'help' && input === 'l') return ui({ type: 'toggle-overlay', overlay: 'log' });
  return none;
}

export interface Hint {
  key: string;
  label: string;
  /** Lower numbers survive when the line is too narrow for every hint. */
  priority: number;
}

const h = (key: string, label: string, priority: number): Hint => ({ key, label, priority });

/** The footer's hints for what is on screen now (questions are shown instead of hints). */
export function hintsFor(c: Omit<KeyContext, 'logMax' | 'page'>): Hint[] {
  if (c.ui.overlay === 'log') return [h('↑↓', 'scroll', 1), h('PgUp/PgDn', 'page', 3), h('g/G', 'top/end', 4), h('esc', 'close', 0)];
  if (c.ui.overlay === 'help') return [h('esc', 'close', 0), h('l', 'log', 2)];
  if (c.ui.overlay === 'details') return [h('↑↓', 'other step', 1), h('esc', 'close', 0)];
  switch (c.stage) {
    case 'finished':
      return [h('enter', 'close', 0), h('l', 'log', 1), h('d', 'details', 2), h('↑↓', 'step', 4), h('?', 'help', 3)];
    case 'gate':
      return [h('enter', 'run', 0), h('s', 'skip', 0), h('a', 'abort', 1), h('l', 'log', 2), h('d', 'details', 4), h('?', 'help', 3), h('q', 'quit', 1)];
    case 'running':
    case 'starting':
      return c.ui.aborting
        ? [h('Ctrl+C', 'quit at once', 0), h('l', 'log', 1), h('?', 'help', 2)]
        : [h('a', 'abort', 0), h('l', 'log', 1), h('d', 'details', 3), h('?', 'help', 2), h('q', 'quit', 1)];
    case 'prompt':
      if (c.ui.textEntry) return [h('Ctrl+C', 'abort', 0)];
      if (c.prompt === 'on-failure' || c.prompt === 'resume-in-flight') return [h('l', 'log', 1), h('d', 'details', 3), h('?', 'help', 2), h('q', 'quit', 1)];
      return [h('a', 'abort', 0), h('l', 'log', 1), h('d', 'details', 3), h('?', 'help', 2), h('q', 'quit', 1)];
    default:
      return [];
  }
}

/** One footer line of hints that fits `width`: "[key] label" while it fits, then "key label", then fewer. */
export function formatHints(hints: readonly Hint[], width: number): string {
  const render = (hs: readonly Hint[], bracket: boolean): string => hs.map((x) => (bracket ? `[${x.key}] ${x.label}` : `${x.key} ${x.label}`)).join(bracket ? '  ' : ' · ');
  let kept = [...hints];
  for (;;) {
    for (const bracket of [true, false]) {
      const s = render(kept, bracket);
      if ([...s].length <= width) return s;
    }
    if (kept.length <= 1) return render(kept, false);
    const worst = Math.max(...kept.map((x) => x.priority));
    const i = kept.map((x) => x.priority).lastIndexOf(worst);
    kept = kept.filter((_, j) => j !== i);
  }
}

export const QUESTION_TEXT: Record<NonNullable<UiState['question']>, string> = {
  'abort-step': 'Abort the running step? It is cancelled on the server. [y] yes  [n] no',
  'stop-run': 'Stop the run here? You can resume it later. [y] yes  [n] no',
  'quit-running': 'A step is running. Abort it and quit? [y] yes  [n] no',
  'force-quit': 'Still stopping the step. Quit at once? [y] yes  [n] no',
};

export const QUESTION_SHORT: Record<NonNullable<UiState['question']>, string> = {
  'abort-step': 'Abort the running step? [y/n]',
  'stop-run': 'Stop the run here? [y/n]',
  'quit-running': 'Abort the step and quit? [y/n]',
  'force-quit': 'Quit at once? [y/n]',
};
