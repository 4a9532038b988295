import { useMemo, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { assertNever } from '../core/events.js';
import type { Runbook } from '../core/model.js';
import { RunActionsContext, RunViewContext, type RunActions, type RunView } from './contexts.js';
import { useLatestState, useNow, useTerminalSize } from './hooks.js';
import type { IncidentPhase } from './incidentClock.js';
import { keyContextOf } from './keyContext.js';
import type { Command, KeyContext } from './keymap.js';
import { layout } from './layout.js';
import { activeAlerts, type RunState } from '../core/state.js';
import { ALERT_ROWS } from './AlertBar.js';
import { followIndex, stageOf } from './stage.js';
import type { RunStore } from './store.js';
import { initialUi, uiReduce, type UiAction } from './uiState.js';

/** Rows the alert bar takes while a rollback trigger is raised: two, or one on a short terminal (the prompt needs the rows). */
export function alertRowsOf(run: RunState, rows: number): number {
  if (!activeAlerts(run).length) return 0;
  return rows < 18 ? 1 : ALERT_ROWS;
}

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
  // Screen state lives where key handlers can read it fresh (see useLatestState): keys come in bursts.
  const [ui, getUi, setUi] = useLatestState(() => initialUi);
  const size = useTerminalSize();
  const sizeRef = useRef(size);
  sizeRef.current = size;
  // One clock for the whole screen, once a second, so the spinner and the clocks change in the same frame:
  // a step that runs for an hour without output costs one redraw a second, not ten.
  const now = useNow(1000, !snap.ended);

  const actions = useMemo<RunActions>(() => {
    const dispatch = (a: UiAction): void => setUi((s) => uiReduce(s, a));
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
    const keyContext = (): KeyContext => {
      const snap = store.getSnapshot();
      return keyContextOf(snap, getUi(), layout(sizeRef.current.columns, sizeRef.current.rows, snap.run.steps.length, alertRowsOf(snap.run, sizeRef.current.rows)));
    };
    return { answer: store.answer, dispatch, execute, keyContext };
  }, [store, controls, getUi, setUi]);

  const view = useMemo<RunView>(() => {
    const stage = stageOf(snap.run, snap.asking, snap.ended);
    return {
      ...snap,
      ui,
      stage,
      focus: ui.cursor ?? followIndex(snap.run, snap.asking),
      layout: layout(size.columns, size.rows, snap.run.steps.length, alertRowsOf(snap.run, size.rows)),
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
