import { answerFromFlags } from './decide.js';
import type { Frontend, FrontendOptions } from './frontend.js';
import { stepInfo } from '../core/engine.js';
import type { TargetInfo } from '../core/events.js';
import type { Runbook } from '../core/model.js';
import { initialState, type RunState } from '../core/state.js';
import { colourEnabled } from '../plain/paint.js';
import type { ScreenIo } from '../ui/mount.js';
import { RunStore } from '../ui/store.js';
import type { Theme } from '../ui/theme.js';

/**
 * The TUI front end (issue: the Ink TUI). This module is imported lazily by the CLI, so line mode never
 * loads React or Ink (DESIGN §11: a bare Ink frame costs ~0.9 s of start-up).
 */

export interface TuiExtras {
  /** The journal's state of a resumed run: the screen shows its finished steps and its target at once. */
  initial?: RunState;
  /** The colour policy decided at start-up; without it, it is decided here from the same inputs. */
  colour?: boolean;
  /** A test or the bench draws elsewhere. */
  io?: ScreenIo;
}

/**
 * Ink and React, loaded on first use. React picks its build when first imported: without NODE_ENV it takes
 * the development build, which profiles every render and costs about three times the CPU per frame.
 */
async function loadScreens(): Promise<typeof import('../ui/mount.js')> {
  process.env.NODE_ENV ??= 'production';
  return import('../ui/mount.js');
}

export function themeFor(colour: boolean | undefined, env: NodeJS.ProcessEnv = process.env): Theme {
  return {
    colour: colour ?? colourEnabled({ noColor: process.argv.includes('--no-color'), isTTY: Boolean(process.stdout.isTTY), env }),
    ascii: env.TERM === 'dumb',
  };
}

/** The run screen before its first event (or a resumed run's, when the journal's state was not passed). */
export function skeletonState(runbook: Runbook): RunState {
  return {
    ...initialState,
    runbook: { id: runbook.id, title: runbook.title, source: runbook.source, sha256: runbook.sha256, phase: runbook.phase, risk: runbook.risk, ...(runbook.incident ? { incident: runbook.incident } : {}) },
    steps: runbook.steps.map((s) => ({ ...stepInfo(s), status: 'pending', attempt: 0, output: [], outputDropped: 0, outputTotal: 0 })),
  };
}

/**
 * The run screen as a Frontend. Keys map to decisions: at the step gate (`proceed`) enter → run, s → skip,
 * a/Ctrl+C → (asked) abort; after a failure r → retry, s → skip, g → goto, a → abort; prompts answer
 * confirm / type-to-confirm / choose / checklist / resume-in-flight. Flags (--yes, --confirm, --var,
 * --dry-run) answer first, as in line mode — except the gate, which is the TUI's own.
 */
export async function tuiFrontend(o: FrontendOptions & TuiExtras): Promise<Frontend | undefined> {
  const io = o.io ?? { stdout: process.stdout, stdin: process.stdin, stderr: process.stderr };
  if (!io.stdout.isTTY || !io.stdin.isTTY) return undefined;
  const { mountRun } = await loadScreens();
  const store = new RunStore({ initial: o.initial ? { ...o.initial, currentStepId: undefined, pending: undefined } : skeletonState(o.runbook) });
  const incident = o.runbook.incident !== undefined || o.runbook.phase === 'incident';
  // A dropped SSH link turns writes into EIO errors; the run must still reach its journal entry and exit cleanly.
  const swallow = (): void => undefined;
  io.stdout.on('error', swallow);
  const app = mountRun(
    {
      store,
      controls: { requestAbort: o.requestAbort, forceQuit: o.forceQuit },
      theme: themeFor(o.colour),
      runbook: o.runbook,
      ...(incident ? { incidentPhases: o.incidentPhases ?? o.runbook.incident?.phases ?? [] } : {}),
    },
    io,
  );
  // The final screen waits for a key; a terminal that went away (SIGHUP, stdin closed) can't press one.
  const gone = (): void => store.leave();
  process.on('SIGHUP', gone);
  process.on('SIGTERM', gone);
  io.stdin.on('end', gone);
  io.stdin.on('close', gone);
  let closed = false;
  return {
    emit: (e) => store.emit(e),
    decide: async (request, signal) => {
      if (request.kind !== 'proceed') {
        const fromFlags = answerFromFlags(request, o.flags);
        if (fromFlags) return fromFlags;
      }
      const answer = await store.ask(request, signal);
      return { answer, by: 'operator' };
    },
    stepGate: true,
    askOnFailure: true,
    finish: () => store.waitForLeave(),
    close: () => {
      if (closed) return;
      closed = true;
      store.dispose();
      try {
        app.unmount();
      } catch {
        // The terminal may be gone (SIGHUP); nothing left to restore.
      }
      io.stdout.off('error', swallow);
      process.off('SIGHUP', gone);
      process.off('SIGTERM', gone);
      io.stdin.off('end', gone);
      io.stdin.off('close', gone);
    },
  };
}

export interface HomeOptions {
  target: TargetInfo;
  runbooks: Runbook[];
  /** The newest unfinished run against this target, offered for resume. */
  unfinished?: { runId: string; runbookId: string; title: string; status: string; done: number; total: number };
  colour?: boolean;
}

/** The home screen: returns a runbook id, `resume:<runbook id>`, or null when the operator quits. */
export async function homeInTui(o: HomeOptions): Promise<string | null | undefined> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) return undefined;
  const { mountHome } = await loadScreens();
  return mountHome({ target: o.target, runbooks: o.runbooks, ...(o.unfinished ? { unfinished: o.unfinished } : {}), theme: themeFor(o.colour) });
}
