import { Text } from 'ink';
import type { ReactNode } from 'react';
import { useKeys, useLatestState } from '../hooks.js';
import { Tone } from '../theme.js';

export interface TextInputProps {
  /** Called with the whole text after every change (e.g. to clear an error message). */
  onChange?(value: string): void;
  onSubmit(value: string): void;
  onCancel(): void;
  active: boolean;
  width: number;
}

/** A one-line text field: printable keys type, backspace deletes, enter submits, esc cancels. */
export function TextInput({ onChange, onSubmit, onCancel, active, width }: TextInputProps): ReactNode {
  const [value, get, set] = useLatestState(() => '');
  const change = (f: (v: string) => string): void => {
    set(f);
    onChange?.(get());
  };
  useKeys(
    (input, key) => {
      if (key.escape) return onCancel();
      if (key.ctrl || key.meta) return;
      if (key.return) return onSubmit(get());
      // Terminals send DEL (0x7f) for the backspace key; Ink reports it as delete.
      if (key.backspace || key.delete) return change((v) => [...v].slice(0, -1).join(''));
      if (key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab || key.pageUp || key.pageDown) return;
      // A paste arrives as one string; keep its printable characters on this one line.
      const printable = input.replace(/[\x00-\x1f\x7f]/g, '');
      if (printable) change((v) => v + printable);
    },
    { isActive: active },
  );
  // Show the end of a long entry: that is where the operator is typing.
  const chars = [...value];
  const shown = chars.length > width - 4 ? `…${chars.slice(-(width - 5)).join('')}` : value;
  return (
    <Text wrap="truncate-end">
      <Tone tone="strong">{'› '}</Tone>
      {shown}
      <Tone tone="info">{active ? '█' : ''}</Tone>
    </Text>
  );
}
