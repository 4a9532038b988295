import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, FIXTURES, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;
let server: Server;
let port = 0;
let healthCalls = 0;
let webhookStatus = 200;
const received: unknown[] = [];

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: false });
  server = createServer((req, res) => {
    if (req.url === '/health') {
      healthCalls++;
      res.writeHead(healthCalls >= 3 ? 200 : 503).end(healthCalls >= 3 ? 'ok' : 'starting');
      return;
    }
    if (req.url?.startsWith('/hooks/secret-token')) {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.writeHead(webhookStatus).end();
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.close();
  await cluster?.stop();
});

function config(dir: string): string {
  const f = path.join(dir, 'c.yaml');
  writeFileSync(f, `app:\n  health_url: http://127.0.0.1:${port}/health\nalerts:\n  webhook_url: http://127.0.0.1:${port}/hooks/secret-token/xyz\n`);
  return f;
}

describe('http and wait-until-http steps against a loopback server', () => {
  it('posts the templated JSON body to the webhook, waits until healthy, and never shows the webhook URL', async () => {
    const state = tempStateDir();
    healthCalls = 0;
    const r = await cli(['run', path.join(FIXTURES, 'http.yaml'), '--state-dir', state, '--config', config(state), '--var', 'db=sim'], { env: { DATABASE_URL: cluster.url } });
    expect(r.exitCode).toBe(0);
    expect(received).toEqual([{ text: 'migration of sim started by tester' }]);
    expect(r.stdout).toMatch(/Tell the channel: HTTP 200 from the configured webhook/);
    expect(r.stdout).toMatch(/Wait for the app to be healthy: Condition met after .* \(3 tries\)/);
    expect(r.stdout).toMatch(/HTTP 503, waiting for 200/);
    const journal = readFileSync(path.join(state, 'runs', readdirSync(path.join(state, 'runs'))[0] as string, 'journal.jsonl'), 'utf8');
    for (const text of [r.stdout, r.stderr, journal]) expect(text).not.toContain('secret-token');
  });

  it('a failing webhook is reported and does not block the runbook (on_failure: continue)', async () => {
    const state = tempStateDir();
    webhookStatus = 500;
    healthCalls = 10;
    const r = await cli(['run', path.join(FIXTURES, 'http.yaml'), '--state-dir', state, '--config', config(state), '--var', 'db=sim'], { env: { DATABASE_URL: cluster.url } });
    webhookStatus = 200;
    expect(r.stdout).toMatch(/✖ FAILED Tell the channel: HTTP 500 from the configured webhook/);
    expect(r.stdout).toMatch(/✔ passed Health check: HTTP 200/);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).not.toContain('secret-token');
  });
});
