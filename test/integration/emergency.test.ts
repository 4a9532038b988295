import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { q } from '../helpers/catalog.js';
import { cli, tempStateDir, type CliResult } from '../helpers/cli.js';

/**
 * The emergency runbook as a responder runs it in line mode: the sandbox with its stand-in Sim app, a loopback
 * webhook receiver standing in for Slack, a backup taken before the damage. Afterwards the app is healthy and the
 * data is the backup's. Then the fault paths: the app will not stop, the newest backup is corrupt, the app never
 * turns healthy.
 */

const state = tempStateDir();
const work = mkdtempSync(path.join(os.tmpdir(), 'prb-emergency-'));
const SECRET = 'T000-secret-hook-token';
const config = path.join(work, 'parlant-runbook.config.yaml');
let dbUrl = '';
let healthUrl = '';
let hookUrl = '';
let receiver: http.Server;
const posts: { path: string; body: Record<string, unknown> }[] = [];

// The sandbox URL as `sandbox url` prints it (sslmode defaults to prefer, which the run hands to the app commands).
const env = (): Record<string, string> => ({ DATABASE_URL: dbUrl });
const faultFile = (name: string): string => path.join(state, `sandbox-app.${name}`);

/** What the backup must bring back: a fingerprint of two tables (the app's heartbeat table keeps changing). */
async function fingerprint(): Promise<string> {
  const r = await q<{ f: string }>(
    dbUrl,
    `SELECT (SELECT md5(string_agg(w::text, '|' ORDER BY id)) FROM workspace w) || ':' ||
            (SELECT md5(string_agg(b::text, '|' ORDER BY id)) FROM workflow_blocks b) AS f`,
  );
  return r[0]?.f ?? '';
}

async function damage(): Promise<void> {
  await q(dbUrl, "UPDATE workspace SET name = 'overwritten by a bad migration' WHERE id IN (SELECT id FROM workspace ORDER BY id LIMIT 25)");
  await q(dbUrl, 'DELETE FROM workflow_blocks WHERE id IN (SELECT id FROM workflow_blocks ORDER BY id LIMIT 40)');
}

