import { EXIT } from '../core/events.js';
import { appStatus, AppStopFailedError, startApp, stopApp, type ConfigOutcome } from '../sandbox/app-control.js';
import type { Basics } from './session.js';

/**
 * `sandbox app start|stop|status`: the stand-in Sim app on the sandbox (src/sandbox/app.ts). `start` prints the
 * health URL alone on stdout; progress and explanations go to stderr, so that the commands read well when a runbook's
 * shell step shows their output live.
 *
 * Exit codes: 0 done; 1 the stop failed (the fail-stop fault switch); 2 no sandbox, or another problem the operator
 * fixes (SandboxError, mapped in main); 3 `status`: not running.
 */
export async function sandboxAppCommand(action: 'start' | 'stop' | 'status', b: Basics): Promise<number> {
  const progress = (msg: string): void => b.err(`${b.paint.dim(msg)}\n`);
  switch (action) {
    case 'start': {
      const r = await startApp(b.stateDir, { onProgress: progress });
      b.err(`${r.reused ? 'The stand-in Sim app is already running' : 'Stand-in Sim app started'} (pid ${r.pid}) on ${r.healthUrl}.\n`);
      if (!r.health.ok) b.err(`${b.paint.warn('warning:')} it is not healthy: ${r.health.reason ?? `HTTP ${r.health.status ?? '?'}`}. Its log: ${r.logFile}\n`);
      explainConfig(b, r.config);
      b.out(`${r.healthUrl}\n`);
      return EXIT.done;
    }
    case 'stop': {
      try {
        const r = await stopApp(b.stateDir, { onProgress: progress });
        b.err(r.wasRunning ? `Stand-in Sim app stopped (pid ${r.pid ?? '?'}${r.killed ? ', killed after the grace period' : ''}).\n` : 'The stand-in Sim app was not running.\n');
        return EXIT.done;
      } catch (e) {
        if (e instanceof AppStopFailedError) {
          b.err(`${e.message}\n`);
          return EXIT.stepFailed;
        }
        throw e;
      }
    }
    case 'status': {
      const s = await appStatus(b.stateDir);
      for (const f of s.faults) b.err(`${b.paint.warn('fault switch on:')} ${f}\n`);
      if (!s.running) {
        b.out('not running\n');
        return 3;
      }
      const h = s.health;
      const health = h?.ok ? 'healthy' : `not healthy: ${h?.reason ?? (h?.status ? `HTTP ${h.status}` : 'no answer')}`;
      b.out(`running: ${s.healthUrl ?? '?'} (pid ${s.pid ?? '?'}) ${health}\n`);
      return EXIT.done;
    }
  }
}

function explainConfig(b: Basics, c: ConfigOutcome): void {
  if (c.action === 'operator-file') {
    b.err(`${c.file} is your own file, so it was left alone. To run app steps against the sandbox app, add:\n${indent(c.snippet)}`);
    return;
  }
  b.err(`${c.action === 'written' ? 'Wrote' : 'Up to date:'} ${c.file} (app.stop, app.start, app.health_url).\n`);
  // --config, then ./parlant-runbook.config.yaml, are read before the state directory's file, which is then ignored.
  if (b.config.file && b.config.file !== c.file) {
    b.err(`${b.paint.warn('note:')} ${b.config.file} is read instead of it. To use the sandbox app, add to that file:\n${indent(c.snippet)}`);
  }
}

function indent(yaml: string): string {
  return `${yaml.trimEnd().split('\n').map((l) => `  ${l}`).join('\n')}\n`;
}
