import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { ToneLine } from './Lines.js';
import { Lines, tl } from './Lines.js';

/**
 * The l overlay: the run's log, scrolled `scroll` lines up from its end (0 follows the running step).
 * The lines are computed by the caller (blocks.logLines) so the key handler knows how far it can scroll.
 */
export function LogView({ lines, scroll, width, height }: { lines: readonly ToneLine[]; scroll: number; width: number; height: number }): ReactNode {
  const room = Math.max(1, height - 1);
  const end = Math.max(0, lines.length - scroll);
  const start = Math.max(0, end - room);
  const status = scroll > 0 ? `log · lines ${start + 1}–${end} of ${lines.length} · G: follow the end` : `log · ${lines.length} lines · following the end`;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Lines lines={[tl(status, 'info', true)]} width={width} />
      <Lines lines={lines.slice(start, end)} width={width} />
    </Box>
  );
}
