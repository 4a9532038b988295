import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { RunbookInfo, TargetInfo } from '../core/events.js';
import { IncidentClock } from './IncidentClock.js';
import { readClock, type IncidentPhase } from './incidentClock.js';
import { clock } from './text.js';
import { ENV_TONE, envLabel, Tone } from './theme.js';

/**
 * Which database this is, always on screen (DESIGN §6): environment first, so a narrow terminal cuts the
 * host, never the word PRODUCTION.
 */
export function TargetLine({ target, prefix }: { target: TargetInfo | undefined; prefix?: string }): ReactNode {
  if (!target) {
    return (
      <Text wrap="truncate-end">
        {prefix ? `${prefix} · ` : ''}
        <Tone tone="warn">target not known yet</Tone>
      </Text>
    );
  }
  const env = envLabel(target.env);
  return (
    <Text wrap="truncate-end">
      {prefix ? <Tone tone="strong">{prefix} · </Tone> : null}
      <Tone tone={ENV_TONE[target.env]} bold>
        {env}
      </Tone>{' '}
      <Tone tone="strong">{target.display}</Tone>
      {target.serverVersion ? ` · PostgreSQL ${target.serverVersion}` : ''}
    </Text>
  );
}

export interface BannerProps {
  target: TargetInfo | undefined;
  runbook: RunbookInfo | undefined;
  startedAt: number | undefined;
  /** When the run ended: the clock stops there. */
  endedAt: number | undefined;
  dryRun: boolean;
  width: number;
  incidentPhases: readonly IncidentPhase[] | undefined;
  /** The incident phase of the step in hand, when the runbook's steps name phases. */
  phaseIndex: number | undefined;
  now: number;
}

/** Two lines: the target; then the runbook, its risk and the clock (the incident clock for incident runbooks). */
export function Banner(p: BannerProps): ReactNode {
  const elapsed = p.startedAt === undefined ? 0 : (p.endedAt ?? p.now) - p.startedAt;
  const reading = p.incidentPhases?.length && p.startedAt !== undefined ? readClock(p.incidentPhases, elapsed, p.phaseIndex) : undefined;
  const compact = p.width < 79;
  return (
    <Box flexDirection="column" width={p.width} height={2}>
      <TargetLine target={p.target} />
      <Box flexDirection="row" width={p.width}>
        <Box flexGrow={1} flexShrink={1}>
          <Text wrap="truncate-end">
            <Tone tone="strong">{p.runbook?.title ?? 'parlant-runbook'}</Tone>
            {p.runbook ? ` · risk ${p.runbook.risk}` : ''}
            {p.dryRun ? (
              <>
                {' · '}
                <Tone tone="warn" bold>
                  DRY RUN
                </Tone>
              </>
            ) : null}
          </Text>
        </Box>
        <Box flexShrink={0} marginLeft={1}>
          {reading ? <IncidentClock reading={reading} compact={compact} /> : p.startedAt !== undefined ? <Tone tone="muted">⏱ {clock(elapsed)}</Tone> : null}
        </Box>
      </Box>
    </Box>
  );
}
