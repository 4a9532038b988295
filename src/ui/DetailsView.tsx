import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { Step } from '../core/model.js';
import type { StepState } from '../core/state.js';
import { detailLines } from './blocks.js';
import { Lines, tl } from './Lines.js';

/** The d overlay: everything known about one step (↑↓ moves to another). */
export function DetailsView({ step, model, n, width, height }: { step: StepState | undefined; model: Step | undefined; n: number; width: number; height: number }): ReactNode {
  const lines = step ? detailLines(step, model, n, width) : [tl('No step here.', 'muted')];
  const shown = lines.length > height ? [...lines.slice(0, height - 1), tl('… more in the log (l)', 'muted')] : lines;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Lines lines={shown} width={width} />
    </Box>
  );
}
