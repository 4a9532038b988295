import { Box } from 'ink';
import type { ReactNode } from 'react';
import { line } from './text.js';
import { Tone, type Tone as ToneName } from './theme.js';

export interface ToneLine {
  text: string;
  tone: ToneName;
  bold?: boolean;
}

export const tl = (text: string, tone: ToneName = 'plain', bold?: boolean): ToneLine => ({ text, tone, ...(bold ? { bold } : {}) });

/** Pre-shaped lines, one row each: the pane's blocks compute their lines so their heights are exact. */
export function Lines({ lines, width }: { lines: readonly ToneLine[]; width: number }): ReactNode {
  if (!lines.length) return null;
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {lines.map((l, i) => (
        <Tone key={i} tone={l.tone} bold={l.bold}>
          {line(l.text, width) || ' '}
        </Tone>
      ))}
    </Box>
  );
}