async function healthStatus(): Promise<number | 'unreachable'> {
  try {
    return (await fetch(healthUrl, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 'unreachable';
  }
}

async function takeBackup(): Promise<string> {
  const r = await cli(['run', 'backup', '--plain', '--var', 'backup_kind=full', '--state-dir', state], { env: env(), timeoutMs: 120_000 });
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  const m = /Backup written: \S*\/(sim_full_\d{8}T\d{6}Z(?:_\d+)?\.dump) /.exec(r.stdout);
  expect(m).not.toBeNull();
  return m![1]!;
}

async function emergency(extra: string[], runbook = 'emergency'): Promise<CliResult> {
  return cli(['run', runbook, '--plain', '--confirm', 'sim', '--yes', '--state-dir', state, '--config', config, ...extra], { env: env(), timeoutMs: 150_000 });
}

function journalText(): string {
  const runs = path.join(state, 'runs');
  return readdirSync(runs)
    .flatMap((d) => readdirSync(path.join(runs, d)).map((f) => path.join(runs, d, f)))
    .map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    })
    .join('\n');
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: JSON.parse(data || '{}') as Record<string, unknown> });
      // A hook under /broken/ fails as a Slack outage would.
      if (req.url?.startsWith('/broken/')) res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/${SECRET}`;

  const s = await cli(['sandbox', 'start', '--state-dir', state], { timeoutMs: 120_000 });
  expect(s.exitCode, s.stderr).toBe(0);
  dbUrl = s.stdout.trim();
  const a = await cli(['sandbox', 'app', 'start', '--state-dir', state]);
  expect(a.exitCode, a.stderr).toBe(0);
  healthUrl = a.stdout.trim();
  // The generated config (app.stop, app.start, app.health_url) plus the webhook, in a file of our own.
  writeFileSync(config, `${readFileSync(path.join(state, 'parlant-runbook.config.yaml'), 'utf8')}\nalerts:\n  webhook_url: ${hookUrl}\n`);
}, 180_000);

afterAll(async () => {
  for (const f of ['fail-stop', 'never-healthy']) rmSync(faultFile(f), { force: true });
  await cli(['sandbox', 'stop', '--state-dir', state]);
  await new Promise<void>((r) => receiver?.close(() => r()));
  rmSync(state, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('parlant-runbook run emergency (line mode, sandbox + stand-in app)', () => {
  it('show emergency lists the phases and every step', async () => {
    const r = await cli(['show', 'emergency']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/incident clock: assess 5 min → stabilise 10 min → recover 15 min → resolve 30 min/);
    for (const id of ['assess-declare', 'assess-alert', 'stabilise-stop-app', 'stabilise-sessions', 'recover-restore', 'recover-start-app', 'recover-health', 'resolve-checklist']) {
      expect(r.stdout).toContain(id);
    }
    expect(r.stdout).toMatch(/\[sessions\] stabilise-sessions ⚠ DESTRUCTIVE/);
  });

  it('alerts, stops the app, cuts off the sessions, restores the backup, starts the app healthy, and reports every step with times', async () => {
    await takeBackup();
    const before = await fingerprint();
    await damage();
    expect(await fingerprint()).not.toBe(before);
    // Somebody's psql left open on the database: listed, then cut off.
    const stray = new pg.Client({ connectionString: dbUrl, application_name: 'stray-psql' });
    stray.on('error', () => undefined);
    await stray.connect();
    let r: CliResult;
    try {
      r = await emergency([]);
    } finally {
      await stray.end().catch(() => undefined);
    }
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);

    // The alert: one POST with what, which database, who, when — and the URL shown nowhere.
    expect(posts).toHaveLength(1);
    const body = posts[0]!.body;
    expect(posts[0]!.path).toBe(`/services/${SECRET}`);
    expect(body.text).toMatch(/^EMERGENCY on sim \(dev\): .+ started the emergency runbook/);
    expect(body.database).toBe('sim');
    expect(body.who).toBe(os.userInfo().username);
    expect(Date.parse(String(body.when))).toBeGreaterThan(Date.now() - 5 * 60_000);
    expect(body.what).toMatch(/restore/);
    expect(r.stdout).toMatch(/HTTP 200 from the configured webhook/);

    // The app's stop ran live, the stray session was listed and terminated, the newest backup verified and restored.
    expect(r.stdout).toMatch(/Stand-in Sim app stopped/);
    expect(r.stdout).toMatch(/stray-psql/);
    expect(r.stdout).toMatch(/Terminated \d+ sessions? on sim/);
    expect(r.stdout).toMatch(/✔ sim_full_\d{8}T\d{6}Z\.dump verified: restoring it/);
    expect(r.stdout).toMatch(/Condition met after/);

    expect(await healthStatus()).toBe(200);
    expect(await fingerprint()).toBe(before);

    const rep = await cli(['report', 'latest', '--format', 'md', '--state-dir', state]);
    expect(rep.exitCode).toBe(0);
    for (const id of ['assess-declare', 'assess-alert', 'stabilise-stop-app', 'stabilise-sessions', 'recover-restore', 'recover-start-app', 'recover-health', 'recover-validate-indexes', 'resolve-checklist']) {
      const line = rep.stdout.split('\n').find((l) => l.includes(id));
      expect(line, `report line for ${id}`).toBeDefined();
      expect(line).toMatch(/\d{2}:\d{2}:\d{2}|\d+(\.\d+)? ?(ms|s)\b/);
    }
    for (const text of [r.stdout, r.stderr, rep.stdout, journalText()]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(hookUrl);
    }
  }, 180_000);

  it('the app will not stop: the run says so, offers what to do, and restores nothing when told to stop', async () => {
    await damage();
    const damaged = await fingerprint();
    writeFileSync(faultFile('fail-stop'), '');
    try {
      const asked = await emergency([]);
      expect(asked.exitCode).toBe(3);
      expect(asked.stdout + asked.stderr).toMatch(/Could not stop the stand-in Sim app/);
      expect(asked.stdout + asked.stderr).toMatch(/app\.stop failed/);
      expect(asked.stdout + asked.stderr).toMatch(/--var app_stop_failed=<manual\|retry\|stop>/);

      // --var …=retry against a stop that keeps failing: three more tries, then the run stops instead of looping.
      const retried = await emergency(['--var', 'app_stop_failed=retry']);
      expect(retried.exitCode).toBe(3);
      expect((retried.stdout.match(/✖ FAILED Stop the application/g) ?? []).length).toBe(4);
      expect(retried.stdout + retried.stderr).toMatch(/--var app_stop_failed=retry has answered step stabilise-stop-failed 3 times and the question keeps coming back; stopping here rather than looping/);

      const stopped = await emergency(['--var', 'app_stop_failed=stop']);
      expect(stopped.exitCode).toBe(1);
      expect(stopped.stdout).toMatch(/Stopped before the restore/);
      expect(stopped.stdout).toMatch(/run the emergency runbook again/);
    } finally {
      rmSync(faultFile('fail-stop'), { force: true });
    }
    expect(await fingerprint()).toBe(damaged);
    expect(await healthStatus()).toBe(200);
  }, 180_000);

  it('no verified backup at all: the restore fails before touching the database, the run says so and starts the app again', async () => {
    await damage();
    const damaged = await fingerprint();
    // The same configuration with an empty backup directory: nothing to restore from.
    const emptyCfg = path.join(mkdtempSync(path.join(os.tmpdir(), 'prb-empty-')), 'parlant-runbook.config.yaml');
    writeFileSync(emptyCfg, `${readFileSync(config, 'utf8')}\nbackup_dir: ${mkdtempSync(path.join(os.tmpdir(), 'prb-nobackups-'))}\n`);
    const r = await cli(['run', 'emergency', '--plain', '--confirm', 'sim', '--yes', '--state-dir', state, '--config', emptyCfg], { env: env(), timeoutMs: 150_000 });
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.stdout + r.stderr).toMatch(/no verified backup/i);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/The restore did not happen/);
    expect(r.stdout).toMatch(/Start the application/);
    expect(await fingerprint()).toBe(damaged);
    expect(await healthStatus()).toBe(200);
  }, 180_000);

  it('the newest backup is corrupt: verification catches it, --yes alone does not fall back, the verdict is remembered and the older one restored — with the webhook down, a warning, exit 0', async () => {
    const older = await takeBackup();
    const good = await fingerprint();
    // A newer backup, then one flipped byte in it.
    await damage();
    const newest = await takeBackup();
    expect(newest).not.toBe(older);
    const archive = path.join(state, 'backups', newest);
    const bytes = readFileSync(archive);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0x10;
    writeFileSync(archive, bytes);

    // --yes alone never falls back to an older backup (what was written after it would be lost): it must be named.
    const unnamed = await emergency([]);
    expect(unnamed.exitCode).toBe(3);
    expect(unnamed.stdout + unnamed.stderr).toContain(`✖ ${newest} FAILED verification`);
    expect(unnamed.stdout).toMatch(/Other verified backups of sim, newest first/);
    expect(unnamed.stdout + unnamed.stderr).toMatch(/Pass --var backup_choice=<[^>]*\|stop>\./);
    expect(unnamed.stdout + unnamed.stderr).toMatch(new RegExp(`backup_choice=<${older.replace(/\./g, '\\.')}\\|`));
    expect(await fingerprint()).not.toBe(good);

    // …and the webhook is down too: the alert is a warning, never a failure of the run.
    const brokenHook = hookUrl.replace('/services/', '/broken/');
    const brokenCfg = path.join(work, 'broken-hook.config.yaml');
    writeFileSync(brokenCfg, readFileSync(config, 'utf8').replace(hookUrl, brokenHook));
    const sent = posts.length;
    const r = await cli(['run', 'emergency', '--plain', '--confirm', 'sim', '--yes', '--state-dir', state, '--config', brokenCfg], {
      env: env(),
      timeoutMs: 150_000,
    });
    expect(r.stderr).not.toMatch(/Unexpected error/);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(posts.length).toBe(sent + 1);
    expect(r.stdout).toMatch(/warning\s+Alert the team \(webhook\)/);
    expect(r.stdout).toMatch(/The alert did not go out — tell them yourself/);
    expect(r.stdout).toMatch(/Finished with \d+ warnings?/);
    expect(r.stdout + r.stderr).not.toContain(brokenHook);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    // The failed verdict was written into the corrupt archive's manifest: it is not offered again.
    expect(r.stdout).toContain(`Newest verified backup of sim: ${older}`);
    expect(r.stdout).not.toContain(`${newest} FAILED`);
    expect(r.stdout).toContain(`✔ ${older} verified: restoring it`);
    expect(await fingerprint()).toBe(good);
    expect(await healthStatus()).toBe(200);
  }, 240_000);

  it('never healthy: the health step gives up with next steps and the run exits 1', async () => {
    // The same runbook with a 5 s health wait instead of 60 s.
    const copy = path.join(work, 'emergency-short.yaml');
    copyFileSync(path.join(packageRoot(), 'runbooks', 'emergency.yaml'), copy);
    const text = readFileSync(copy, 'utf8');
    expect(text).toContain('timeout: 60s');
    writeFileSync(copy, text.replace('timeout: 60s', 'timeout: 5s'));
    writeFileSync(faultFile('never-healthy'), '');
    try {
      const r = await emergency([], copy);
      expect(r.stderr).not.toMatch(/Unexpected error/);
      expect(r.exitCode).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/Gave up after/);
      expect(r.stdout + r.stderr).toMatch(/fault injected: never healthy|HTTP 503/);
      expect(r.stdout).toMatch(/Not healthy — next steps/);
      expect(r.stdout).toMatch(/Read the application's log and status/);
    } finally {
      rmSync(faultFile('never-healthy'), { force: true });
    }
    expect(await healthStatus()).toBe(200);
  }, 180_000);
});
