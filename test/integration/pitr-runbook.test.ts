import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { q } from '../helpers/catalog.js';
import { cli, tempStateDir } from '../helpers/cli.js';

/**
 * The pitr runbook as an operator runs it on the sandbox: a first run takes the base backup, then changes are
 * made, then a second run with --var target_time (written with a "Z", as people copy it from logs) recovers a copy
 * that holds exactly what was committed before the target. `sandbox stop` removes the copy with the sandbox.
 */
const state = tempStateDir();
let url = '';
let copyDir = '';
afterAll(async () => {
  await cli(['sandbox', 'stop', '--state-dir', state]);
});

describe('pitr runbook on the sandbox', () => {
  it('base backup, writes, target time with Z, recovery: the copy holds the rows from before the target only', async () => {
    const start = await cli(['sandbox', 'start', '--state-dir', state], { timeoutMs: 120_000 });
    expect(start.exitCode).toBe(0);
    url = start.stdout.trim();

    const first = await cli(['run', 'pitr', '--plain', '--state-dir', state], { env: { DATABASE_URL: url }, timeoutMs: 120_000 });
    expect(first.stderr).not.toMatch(/Unexpected error/);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/Base backup sim_base_\d{8}T\d{6}Z taken/);
    expect(first.stdout).toMatch(/Ready for point-in-time recovery/);

    await q(url, "CREATE TABLE pitr_rb (id int PRIMARY KEY, phase text); INSERT INTO pitr_rb SELECT g, 'before' FROM generate_series(1, 5) g");
    await new Promise((r) => setTimeout(r, 1100));
    const [t] = await q<{ t: string }>(url, `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`);
    await new Promise((r) => setTimeout(r, 1100));
    await q(url, "INSERT INTO pitr_rb SELECT g, 'after' FROM generate_series(6, 9) g; DELETE FROM pitr_rb WHERE id = 1");

    const rec = await cli(['run', 'pitr', '--plain', '--var', `target_time=${t!.t}`, '--state-dir', state], { env: { DATABASE_URL: url }, timeoutMs: 120_000 });
    expect(rec.stderr).not.toMatch(/Unexpected error/);
    expect(rec.exitCode).toBe(0);
    expect(rec.stdout).toMatch(/recovery stopping before commit of transaction/);
    expect(rec.stdout).not.toMatch(/recovery\.conf/);
    const m = /Recovered copy: postgresql:\/\/sim_admin@127\.0\.0\.1:(\d+)\/sim/.exec(rec.stdout);
    expect(m).not.toBeNull();
    copyDir = /rm -rf (\S+)/.exec(rec.stdout)?.[1] ?? '';
    expect(existsSync(copyDir)).toBe(true);
    const copy = new URL(url);
    copy.port = m![1]!;
    const recovered = await q<{ phase: string; n: number }>(copy.toString(), 'SELECT phase, count(*)::int AS n FROM pitr_rb GROUP BY 1 ORDER BY 1');
    expect(recovered).toEqual([{ phase: 'before', n: 5 }]);
    const live = await q<{ phase: string; n: number }>(url, 'SELECT phase, count(*)::int AS n FROM pitr_rb GROUP BY 1 ORDER BY 1');
    expect(live).toEqual([
      { phase: 'after', n: 4 },
      { phase: 'before', n: 4 },
    ]);
  });

  it('a target time without a zone is refused with the format to use; nothing is started', async () => {
    const r = await cli(['run', 'pitr', '--plain', '--var', 'target_time=2026-11-21 10:00:00', '--state-dir', state], { env: { DATABASE_URL: url } });
    expect(r.exitCode).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/not a time with a zone/);
    expect(r.stdout + r.stderr).toMatch(/--var target_time=2026-11-21T10:30:00Z/);
  });

  it('sandbox stop removes the recovered copy with the sandbox', async () => {
    expect(copyDir).toMatch(/-pitr-/);
    expect(existsSync(copyDir)).toBe(true);
    const stop = await cli(['sandbox', 'stop', '--state-dir', state]);
    expect(stop.exitCode).toBe(0);
    expect(existsSync(copyDir)).toBe(false);
  });
});
