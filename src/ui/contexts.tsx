import { createContext, useContext } from 'react';
import type { DecisionAnswer, DecisionRequest } from '../core/events.js';
import type { Runbook } from '../core/model.js';
import type { RunState } from '../core/state.js';
import type { IncidentPhase } from './incidentClock.js';
import type { Command, KeyContext } from './keymap.js';
import type { Layout } from './layout.js';
import type { Stage } from './stage.js';
import type { TranscriptItem } from './store.js';
import type { UiAction, UiState } from './uiState.js';

/** Everything the run screen shows: read with useRunView(). Components never keep copies of it. */
export interface RunView {
  run: RunState;
  asking: DecisionRequest | undefined;
  ended: boolean;
  transcript: readonly TranscriptItem[];
  ui: UiState;
  stage: Stage;
  /** The step the cursor is on (followed or moved by the operator). */
  focus: number;
  layout: Layout;
  incidentPhases: readonly IncidentPhase[] | undefined;
  /** The screen's clock: ticks once a second until the run ends. */
  now: number;
  /** The runbook as loaded: the pane shows a step's SQL or command from it before the step runs. */
  runbook: Runbook | undefined;
}

/** What components may do: answer the open request, change screen state, run a key's command. */
export interface RunActions {
  answer(requestId: string, answer: DecisionAnswer): void;
  dispatch(action: UiAction): void;
  execute(command: Command): void;
  /** What the keys act on right now. */
  keyContext(): KeyContext;
}

export const RunViewContext = createContext<RunView | undefined>(undefined);
export const RunActionsContext = createContext<RunActions | undefined>(undefined);

export function useRunView(): RunView {
  const v = useContext(RunViewContext);
  if (!v) throw new Error('useRunView() must be used inside <RunProvider>');
  return v;
}

export function useRunActions(): RunActions {
  const a = useContext(RunActionsContext);
  if (!a) throw new Error('useRunActions() must be used inside <RunProvider>');
  return a;
}
