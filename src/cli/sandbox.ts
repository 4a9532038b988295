import { EXIT } from '../core/events.js';
import { redactUrl } from '../db/connection.js';
import { appStatus, removeGeneratedConfig, startApp, stopApp } from '../sandbox/app-control.js';
import { sandboxStatus, startSandbox, stopSandbox, resetSandbox } from '../sandbox/sandbox.js';
import type { Basics } from './session.js';

/**
 * `sandbox start|stop|status|url|reset`. `start` and `url` print the URL alone on stdout (so that
 * `--db "$(parlant-runbook sandbox url)"` works); progress goes to stderr. For `demo` the URL is returned.
 */
export async function sandboxCommand(action: 'start' | 'stop' | 'status' | 'url' | 'reset', b: Basics, scale: number): Promise<number> {
  const progress = (msg: string): void => b.err(`${b.paint.dim(msg)}\n`);
  switch (action) {
    case 'start':
    case 'reset': {
      // The stand-in app would be left connected to a database that no longer exists: restarted on the new one.
      const appWasRunning = action === 'reset' && (await appStatus(b.stateDir)).running;
      if (appWasRunning) await stopApp(b.stateDir, { ignoreFaults: true, onProgress: progress });
      const r = action === 'reset' ? await resetSandbox({ stateDir: b.stateDir, scale, onProgress: progress }) : await startSandbox({ stateDir: b.stateDir, scale, onProgress: progress });
      if (appWasRunning) await startApp(b.stateDir, { onProgress: progress });
      b.err(`${r.reused ? 'The sandbox is already running; reusing it.' : 'Sandbox started.'} Database "sim" on 127.0.0.1:${r.port}. Stop it with: parlant-runbook sandbox stop\n`);
      b.out(`${r.url}\n`);
      return EXIT.done;
    }
    case 'stop': {
      // The stand-in app goes with its database, fault switch or not; so does the config that wires it in.
      const app = await stopApp(b.stateDir, { ignoreFaults: true, onProgress: progress });
      if (app.wasRunning) b.err(`Stand-in Sim app stopped (pid ${app.pid ?? '?'}).\n`);
      await removeGeneratedConfig(b.stateDir);
      const r = await stopSandbox({ stateDir: b.stateDir });
      b.err(r.stopped ? 'Sandbox stopped and removed.\n' : 'No sandbox was running.\n');
      return EXIT.done;
    }
    case 'status': {
      const s = await sandboxStatus({ stateDir: b.stateDir });
      if (!s.running) {
        b.out('not running\n');
        return 3;
      }
      b.out(`running: ${s.url ? redactUrl(s.url) : ''} (pid ${s.pid ?? '?'}, scale ${s.scale ?? '?'}, data ${s.dataDir ?? '?'})\n`);
      return EXIT.done;
    }
    case 'url': {
      const s = await sandboxStatus({ stateDir: b.stateDir });
      if (!s.running || !s.url) {
        b.err('No sandbox is running. Start one with: parlant-runbook sandbox start\n');
        return EXIT.usage;
      }
      b.out(`${s.url}\n`);
      return EXIT.done;
    }
  }
}

/** For `demo`: start (or reuse) the sandbox and return its URL. */
export async function ensureSandbox(b: Basics, scale: number): Promise<string> {
  const r = await startSandbox({ stateDir: b.stateDir, scale, onProgress: (msg) => b.err(`${b.paint.dim(msg)}\n`) });
  b.err(`${b.paint.dim(`${r.reused ? 'Reusing the running sandbox' : 'Sandbox started'} on 127.0.0.1:${r.port} (stop it with: parlant-runbook sandbox stop)`)}\n`);
  return r.url;
}
