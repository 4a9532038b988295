import { Chalk } from 'chalk';

/**
 * One colour policy, decided once at start-up (STYLE §7): NO_COLOR, --no-color, TERM=dumb or a non-terminal
 * turn colour off. Colour only ever repeats what a glyph or word already says.
 */
export interface Paint {
  ok(s: string): string;
  warn(s: string): string;
  bad(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function colourEnabled(opts: { noColor?: boolean; isTTY: boolean; env?: NodeJS.ProcessEnv }): boolean {
  const env = opts.env ?? process.env;
  if (opts.noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return opts.isTTY;
}

export function makePaint(enabled: boolean): Paint {
  const c = new Chalk({ level: enabled ? 1 : 0 });
  return { ok: (s) => c.green(s), warn: (s) => c.yellow(s), bad: (s) => c.red(s), dim: (s) => c.dim(s), bold: (s) => c.bold(s) };
}
