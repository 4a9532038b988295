import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, stepConfig } from '../../src/core/config.js';
import { CONFIG_MARK, writeAppConfig } from '../../src/sandbox/app-control.js';
import { isProcessAlive, startCluster, stopCluster } from '../../src/sandbox/cluster.js';
import { cli, tempStateDir } from '../helpers/cli.js';

/** `sandbox app start|stop|status`: the stand-in Sim app, as an operator and a runbook's app steps use it. */

const state = tempStateDir();
let dbUrl = '';
let password = '';
let healthUrl = '';
let appPid = 0;
let db: pg.Client;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function health(): Promise<{ status: number; body: { ok: boolean; reason?: string } } | 'unreachable'> {
  try {
    const res = await fetch(healthUrl, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: (await res.json()) as { ok: boolean; reason?: string } };
  } catch {
    return 'unreachable';
  }
}

async function healthStatus(): Promise<number | 'unreachable'> {
  const h = await health();
  return h === 'unreachable' ? h : h.status;
}

async function appSessions(): Promise<number[]> {
  const r = await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = 'sim-standin' AND datname = 'sim' ORDER BY pid");
  return r.rows.map((x) => x.pid);
}

/** Heartbeat rows so far; 0 before the app has created its table (healthy comes before the first write). */
async function heartbeats(): Promise<number> {
  const r = await db.query<{ n: number }>("SELECT CASE WHEN to_regclass('sim_standin_heartbeat') IS NULL THEN 0 ELSE (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM sim_standin_heartbeat', false, true, '')))[1]::text::int END AS n");
  return r.rows[0]?.n ?? 0;
}

function recordedPid(): number {
  return (JSON.parse(readFileSync(path.join(state, 'sandbox-app.json'), 'utf8')) as { pid: number }).pid;
}

