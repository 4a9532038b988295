import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { DecisionRequest } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { useKeys, useLatestState } from '../hooks.js';
import { Lines, tl } from '../Lines.js';
import { wrap } from '../text.js';

type Req = Extract<DecisionRequest, { kind: 'resume-in-flight' }>;

const OPTIONS = [
  { key: 'm', action: 'skip', label: 'it finished: mark it done and go on' },
  { key: 'r', action: 'rerun', label: 'run it again' },
  { key: 'a', action: 'abort', label: 'stop here' },
] as const;

/** A step that was in flight when the last run stopped may have taken effect: the operator checks and says. */
export function ResumePrompt({ request, width, height, active }: { request: Req; width: number; height: number; active: boolean }): ReactNode {
  const { answer } = useRunActions();
  const [index, get, set] = useLatestState(() => 0);
  useKeys(
    (input, key) => {
      const byKey = OPTIONS.find((o) => o.key === input);
      if (byKey) answer(request.id, { kind: 'resume', action: byKey.action });
      else if (key.upArrow) set((i) => Math.max(0, i - 1));
      else if (key.downArrow) set((i) => Math.min(OPTIONS.length - 1, i + 1));
      else if (key.return) answer(request.id, { kind: 'resume', action: (OPTIONS[get()] ?? OPTIONS[0]).action });
    },
    { isActive: active },
  );
  const text = wrap(`"${request.title}" was running when the last run stopped. It may have taken effect: check the database, then say.`, width - 2, Math.max(1, height - OPTIONS.length));
  const lines = [
    ...text.map((l, i) => tl(`${i === 0 ? '! ' : '  '}${l}`, 'warn', true)),
    ...OPTIONS.map((o, i) => tl(`${i === index ? '›' : ' '} [${o.key}] ${o.label}`, i === index ? 'info' : 'plain', i === index)),
  ];
  return (
    <Box flexDirection="column">
      <Lines lines={lines} width={width} />
    </Box>
  );
}
