import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** One write of the stand-in application: how long it took (ms) and when it finished (epoch ms). */
export interface ProbeWrite {
  ms: number;
  at: number;
}

/**
 * The application as the lock-safety tests and the bench see it: its own connection, one write to a workspace
 * row every 100 ms (the next one at once when a write took longer), every latency kept.
 */
export function appProbe(url: string, applicationName = 'app-probe', everyMs = 100): { stop(): Promise<ProbeWrite[]> } {
  let running = true;
  const writes: ProbeWrite[] = [];
  const loop = (async () => {
    const c = new pg.Client({ connectionString: url, application_name: applicationName });
    c.on('error', () => undefined);
    await c.connect();
    const t0 = Date.now();
    for (let k = 0; running; k++) {
      const s = performance.now();
      await c.query('UPDATE workspace SET name = name WHERE id = (SELECT max(id) FROM workspace)');
      writes.push({ ms: performance.now() - s, at: Date.now() });
      const next = t0 + (k + 1) * everyMs - Date.now();
      if (next > 0) await sleep(next);
    }
    await c.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return writes;
    },
  };
}
