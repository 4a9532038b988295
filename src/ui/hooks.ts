import { useStdout } from 'ink';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** The terminal's size, re-read on every resize so the layout follows it. */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const subscribe = useCallback(
    (onChange: () => void) => {
      stdout.on('resize', onChange);
      return () => {
        stdout.off('resize', onChange);
      };
    },
    [stdout],
  );
  // A string snapshot: equal sizes compare equal, so an unrelated re-render does not look like a resize.
  const key = useSyncExternalStore(subscribe, () => `${stdout.columns || 80}x${stdout.rows || 24}`);
  const [columns, rows] = key.split('x').map(Number) as [number, number];
  return { columns, rows };
}

/**
 * The current time, refreshed every `intervalMs` while `active`. Only live parts (the running step's
 * spinner and clock, the banner's clock) use it, so a tick re-renders them and nothing else.
 */
export function useNow(intervalMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return undefined;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs, active]);
  return now;
}
