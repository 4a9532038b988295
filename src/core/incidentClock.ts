import type { StepInfo } from './events.js';

/**
 * The incident clock (issue: "Incident clock"). An incident runbook names its phases as time boxes, e.g.
 * assess 5, stabilise 10, resolve 15: assess runs 0–5 min, stabilise 5–15, resolve 15–30.
 *
 * Which phase the responders are in:
 * - a step belongs to a phase when its id starts with the phase name (`assess-…`, `stabilise-…`); steps
 *   after it belong to the same phase until the next one that names a phase. The phase of the step in hand
 *   is the current phase.
 * - a runbook whose steps name no phase gets the phase that the clock says they should be in.
 *
 * The colour rule (and its glyph and word, so it reads without colour):
 * - on time (·): the elapsed time is inside the current phase's box;
 * - amber (! "over"): past the end of the current phase's box by up to half that box's length;
 * - red (✖ "OVERRUN"): past it by more than half its length — assess (5 min) turns amber at 5:00 and red
 *   at 7:30. With time-based phases only the last box can overrun: the whole incident is over time.
 */

export interface IncidentPhase {
  name: string;
  minutes: number;
}

export type ClockLevel = 'on-time' | 'over' | 'overrun';

export interface ClockReading {
  elapsedMs: number;
  index: number;
  phase: IncidentPhase;
  /** Start and end of the current phase's box, in minutes from the start of the run. */
  fromMin: number;
  toMin: number;
  /** How far past the box's end (ms); ≤ 0 on time. */
  overMs: number;
  level: ClockLevel;
}

export function readClock(phases: readonly IncidentPhase[], elapsedMs: number, phaseIndex?: number): ClockReading | undefined {
  if (!phases.length) return undefined;
  const ends: number[] = [];
  let acc = 0;
  for (const p of phases) {
    acc += p.minutes;
    ends.push(acc);
  }
  const byTime = ends.findIndex((end) => elapsedMs < end * 60_000);
  const index = phaseIndex ?? (byTime < 0 ? phases.length - 1 : byTime);
  const phase = phases[index] as IncidentPhase;
  const toMin = ends[index] as number;
  const fromMin = toMin - phase.minutes;
  const overMs = elapsedMs - toMin * 60_000;
  const level: ClockLevel = overMs <= 0 ? 'on-time' : overMs <= (phase.minutes * 60_000) / 2 ? 'over' : 'overrun';
  return { elapsedMs, index, phase, fromMin, toMin, overMs, level };
}

/** The phase of the step in hand, when the runbook's step ids name phases; undefined otherwise. */
export function phaseOfSteps(phases: readonly IncidentPhase[], steps: readonly StepInfo[], currentIndex: number): number | undefined {
  const named = (s: StepInfo | undefined): number =>
    s ? phases.findIndex((p) => s.id === p.name.toLowerCase() || s.id.startsWith(`${p.name.toLowerCase()}-`)) : -1;
  if (!steps.some((s) => named(s) >= 0)) return undefined;
  for (let i = Math.min(currentIndex, steps.length - 1); i >= 0; i--) {
    const n = named(steps[i]);
    if (n >= 0) return n;
  }
  return 0;
}

/** "0–5 min"; boxes shortened to seconds (training, tests) read "0:00–0:20". */
export function span(fromMin: number, toMin: number): string {
  if (Number.isInteger(fromMin) && Number.isInteger(toMin)) return `${fromMin}–${toMin} min`;
  return `${formatClock(fromMin * 60_000, false)}–${formatClock(toMin * 60_000, false)}`;
}

/** "assess 0–5 min" */
export function boxLabel(r: ClockReading): string {
  return `${r.phase.name} ${span(r.fromMin, r.toMin)}`;
}

/**
 * The configuration's `incident.time_boxes` over a runbook's phases (by name, in ms): training and tests
 * shorten the boxes to see the clock turn. Names that are not phases of the runbook come back as `unknown`
 * (a warning, never a refusal: an incident is no time to refuse a runbook over a typo in the config).
 */
export function withTimeBoxes(phases: readonly IncidentPhase[], boxesMs: Readonly<Record<string, number>>): { phases: IncidentPhase[]; unknown: string[] } {
  const names = new Set(phases.map((p) => p.name.toLowerCase()));
  const unknown = Object.keys(boxesMs).filter((n) => !names.has(n.toLowerCase()));
  const lookup = new Map(Object.entries(boxesMs).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    phases: phases.map((p) => {
      const ms = lookup.get(p.name.toLowerCase());
      return ms === undefined ? { ...p } : { name: p.name, minutes: ms / 60_000 };
    }),
    unknown,
  };
}

/** What the clock says, in words: the glyph and word carry the level without colour. */
export function clockText(r: ClockReading, compact: boolean): string {
  const t = formatClock(r.elapsedMs);
  const over = formatClock(Math.max(0, r.overMs));
  switch (r.level) {
    case 'on-time':
      return compact ? `⏱ ${t} · ${r.phase.name}` : `⏱ ${t} · ${boxLabel(r)}`;
    case 'over':
      return compact ? `⏱ ${t} ! ${r.phase.name} over` : `⏱ ${t} ! ${boxLabel(r)}, over by ${over}`;
    case 'overrun':
      return compact ? `⏱ ${t} ✖ ${r.phase.name} OVERRUN` : `⏱ ${t} ✖ ${r.phase.name} OVERRUN by ${over} (box ${span(r.fromMin, r.toMin)})`;
  }
}

/** h:mm:ss past an hour, else mm:ss (the clock) or m:ss (the report's T+, padMinutes false). */
export function formatClock(ms: number, padMinutes = true): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${padMinutes ? two(m) : m}:${two(s % 60)}`;
}
