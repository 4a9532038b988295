import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, connect, withClient, withTransaction } from '../../src/db/connect.js';
import { childProcessEnv, resolveTarget, type ResolvedTarget, type ResolveInput } from '../../src/db/connection.js';
import { describeFailure, runToEnd } from '../../src/tools/run.js';

/*
 * A throw-away PostgreSQL 15 cluster for this file only, until the shared cluster helper lands in test/helpers.
 * TCP on 127.0.0.1 with scram-sha-256 and a password full of pgpass/URL special characters; the Unix socket is trust.
 */

const BIN = '/usr/lib/postgresql/15/bin';
const PASSWORD = 'p@ss:w\\rd #1';

interface LocalCluster {
  base: string;
  data: string;
  socketDir: string;
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = (line ?? '').split(':');
  if (!uid || !gid) throw new Error('no postgres OS user: install the postgresql package');
  return { uid: Number(uid), gid: Number(gid) };
}

async function startCluster(): Promise<LocalCluster> {
  const { uid, gid } = await postgresIds();
  const base = await mkdtemp(path.join(os.tmpdir(), 'prb-connect-'));
  const data = path.join(base, 'data');
  const socketDir = path.join(base, 'sock');
  const pwfile = path.join(base, 'pwfile');
  const log = path.join(base, 'server.log');
  await mkdir(socketDir, { mode: 0o700 });
  await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  for (const p of [base, socketDir, pwfile]) await chown(p, uid, gid);
  await chmod(base, 0o700);
  const asPostgres = { uid, gid, cwd: base, env: { LC_ALL: 'C', PGDATA: undefined } };

  const init = await runToEnd(
    path.join(BIN, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth-host=scram-sha-256', '--auth-local=trust', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '-N'],
    asPostgres,
  );
  if (!init.ok) throw new Error(describeFailure(init, 20));
  const port = await freePort();
  const opts = `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1 -c ssl=off -c fsync=off -c max_connections=20`;
  const start = await runToEnd(path.join(BIN, 'pg_ctl'), ['-D', data, '-l', log, '-w', '-t', '60', '-o', opts, 'start'], asPostgres);
  if (!start.ok) {
    const serverLog = await readFile(log, 'utf8').catch(() => '');
    await rm(base, { recursive: true, force: true });
    throw new Error(`${describeFailure(start, 20)}\n${serverLog.slice(-2000)}`);
  }
  return {
    base,
    data,
    socketDir,
    port,
    async stop() {
      await runToEnd(path.join(BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], asPostgres);
      await rm(base, { recursive: true, force: true });
    },
  };
}

let cluster: LocalCluster;
let home: string;

beforeAll(async () => {
  cluster = await startCluster();
  home = await mkdtemp(path.join(os.tmpdir(), 'prb-connect-home-'));
});

afterAll(async () => {
  await cluster?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** A target resolved with nothing from this machine's environment or home directory. */
function target(db: string, extra: Omit<ResolveInput, 'db'> = {}): Promise<ResolvedTarget> {
  return resolveTarget({ db, homedir: home, osUser: 'postgres', env: { PGSYSCONFDIR: home }, ...extra });
}

function tcp(params = ''): Promise<ResolvedTarget> {
  return target(`postgresql://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cluster.port}/postgres${params}`, {
    appName: 'parlant-runbook/test run=it1',
  });
}

async function connectionFailure(t: ResolvedTarget): Promise<ConnectionError> {
  try {
    const client = await connect(t);
    await client.end();
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectionError);
    return e as ConnectionError;
  }
  throw new Error('expected the connection to fail');
}

describe('connect', () => {
  it('connects with the right password and sets application_name', async () => {
    const t = await tcp();
    await withClient(t, async (client) => {
      const { rows } = await client.query<{ application_name: string }>('SHOW application_name');
      expect(rows[0]?.application_name).toBe('parlant-runbook/test run=it1');
    });
    await withClient(
      t,
      async (client) => {
        const { rows } = await client.query<{ application_name: string }>('SHOW application_name');
        expect(rows[0]?.application_name).toBe('parlant-runbook/0.1.0 run=other');
      },
      { applicationName: 'parlant-runbook/0.1.0 run=other' },
    );
  });

  it('falls back to an unencrypted connection for sslmode=prefer when the server has no SSL', async () => {
    const t = await tcp('?sslmode=prefer');
    await withClient(t, async (client) => {
      const { rows } = await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(rows[0]?.ssl).toBe(false);
    });
  });

  it('connects without SSL for sslmode=allow', async () => {
    await withClient(await tcp('?sslmode=allow'), async (client) => {
      expect((await client.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    });
  });

  it('connects through the Unix socket directory', async () => {
    const t = await target(`host=${cluster.socketDir} port=${cluster.port} user=postgres dbname=postgres`);
    await withClient(t, async (client) => {
      const { rows } = await client.query<{ addr: string | null }>('SELECT inet_client_addr()::text AS addr');
      expect(rows[0]?.addr).toBeNull();
    });
  });

  it('reports a wrong password as auth, naming the target and never the password', async () => {
    const wrong = 'Wr0ng:Secret@xyz';
    const t = await target(`host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`, {
      env: { PGSYSCONFDIR: home, PGPASSWORD: wrong },
    });
    const e = await connectionFailure(t);
    expect(e.kind).toBe('auth');
    expect(e.code).toBe('28P01');
    expect(e.message).toBe(
      `Can't connect to 127.0.0.1:${cluster.port}/postgres as postgres: password authentication failed for user 'postgres'. The password from PGPASSWORD was rejected: check PGPASSWORD.`,
    );
    expect(e.message).not.toContain(wrong);
  });

  it('reports a missing password as auth and says where to put one', async () => {
    const t = await target(`host=127.0.0.1 port=${cluster.port} user=postgres dbname=postgres`);
    const e = await connectionFailure(t);
    expect(e.kind).toBe('auth');
    expect(e.message).toContain('No password was found: set PGPASSWORD or add a line to ~/.pgpass');
  });

  it('reports a missing database', async () => {
    const e = await connectionFailure(await target(`postgresql://postgres:${encodeURIComponent(PASSWORD)}@127.0.0.1:${cluster.port}/nosuchdb`));
    expect(e.kind).toBe('no-database');
    expect(e.message).toContain(`Can't connect to 127.0.0.1:${cluster.port}/nosuchdb as postgres: database 'nosuchdb' does not exist.`);
  });

  it('reports a missing role', async () => {
    const e = await connectionFailure(await target(`host=${cluster.socketDir} port=${cluster.port} user=nosuchrole dbname=postgres`));
    expect(e.kind).toBe('no-role');
  });

  it('reports a refused port', async () => {
    const port = await freePort();
    const e = await connectionFailure(await target(`host=127.0.0.1 port=${port} user=postgres dbname=postgres`));
    expect(e.kind).toBe('refused');
    expect(e.message).toContain(`Can't connect to 127.0.0.1:${port}/postgres as postgres: connection refused.`);
  });

  it('reports a socket directory without a server socket', async () => {
    const e = await connectionFailure(await target(`host=${home} port=${cluster.port} user=postgres dbname=postgres`));
    expect(e.kind).toBe('refused');
    expect(e.message).toContain(`there is no server socket ${home}/.s.PGSQL.${cluster.port}`);
  });

  it('reports an unknown host', async () => {
    const e = await connectionFailure(await target('host=nonexistent.invalid user=postgres dbname=postgres connect_timeout=10'));
    expect(e.kind).toBe('unknown-host');
    expect(e.message).toContain("host 'nonexistent.invalid'");
  });

  it('gives up after connect_timeout when the server never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const e = await connectionFailure(await target(`host=127.0.0.1 port=${port} user=postgres dbname=postgres connect_timeout=1`));
      expect(e.kind).toBe('timeout');
      expect(e.message).toContain('no answer within 1 s');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('reports sslmode=require against a server without SSL as an SSL problem', async () => {
    const e = await connectionFailure(await tcp('?sslmode=require'));
    expect(e.kind).toBe('ssl');
    expect(e.message).toBe(
      `Can't connect to 127.0.0.1:${cluster.port}/postgres as postgres: the server does not support SSL, but sslmode=require (from --db) requires it. Enable ssl on the server, or use sslmode=prefer to fall back to an unencrypted connection.`,
    );
  });
});

describe('withTransaction', () => {
  it('commits on success and rolls back, then rethrows, on failure', async () => {
    await withClient(await tcp(), async (client) => {
      await client.query('CREATE TEMP TABLE t (n int)');
      await withTransaction(client, async (c) => {
        await c.query('INSERT INTO t VALUES (1)');
      });
      const boom = new Error('boom');
      await expect(
        withTransaction(client, async (c) => {
          await c.query('INSERT INTO t VALUES (2)');
          throw boom;
        }),
      ).rejects.toBe(boom);
      const { rows } = await client.query<{ n: number }>('SELECT n FROM t ORDER BY n');
      expect(rows).toEqual([{ n: 1 }]);
    });
  });
});

describe('childProcessEnv', () => {
  it('lets psql connect with the password from a temporary passfile, not from argv or PGPASSWORD', async () => {
    const t = await tcp();
    const child = await childProcessEnv(t, { tmpDir: home, appName: 'parlant-runbook/test run=psql' });
    // A stale PGPASSWORD in our own environment must not reach the child (runTool inherits process.env).
    process.env.PGPASSWORD = 'stale-wrong-password';
    try {
      const r = await runToEnd(path.join(BIN, 'psql'), ['-X', '-At', '-c', 'SELECT current_user, current_setting($$application_name$$)'], {
        env: child.env,
      });
      expect(r.ok, describeFailure(r)).toBe(true);
      expect(r.stdoutTail).toEqual(['postgres|parlant-runbook/test run=psql']);
      expect(r.command).not.toContain(PASSWORD);
    } finally {
      delete process.env.PGPASSWORD;
      await child.cleanup();
    }
  });
});