beforeAll(async () => {
  const r = await cli(['sandbox', 'start', '--state-dir', state], { timeoutMs: 120_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  dbUrl = r.stdout.trim();
  password = decodeURIComponent(new URL(dbUrl).password);
  db = new pg.Client({ connectionString: dbUrl, application_name: 'sandbox-app-test' });
  db.on('error', () => undefined);
  await db.connect();
});

afterAll(async () => {
  await db?.end().catch(() => undefined);
  await cli(['sandbox', 'stop', '--state-dir', state]);
  rmSync(state, { recursive: true, force: true });
});

describe('parlant-runbook sandbox app', () => {
  it('start without a running sandbox exits 2 and says to start one', async () => {
    const empty = tempStateDir();
    const r = await cli(['sandbox', 'app', 'start', '--state-dir', empty]);
    rmSync(empty, { recursive: true, force: true });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/No sandbox is running.*parlant-runbook sandbox start/);
  });

  it('start prints the health URL; /health answers 200 {"ok":true}', async () => {
    const r = await cli(['sandbox', 'app', 'start', '--state-dir', state]);
    expect(r.exitCode, r.stderr).toBe(0);
    healthUrl = r.stdout.trim();
    expect(healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health$/);
    const h = await health();
    expect(h).not.toBe('unreachable');
    if (h !== 'unreachable') {
      expect(h.status).toBe(200);
      expect(h.body.ok).toBe(true);
    }
    appPid = recordedPid();
    expect(statSync(path.join(state, 'sandbox-app.json')).mode & 0o777).toBe(0o600);
    const s = await cli(['sandbox', 'app', 'status', '--state-dir', state]);
    expect(s.exitCode).toBe(0);
    expect(s.stdout).toContain(`running: ${healthUrl} (pid ${appPid}) healthy`);
  });

  it('writes the state dir config: app.stop and app.start call the CLI as argv arrays, app.health_url is the app', async () => {
    const file = path.join(state, 'parlant-runbook.config.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(CONFIG_MARK);
    const doc = parse(text) as { app: { stop: string[]; start: string[]; health_url: string } };
    expect(doc.app.stop.slice(-5)).toEqual(['sandbox', 'app', 'stop', '--state-dir', state]);
    expect(doc.app.start.slice(-5)).toEqual(['sandbox', 'app', 'start', '--state-dir', state]);
    expect(doc.app.stop[1]).toMatch(/bin\/parlant-runbook$/);
    expect(doc.app.health_url).toBe(healthUrl);
    // As runbooks will read it: schema-valid, with the commands and URL steps use.
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'prb-cwd-'));
    const loaded = await loadConfig({ cwd, stateDir: state });
    rmSync(cwd, { recursive: true, force: true });
    const sc = stepConfig(loaded.config);
    expect(sc.healthUrl).toBe(healthUrl);
    expect(sc.commands['app.stop']?.run).toEqual(doc.app.stop);
    expect(sc.commands['app.start']?.run).toEqual(doc.app.start);
  });

  it('holds 3 connections named sim-standin and writes heartbeat rows', async () => {
    await waitFor('3 sim-standin sessions', async () => (await appSessions()).length === 3);
    await waitFor('the heartbeat table', async () => (await heartbeats()) > 0, 5000);
    const before = await heartbeats();
    await waitFor('more heartbeat rows', async () => (await heartbeats()) >= before + 2, 5000);
  });

  it('keeps the password out of its command line (and environment)', async () => {
    const cmdline = await readFile(`/proc/${appPid}/cmdline`, 'utf8');
    expect(cmdline).toContain('sandbox-app.json');
    expect(cmdline).not.toContain(password);
    const environ = await readFile(`/proc/${appPid}/environ`, 'utf8');
    expect(environ).not.toContain(password);
    expect(environ).toContain('PGPASSFILE=');
  });

  it('reconnects by itself after its connections are terminated', async () => {
    const old = await appSessions();
    await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sim-standin'");
    const fresh = await waitFor('3 new sim-standin sessions', async () => {
      const now = await appSessions();
      return now.length === 3 && now.every((p) => !old.includes(p)) ? now : undefined;
    });
    expect(fresh).toHaveLength(3);
    await waitFor('/health 200', async () => (await healthStatus()) === 200);
  });

  it('answers 503 with the reason while the database is down, and 200 again once it is back', async () => {
    const rec = JSON.parse(readFileSync(path.join(state, 'sandbox.json'), 'utf8')) as { dir: string; binDir: string; port: number };
    const ref = { dir: rec.dir, binDir: rec.binDir };
    await db.end().catch(() => undefined);
    await stopCluster(ref);
    const down = await waitFor('/health 503', async () => {
      const h = await health();
      return h !== 'unreachable' && h.status === 503 ? h : undefined;
    });
    expect(down.body.ok).toBe(false);
    expect(down.body.reason).toMatch(/no database connection|SELECT 1/);
    await startCluster(ref, { port: rec.port });
    db = new pg.Client({ connectionString: dbUrl, application_name: 'sandbox-app-test' });
    db.on('error', () => undefined);
    await db.connect();
    await waitFor('/health 200 after the restart', async () => (await healthStatus()) === 200);
    await waitFor('3 sim-standin sessions again', async () => (await appSessions()).length === 3);
    const log = readFileSync(path.join(state, 'sandbox-app.log'), 'utf8');
    expect(log).toMatch(/database unreachable: /);
    expect(log).toMatch(/health: failing/);
    expect(log).not.toContain(password);
  });

  it('fault switch sandbox-app.never-healthy: /health answers 503 while the file exists', async () => {
    const fault = path.join(state, 'sandbox-app.never-healthy');
    writeFileSync(fault, '');
    const h = await health();
    expect(h !== 'unreachable' && h.status).toBe(503);
    expect(h !== 'unreachable' && h.body.reason).toMatch(/fault injected: never healthy/);
    rmSync(fault);
    expect(await healthStatus()).toBe(200);
  });

  it('fault switch sandbox-app.fail-stop (or PARLANT_SANDBOX_APP_FAIL_STOP=1): stop exits 1 and the app keeps running', async () => {
    const fault = path.join(state, 'sandbox-app.fail-stop');
    writeFileSync(fault, '');
    const r = await cli(['sandbox', 'app', 'stop', '--state-dir', state]);
    rmSync(fault);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Could not stop the stand-in Sim app .*fault injected/);
    const e = await cli(['sandbox', 'app', 'stop', '--state-dir', state], { env: { PARLANT_SANDBOX_APP_FAIL_STOP: '1' } });
    expect(e.exitCode).toBe(1);
    expect(e.stderr).toMatch(/PARLANT_SANDBOX_APP_FAIL_STOP/);
    expect(await healthStatus()).toBe(200);
    expect(await isProcessAlive(appPid)).toBe(true);
  });

  it('stop ends the process: /health unreachable, no sessions left; a second stop is a no-op', async () => {
    const r = await cli(['sandbox', 'app', 'stop', '--state-dir', state]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Stopping the stand-in Sim app .*\n[\s\S]*Stand-in Sim app stopped/);
    expect(await isProcessAlive(appPid)).toBe(false);
    expect(await healthStatus()).toBe('unreachable');
    await waitFor('no sim-standin sessions', async () => (await appSessions()).length === 0, 5000);
    const again = await cli(['sandbox', 'app', 'stop', '--state-dir', state]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(/was not running/);
    const s = await cli(['sandbox', 'app', 'status', '--state-dir', state]);
    expect(s.exitCode).toBe(3);
    expect(s.stdout.trim()).toBe('not running');
  });

  it('PARLANT_SANDBOX_APP_NEVER_HEALTHY=1 at start: never healthy; a start reuses the port, so the configured URL stays right', async () => {
    const r = await cli(['sandbox', 'app', 'start', '--state-dir', state], { env: { PARLANT_SANDBOX_APP_NEVER_HEALTHY: '1' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(healthUrl);
    expect(r.stderr).toMatch(/not healthy: fault injected: never healthy/);
    await waitFor('3 sim-standin sessions', async () => (await appSessions()).length === 3);
    const h = await health();
    expect(h !== 'unreachable' && h.status).toBe(503);
    expect((await cli(['sandbox', 'app', 'stop', '--state-dir', state])).exitCode).toBe(0);
  });

  it('sandbox stop also stops a running app and removes the generated config', async () => {
    const r = await cli(['sandbox', 'app', 'start', '--state-dir', state]);
    expect(r.exitCode, r.stderr).toBe(0);
    const pid = recordedPid();
    expect(await healthStatus()).toBe(200);
    await db.end().catch(() => undefined);
    const stop = await cli(['sandbox', 'stop', '--state-dir', state]);
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(stop.stderr).toMatch(/Stand-in Sim app stopped/);
    expect(await isProcessAlive(pid)).toBe(false);
    expect(await healthStatus()).toBe('unreachable');
    expect(() => statSync(path.join(state, 'parlant-runbook.config.yaml'))).toThrow();
    expect(() => statSync(path.join(state, 'sandbox-app.pgpass'))).toThrow();
  });
});

describe('the generated config', () => {
  it('never overwrites a config file the operator wrote; it offers the app block instead', async () => {
    const dir = tempStateDir();
    const file = path.join(dir, 'parlant-runbook.config.yaml');
    writeFileSync(file, 'env: dev\n');
    const r = await writeAppConfig(dir, 4321);
    expect(r.action).toBe('operator-file');
    expect(readFileSync(file, 'utf8')).toBe('env: dev\n');
    expect(r.snippet).toContain('health_url: http://127.0.0.1:4321/health');
    rmSync(file);
    expect((await writeAppConfig(dir, 4321)).action).toBe('written');
    expect((await writeAppConfig(dir, 4321)).action).toBe('unchanged');
    expect((await writeAppConfig(dir, 4322)).action).toBe('written');
    rmSync(dir, { recursive: true, force: true });
  });
});
