import type { ReactNode } from 'react';
import { clockText, type ClockReading } from './incidentClock.js';
import { Tone, type Tone as ToneName } from './theme.js';

const LEVEL_TONE: Record<ClockReading['level'], ToneName> = { 'on-time': 'info', over: 'warn', overrun: 'bad' };

/** The incident clock: elapsed time, the current phase and its box; amber, then red, when it overruns. */
export function IncidentClock({ reading, compact }: { reading: ClockReading; compact: boolean }): ReactNode {
  return (
    <Tone tone={LEVEL_TONE[reading.level]} bold={reading.level !== 'on-time'}>
      {clockText(reading, compact)}
    </Tone>
  );
}
