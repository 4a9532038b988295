import { execa } from 'execa';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli, FIXTURES, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { watchSleep } from '../helpers/pgwatch.js';

/** The server dies while a step runs: the run fails cleanly, says what happened, and stays resumable. */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: false });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('a database server that goes away mid-step', () => {
  it('fails the step with what happened and what to do, exit 1, no stack trace, and the run can be resumed', async () => {
    const state = tempStateDir();
    const run = execa('node', [BIN, 'run', path.join(FIXTURES, 'slow.yaml'), '--plain', '--state-dir', state], {
      env: { ...process.env, DATABASE_URL: cluster.url, NO_COLOR: '1', CI: '1' },
      reject: false,
      stdin: 'ignore',
    });
    const watch = await watchSleep(cluster.superuserUrl);
    expect(await watch.until(1)).toBe(1);
    await watch.end();
    await cluster.stopServer('immediate');

    const r = await run;
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toMatch(/FAILED Sleep on the server/);
    expect(String(r.stdout)).toMatch(/The connection to the database was lost .*run the same command with --resume latest/);
    expect(String(r.stderr)).not.toMatch(/\n\s+at /);

    await cluster.startServer();
    const report = await cli(['report', 'latest', '--state-dir', state]);
    expect(report.stdout).toMatch(/\| Result \| failed \(exit 1\)/);
    const again = await cli(['run', path.join(FIXTURES, 'slow.yaml'), '--state-dir', state, '--dry-run'], { env: { DATABASE_URL: cluster.url } });
    expect(again.stderr).toMatch(/An unfinished run of slow .* exists: .*pass --resume latest/);
  });
});
