import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { cli, FIXTURES, tempStateDir } from '../helpers/cli.js';

/**
 * The CLI as an operator meets it: the real binary, a real PostgreSQL, no terminal (line mode).
 * The password travels in DATABASE_URL (never argv) so the tests can check it never leaks.
 */
let cluster: TestCluster;
let env: Record<string, string>;

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  env = { DATABASE_URL: cluster.url };
});
afterAll(async () => {
  await cluster?.stop();
});

/** A loopback port where nothing listens (fetch refuses well-known ports such as 9 outright). */
const closedPort = 47_391;

function configWith(dir: string, extra = ''): string {
  const file = path.join(dir, 'parlant-runbook.config.yaml');
  writeFileSync(
    file,
    `commands:
  fixture.echo: ["sh", "-c", "echo argv: $0 $@; echo pgpassfile=$PGPASSFILE; env | grep -c '^PGPASSWORD=' || true; cat /proc/$$/cmdline | tr '\\\\0' ' '; echo"]
app:
  health_url: http://127.0.0.1:${closedPort}/health
${extra}`,
  );
  return file;
}

describe('parlant-runbook run (line mode, real database)', () => {
  it('walks every step kind with --yes and --confirm <db>, exit 0, and the report has every step', async () => {
    const state = tempStateDir();
    const config = configWith(state);
    const r = await cli(['run', path.join(FIXTURES, 'every-kind.yaml'), '--state-dir', state, '--config', config, '--yes', '--confirm', 'sim', '--var', 'path=long'], { env });
    // The health URL points at a closed port: that step fails, everything before it passed.
    expect(r.stdout).toMatch(/Count Sim users: users is 2000/);
    expect(r.stdout).toMatch(/Only on the long way: Read/);
    expect(r.stdout).toMatch(/Type the database name: Confirmed by typing "sim"/);
    expect(r.stdout).toMatch(/Drop the scratch table: Committed: DROP/);
    expect(r.stdout).toMatch(/Run the configured echo: fixture\.echo finished \(exit 0\)/);
    expect(r.stdout).toMatch(/✖ FAILED Health check: No answer from http:\/\/127\.0\.0\.1:47391\/health/);
    expect(r.exitCode).toBe(1);

    const report = await cli(['report', 'latest', '--state-dir', state]);
    expect(report.exitCode).toBe(0);
    for (const title of ['Read this first', 'Count Sim users', 'Create a scratch table', 'Manual checks', 'Pick a path', 'Drop the scratch table', 'Health check']) {
      expect(report.stdout).toContain(title);
    }
    expect(report.stdout).toMatch(/\| Target \| dev 127\.0\.0\.1:\d+\/sim as sim_admin \|/);
    expect(report.stdout).toMatch(/type-to-confirm \| typed "sim" \| flag \| --confirm/);
    expect(report.stdout).toContain('hash chain verified');
  });

  it('never exposes the password: not in a child\'s argv or environment, the journal, the report or an error', async () => {
    const state = tempStateDir();
    const config = configWith(state);
    const r = await cli(['run', path.join(FIXTURES, 'every-kind.yaml'), '--state-dir', state, '--config', config, '--yes', '--confirm', 'sim'], { env });
    // The child saw a passfile, no PGPASSWORD (count 0), and an argv without the password.
    expect(r.stdout).toMatch(/pgpassfile=\/.+parlant-pgpass-/);
    expect(r.stdout).toMatch(/│ 0\n/);
    const everything = [r.stdout, r.stderr, (await cli(['report', 'latest', '--state-dir', state])).stdout, (await cli(['report', 'latest', '--format', 'json', '--state-dir', state])).stdout];
    for (const runDir of readdirSync(path.join(state, 'runs'))) everything.push(readFileSync(path.join(state, 'runs', runDir, 'journal.jsonl'), 'utf8'));
    for (const text of everything) expect(text).not.toContain(cluster.password);
    const bad = await cli(['run', 'tour', '--state-dir', state], { env: { DATABASE_URL: cluster.url.replace(cluster.password, `${cluster.password}x`) } });
    expect(bad.stderr).not.toContain(cluster.password);
  });

  it('refuses a destructive step without --confirm (exit 3), naming the flag; --yes does not cover it', async () => {
    const state = tempStateDir();
    const r = await cli(['run', path.join(FIXTURES, 'every-kind.yaml'), '--state-dir', state, '--config', configWith(state), '--yes'], { env });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/Pass --confirm sim to go ahead \(--yes does not cover destructive steps\)/);
    expect(r.stdout).not.toMatch(/Drop the scratch table: Committed/);
  });

  it('refuses a confirmation when not interactive and --yes is missing (exit 3)', async () => {
    const state = tempStateDir();
    const r = await cli(['run', path.join(FIXTURES, 'every-kind.yaml'), '--state-dir', state, '--config', configWith(state)], { env });
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/pass --yes/i);
  });

  it('exits 1 when a step fails, naming line and column of the SQL error, and resumes from the failed step', async () => {
    const state = tempStateDir();
    const r = await cli(['run', path.join(FIXTURES, 'failing.yaml'), '--state-dir', state], { env });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/syntax error at or near "SELEC" at line 2, column 1 \(SQLSTATE 42601\)/);
    const again = await cli(['run', path.join(FIXTURES, 'failing.yaml'), '--state-dir', state, '--resume', 'latest'], { env });
    expect(again.stdout).toMatch(/resuming run .*failing/);
    expect(again.stdout).not.toMatch(/\[1\/3\] ▶ Fine/);
    expect(again.exitCode).toBe(1);
  });

  it('in a dry run changes nothing', async () => {
    const state = tempStateDir();
    const su = new pg.Client({ connectionString: cluster.superuserUrl });
    await su.connect();
    await su.query('DROP TABLE IF EXISTS fixture_scratch');
    await su.end();
    const r = await cli(['run', path.join(FIXTURES, 'every-kind.yaml'), '--state-dir', state, '--config', configWith(state), '--dry-run'], { env });
    expect(r.stdout).toMatch(/DRY RUN/);
    expect(r.stdout).toMatch(/Create a scratch table: Dry run: would run inline SQL in one transaction/);
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    const t = await c.query("SELECT to_regclass('fixture_scratch') AS t");
    await c.end();
    expect(t.rows[0].t).toBeNull();
  });

  it('every connection says who it is: application_name carries the version and the run id', async () => {
    const state = tempStateDir();
    const rb = path.join(state, 'app-name.yaml');
    writeFileSync(
      rb,
      `id: app-name\ntitle: App name\nsummary: s\nphase: training\nrisk: low\nsteps:\n  - id: who\n    title: Who am I\n    kind: check\n    with: { sql: "SELECT current_setting('application_name') AS app", expect: { rows: some } }\n`,
    );
    const r = await cli(['run', rb, '--state-dir', state], { env });
    const runId = readdirSync(path.join(state, 'runs'))[0] as string;
    expect(r.stdout).toMatch(new RegExp(`parlant-runbook/\\d+\\.\\d+\\.\\d+ run=${runId}`));
    expect(r.exitCode).toBe(0);
  });

  it('--json prints one event object per line', async () => {
    const state = tempStateDir();
    const r = await cli(['run', 'tour', '--state-dir', state, '--json', '--yes', '--confirm', 'sim'], { env });
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(events[0]?.type).toBe('run-started');
    expect(events[events.length - 1]?.type).toBe('run-finished');
    expect(r.exitCode).toBe(0);
  });

  it('report flags a tampered journal and exits 1', async () => {
    const state = tempStateDir();
    await cli(['run', 'tour', '--state-dir', state, '--yes', '--confirm', 'sim'], { env });
    const [runId] = readdirSync(path.join(state, 'runs'));
    const file = path.join(state, 'runs', runId as string, 'journal.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"status":"passed"', '"status":"failed"'));
    const r = await cli(['report', 'latest', '--state-dir', state]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/the journal does not verify/);
    expect(r.stderr).toMatch(/does not verify: line \d+/);
  });
});

