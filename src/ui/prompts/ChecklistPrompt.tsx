import { Box, useInput } from 'ink';
import { useState, type ReactNode } from 'react';
import type { DecisionRequest } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { listWindow } from '../layout.js';
import { Lines, tl } from '../Lines.js';
import { Tone } from '../theme.js';
import { TextInput } from './TextInput.js';

type Req = Extract<DecisionRequest, { kind: 'checklist' }>;

/**
 * Manual items the operator ticks (space), then enter. Unticked items are recorded and the step warns. With
 * `notes`, a line of notes for the journal follows; while it is typed, letters go to it, not to the screen.
 */
export function ChecklistPrompt({ request, width, height, active }: { request: Req; width: number; height: number; active: boolean }): ReactNode {
  const { answer, dispatch } = useRunActions();
  const [checked, setChecked] = useState<boolean[]>(() => request.items.map(() => false));
  const [index, setIndex] = useState(0);
  const [stage, setStage] = useState<'ticking' | 'notes'>('ticking');
  const [notes, setNotes] = useState('');

  const done = (withNotes: string | undefined): void => {
    dispatch({ type: 'text-entry', on: false });
    answer(request.id, { kind: 'checklist', checked, ...(withNotes ? { notes: withNotes } : {}) });
  };

  useInput(
    (input, key) => {
      if (key.upArrow || input === 'k') setIndex((i) => Math.max(0, i - 1));
      else if (key.downArrow || input === 'j') setIndex((i) => Math.min(request.items.length - 1, i + 1));
      else if (input === ' ' || input === 'x') setChecked((c) => c.map((v, i) => (i === index ? !v : v)));
      else if (key.return) {
        if (request.notes) {
          setStage('notes');
          dispatch({ type: 'text-entry', on: true });
        } else done(undefined);
      }
    },
    { isActive: active && stage === 'ticking' },
  );

  const ticked = checked.filter(Boolean).length;
  if (stage === 'notes') {
    return (
      <Box flexDirection="column" width={width}>
        <Lines lines={[tl(`${ticked}/${request.items.length} ticked.`, ticked === request.items.length ? 'ok' : 'warn'), tl('Notes for the journal (optional):', 'strong', true)]} width={width} />
        <TextInput value={notes} onChange={setNotes} onSubmit={(v) => done(v.trim() || undefined)} onCancel={() => done(undefined)} active={active} width={width} />
        <Tone tone="muted">{'[enter] save   [esc] no notes'}</Tone>
      </Box>
    );
  }
  const room = Math.max(1, height - 3);
  const w = listWindow(request.items.length, index, room);
  const lines = [
    tl('Tick what is done:', 'strong', true),
    ...(w.above ? [tl(`    ↑ ${w.above} more`, 'muted')] : []),
    ...request.items.slice(w.start, w.end).map((item, k) => {
      const i = w.start + k;
      return tl(`${i === index ? '›' : ' '} [${checked[i] ? 'x' : ' '}] ${item}`, i === index ? 'info' : checked[i] ? 'ok' : 'plain', i === index);
    }),
    ...(w.below ? [tl(`    ↓ ${w.below} more`, 'muted')] : []),
    tl(`${ticked}/${request.items.length} ticked${ticked < request.items.length ? ' — unticked items are recorded as a warning' : ''}`, ticked === request.items.length ? 'ok' : 'warn'),
    tl('[↑↓] move   [space] tick   [enter] done', 'muted'),
  ];
  return (
    <Box flexDirection="column">
      <Lines lines={lines} width={width} />
    </Box>
  );
}
