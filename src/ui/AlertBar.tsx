import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { AlertState } from '../core/state.js';
import { TRIGGER_TITLE } from '../core/triggers.js';
import { line } from './text.js';
import { Tone } from './theme.js';

/** Rows the alert bar takes when a rollback trigger is raised (layout() gives them up from the body); one on a short terminal. */
export const ALERT_ROWS = 2;

/**
 * A raised rollback trigger, under the banner where nobody can miss it (issue 7): what crossed which line,
 * then what to consider — or what the configuration made the run do. Red and inverse with colour; the
 * "⚠ ROLLBACK TRIGGER" words carry it without. Two rows, never wrapped.
 */
export function AlertBar({ alerts, width, rows = ALERT_ROWS }: { alerts: readonly AlertState[]; width: number; rows?: number }): ReactNode {
  const a = alerts[0];
  if (!a) return null;
  const more = alerts.length > 1 ? ` (+${alerts.length - 1}: ${alerts.slice(1).map((x) => TRIGGER_TITLE[x.trigger]).join(', ')})` : '';
  const next = a.acted === 'stop'
    ? '→ stopping the migration (rollback_triggers.action: stop)'
    : a.acted === 'rollback'
      ? '→ stopping the migration and rolling back what this run applied'
      : `→ ${a.proposal ?? 'consider rolling back: parlant-runbook run rollback'}`;
  return (
    <Box flexDirection="column" width={width} height={rows}>
      <Tone tone="danger">{line(`⚠ ROLLBACK TRIGGER${more} · ${a.message}`, width)}</Tone>
      {rows > 1 ? (
        <Tone tone="bad" bold>
          {line(next, width)}
        </Tone>
      ) : null}
    </Box>
  );
}
