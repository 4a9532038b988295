import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRuns } from '../../src/core/journal.js';
import { packageRoot } from '../../src/core/paths.js';
import { BIN, cli, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { launchCli, pressFor, shellQuote, Tmux } from '../helpers/tmux.js';

/**
 * The emergency runbook in a real terminal (issue 7, "Done means"): tmux at 80×24, from launch to the first
 * alert step in at most two keystrokes, and the incident clock visibly changing phase. The configuration shortens
 * the time boxes to seconds (assess and stabilise 6 s each) so the clock turns amber, then red, within the test;
 * a loopback HTTP receiver stands in for the team's Slack webhook. Every wait is for text on the screen (or a
 * request at the receiver) with a deadline; waiting for the clock is polling the screen until it says so.
 */

let cluster: TestCluster;
let su: pg.Client;
const terms: Tmux[] = [];

/** A Slack-compatible webhook on loopback: records every request, answers 200. */
interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}
let receiver: http.Server;
let received: Received[] = [];
let webhookPort: number;

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  su = new pg.Client({ connectionString: cluster.superuserUrl });
  await su.connect();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', contentType: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  webhookPort = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const t of terms) await t.kill();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await su?.end();
  await cluster?.stop();
});

/** Start the CLI in a fresh 80×24 terminal. */
function launch(args: string, state: string): Promise<Tmux> {
  return launchCli({ bin: BIN, cwd: packageRoot(), dbUrl: cluster.url, state, args, terms });
}

const step = pressFor;

async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function one(sql: string): Promise<string> {
  return String(Object.values((await su.query(sql)).rows[0] ?? {})[0]);
}

/** No row of the screen is wider than the terminal, and the banner is drawn once (no frame drawn over another). */
function expectClean(screen: string, cols: number, bannerLine: RegExp): void {
  for (const l of screen.split('\n')) expect([...l].length).toBeLessThanOrEqual(cols);
  expect(screen.split('\n').filter((l) => bannerLine.test(l))).toHaveLength(1);
}

/** The banner's second line: the runbook's title and the incident clock. */
const BANNER = /^Emergency — stop, restore.*⏱ \d\d:\d\d /;
const bannerOf = (screen: string): string => screen.split('\n').find((l) => BANNER.test(l)) ?? '';

