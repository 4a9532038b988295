import { Box, Text } from 'ink';
import { useState, type ReactNode } from 'react';
import type { DecisionRequest, Env } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { Lines, tl, type ToneLine } from '../Lines.js';
import { len, wrap } from '../text.js';
import { ENV_TONE, envLabel, Tone } from '../theme.js';
import { TextInput } from './TextInput.js';

type Req = Extract<DecisionRequest, { kind: 'type-to-confirm' }>;

export interface TypeToConfirmProps {
  request: Req;
  env: Env | undefined;
  width: number;
  height: number;
  active: boolean;
}

/**
 * The destructive-step confirmation (DESIGN §6; modelled on Shopify's DangerousConfirmationPrompt): what will
 * be destroyed, on which database, and the database name typed to go ahead. Wrong text is refused with a
 * message and the prompt stays; esc refuses the step, which stops the run with nothing done.
 */
export function TypeToConfirmPrompt({ request, env, width, height, active }: TypeToConfirmProps): ReactNode {
  const { answer } = useRunActions();
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = (v: string): void => {
    if (v === request.expected) {
      answer(request.id, { kind: 'typed', text: v });
      return;
    }
    setError(v ? `✖ "${v}" is not "${request.expected}". Type it exactly, or esc to refuse.` : `✖ Type "${request.expected}" to go ahead, or esc to refuse.`);
  };

  // Rows: heading, prompt, consequences, target, instruction, input, error, keys. Consequences give way first.
  const errorLines = error ? wrap(error, width - 2, 2) : [];
  const promptLines = wrap(request.prompt, width - 2, 2);
  const room = Math.max(0, height - 6 - errorLines.length - promptLines.length);
  const consLines: string[] = [];
  request.consequences.forEach((c, i) => {
    const left = request.consequences.length - i;
    const wrapped = wrap(c, width - 4, left === 1 ? Math.max(1, room - consLines.length) : 2);
    wrapped.forEach((l, k) => consLines.push(`${k === 0 ? '•' : ' '} ${l}`));
  });
  const cons = consLines.length > room ? [...consLines.slice(0, Math.max(0, room - 1)), `… ${consLines.length - room + 1} more lines (d: details)`].slice(0, room) : consLines;
  const top: ToneLine[] = [
    tl('⚠ DESTRUCTIVE — the runbook cannot undo this', 'danger', true),
    ...promptLines.map((l) => tl(`  ${l}`, 'strong')),
    ...cons.map((c) => tl(`  ${c}`, 'bad')),
  ];
  const envWord = env ? envLabel(env) : 'unknown environment';
  const oneLine = len(`  on ${envWord} ${request.target}`) <= width;
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={top} width={width} />
      {/* The target in full: on a narrow pane it takes a second row rather than lose its end. */}
      <Text wrap="truncate-end">
        {'  on '}
        <Tone tone={env ? ENV_TONE[env] : 'warn'} bold>
          {envWord}
        </Tone>
        {oneLine ? ' ' : ''}
        {oneLine ? <Tone tone="strong">{request.target}</Tone> : null}
      </Text>
      {oneLine ? null : (
        <Text wrap="truncate-end">
          {'     '}
          <Tone tone="strong">{request.target}</Tone>
        </Text>
      )}
      <Text wrap="truncate-end">
        {'  Type the database name '}
        <Tone tone="strong" bold>
          {request.expected}
        </Tone>
        {' to go ahead:'}
      </Text>
      <Box paddingLeft={2}>
        <TextInput
          onChange={() => setError(undefined)}
          onSubmit={submit}
          onCancel={() => answer(request.id, { kind: 'typed', text: '' })}
          active={active}
          width={width - 2}
        />
      </Box>
      <Lines lines={errorLines.map((l) => tl(`  ${l}`, 'bad'))} width={width} />
      <Tone tone="muted">{'  [enter] confirm   [esc] refuse: nothing is done'}</Tone>
    </Box>
  );
}