describe('bad input gets a clear message and exit 2', () => {
  it('a wrong password names the target and the password source, not the password', async () => {
    const r = await cli(['list', '--state-dir', tempStateDir()], { env });
    expect(r.exitCode).toBe(0);
    const bad = await cli(['run', 'tour', '--state-dir', tempStateDir()], { env: { DATABASE_URL: cluster.url.replace(cluster.password, 'wrong-pass') } });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Can't connect to 127\.0\.0\.1:\d+\/sim as sim_admin: password authentication failed/);
    expect(bad.stderr).not.toContain('wrong-pass');
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('an unreachable host', async () => {
    const r = await cli(['run', 'tour', '--state-dir', tempStateDir(), '--db', 'postgresql://u@127.0.0.1:1/sim']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Can't connect to 127\.0\.0\.1:1\/sim as u/);
  });

  it('a missing runbook lists the ones there are', async () => {
    const r = await cli(['run', 'no-such-runbook', '--state-dir', tempStateDir()], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/No runbook "no-such-runbook"\. Available: .*tour/);
  });

  it('a malformed runbook reports every problem with file:line:column', async () => {
    const r = await cli(['run', path.join(FIXTURES, 'broken.yaml'), '--state-dir', tempStateDir()], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml has \d+ problems/);
    expect(r.stderr).toMatch(/broken\.yaml:3:\d+\s+phase/);
  });

  it('an unknown flag and a bad --var', async () => {
    expect((await cli(['list', '--frobnicate'])).exitCode).toBe(2);
    const v = await cli(['run', 'tour', '--var', 'novalue', '--state-dir', tempStateDir()], { env });
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toMatch(/--var "novalue" is not key=value/);
  });

  it('a broken config file', async () => {
    const dir = tempStateDir();
    writeFileSync(path.join(dir, 'bad.yaml'), 'targets:\n  prod: { hots: x }\n');
    const r = await cli(['list', '--config', path.join(dir, 'bad.yaml')]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:2:\d+\s+.*unknown field "hots"/);
  });
});

describe('list, show, --help, --version', () => {
  it('list --plain is tab-separated: id, title, risk, steps', async () => {
    const r = await cli(['list', '--plain']);
    const tour = r.stdout.split('\n').find((l) => l.startsWith('tour\t'));
    expect(tour?.split('\t')).toEqual(['tour', 'Guided tour on the sandbox', 'low', expect.stringMatching(/^\d+$/)]);
  });
  it('show marks destructive steps', async () => {
    const r = await cli(['show', 'tour']);
    expect(r.stdout).toMatch(/Drop the practice schema .*⚠ DESTRUCTIVE/);
    expect(r.exitCode).toBe(0);
  });
  it('--help names the exit codes, --version the version', async () => {
    const h = await cli(['--help']);
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toMatch(/Exit codes: 0 done · 1 a step failed · 2 usage/);
    expect((await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
