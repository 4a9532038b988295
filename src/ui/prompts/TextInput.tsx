import { Text, useInput } from 'ink';
import type { ReactNode } from 'react';
import { Tone } from '../theme.js';

export interface TextInputProps {
  value: string;
  onChange(value: string): void;
  onSubmit(value: string): void;
  onCancel(): void;
  active: boolean;
  width: number;
}

/** A one-line text field: printable keys type, backspace deletes, enter submits, esc cancels. */
export function TextInput({ value, onChange, onSubmit, onCancel, active, width }: TextInputProps): ReactNode {
  useInput(
    (input, key) => {
      if (key.ctrl || (key.meta && !key.escape)) return;
      if (key.escape) return onCancel();
      if (key.return) return onSubmit(value);
      // Terminals send DEL (0x7f) for the backspace key; Ink reports it as delete.
      if (key.backspace || key.delete) return onChange([...value].slice(0, -1).join(''));
      if (key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab || key.pageUp || key.pageDown) return;
      // A paste arrives as one string; keep its printable characters on this one line.
      const printable = input.replace(/[\x00-\x1f\x7f]/g, '');
      if (printable) onChange(value + printable);
    },
    { isActive: active },
  );
  // Show the end of a long entry: that is where the operator is typing.
  const shown = [...value].length > width - 4 ? `…${[...value].slice(-(width - 5)).join('')}` : value;
  return (
    <Text wrap="truncate-end">
      <Tone tone="strong">{'› '}</Tone>
      {shown}
      <Tone tone="info">{active ? '█' : ''}</Tone>
    </Text>
  );
}
