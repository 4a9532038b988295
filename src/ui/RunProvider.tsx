import { useMemo, useReducer, useSyncExternalStore, type ReactNode } from 'react';
import { assertNever } from '../core/events.js';
import type { Runbook } from '../core/model.js';
import { RunActionsContext, RunViewContext, type RunActions, type RunView } from './contexts.js';
import { useNow, useTerminalSize } from './hooks.js';
import type { IncidentPhase } from './incidentClock.js';
import type { Command } from './keymap.js';
import { layout } from './layout.js';
import { followIndex, stageOf } from './stage.js';
import type { RunStore } from './store.js';
import { initialUi, uiReduce } from './uiState.js';

/** What the screen may ask of the process: cancel the running step, or leave at once. */
export interface RunControls {
  requestAbort(): void;
  forceQuit(): void;
}

export interface RunProviderProps {
  store: RunStore;
  controls: RunControls;
  runbook: Runbook | undefined;
  incidentPhases: readonly IncidentPhase[] | undefined;
  children: ReactNode;
}

/** Reads the store and the terminal size, keeps the screen's own state, and provides both contexts. */
export function RunProvider({ store, controls, runbook, incidentPhases, children }: RunProviderProps): ReactNode {
  const snap = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [ui, dispatch] = useReducer(uiReduce, initialUi);
  const size = useTerminalSize();
  // One clock for the whole screen, so the spinner and the banner's clock change in the same frame.
  const running = snap.run.currentStepId !== undefined && !snap.ended;
  const now = useNow(running ? 500 : 1000, !snap.ended);

  const actions = useMemo<RunActions>(() => {
    // The gate is answered with abort (the run stops cleanly before the step); anything else is cancelled.
    const stop = (): void => {
      const asking = store.getSnapshot().asking;
      if (asking?.kind === 'proceed') store.answer(asking.id, { kind: 'proceed', action: 'abort' });
      else controls.requestAbort();
    };
    const execute = (c: Command): void => {
      switch (c.type) {
        case 'none':
          return;
        case 'ui':
          dispatch(c.action);
          return;
        case 'proceed': {
          const asking = store.getSnapshot().asking;
          if (asking?.kind === 'proceed') store.answer(asking.id, { kind: 'proceed', action: c.action });
          return;
        }
        case 'abort':
          dispatch({ type: 'abort-confirmed' });
          stop();
          return;
        case 'quit':
          dispatch({ type: 'abort-confirmed' });
          store.quitOnEnd();
          stop();
          return;
        case 'force-quit':
          controls.forceQuit();
          return;
        case 'leave':
          store.leave();
          return;
        default:
          assertNever(c);
      }
    };
    return { answer: store.answer, dispatch, execute };
  }, [store, controls]);

  const view = useMemo<RunView>(() => {
    const stage = stageOf(snap.run, snap.asking, snap.ended);
    return {
      ...snap,
      ui,
      stage,
      focus: ui.cursor ?? followIndex(snap.run, snap.asking),
      layout: layout(size.columns, size.rows, snap.run.steps.length),
      incidentPhases,
      runbook,
      now,
    };
  }, [snap, ui, size.columns, size.rows, incidentPhases, runbook, now]);

  return (
    <RunActionsContext.Provider value={actions}>
      <RunViewContext.Provider value={view}>{children}</RunViewContext.Provider>
    </RunActionsContext.Provider>
  );
}
