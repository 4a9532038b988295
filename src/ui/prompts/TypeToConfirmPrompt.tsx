import { Box, Text } from 'ink';
import { useState, type ReactNode } from 'react';
import type { DecisionRequest, Env } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { Lines, tl, type ToneLine } from '../Lines.js';
import { wrap } from '../text.js';
import { ENV_TONE, ENV_WORD, Tone } from '../theme.js';
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
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = (v: string): void => {
    if (v === request.expected) {
      answer(request.id, { kind: 'typed', text: v });
      return;
    }
    setError(v ? `✖ "${v}" is not "${request.expected}". Type the database name exactly, or esc to refuse.` : `✖ Type "${request.expected}" to go ahead, or esc to refuse.`);
  };

  // Rows: heading, prompt, consequences, target, instruction, input, error/hint. Consequences give way first.
  const fixed = 5 + (error ? 1 : 0);
  const promptLines = wrap(request.prompt, width - 2, 2);
  const room = Math.max(0, height - fixed - promptLines.length);
  const cons = request.consequences.length > room ? [...request.consequences.slice(0, Math.max(0, room - 1)), `… ${request.consequences.length - room + 1} more`] : request.consequences;
  const top: ToneLine[] = [
    tl('⚠ DESTRUCTIVE STEP — this cannot be undone by the runbook', 'danger', true),
    ...promptLines.map((l) => tl(`  ${l}`, 'strong')),
    ...(room > 0 && cons.length ? cons.slice(0, room).map((c) => tl(`  • ${c}`, 'bad')) : []),
  ];
  const envWord = env ? ENV_WORD[env] : 'unknown environment';
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={top} width={width} />
      <Text wrap="truncate-end">
        {'  on '}
        <Tone tone={env ? ENV_TONE[env] : 'warn'} bold>
          {envWord}
        </Tone>{' '}
        <Tone tone="strong">{request.target}</Tone>
      </Text>
      <Text wrap="truncate-end">
        {'  Type the database name '}
        <Tone tone="strong" bold>
          {request.expected}
        </Tone>
        {' to go ahead:'}
      </Text>
      <Box paddingLeft={2}>
        <TextInput
          value={value}
          onChange={(v) => {
            setValue(v);
            setError(undefined);
          }}
          onSubmit={submit}
          onCancel={() => answer(request.id, { kind: 'typed', text: '' })}
          active={active}
          width={width - 2}
        />
      </Box>
      {error ? <Tone tone="bad">{`  ${error}`}</Tone> : null}
      <Tone tone="muted">{'  [enter] confirm   [esc] refuse (the run stops; nothing is done)'}</Tone>
    </Box>
  );
}
