import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** State directory (DESIGN §5): --state-dir, $PARLANT_RUNBOOK_HOME, $XDG_STATE_HOME/parlant-runbook, ~/.local/state/parlant-runbook. */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  if (flag) return path.resolve(flag);
  if (env.PARLANT_RUNBOOK_HOME) return path.resolve(env.PARLANT_RUNBOOK_HOME);
  if (env.XDG_STATE_HOME) return path.join(path.resolve(env.XDG_STATE_HOME), 'parlant-runbook');
  return path.join(home, '.local', 'state', 'parlant-runbook');
}

/** The package root (where runbooks/ and sql/ live), from dist/core or src/core. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}
