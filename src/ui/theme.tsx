import { Text } from 'ink';
import { createContext, useContext, type ReactNode } from 'react';
import type { Env, StepStatus } from '../core/events.js';

/**
 * Semantic colour tokens (STYLE §7). Components say what a piece of text means (ok, warn, bad …); the theme
 * decides whether that becomes colour. With colour off (NO_COLOR, --no-color, TERM=dumb) nothing is styled
 * at all, and the glyphs and words carry the meaning alone.
 */

export type Tone = 'plain' | 'ok' | 'warn' | 'bad' | 'info' | 'muted' | 'strong' | 'danger';

export interface Theme {
  colour: boolean;
  /** TERM=dumb: spinner frames from ASCII. */
  ascii: boolean;
}

interface Style {
  color?: string;
  dimColor?: boolean;
  bold?: boolean;
  inverse?: boolean;
}

const STYLES: Record<Tone, Style> = {
  plain: {},
  ok: { color: 'green' },
  warn: { color: 'yellow' },
  bad: { color: 'red' },
  info: { color: 'cyan' },
  muted: { dimColor: true },
  strong: { bold: true },
  // Production, destructive steps: red on the terminal's background, bold, hard to miss.
  danger: { color: 'red', bold: true, inverse: true },
};

export function toneStyle(tone: Tone, theme: Theme, extra: { bold?: boolean } = {}): Style {
  if (!theme.colour) return {};
  const s = STYLES[tone];
  return extra.bold ? { ...s, bold: true } : s;
}

const ThemeContext = createContext<Theme | undefined>(undefined);

export function ThemeProvider({ theme, children }: { theme: Theme; children: ReactNode }): ReactNode {
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

export function useTheme(): Theme {
  const t = useContext(ThemeContext);
  if (!t) throw new Error('useTheme() must be used inside <ThemeProvider>');
  return t;
}

export interface ToneProps {
  tone?: Tone;
  bold?: boolean;
  children?: ReactNode;
  /** Ink's truncation; the default cuts at the end so a line never wraps. */
  wrap?: 'truncate-end' | 'truncate' | 'wrap' | 'truncate-middle';
}

/** Text in a semantic tone. Nested <Tone>s style their own words only. */
export function Tone({ tone = 'plain', bold, children, wrap = 'truncate-end' }: ToneProps): ReactNode {
  const theme = useTheme();
  return (
    <Text wrap={wrap} {...toneStyle(tone, theme, { bold })}>
      {children}
    </Text>
  );
}

export const STATUS_TONE: Record<StepStatus, Tone> = {
  pending: 'muted',
  running: 'info',
  passed: 'ok',
  warned: 'warn',
  failed: 'bad',
  skipped: 'muted',
  aborted: 'bad',
};

/** Words for statuses, for places where a glyph alone is too little (details, transcript). */
export const STATUS_WORD: Record<StepStatus, string> = {
  pending: 'pending',
  running: 'running',
  passed: 'passed',
  warned: 'warning',
  failed: 'FAILED',
  skipped: 'skipped',
  aborted: 'ABORTED',
};

export const ENV_TONE: Record<Env, Tone> = { production: 'danger', staging: 'warn', dev: 'ok' };

/** Production is spelled out in capitals so it reads the same without colour. */
export const ENV_WORD: Record<Env, string> = { production: 'PRODUCTION', staging: 'staging', dev: 'dev' };

/** The environment as the banner and the destructive prompt show it: "⚠ PRODUCTION", "staging", "dev". */
export function envLabel(env: Env): string {
  return env === 'production' ? `⚠ ${ENV_WORD.production}` : ENV_WORD[env];
}
