import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';

/**
 * ink-testing-library draws at a fixed 100 columns; operators have 80 or 60. This sets the fake terminal's
 * size (as gemini-cli's test-utils/render does), tells the screen it was resized, and renders again.
 */
export function renderAt(tree: ReactElement, size: { columns: number; rows?: number }) {
  const r = render(tree);
  const rows = size.rows ?? 24;
  Object.defineProperty(r.stdout, 'columns', { get: () => size.columns, configurable: true });
  Object.defineProperty(r.stdout, 'rows', { get: () => rows, configurable: true });
  r.stdout.emit('resize');
  r.rerender(tree);
  const frame = (): string => r.lastFrame() ?? '';
  return {
    ...r,
    frame,
    /** The frame's lines (the last `rows - 1` lines: anything above is scrollback written by <Static>). */
    lines: (): string[] => frame().split('\n'),
    /** Wait until the frame satisfies `ok` (Ink and the store draw asynchronously); no fixed sleeps. */
    async waitFor(ok: (frame: string) => boolean, what = 'the expected frame', timeoutMs = 3000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const f = frame();
        if (ok(f)) {
          // The frame is drawn before React runs effects (key handlers subscribe there); let them run.
          await new Promise((resolve) => setTimeout(resolve, 0));
          return f;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`timed out waiting for ${what}; the frame was:\n${frame()}`);
    },
    async type(...keys: string[]): Promise<void> {
      for (const k of keys) {
        r.stdin.write(k);
        // Let Ink's input parser and React handle one key before the next, as a terminal would.
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
}

export const KEY = { enter: '\r', escape: '\u001B', up: '\u001B[A', down: '\u001B[B', backspace: '\u007F', ctrlC: '\u0003', space: ' ' } as const;

/** Every line of the frame fits the width: nothing wraps into the next row. */
export function widest(frame: string): number {
  return Math.max(0, ...frame.split('\n').map((l) => [...l].length));
}
