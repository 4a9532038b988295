import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Watches every process's command line while `work` runs, for the tests that prove a password never reaches
 * argv (where `ps` shows it to every user). Synchronous reads: one pass over /proc takes a few milliseconds, so a
 * pass is never stretched past the short life of a pg_dump or pg_restore, even on a loaded machine.
 *
 * @returns which of `programs` were seen running (by basename of argv[0]) and every command line holding a needle
 *   (the needle itself replaced by `<secret>` in what is returned).
 */
export async function watchCommandLines<T>(
  needles: readonly string[],
  programs: readonly string[],
  work: () => Promise<T>,
  everyMs = 10,
): Promise<{ result: T; seen: Set<string>; leaks: string[] }> {
  const seen = new Set<string>();
  const leaks: string[] = [];
  const pass = (): void => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue; // gone already
      }
      if (!cmd) continue;
      const argv = cmd.split('\0');
      const prog = path.basename(argv[0] ?? '');
      if (programs.includes(prog)) seen.add(prog);
      if (needles.some((n) => n && cmd.includes(n))) {
        leaks.push(`${pid}: ${needles.reduce((text, n) => (n ? text.split(n).join('<secret>') : text), argv.join(' '))}`);
      }
    }
  };
  const timer = setInterval(pass, everyMs);
  try {
    return { result: await work(), seen, leaks };
  } finally {
    clearInterval(timer);
  }
}
