import { vi } from 'vitest';
import type { RunEvent } from '../../src/core/events.js';
import type { Runbook } from '../../src/core/model.js';
import { RunScreen } from '../../src/ui/RunScreen.js';
import { RunStore } from '../../src/ui/store.js';
import { migrate } from './fixtures.js';
import { renderAt } from './renderAt.js';

/** The run screen on a fake terminal of the given size, driven by engine events pushed into its store. */
export function runScreenAt(columns: number, rows = 24, runbook: Runbook = migrate()) {
  const store = new RunStore({ frameMs: 0 });
  const controls = { requestAbort: vi.fn(), forceQuit: vi.fn() };
  const r = renderAt(
    <RunScreen store={store} controls={controls} theme={{ colour: false, ascii: false }} runbook={runbook} transcript={false} />,
    { columns, rows },
  );
  return {
    ...r,
    store,
    controls,
    emit: (...events: (RunEvent | RunEvent[])[]): void => {
      for (const e of events.flat()) store.emit(e);
    },
    ask: <R extends Parameters<RunStore['ask']>[0]>(request: R) => store.ask(request, new AbortController().signal),
  };
}