describe('the emergency runbook in a real terminal (tmux, 80×24)', () => {
  it('reaches the alert in two keys, sends it, and the incident clock turns amber, red, then moves to stabilise', async () => {
    received = [];
    const secret = 'T000-secret';
    const webhook = `http://127.0.0.1:${webhookPort}/services/${secret}`;
    const state = tempStateDir();
    const config = path.join(state, 'parlant-runbook.config.yaml');
    writeFileSync(
      config,
      ['alerts:', `  webhook_url: ${webhook}`, 'incident:', '  time_boxes: { assess: 6s, stabilise: 6s, recover: 1m, resolve: 1m }', ''].join('\n'),
    );
    const workspacesBefore = await one('SELECT count(*) FROM workspace');
    const simOidBefore = await one("SELECT oid FROM pg_database WHERE datname = 'sim'");
    const suPid = await one('SELECT pg_backend_pid()');
    expect(Number(workspacesBefore)).toBeGreaterThan(0);

    const t = await launch(`--config ${shellQuote(config)}`, state);
    let screen = await t.waitFor('Pick a runbook', 30_000);
    expect(screen).toMatch(/\[e\] emergency/);
    // Incident runbooks come first; the emergency runbook is also under the cursor (enter would open it too).
    expect(screen).toMatch(/^› Emergency — stop, restore/m);
    for (const l of screen.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);

    // Every key from here until the alert has gone out is counted.
    let keystrokes = 0;
    const press = async (key: string, expected: string | RegExp, timeoutMs = 20_000): Promise<string> => {
      keystrokes++;
      return step(t, key, expected, timeoutMs);
    };

    // Keystroke 1: e opens the emergency runbook's run screen, its first step (the alert) at the gate.
    screen = await press('e', 'First: 1 Alert the team (webhook)', 30_000);
    expect(screen).toContain('[enter] run');
    expect(screen).toContain('POST the configured webhook');
    // The clock starts on time, in the assess box (the long form: the frame is 79 columns wide).
    expect(bannerOf(screen)).toMatch(/⏱ 00:0\d · assess 0:00–0:06$/);
    expectClean(screen, 80, BANNER);
    expect(received).toHaveLength(0);

    // Keystroke 2: enter runs the alert.
    screen = await press('Enter', /✔\s+1 Alert the team/);
    expect(keystrokes).toBe(2);
    const post = await waitUntil('the webhook POST', () => received[0]);
    expect(post.method).toBe('POST');
    expect(post.url).toBe(`/services/${secret}`);
    expect(post.contentType).toContain('application/json');
    const body = JSON.parse(post.body) as Record<string, unknown>;
    expect(body.database).toBe('sim');
    expect(String(body.text)).toMatch(/^EMERGENCY on sim \(dev\): /);
    expect(body.run_id).toMatch(/emergency/);
    // The note for a failed alert is passed over, and the declaration waits at the gate.
    screen = await t.waitFor('Next: 3 Declare the incident');
    expect(screen).toMatch(/↷\s+2 The alert did not g/);
    expect(screen).toContain('Skipped: step assess-alert is passed, not warned');
    expectClean(screen, 80, BANNER);
    expect(screen).not.toContain(secret);
    expect(screen).not.toContain(`:${webhookPort}`);

    // The log says what was done with the webhook, never where it is.
    screen = await step(t, 'l', 'POST the configured webhook');
    expect(screen).toContain('HTTP 200 from the configured webhook');
    expect(screen).not.toContain(secret);
    expect(screen).not.toContain(`:${webhookPort}`);
    expectClean(screen, 80, BANNER);
    screen = await step(t, 'Escape', 'Next: 3 Declare the incident');

    // The clock visibly changes: over the assess box (amber: "!"), then past it by more than half (red: "✖").
    screen = await t.waitFor(/⏱ 00:\d\d ! assess 0:00–0:06, over by 00:0\d/, 20_000);
    expectClean(screen, 80, BANNER);
    expect(screen).toContain('Next: 3 Declare the incident');
    screen = await t.waitFor(/⏱ 00:\d\d ✖ assess OVERRUN by 00:\d\d \(box 0:00–0:06\)/, 20_000);
    expectClean(screen, 80, BANNER);
    const redAssess = bannerOf(screen);

    // Declare: tick all four, enter, a line of notes; the run moves on to the first stabilise step.
    screen = await step(t, 'Enter', 'Tick what is done');
    expect(screen).toContain('0/4 ticked');
    expectClean(screen, 80, BANNER);
    await t.keys('Space', 'Down', 'Space', 'Down', 'Space', 'Down', 'Space');
    screen = await t.waitFor('4/4 ticked');
    expectClean(screen, 80, BANNER);
    screen = await step(t, 'Enter', 'Notes for the journal');
    await t.type('e2e drill: assess overran');
    screen = await step(t, 'Enter', 'Next: 5 Stop the application');
    expect(screen).toMatch(/✔\s+3 Declare the inciden/);
    expect(screen).toMatch(/↷\s+4 Stop the application/);
    expect(screen).toContain('Skipped: app.stop is not configured');
    expectClean(screen, 80, BANNER);
    // The clock now names stabilise and its box (already over or overrun: the assess phase took longer than 6 s).
    const stabilise = bannerOf(screen);
    expect(stabilise).toMatch(/⏱ 00:\d\d [·!✖] stabilise /);
    expect(stabilise).toContain('0:06–0:12');
    expect(stabilise).not.toContain('assess');
    expect(stabilise).not.toBe(redAssess);
    // …and keeps running in it, to red at T+15 s.
    screen = await t.waitFor(/⏱ 00:\d\d ✖ stabilise OVERRUN by 00:\d\d \(box 0:06–0:12\)/, 20_000);
    expectClean(screen, 80, BANNER);
    expect(screen).toContain('Next: 5 Stop the application');

    // Leave: abort at the gate (asked first), the final screen, the exit code.
    screen = await step(t, 'a', 'Stop the run here?');
    expect(screen).toContain('Next: 5 Stop the application');
    screen = await step(t, 'y', '■ ABORTED');
    expectClean(screen, 80, BANNER);
    expect(screen).toContain('exit 130');
    expect(screen).toContain('Start the same runbook again to resume it');
    expect(screen).not.toContain(secret);
    await step(t, 'Enter', '[exit 130]');

    // The alert went out once; nothing destructive ran: same database (not restored), same rows, and this
    // test's own session was not cut off.
    expect(received).toHaveLength(1);
    expect(await one('SELECT count(*) FROM workspace')).toBe(workspacesBefore);
    expect(await one("SELECT oid FROM pg_database WHERE datname = 'sim'")).toBe(simOidBefore);
    expect(await one('SELECT pg_backend_pid()')).toBe(suPid);

    // The journal: aborted before the stabilise checklist; the sessions and the restore never started.
    const runs = await listRuns(state);
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.verify.ok).toBe(true);
    expect(run.state.status).toBe('aborted');
    expect(body.run_id).toBe(run.runId);
    const status = (id: string): string | undefined => run.state.steps.find((s) => s.id === id)?.status;
    expect(status('assess-alert')).toBe('passed');
    expect(status('assess-declare')).toBe('passed');
    expect(status('stabilise-sessions')).toBe('pending');
    expect(status('recover-restore')).toBe('pending');
    expect(readFileSync(run.journal, 'utf8')).not.toContain(secret);

    // The report's incident timeline judges the phases by the same shortened boxes.
    const report = await cli(['report', 'latest', '--format', 'md', '--state-dir', state]);
    expect(report.exitCode).toBe(0);
    expect(report.stdout).toMatch(/^Phases: assess 0:00–0:06: ! ended T\+[\d:]+, over by /m);
    // The run stopped in stabilise after its box: the phase is open there and over, as the screen's clock said.
    expect(report.stdout).toMatch(/^Phases: .*stabilise 0:06–0:12: ! open when the run stopped at T\+[\d:]+, over by /m);
    expect(report.stdout).toContain('Notes: e2e drill: assess overran');
    expect(report.stdout).toMatch(/\*\*final state\*\* aborted at step stabilise-stop-app-manual /);
    expect(report.stdout).not.toContain(secret);
  });
});
