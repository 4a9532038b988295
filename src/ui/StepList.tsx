import { Box, Text } from 'ink';
import { memo, type ReactNode } from 'react';
import { STATUS_GLYPH, type StepState } from '../core/state.js';
import { listWindow } from './layout.js';
import { line } from './text.js';
import { STATUS_TONE, Tone } from './theme.js';

export interface StepListProps {
  steps: readonly StepState[];
  width: number;
  height: number;
  /** The row the cursor is on. */
  focus: number;
  /** Draw the cursor mark (the operator moved it; otherwise the ▶ of the running step says where we are). */
  showCursor: boolean;
  /** Stacked layout: the list is as wide as the screen, so each row also says how its step ended. */
  showSummary: boolean;
}

/** The steps with their status glyphs: · pending, ▶ running, ✔ passed, ! warned, ✖ failed, ↷ skipped, ■ aborted. */
export function StepList({ steps, width, height, focus, showCursor, showSummary }: StepListProps): ReactNode {
  const w = listWindow(steps.length, focus, height);
  const numberWidth = String(steps.length).length;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {w.above > 0 ? <Tone tone="muted">{line(`  ↑ ${w.above} more`, width)}</Tone> : null}
      {steps.slice(w.start, w.end).map((s, k) => (
        <StepRow
          key={s.id}
          step={s}
          n={w.start + k + 1}
          numberWidth={numberWidth}
          width={width}
          cursor={showCursor && w.start + k === focus}
          showSummary={showSummary}
        />
      ))}
      {w.below > 0 ? <Tone tone="muted">{line(`  ↓ ${w.below} more`, width)}</Tone> : null}
    </Box>
  );
}

interface RowProps {
  step: StepState;
  n: number;
  numberWidth: number;
  width: number;
  cursor: boolean;
  showSummary: boolean;
}

/**
 * One step. Memoised: the reducer gives a step a new object only when that step changes, so a frame in which
 * only the running step moved renders one row, not the list.
 */
const StepRow = memo(function StepRow({ step, n, numberWidth, width, cursor, showSummary }: RowProps): ReactNode {
  const glyph = STATUS_GLYPH[step.status];
  const lead = `${cursor ? '›' : ' '}${glyph} ${String(n).padStart(numberWidth)} ${step.destructive ? '⚠ ' : ''}`;
  const title = step.title;
  const summary = showSummary && step.summary && step.status !== 'pending' && step.status !== 'running' ? ` — ${step.summary}` : '';
  const text = line(`${lead}${title}${summary}`, width);
  // Colour the glyph by status; the title stays readable in the terminal's own colour.
  const glyphEnd = [...lead].length;
  const chars = [...text];
  const head = chars.slice(0, Math.min(glyphEnd, chars.length)).join('');
  const titlePart = chars.slice(glyphEnd, glyphEnd + [...title].length).join('');
  const rest = chars.slice(glyphEnd + [...title].length).join('');
  return (
    <Text wrap="truncate-end">
      <Tone tone={STATUS_TONE[step.status]} bold={step.status === 'running'}>
        {head}
      </Tone>
      <Tone tone={step.status === 'running' || cursor ? 'strong' : step.status === 'pending' || step.status === 'skipped' ? 'muted' : 'plain'}>{titlePart}</Tone>
      <Tone tone="muted">{rest}</Tone>
    </Text>
  );
});
