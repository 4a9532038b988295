import type { ReactNode } from 'react';
import { clock } from './text.js';
import { Tone, useTheme } from './theme.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ASCII_FRAMES = ['-', '\\', '|', '/'];

/**
 * A spinner and the time since `since`, moved by the screen's clock (once a second): enough to show the
 * step is alive, few enough frames to be cheap over SSH.
 */
export function Spinner({ since, now }: { since: number | undefined; now: number }): ReactNode {
  const { ascii } = useTheme();
  const frames = ascii ? ASCII_FRAMES : FRAMES;
  const frame = frames[Math.floor(now / 1000) % frames.length];
  return (
    <Tone tone="info">
      {frame} {since === undefined ? '' : clock(now - since)}
    </Tone>
  );
}
