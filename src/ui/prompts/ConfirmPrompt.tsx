import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { DecisionRequest } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { useKeys } from '../hooks.js';
import { Lines, tl } from '../Lines.js';
import { wrap } from '../text.js';

type Req = Extract<DecisionRequest, { kind: 'confirm' }>;

/** A go / no-go question: y or n, nothing else (enter alone decides nothing). */
export function ConfirmPrompt({ request, width, height, active }: { request: Req; width: number; height: number; active: boolean }): ReactNode {
  const { answer } = useRunActions();
  useKeys(
    (input) => {
      if (input === 'y' || input === 'Y') answer(request.id, { kind: 'confirm', yes: true });
      if (input === 'n' || input === 'N') answer(request.id, { kind: 'confirm', yes: false });
    },
    { isActive: active },
  );
  const text = wrap(request.prompt, width - 2, Math.max(1, height - 2));
  return (
    <Box flexDirection="column">
      <Lines lines={[...text.map((l, i) => tl(`${i === 0 ? '? ' : '  '}${l}`, 'strong', true)), tl('  [y] yes   [n] no (the run stops here)', 'plain')]} width={width} />
    </Box>
  );
}
