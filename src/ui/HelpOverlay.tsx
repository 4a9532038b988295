import type { ReactNode } from 'react';
import { Lines, tl, type ToneLine } from './Lines.js';

// Kept under 58 columns a line, so the help reads whole on a 60-column terminal.
const HELP: ToneLine[] = [
  tl('Keys', 'strong', true),
  tl('  enter   run the next step · close the final screen'),
  tl('  s       skip the next step'),
  tl('  a       abort (asks first); Ctrl+C does the same'),
  tl('  r / g   after a failure: retry / the runbook\'s path'),
  tl('  l       the full log     d   details of a step'),
  tl('  ↑↓ j k  move the cursor (esc: follow the run)'),
  tl('  ?       this help        q   quit (asks if a step runs)'),
  tl('  Ctrl+C again while asked: quit at once'),
  tl('Steps', 'strong', true),
  tl('  · pending  ▶ running  ✔ passed  ! warning'),
  tl('  ✖ failed   ↷ skipped  ■ aborted  ⚠ destructive'),
  tl('Output', 'strong', true),
  tl('  │ SQL that runs   ┆ a command\'s stderr'),
  tl('A stopped run is kept: start the same runbook again', 'muted'),
  tl('to resume it. The audit trail: parlant-runbook report', 'muted'),
];

/** The ? overlay: every key and what each glyph means. */
export function HelpOverlay({ width, height }: { width: number; height: number }): ReactNode {
  return <Lines lines={HELP.slice(0, height)} width={width} />;
}
