import { logLines } from './blocks.js';
import type { KeyContext } from './keymap.js';
import type { Layout } from './layout.js';
import { followIndex, stageOf } from './stage.js';
import type { RunSnapshot } from './store.js';
import type { UiState } from './uiState.js';

/**
 * What the keys act on, from the freshest run snapshot and screen state (never a render's copy).
 * @param logLength the log view's line count when the caller has it already.
 */
export function keyContextOf(snap: RunSnapshot, ui: UiState, l: Layout, logLength?: number): KeyContext {
  const asking = snap.asking;
  // While the operator types a database name or notes, letters are text, not commands.
  const textEntry = asking?.kind === 'type-to-confirm' || (asking?.kind === 'checklist' && ui.textEntry);
  const logCount = logLength ?? (ui.overlay === 'log' ? logLines(snap.run, l.width).length : 0);
  return {
    stage: stageOf(snap.run, asking, snap.ended),
    ...(asking ? { prompt: asking.kind } : {}),
    stepRunning: snap.run.currentStepId !== undefined,
    ui: { ...ui, textEntry },
    focus: ui.cursor ?? followIndex(snap.run, asking),
    stepCount: snap.run.steps.length,
    logMax: Math.max(0, logCount - (l.bodyHeight - 1)),
    page: Math.max(1, l.bodyHeight - 2),
  };
}
