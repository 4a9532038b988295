import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Step } from '../core/model.js';
import type { StepState } from '../core/state.js';
import { nextLines, outcomeLines, resultLines, stepTitle } from './blocks.js';
import { useRunView } from './contexts.js';
import { Lines, tl } from './Lines.js';
import { OutputTail } from './OutputTail.js';
import { PromptPane } from './prompts/PromptPane.js';
import { ResultTable } from './ResultTable.js';
import { Spinner } from './Spinner.js';
import { lastFinishedIndex } from './stage.js';
import { line, wrap } from './text.js';
import { Tone } from './theme.js';

export interface PaneProps {
  width: number;
  height: number;
}

/**
 * The right-hand (or lower) pane: what the step in hand does and why, its live output, its rows and its
 * result; the prompt when the run asks something; the outcome when it is over.
 */
export function StepPane({ width, height }: PaneProps): ReactNode {
  const v = useRunView();
  const model = (id: string | undefined): Step | undefined => (id ? v.runbook?.steps.find((s) => s.id === id) : undefined);
  const indexOf = (id: string | undefined): number => (id ? v.run.steps.findIndex((s) => s.id === id) : -1);
  let body: ReactNode;
  switch (v.stage) {
    case 'running': {
      const i = indexOf(v.run.currentStepId);
      const step = v.run.steps[i];
      body = step ? <LiveStep step={step} n={i + 1} width={width} height={height} aborting={v.ui.aborting} now={v.now} /> : null;
      break;
    }
    case 'prompt': {
      const i = indexOf(v.asking?.stepId);
      const step = v.run.steps[i];
      body = (
        <Box flexDirection="column" width={width}>
          {step ? <Lines lines={[tl(stepTitle(step, i + 1), 'strong', true)]} width={width} /> : null}
          {v.asking ? <PromptPane request={v.asking} width={width} height={height - 1} /> : null}
        </Box>
      );
      break;
    }
    case 'gate': {
      const i = indexOf(v.asking?.stepId);
      const next = v.run.steps[i];
      const last = lastFinishedIndex(v.run);
      const lastStep = last >= 0 && last !== i ? v.run.steps[last] : undefined;
      const nl = next ? nextLines(next, model(next.id), i + 1, width, Math.min(height, 9), !lastStep && i === 0) : [];
      const room = height - nl.length - 1;
      const rl = lastStep && room >= 2 ? resultLines(lastStep, last + 1, width, room) : [];
      body = (
        <Box flexDirection="column" width={width}>
          {rl.length ? <Lines lines={[...rl, tl('')]} width={width} /> : null}
          <Lines lines={nl} width={width} />
        </Box>
      );
      break;
    }
    case 'finished': {
      const ol = outcomeLines(v.run, width).slice(0, height);
      const last = lastFinishedIndex(v.run);
      const lastStep = v.run.steps[last];
      const room = height - ol.length - 1;
      const rl = lastStep && room >= 2 ? resultLines(lastStep, last + 1, width, room) : [];
      body = <Lines lines={[...ol, ...(rl.length ? [tl(''), ...rl] : [])]} width={width} />;
      break;
    }
    case 'starting': {
      const last = lastFinishedIndex(v.run);
      const lastStep = v.run.steps[last];
      body = lastStep ? (
        <Lines lines={resultLines(lastStep, last + 1, width, height)} width={width} />
      ) : (
        <Tone tone="muted">{line(v.run.status === 'idle' ? 'Connecting and starting the run…' : 'Working…', width)}</Tone>
      );
      break;
    }
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {body}
    </Box>
  );
}

/**
 * The running step: title with spinner and clock, why, then its output and rows. This is the one part of the
 * screen that changes many times a second, and the store throttles it to the frame rate.
 */
function LiveStep({ step, n, width, height, aborting, now }: { step: StepState; n: number; width: number; height: number; aborting: boolean; now: number }): ReactNode {
  const clockWidth = 12;
  const why = step.why && height >= 8 ? wrap(step.why, width - 2, 1) : [];
  const abortLine = aborting ? 1 : 0;
  const live = (step.live ?? []).slice(0, Math.max(0, height - 3));
  const room = Math.max(0, height - 1 - why.length - abortLine - live.length);
  const rowsLines = step.rows ? Math.min(step.rows.rows.length + 3, Math.max(3, Math.floor(room / 2))) : 0;
  const outRoom = Math.max(0, room - rowsLines - (step.rows && step.outputTotal ? 1 : 0));
  return (
    <Box flexDirection="column" width={width}>
      <Box flexDirection="row" width={width}>
        <Box flexGrow={1} flexShrink={1}>
          <Text wrap="truncate-end">
            <Tone tone="info" bold>
              {stepTitle(step, n)}
            </Tone>
            {step.attempt > 1 ? <Tone tone="warn">{` · attempt ${step.attempt}`}</Tone> : null}
          </Text>
        </Box>
        <Box flexShrink={0} width={clockWidth} justifyContent="flex-end">
          <Spinner since={step.startedAt} now={now} />
        </Box>
      </Box>
      {why.length ? <Lines lines={why.map((l) => tl(`  ${l}`, 'muted'))} width={width} /> : null}
      {aborting ? <Tone tone="warn" bold>{line('■ Aborting: cancelling the query on the server and stopping the step…', width)}</Tone> : null}
      <OutputTail step={step} width={width} height={outRoom} />
      {live.length ? <Lines lines={live.map((l, i) => tl(`${i === 0 ? '⏳ ' : '   '}${l}`, 'warn'))} width={width} /> : null}
      {step.rows && step.outputTotal ? <Text> </Text> : null}
      {step.rows ? <ResultTable table={step.rows} width={width} maxLines={rowsLines} /> : null}
    </Box>
  );
}
