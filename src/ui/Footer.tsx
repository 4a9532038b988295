import type { ReactNode } from 'react';
import { formatHints, type Hint } from './keymap.js';
import { line } from './text.js';
import { Tone } from './theme.js';

/**
 * The bottom line: the keys that work now, or the question being asked. Always exactly one row: hints drop
 * their brackets, then their least needed entries, before they would wrap.
 */
export function Footer({ hints, question, width }: { hints: readonly Hint[]; question?: { long: string; short: string }; width: number }): ReactNode {
  if (question) {
    const text = [...question.long].length <= width ? question.long : question.short;
    return (
      <Tone tone="warn" bold>
        {line(text, width)}
      </Tone>
    );
  }
  return <Tone tone="muted">{line(formatHints(hints, width), width)}</Tone>;
}
