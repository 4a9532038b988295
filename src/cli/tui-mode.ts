import type { TargetInfo } from '../core/events.js';
import type { Runbook } from '../core/model.js';
import type { Frontend, FrontendOptions } from './frontend.js';

/**
 * The TUI front end (issue: the Ink TUI). Loaded lazily so that line mode never pays for React and Ink.
 * Until it lands these return undefined and the callers fall back to line mode with prompts.
 */
export async function tuiFrontend(_o: FrontendOptions): Promise<Frontend | undefined> {
  return undefined;
}

export interface HomeOptions {
  target: TargetInfo;
  runbooks: Runbook[];
  /** The newest unfinished run against this target, offered for resume. */
  unfinished?: { runId: string; runbookId: string; title: string; status: string; done: number; total: number };
}

/** The home screen: returns a runbook id, `resume:<runbook id>`, or null when the operator quits. */
export async function homeInTui(_o: HomeOptions): Promise<string | null | undefined> {
  return undefined;
}
