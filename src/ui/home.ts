import { HOME_PHASE_ORDER, PHASE_TITLE } from '../core/model.js';
import type { Phase, Risk } from '../core/model.js';

/**
 * The home screen's list as data: an unfinished run first, then the runbooks by phase with the incident
 * runbooks at the top — the emergency runbook is `e` (one key) or, with nothing to resume, enter (it is the
 * first item and starts selected).
 */

export interface HomeRunbook {
  id: string;
  title: string;
  summary: string;
  phase: Phase;
  risk: Risk;
}

export interface Unfinished {
  runId: string;
  runbookId: string;
  title: string;
  status: string;
  done: number;
  total: number;
}

export type HomeItem =
  | { kind: 'resume'; value: string; title: string; detail: string }
  | { kind: 'runbook'; value: string; runbook: HomeRunbook };

export type HomeRow = { kind: 'header'; text: string } | { kind: 'item'; item: HomeItem; index: number };


export interface HomeModel {
  rows: HomeRow[];
  items: HomeItem[];
  /** Index (in items) of the emergency runbook, if there is one. */
  emergency: number | undefined;
  resume: number | undefined;
  /** The item selected at launch: the resume offer, else the first (an incident runbook when there is one). */
  initial: number;
}

export function homeModel(runbooks: readonly HomeRunbook[], unfinished: Unfinished | undefined): HomeModel {
  const rows: HomeRow[] = [];
  const items: HomeItem[] = [];
  const add = (item: HomeItem): void => {
    rows.push({ kind: 'item', item, index: items.length });
    items.push(item);
  };
  if (unfinished) {
    rows.push({ kind: 'header', text: 'Unfinished run' });
    add({
      kind: 'resume',
      value: `resume:${unfinished.runbookId}`,
      title: `Resume: ${unfinished.title}`,
      detail: `${unfinished.status}, ${unfinished.done}/${unfinished.total} steps done · ${unfinished.runId}`,
    });
  }
  for (const phase of HOME_PHASE_ORDER) {
    const group = runbooks.filter((r) => r.phase === phase);
    if (!group.length) continue;
    rows.push({ kind: 'header', text: PHASE_TITLE[phase] });
    for (const r of group) add({ kind: 'runbook', value: r.id, runbook: r });
  }
  const incident = items.filter((i): i is Extract<HomeItem, { kind: 'runbook' }> => i.kind === 'runbook' && i.runbook.phase === 'incident');
  const emergencyItem = incident.find((i) => /emergenc/i.test(i.runbook.id)) ?? incident[0];
  const emergency = emergencyItem ? items.indexOf(emergencyItem) : undefined;
  const resume = unfinished ? 0 : undefined;
  return { rows, items, emergency, resume, initial: 0 };
}
