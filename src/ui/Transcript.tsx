import { Box, Static } from 'ink';
import type { ReactNode } from 'react';
import { outcomeLines, transcriptLines } from './blocks.js';
import { Lines, tl } from './Lines.js';
import type { TranscriptItem } from './store.js';

/**
 * Finished steps, written once into the terminal's scrollback above the live frame (STYLE §6: static
 * history, live present). Ink never redraws them; scrolling back in tmux shows the whole run so far. Each
 * entry ends with a blank line, so the row above the frame is never a stray fragment.
 */
export function Transcript({ items, width }: { items: readonly TranscriptItem[]; width: number }): ReactNode {
  return (
    <Static items={[...items]}>
      {(item) => (
        <Box key={item.key} flexDirection="column" width={width}>
          <Lines lines={[...(item.kind === 'step' ? transcriptLines(item.step, item.index + 1, width) : outcomeLines(item.run, width)), tl('')]} width={width} />
        </Box>
      )}
    </Static>
  );
}
