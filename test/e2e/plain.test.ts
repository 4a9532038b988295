import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { watchSleep } from '../helpers/pgwatch.js';
import { shellQuote, Tmux } from '../helpers/tmux.js';

let cluster: TestCluster;
const terms: Tmux[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
});
afterAll(async () => {
  for (const t of terms) await t.kill();
  await cluster?.stop();
});

describe('line mode in a real terminal (tmux, 80×24)', () => {
  it('runs the tour with --plain: every line fits 80 columns and the run ends DONE with exit 0', async () => {
    const t = new Tmux(80, 24);
    terms.push(t);
    const state = tempStateDir();
    await t.start(`node ${BIN} run tour --plain --yes --confirm sim --state-dir ${shellQuote(state)}`, { DATABASE_URL: cluster.url, NO_COLOR: '1' });
    const screen = await t.waitFor(/\[exit \d+\]/, 60_000, true);
    expect(screen).toContain('[exit 0]');
    expect(screen).toMatch(/✔ DONE/);
    expect(screen).toMatch(/Drop the practice schema: Committed/);
    expect(screen).not.toContain(cluster.password);
  });

  it('Ctrl+C during a long query cancels it on the server, exits 130, and the run resumes', async () => {
    const t = new Tmux(80, 24);
    terms.push(t);
    const state = tempStateDir();
    const slow = path.join(FIXTURES, 'slow.yaml');
    await t.start(`node ${BIN} run ${shellQuote(slow)} --plain --state-dir ${shellQuote(state)}`, { DATABASE_URL: cluster.url, NO_COLOR: '1' });
    await t.waitFor('Sleep on the server');
    // Wait until the server really runs the query, then interrupt.
    const watch = await watchSleep(cluster.superuserUrl);
    expect(await watch.until(1)).toBe(1);
    await t.keys('C-c');
    const screen = await t.waitFor(/\[exit \d+\]/, 20_000, true);
    expect(screen).toContain('[exit 130]');
    expect(screen).toMatch(/ABORTED/);
    expect(await watch.until(0)).toBe(0);
    await watch.end();

    const t2 = new Tmux(80, 24);
    terms.push(t2);
    await t2.start(`node ${BIN} run ${shellQuote(slow)} --plain --resume latest --state-dir ${shellQuote(state)}`, { DATABASE_URL: cluster.url, NO_COLOR: '1' });
    await t2.waitFor('resuming run', 20_000, true);
    await t2.keys('C-c');
    await t2.waitFor(/\[exit \d+\]/, 20_000, true);
  });

  it('a dropped terminal (SIGHUP) mid-step journals the run as interrupted, cancels the query, and it can be resumed', async () => {
    const t = new Tmux(80, 24);
    const state = tempStateDir();
    const slow = path.join(FIXTURES, 'slow.yaml');
    await t.start(`node ${BIN} run ${shellQuote(slow)} --plain --state-dir ${shellQuote(state)}`, { DATABASE_URL: cluster.url, NO_COLOR: '1' });
    const watch = await watchSleep(cluster.superuserUrl);
    expect(await watch.until(1)).toBe(1);
    await t.kill(); // the SSH link drops: tmux sends SIGHUP to the process
    expect(await watch.until(0)).toBe(0);
    await watch.end();
    const { cli } = await import('../helpers/cli.js');
    let report = '';
    for (let i = 0; i < 50; i++) {
      report = (await cli(['report', 'latest', '--state-dir', state])).stdout;
      if (report.includes('SIGHUP')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(report).toMatch(/\| Result \| interrupted \(can be resumed/);
    expect(report).toMatch(/the terminal went away \(SIGHUP\)/);
  });
});
