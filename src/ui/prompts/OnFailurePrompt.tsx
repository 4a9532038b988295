import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { DecisionRequest, FailureAction } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { useKeys, useLatestState } from '../hooks.js';
import { Lines, tl } from '../Lines.js';
import { wrap } from '../text.js';

type Req = Extract<DecisionRequest, { kind: 'on-failure' }>;

const KEY: Record<FailureAction, string> = { retry: 'r', skip: 's', goto: 'g', abort: 'a' };

function label(a: FailureAction, gotoStep: string | undefined): string {
  switch (a) {
    case 'retry':
      return 'retry the step';
    case 'skip':
      return 'skip it and go on (recorded as failed)';
    case 'goto':
      return `go to ${gotoStep ?? '?'} (the runbook's path for this failure)`;
    case 'abort':
      return 'stop the run here';
  }
}

/** A step failed: r retry, s skip, g the runbook's goto, a stop — or ↑↓ and enter. */
export function OnFailurePrompt({ request, width, height, active }: { request: Req; width: number; height: number; active: boolean }): ReactNode {
  const { answer } = useRunActions();
  const [index, get, set] = useLatestState(() => 0);
  const choose = (a: FailureAction | undefined): void => {
    if (a) answer(request.id, { kind: 'failure', action: a });
  };
  useKeys(
    (input, key) => {
      const byKey = request.options.find((o) => KEY[o] === input);
      if (byKey) choose(byKey);
      else if (key.upArrow) set((i) => Math.max(0, i - 1));
      else if (key.downArrow) set((i) => Math.min(request.options.length - 1, i + 1));
      else if (key.return) choose(request.options[get()]);
    },
    { isActive: active },
  );
  const errorRoom = Math.max(1, height - request.options.length - 2);
  const lines = [
    tl('✖ The step failed. What now?', 'bad', true),
    ...wrap(request.error, width - 2, errorRoom).map((l) => tl(`  ${l}`, 'bad')),
    ...request.options.map((o, i) => tl(`${i === index ? '›' : ' '} [${KEY[o]}] ${label(o, request.gotoStep)}`, i === index ? 'info' : 'plain', i === index)),
  ];
  return (
    <Box flexDirection="column">
      <Lines lines={lines} width={width} />
    </Box>
  );
}
