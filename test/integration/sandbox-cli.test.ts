import pg from 'pg';
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, tempStateDir } from '../helpers/cli.js';

/** `sandbox start | url | status | stop` as an operator types them. */
const state = tempStateDir();
afterAll(async () => {
  await cli(['sandbox', 'stop', '--state-dir', state]);
});

describe('parlant-runbook sandbox', () => {
  it('start prints only the URL on stdout; the URL reaches a Sim-like database "sim"', async () => {
    const r = await cli(['sandbox', 'start', '--state-dir', state], { timeoutMs: 120_000 });
    expect(r.exitCode).toBe(0);
    const url = r.stdout.trim();
    expect(url).toMatch(/^postgresql:\/\/sim_admin:[^@]+@127\.0\.0\.1:\d+\/sim$/);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const n = await c.query('SELECT (SELECT count(*) FROM "user")::int AS users, (SELECT count(*) FROM workspace)::int AS workspaces, (SELECT count(*) FROM workflow)::int AS workflows');
    await c.end();
    expect(n.rows[0]).toEqual({ users: 2000, workspaces: 1000, workflows: 10000 });
    expect(statSync(path.join(state, 'sandbox.json')).mode & 0o777).toBe(0o600);
  });

  it('a second start reuses the running sandbox, and url prints the same URL', async () => {
    const first = (await cli(['sandbox', 'url', '--state-dir', state])).stdout.trim();
    const again = await cli(['sandbox', 'start', '--state-dir', state]);
    expect(again.stdout.trim()).toBe(first);
    expect(again.stderr).toMatch(/already running; reusing it/);
  });

  it('status says running without printing the password', async () => {
    const url = (await cli(['sandbox', 'url', '--state-dir', state])).stdout.trim();
    const password = decodeURIComponent(new URL(url).password);
    const s = await cli(['sandbox', 'status', '--state-dir', state]);
    expect(s.exitCode).toBe(0);
    expect(s.stdout).toMatch(/^running: postgresql:\/\/sim_admin:\*\*\*@127\.0\.0\.1/);
    expect(s.stdout).not.toContain(password);
  });

  it('demo without a terminal starts (or reuses) the sandbox and prints the home list', async () => {
    const r = await cli(['demo', '--state-dir', state]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/dev 127\.0\.0\.1:\d+\/sim as sim_admin · PostgreSQL \d+/);
    expect(r.stdout).toMatch(/tour\s+Guided tour on the sandbox/);
  });

  it('stop removes it; status then says not running and url exits 2 with what to do', async () => {
    const stop = await cli(['sandbox', 'stop', '--state-dir', state]);
    expect(stop.stderr).toMatch(/Sandbox stopped and removed/);
    const s = await cli(['sandbox', 'status', '--state-dir', state]);
    expect(s.stdout.trim()).toBe('not running');
    expect(s.exitCode).toBe(3);
    const u = await cli(['sandbox', 'url', '--state-dir', state]);
    expect(u.exitCode).toBe(2);
    expect(u.stderr).toMatch(/parlant-runbook sandbox start/);
  });

  it('rejects a bad --scale with exit 2', async () => {
    const r = await cli(['sandbox', 'start', '--scale', 'lots', '--state-dir', state]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/scale is a whole number from 1 to 1000/);
  });
});
