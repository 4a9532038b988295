import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { DecisionRequest } from '../../core/events.js';
import { useRunActions } from '../contexts.js';
import { useKeys, useLatestState } from '../hooks.js';
import { listWindow } from '../layout.js';
import { Lines, tl } from '../Lines.js';
import { wrap } from '../text.js';
import { Tone } from '../theme.js';
import { TextInput } from './TextInput.js';

type Req = Extract<DecisionRequest, { kind: 'checklist' }>;

/**
 * Manual items the operator ticks (space), then enter. Unticked items are recorded and the step warns. With
 * `notes`, a line of notes for the journal follows; while it is typed, letters go to it, not to the screen.
 */
export function ChecklistPrompt({ request, width, height, active }: { request: Req; width: number; height: number; active: boolean }): ReactNode {
  const { answer, dispatch } = useRunActions();
  const [s, get, set] = useLatestState(() => ({ checked: request.items.map(() => false), index: 0, stage: 'ticking' as 'ticking' | 'notes' }));
  const { checked, index, stage } = s;

  const done = (withNotes: string | undefined): void => {
    dispatch({ type: 'text-entry', on: false });
    answer(request.id, { kind: 'checklist', checked: get().checked, ...(withNotes ? { notes: withNotes } : {}) });
  };

  useKeys(
    (input, key) => {
      const last = request.items.length - 1;
      if (key.upArrow || input === 'k') set((p) => ({ ...p, index: Math.max(0, p.index - 1) }));
      else if (key.downArrow || input === 'j') set((p) => ({ ...p, index: Math.min(last, p.index + 1) }));
      else if (input === ' ' || input === 'x') set((p) => ({ ...p, checked: p.checked.map((v, i) => (i === p.index ? !v : v)) }));
      else if (key.return && get().stage === 'ticking') {
        if (request.notes) {
          set((p) => ({ ...p, stage: 'notes' }));
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
        <TextInput onSubmit={(v) => done(v.trim() || undefined)} onCancel={() => done(undefined)} active={active} width={width} />
        <Tone tone="muted">{'[enter] save   [esc] no notes'}</Tone>
      </Box>
    );
  }
  // Items wrap to two rows when the pane has room for it; the one under the cursor first.
  const room = Math.max(1, height - 3);
  const twoRows = request.items.length * 2 <= room;
  const w = listWindow(request.items.length, index, twoRows ? request.items.length : room);
  const itemLines = request.items.slice(w.start, w.end).flatMap((item, k) => {
    const i = w.start + k;
    const rows = wrap(item, width - 6, twoRows ? 2 : 1);
    const tone = i === index ? 'info' : checked[i] ? 'ok' : 'plain';
    return rows.map((r, j) => tl(j === 0 ? `${i === index ? '›' : ' '} [${checked[i] ? 'x' : ' '}] ${r}` : `      ${r}`, tone, i === index));
  });
  const lines = [
    tl('Tick what is done:', 'strong', true),
    ...(w.above ? [tl(`    ↑ ${w.above} more`, 'muted')] : []),
    ...itemLines,
    ...(w.below ? [tl(`    ↓ ${w.below} more`, 'muted')] : []),
    tl(`${ticked}/${request.items.length} ticked${ticked < request.items.length ? ' (unticked: recorded, the step warns)' : ''}`, ticked === request.items.length ? 'ok' : 'warn'),
    tl('[↑↓] move   [space] tick   [enter] done', 'muted'),
  ];
  return (
    <Box flexDirection="column">
      <Lines lines={lines} width={width} />
    </Box>
  );
}
