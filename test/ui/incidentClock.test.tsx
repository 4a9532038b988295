import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { stepInfo } from '../../src/core/engine.js';
import { IncidentClock } from '../../src/ui/IncidentClock.js';
import { phaseOfSteps, readClock } from '../../src/ui/incidentClock.js';
import { ThemeProvider } from '../../src/ui/theme.js';
import { incident } from './fixtures.js';
import { renderAt, widest } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

const PHASES = [
  { name: 'assess', minutes: 5 },
  { name: 'stabilise', minutes: 10 },
  { name: 'resolve', minutes: 15 },
];
const min = (m: number, s = 0): number => (m * 60 + s) * 1000;

describe('readClock()', () => {
  it('is on time inside the phase\'s box', () => {
    expect(readClock(PHASES, min(4, 59), 0)).toMatchObject({ level: 'on-time', fromMin: 0, toMin: 5 });
  });

  it('turns amber when the phase overruns its box, red when by more than half its length', () => {
    expect(readClock(PHASES, min(5, 1), 0)?.level).toBe('over');
    expect(readClock(PHASES, min(7, 30), 0)?.level).toBe('over');
    expect(readClock(PHASES, min(7, 31), 0)?.level).toBe('overrun');
    // stabilise is 5–15 min: amber after 15:00, red after 20:00
    expect(readClock(PHASES, min(16), 1)?.level).toBe('over');
    expect(readClock(PHASES, min(20, 1), 1)?.level).toBe('overrun');
  });

  it('follows the clock when the steps name no phase, so only the last box can overrun', () => {
    expect(readClock(PHASES, min(6))).toMatchObject({ index: 1, level: 'on-time' });
    expect(readClock(PHASES, min(31))).toMatchObject({ index: 2, level: 'over' });
  });

  it('takes the phase from the step in hand when step ids name phases', () => {
    const steps = incident().steps.map(stepInfo);
    expect(phaseOfSteps(PHASES, steps, 0)).toBe(0);
    expect(phaseOfSteps(PHASES, steps, 1)).toBe(1);
    expect(phaseOfSteps(PHASES, [{ ...steps[0]!, id: 'look' }], 0)).toBeUndefined();
  });
});

describe('<IncidentClock />', () => {
  const at = (elapsed: number, columns: number) =>
    renderAt(
      <ThemeProvider theme={{ colour: false, ascii: false }}>
        <IncidentClock reading={readClock(PHASES, elapsed, 0)!} compact={columns < 80} />
      </ThemeProvider>,
      { columns },
    );

  it('shows elapsed time and the phase\'s box at 80 columns', () => {
    expect(at(min(3, 12), 80).frame()).toBe('⏱ 03:12 · assess 0–5 min');
  });

  it('says "over" with ! when amber and "OVERRUN" with ✖ when red, so it reads without colour', () => {
    expect(at(min(6, 10), 80).frame()).toBe('⏱ 06:10 ! assess 0–5 min, over by 01:10');
    expect(at(min(8, 0), 80).frame()).toContain('✖ assess OVERRUN by 03:00');
  });

  it('is compact at 60 columns', () => {
    const r = at(min(8, 0), 60);
    expect(r.frame()).toBe('⏱ 08:00 ✖ assess OVERRUN');
    expect(widest(r.frame())).toBeLessThanOrEqual(30);
  });
});
