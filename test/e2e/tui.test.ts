import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { BIN, FIXTURES, tempStateDir } from '../helpers/cli.js';
import { watchSleep } from '../helpers/pgwatch.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { launchCli, pressFor, shellQuote, Tmux } from '../helpers/tmux.js';

/**
 * The Ink TUI in a real terminal: tmux at 80×24 (and 60×24), keys sent as an operator would, the screen read
 * back. Every wait is for text on the screen or a fact in the database, with a deadline.
 */

let cluster: TestCluster;
let su: pg.Client;
const terms: Tmux[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  su = new pg.Client({ connectionString: cluster.superuserUrl });
  await su.connect();
});
afterAll(async () => {
  for (const t of terms) await t.kill();
  await su?.end();
  await cluster?.stop();
});

/** Start the CLI in a fresh terminal (80×24 unless said). */
function launch(args: string, state: string, size: { cols: number; rows: number } = { cols: 80, rows: 24 }): Promise<Tmux> {
  return launchCli({ bin: BIN, cwd: packageRoot(), dbUrl: cluster.url, state, args, terms, ...size });
}

const step = pressFor;

async function count(sql: string): Promise<number> {
  return Number((await su.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
}

/** No row of the screen is wider than the terminal, and the banner is drawn once (no frame drawn over another). */
function expectClean(screen: string, cols: number, bannerLine: RegExp): void {
  for (const l of screen.split('\n')) expect([...l].length).toBeLessThanOrEqual(cols);
  expect(screen.split('\n').filter((l) => bannerLine.test(l))).toHaveLength(1);
}

describe('the TUI in a real terminal (tmux)', () => {
  it('launches home, opens the tour, runs its steps, and takes the database name only when typed right', async () => {
    const state = tempStateDir();
    const t = await launch('', state);
    let screen = await t.waitFor('Pick a runbook', 30_000);
    expect(screen).toMatch(/parlant-runbook · dev 127\.0\.0\.1:\d+\/sim as sim_admin/);
    expect(screen).toContain('Training');

    // The tour is under Training: move the cursor to it.
    for (let i = 0; i < 30 && !(await t.screen()).includes('› Guided tour on the sandbox'); i++) await t.keys('Down');
    screen = await step(t, 'Enter', 'First: 1 Welcome');
    expectClean(screen, 80, /Guided tour on the sandbox · risk low/);
    expect(screen).toContain('[enter] run');

    await step(t, 'Enter', 'Next: 2 Check the server version');
    screen = await step(t, 'Enter', 'Next: 3 Find the Sim tables');
    expect(screen).toContain('✔  2 Check the server');
    await step(t, 'Enter', 'Next: 4 Look at the largest tables');
    screen = await step(t, 'Enter', 'Next: 5 See who else is connected');
    expect(screen).toMatch(/table\s+total_size\s+rows_estimate/);
    await step(t, 'Enter', 'Next: 6 Practise the window checklist');

    await step(t, 'Enter', 'Tick what is done');
    await t.keys('Space', 'Down', 'Space', 'Down', 'Space');
    await t.waitFor('3/3 ticked');
    await step(t, 'Enter', 'Notes for the journal');
    await t.type('e2e run');
    await step(t, 'Enter', 'Next: 7 Choose the practice path');
    await step(t, 'Enter', '? Write to a practice schema');
    await step(t, 'Enter', 'Next: 8 Create the practice table');
    await step(t, 'Enter', 'Next: 9 Wait until the practice rows');
    await step(t, 'Enter', 'Next: 10 ⚠ Confirm dropping the practice schema');

    screen = await step(t, 'Enter', 'Type the database name sim to go ahead');
    expect(screen).toContain('⚠ DESTRUCTIVE');
    expect(screen).toContain('• DROP SCHEMA parlant_training');
    expect(screen).toMatch(/on dev\s/);

    // Wrong text is refused, and the prompt stays.
    await t.type('simm');
    screen = await step(t, 'Enter', '"simm" is not "sim"');
    expect(screen).toContain('Type the database name sim to go ahead');
    expect(await count("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'parlant_training'")).toBe(1);

    // The right text is accepted.
    await t.keys('BSpace');
    screen = await step(t, 'Enter', 'Next: 11 ⚠ Drop the practice schema');
    expect(screen).toContain('Confirmed by typing "sim"');
    await step(t, 'Enter', 'Next: 12 Tour finished');
    screen = await step(t, 'Enter', '✔ DONE');
    expect(await count("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'parlant_training'")).toBe(0);
    expect(screen).toContain('[enter] close');
    await step(t, 'Enter', '[exit 0]');
  });

  it('cancels a long query on Ctrl+C after asking, then resumes the run', async () => {
    const state = tempStateDir();
    const slow = path.join(FIXTURES, 'slow.yaml');
    const watch = await watchSleep(cluster.superuserUrl);
    const sleeping = watch.count;

    const t = await launch(`run ${shellQuote(slow)}`, state);
    await t.waitFor('First: 1 Before the sleep', 30_000);
    await step(t, 'Enter', 'Next: 2 Sleep on the server');
    await step(t, 'Enter', '▶ 2 Sleep on the server');
    expect(await watch.until(1)).toBe(1);

    await step(t, 'C-c', 'Abort the running step?');
    // Asked, not yet done: the query still runs.
    expect(await sleeping()).toBe(1);
    let screen = await step(t, 'y', '■ ABORTED');
    expect(screen).toContain('■ 2 Sleep on the server');
    expect(screen).toContain('Start the same runbook again to resume it');
    expect(await watch.until(0)).toBe(0);
    await watch.end();
    await step(t, 'Enter', '[exit 130]');

    // Relaunch: the run offers to resume, skips the finished step, and starts at the aborted one.
    const t2 = await launch(`run ${shellQuote(slow)}`, state);
    await t2.waitFor('An unfinished run of slow', 30_000);
    screen = await step(t2, 'Enter', 'Next: 2 Sleep on the server');
    expect(screen).not.toContain('First: 1 Before the sleep');
    // The resumed run shows its target and its finished step from the journal at once.
    expect(screen).toMatch(/✔\s+1 Before the sleep/);
    expect(screen).not.toContain('target not known yet');
    await step(t2, 's', 'Next: 3 After the sleep');
    screen = await step(t2, 'Enter', '✔ DONE');
    expect(screen).toContain('↷ 2 Sleep on the server');
    await step(t2, 'Enter', '[exit 0]');
  });

  it('stays readable at 60 columns, also after a resize', async () => {
    const state = tempStateDir();
    const t = await launch('run tour', state, { cols: 60, rows: 24 });
    let screen = await t.waitFor('First: 1 Welcome', 30_000);
    expectClean(screen, 60, /^Guided tour on the sandbox · risk low/);
    expect(screen).toMatch(/^─{20,}$/m);
    expect(screen).toMatch(/enter run · s skip/);
    screen = await step(t, 'Enter', 'Next: 2 Check the server version');
    expectClean(screen, 60, /^Guided tour on the sandbox · risk low/);
    screen = await step(t, 'Enter', 'Next: 3 Find the Sim tables');
    expect(screen).toContain('✔  2 Check the server version — version_num is');
    expectClean(screen, 60, /^Guided tour on the sandbox · risk low/);

    await t.resize(80, 24);
    screen = await t.waitFor(/ │ Next: 3 Find the Sim tables/);
    expectClean(screen, 80, /^Guided tour on the sandbox · risk low/);

    // q at the step gate stops the run (it can be resumed) and leaves.
    await step(t, 'q', '[exit 130]');
  });
});
