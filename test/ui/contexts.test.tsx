import { Text } from 'ink';
import type { ReactNode } from 'react';
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { useRunActions, useRunView } from '../../src/ui/contexts.js';
import { useTheme } from '../../src/ui/theme.js';
import { renderAt } from './renderAt.js';

// Unmount every screen after each test: their clocks must not outlive it.
afterEach(cleanup);

function Reads({ hook }: { hook: () => unknown }): ReactNode {
  hook();
  return <Text>read</Text>;
}

describe('the screen\'s contexts', () => {
  for (const [name, hook, provider] of [
    ['useRunView', useRunView, 'RunProvider'],
    ['useRunActions', useRunActions, 'RunProvider'],
    ['useTheme', useTheme, 'ThemeProvider'],
  ] as const) {
    it(`${name}() throws outside <${provider}>`, () => {
      const r = renderAt(<Reads hook={hook} />, { columns: 80 });
      // Ink shows the error instead of the component
      expect(r.frame()).toContain(`${name}() must be used inside <${provider}>`);
      expect(r.frame()).not.toContain('read');
    });
  }
});
