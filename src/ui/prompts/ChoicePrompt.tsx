import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { DecisionRequest } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { useKeys, useLatestState } from '../hooks.js';
import { listWindow } from '../layout.js';
import { Lines, tl } from '../Lines.js';
import { wrap } from '../text.js';

type Req = Extract<DecisionRequest, { kind: 'choose' }>;

/** A branch: ↑↓ and enter, or the option's number. The runbook's default is highlighted first. */
export function ChoicePrompt({ request, width, height, active }: { request: Req; width: number; height: number; active: boolean }): ReactNode {
  const { answer } = useRunActions();
  const initial = Math.max(0, request.options.findIndex((o) => o.value === request.default));
  const [index, get, set] = useLatestState(() => initial);
  const pick = (i: number): void => {
    const o = request.options[i];
    if (o) answer(request.id, { kind: 'choice', value: o.value });
  };
  useKeys(
    (input, key) => {
      if (key.upArrow || input === 'k') set((i) => Math.max(0, i - 1));
      else if (key.downArrow || input === 'j') set((i) => Math.min(request.options.length - 1, i + 1));
      else if (key.return) pick(get());
      else if (/^[1-9]$/.test(input) && Number(input) <= request.options.length) pick(Number(input) - 1);
    },
    { isActive: active },
  );
  const promptLines = wrap(request.prompt, width - 2, 2);
  const room = Math.max(1, height - promptLines.length - 1);
  const w = listWindow(request.options.length, index, room);
  const lines = [
    ...promptLines.map((l, i) => tl(`${i === 0 ? '? ' : '  '}${l}`, 'strong', true)),
    ...(w.above ? [tl(`    ↑ ${w.above} more`, 'muted')] : []),
    ...request.options.slice(w.start, w.end).map((o, k) => {
      const i = w.start + k;
      const mark = i === index ? '›' : ' ';
      return tl(`${mark} ${i + 1} ${o.label}${o.value === request.default ? ' (default)' : ''}`, i === index ? 'info' : 'plain', i === index);
    }),
    ...(w.below ? [tl(`    ↓ ${w.below} more`, 'muted')] : []),
    tl('  [↑↓] move   [enter] choose   [1-9] pick by number', 'muted'),
  ];
  return (
    <Box flexDirection="column">
      <Lines lines={lines} width={width} />
    </Box>
  );
}
