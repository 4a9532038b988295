import type { DecisionRequest } from '../core/events.js';
import type { RunState } from '../core/state.js';

/**
 * What the run screen is doing, derived from the run and the open question — never stored, so it can't
 * disagree with them.
 * - starting: between events (before the first step, or while the engine moves on)
 * - gate: waiting for enter / s before the next step
 * - running: a step runs and nothing is asked
 * - prompt: a step (or a failure) asks the operator something other than the gate
 * - finished: the run is over
 */
export type Stage = 'starting' | 'gate' | 'running' | 'prompt' | 'finished';

export function stageOf(run: RunState, asking: DecisionRequest | undefined, ended: boolean): Stage {
  if (ended) return 'finished';
  if (asking) return asking.kind === 'proceed' ? 'gate' : 'prompt';
  if (run.currentStepId) return 'running';
  return 'starting';
}

/** The step the pane and the details view are about when the operator has not moved the cursor. */
export function followIndex(run: RunState, asking: DecisionRequest | undefined): number {
  const byId = (id: string | undefined): number => (id ? run.steps.findIndex((s) => s.id === id) : -1);
  const current = byId(run.currentStepId);
  if (current >= 0) return current;
  const asked = byId(asking?.stepId);
  if (asked >= 0) return asked;
  const last = lastFinishedIndex(run);
  if (last >= 0) return last;
  return 0;
}

export function lastFinishedIndex(run: RunState): number {
  let best = -1;
  let at = -1;
  run.steps.forEach((s, i) => {
    if (s.finishedAt !== undefined && s.finishedAt >= at && s.status !== 'pending' && s.status !== 'running') {
      best = i;
      at = s.finishedAt;
    }
  });
  return best;
}
