import { useInput, useStdout, type Key } from 'ink';
import { useCallback, useEffect, useReducer, useRef, useState, useSyncExternalStore } from 'react';

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

/**
 * State that key handlers can read fresh. Ink delivers the keys of one burst (a paste, tmux send-keys, a fast
 * typist) one after another before React re-subscribes the handler, so a handler's closure can be a key
 * behind: "↓ enter" would pick the option above the one shown. Handlers read `get()` instead.
 */
export function useLatestState<T>(initial: () => T): [T, () => T, (update: (prev: T) => T) => void] {
  const ref = useRef<{ value: T } | undefined>(undefined);
  if (!ref.current) ref.current = { value: initial() };
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const get = useCallback((): T => (ref.current as { value: T }).value, []);
  const set = useCallback((update: (prev: T) => T): void => {
    const box = ref.current as { value: T };
    box.value = update(box.value);
    rerender();
  }, []);
  return [ref.current.value, get, set];
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** One character of a burst as the key it would have been on its own. */
function keyOf(ch: string): [string, Key] {
  if (ch === '\r' || ch === '\n') return ['', { ...NO_KEY, return: true }];
  if (ch === '\x7f' || ch === '\b') return ['', { ...NO_KEY, backspace: true }];
  if (ch === '\t') return ['', { ...NO_KEY, tab: true }];
  return [ch, NO_KEY];
}

/**
 * Ink's useInput, but a burst of plain keys arrives one key at a time. Over SSH several keystrokes often
 * reach us in one packet ("j j⏎"), and Ink hands a run of plain characters over as one string; a prompt
 * would see neither the space nor the enter in it.
 */
export function useKeys(handler: (input: string, key: Key) => void, options: { isActive?: boolean } = {}): void {
  useInput((input, key) => {
    const chars = [...input];
    if (chars.length <= 1 || key.ctrl || key.meta) {
      handler(input, key);
      return;
    }
    for (const ch of chars) handler(...keyOf(ch));
  }, options);
}
