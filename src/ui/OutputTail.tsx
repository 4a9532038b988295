import type { ReactNode } from 'react';
import type { StepState } from '../core/state.js';
import { outputLines } from './blocks.js';
import { Lines } from './Lines.js';

/** The running step's live output: the last lines that fit, each cut to one row. */
export function OutputTail({ step, width, height }: { step: StepState; width: number; height: number }): ReactNode {
  return <Lines lines={outputLines(step, width, height)} width={width} />;
}
