import { Box, Text, useInput } from 'ink';
import type { ReactNode } from 'react';
import type { Runbook } from '../core/model.js';
import { Banner } from './Banner.js';
import { logLines } from './blocks.js';
import { useRunActions, useRunView } from './contexts.js';
import { DetailsView } from './DetailsView.js';
import { Footer } from './Footer.js';
import { HelpOverlay } from './HelpOverlay.js';
import { phaseOfSteps, type IncidentPhase } from './incidentClock.js';
import { commandFor, hintsFor, QUESTION_SHORT, QUESTION_TEXT, type KeyContext } from './keymap.js';
import { LogView } from './LogView.js';
import { RunProvider, type RunControls } from './RunProvider.js';
import { StepList } from './StepList.js';
import { StepPane } from './StepPane.js';
import type { RunStore } from './store.js';
import { ThemeProvider, Tone, type Theme } from './theme.js';
import { Transcript } from './Transcript.js';

export interface RunScreenProps {
  store: RunStore;
  controls: RunControls;
  theme: Theme;
  runbook?: Runbook;
  /** The incident clock's phases; defaults to the runbook's own. */
  incidentPhases?: readonly IncidentPhase[];
  /** Write finished steps to the scrollback (off in tests that read one frame). */
  transcript?: boolean;
}

/** The run screen's root: providers around one frame. */
export function RunScreen({ store, controls, theme, runbook, incidentPhases, transcript = true }: RunScreenProps): ReactNode {
  return (
    <ThemeProvider theme={theme}>
      <RunProvider store={store} controls={controls} runbook={runbook} incidentPhases={incidentPhases ?? runbook?.incident?.phases}>
        <RunFrame transcript={transcript} />
      </RunProvider>
    </ThemeProvider>
  );
}

/** Banner, body (list and pane, or an overlay), footer — sized by layout(). */
function RunFrame({ transcript }: { transcript: boolean }): ReactNode {
  const v = useRunView();
  const { execute } = useRunActions();
  const l = v.layout;
  const asking = v.asking;
  // While the operator types a database name or notes, letters are text, not commands.
  const textEntry = asking?.kind === 'type-to-confirm' || (asking?.kind === 'checklist' && v.ui.textEntry);
  const log = v.ui.overlay === 'log' ? logLines(v.run, l.width) : [];
  const ctx: KeyContext = {
    stage: v.stage,
    ...(asking ? { prompt: asking.kind } : {}),
    stepRunning: v.run.currentStepId !== undefined,
    ui: { ...v.ui, textEntry },
    focus: v.focus,
    stepCount: v.run.steps.length,
    logMax: Math.max(0, log.length - (l.bodyHeight - 1)),
    page: Math.max(1, l.bodyHeight - 2),
  };
  useInput((input, key) => execute(commandFor(ctx, input, key)));

  if (l.mode === 'too-small') {
    return (
      <Box width={l.width} height={Math.min(l.height, 3)} flexDirection="column">
        <Tone tone="warn">{`Terminal too small (${l.columns}×${l.rows}).`}</Tone>
        <Text wrap="truncate-end">Make it at least 40×12; the run goes on meanwhile (Ctrl+C aborts).</Text>
      </Box>
    );
  }

  const phases = v.incidentPhases;
  const phaseIndex = phases?.length ? phaseOfSteps(phases, v.run.steps, v.focus) : undefined;
  const question = v.ui.question ? { long: QUESTION_TEXT[v.ui.question], short: QUESTION_SHORT[v.ui.question] } : undefined;
  const focused = v.run.steps[v.focus];

  let body: ReactNode;
  if (v.ui.overlay === 'help') body = <HelpOverlay width={l.width} height={l.bodyHeight} />;
  else if (v.ui.overlay === 'log') body = <LogView lines={log} scroll={v.ui.logScroll} width={l.width} height={l.bodyHeight} />;
  else if (v.ui.overlay === 'details') {
    body = <DetailsView step={focused} model={v.runbook?.steps.find((s) => s.id === focused?.id)} n={v.focus + 1} width={l.width} height={l.bodyHeight} />;
  } else {
    const list = <StepList steps={v.run.steps} width={l.list.width} height={l.list.height} focus={v.focus} showCursor={v.ui.cursor !== null} showSummary={l.mode === 'stacked'} />;
    const pane = <StepPane width={l.pane.width} height={l.pane.height} />;
    body =
      l.mode === 'side' ? (
        <Box flexDirection="row" height={l.bodyHeight}>
          {list}
          <Gutter height={l.bodyHeight} />
          {pane}
        </Box>
      ) : (
        <Box flexDirection="column" height={l.bodyHeight}>
          {list}
          <Tone tone="muted">{'─'.repeat(l.width)}</Tone>
          {pane}
        </Box>
      );
  }

  return (
    <>
      {transcript ? <Transcript items={v.transcript} width={l.width} /> : null}
      <Box flexDirection="column" width={l.width} height={l.height} overflow="hidden">
        <Banner
          target={v.run.target}
          runbook={v.run.runbook}
          startedAt={v.run.startedAt}
          endedAt={v.ended ? (v.run.finishedAt ?? v.run.interruptions[v.run.interruptions.length - 1]?.at) : undefined}
          dryRun={v.run.dryRun}
          width={l.width}
          incidentPhases={phases}
          phaseIndex={phaseIndex}
          now={v.now}
        />
        <Box height={l.bodyHeight} flexDirection="column" overflow="hidden">
          {body}
        </Box>
        <Footer hints={hintsFor(ctx)} {...(question ? { question } : {})} width={l.width} />
      </Box>
    </>
  );
}

/** The " │ " between list and pane, one row at a time so no row can wrap. */
function Gutter({ height }: { height: number }): ReactNode {
  return (
    <Box width={3} height={height} flexDirection="column" flexShrink={0}>
      {Array.from({ length: height }, (_, i) => (
        <Tone key={i} tone="muted">
          {' │ '}
        </Tone>
      ))}
    </Box>
  );
}
