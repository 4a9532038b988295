import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Runbook } from '../core/model.js';
import { Banner } from './Banner.js';
import { logLines } from './blocks.js';
import { useRunActions, useRunView } from './contexts.js';
import { DetailsView } from './DetailsView.js';
import { Footer } from './Footer.js';
import { HelpOverlay } from './HelpOverlay.js';
import { phaseOfSteps, type IncidentPhase } from './incidentClock.js';
import { useKeys } from './hooks.js';
import { keyContextOf } from './keyContext.js';
import { commandFor, hintsFor, QUESTION_SHORT, QUESTION_TEXT } from './keymap.js';
import { LogView } from './LogView.js';
import { alertRowsOf, RunProvider, type RunControls } from './RunProvider.js';
import { AlertBar } from './AlertBar.js';
import { activeAlerts } from '../core/state.js';
import { followIndex } from './stage.js';
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
  const { execute, keyContext } = useRunActions();
  const l = v.layout;
  useKeys((input, key) => execute(commandFor(keyContext(), input, key)));
  // The footer's hints come from the same function as the keys' context, for what this frame shows.
  const log = v.ui.overlay === 'log' ? logLines(v.run, l.width) : [];
  const ctx = keyContextOf(v, v.ui, l, log.length);
  // Always rendered, whatever the frame shows: a <Static> that unmounts writes its items again when it returns.
  const history = transcript ? <Transcript items={v.transcript} width={l.width} /> : null;

  if (l.mode === 'too-small') {
    return (
      <>
        {history}
        <Box width={l.width} height={Math.min(l.height, 3)} flexDirection="column">
          <Tone tone="warn">{`Terminal too small (${l.columns}×${l.rows}).`}</Tone>
          {activeAlerts(v.run).length ? (
            <Tone tone="danger">{`⚠ ROLLBACK TRIGGER: ${activeAlerts(v.run)[0]?.message ?? ''}`}</Tone>
          ) : (
            <Text wrap="truncate-end">Make it at least 40×12; the run goes on meanwhile (Ctrl+C aborts).</Text>
          )}
        </Box>
      </>
    );
  }

  const phases = v.incidentPhases;
  // The phase follows the run, not the cursor: browsing the list must not move the incident clock.
  const phaseIndex = phases?.length ? phaseOfSteps(phases, v.run.steps, followIndex(v.run, v.asking)) : undefined;
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
      {history}
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
        {alertRowsOf(v.run, l.rows) ? <AlertBar alerts={activeAlerts(v.run)} width={l.width} rows={alertRowsOf(v.run, l.rows)} /> : null}
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
