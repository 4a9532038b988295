import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { TargetInfo } from '../core/events.js';
import type { Risk } from '../core/model.js';
import { TargetLine } from './Banner.js';
import { Footer } from './Footer.js';
import { homeModel, type HomeItem, type HomeRunbook, type Unfinished } from './home.js';
import { useKeys, useLatestState, useTerminalSize } from './hooks.js';
import type { Hint } from './keymap.js';
import { layout, listWindow } from './layout.js';
import { len, line } from './text.js';
import { ThemeProvider, Tone, type Theme, type Tone as ToneName } from './theme.js';

export interface HomeScreenProps {
  target: TargetInfo;
  runbooks: readonly HomeRunbook[];
  unfinished?: Unfinished;
  theme: Theme;
  /** A runbook id, `resume:<runbook id>`, or null to quit. */
  onPick(choice: string | null): void;
}

const RISK_TONE: Record<Risk, ToneName> = { low: 'ok', medium: 'plain', high: 'warn', critical: 'bad' };

export function HomeScreen(p: HomeScreenProps): ReactNode {
  return (
    <ThemeProvider theme={p.theme}>
      <Home {...p} />
    </ThemeProvider>
  );
}

/** The target, then the runbooks by phase (incident first) and the offer to resume; `e` opens the emergency runbook. */
function Home({ target, runbooks, unfinished, onPick }: HomeScreenProps): ReactNode {
  const size = useTerminalSize();
  const model = homeModel(runbooks, unfinished);
  const [selected, get, set] = useLatestState(() => model.initial);
  const pick = (i: number | undefined): void => {
    const item = i === undefined ? undefined : model.items[i];
    if (item) onPick(item.value);
  };
  useKeys((input, key) => {
    if (key.upArrow || input === 'k') set((s) => Math.max(0, s - 1));
    else if (key.downArrow || input === 'j') set((s) => Math.min(model.items.length - 1, s + 1));
    else if (key.return) pick(get());
    else if (input === 'e') pick(model.emergency);
    else if (input === 'r') pick(model.resume);
    else if (input === 'q' || key.escape || (key.ctrl && input === 'c')) onPick(null);
  });

  const l = layout(size.columns, size.rows);
  const width = l.width;
  const bodyHeight = Math.max(1, l.bodyHeight);
  const selectedRow = model.rows.findIndex((r) => r.kind === 'item' && r.index === selected);
  const w = listWindow(model.rows.length, selectedRow, bodyHeight);
  const titleWidth = Math.min(Math.max(10, ...runbooks.map((r) => len(r.title)), unfinished ? len(`Resume: ${unfinished.title}`) : 0), Math.floor(width * 0.45));

  const hints: Hint[] = [
    { key: '↑↓', label: 'move', priority: 2 },
    { key: 'enter', label: 'open', priority: 0 },
    ...(model.emergency !== undefined ? [{ key: 'e', label: 'emergency', priority: 0 }] : []),
    ...(model.resume !== undefined ? [{ key: 'r', label: 'resume', priority: 1 }] : []),
    { key: 'q', label: 'quit', priority: 1 },
  ];

  return (
    <Box flexDirection="column" width={width} height={Math.min(l.height, bodyHeight + 3)}>
      <TargetLine target={target} prefix="parlant-runbook" />
      <Text wrap="truncate-end">{runbooks.length ? 'Pick a runbook; nothing runs until you say so.' : 'No runbooks found.'}</Text>
      <Box flexDirection="column" height={bodyHeight} overflow="hidden">
        {w.above > 0 ? <Tone tone="muted">{`  ↑ ${w.above} more`}</Tone> : null}
        {model.rows.slice(w.start, w.end).map((r, k) =>
          r.kind === 'header' ? (
            <Tone key={`h${w.start + k}`} tone="strong" bold>
              {line(r.text, width)}
            </Tone>
          ) : (
            <ItemRow key={r.item.value} item={r.item} selected={r.index === selected} width={width} titleWidth={titleWidth} emergency={r.index === model.emergency} />
          ),
        )}
        {w.below > 0 ? <Tone tone="muted">{`  ↓ ${w.below} more`}</Tone> : null}
      </Box>
      <Footer hints={hints} width={width} />
    </Box>
  );
}

function ItemRow({ item, selected, width, titleWidth, emergency }: { item: HomeItem; selected: boolean; width: number; titleWidth: number; emergency: boolean }): ReactNode {
  const mark = selected ? '› ' : '  ';
  const pad = (s: string, n: number): string => (len(s) >= n ? line(s, n) : s + ' '.repeat(n - len(s)));
  if (item.kind === 'resume') {
    return (
      <Text wrap="truncate-end">
        <Tone tone={selected ? 'info' : 'plain'} bold={selected}>
          {`${mark}↻ ${item.title}`}
        </Tone>
        <Tone tone="muted">{`  ${item.detail}  [r]`}</Tone>
      </Text>
    );
  }
  const r = item.runbook;
  const title = pad(r.title, titleWidth);
  return (
    <Text wrap="truncate-end">
      <Tone tone={selected ? 'info' : 'plain'} bold={selected}>
        {mark}
        {title}
      </Tone>
      {'  '}
      <Tone tone={RISK_TONE[r.risk]}>{pad(r.risk, 8)}</Tone>
      {'  '}
      <Tone tone="muted">{`${emergency ? '[e] ' : ''}${r.summary}`}</Tone>
    </Text>
  );
}
