import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { lookupPgpass } from '../db/connection.js';

/**
 * A stand-in for the Sim application, for the sandbox (issue 7): run as its own process
 * (`node dist/sandbox/app.js --port <n> --state-file <file>`), it behaves toward the database the way an app does —
 * a few connections held open, a write every half second — and answers `GET /health` the way Sim's load balancer
 * check would. The emergency runbook stops it, restores the database under it, starts it and polls its health; the
 * trainee sees real connections in pg_stat_activity and a real health check going red and green.
 *
 *   GET /health   200 {"ok":true,...} only while `SELECT 1` on one of its connections answers within 1 s;
 *                 else 503 {"ok":false,"reason":"..."}.
 *
 * Connection settings come from the environment only, never argv (DESIGN §6: `ps` and /proc/<pid>/cmdline show argv
 * to every local user): PGHOST, PGPORT, PGUSER, PGDATABASE and PGPASSFILE (a 0600 passfile, re-read at every connect),
 * or SIM_STANDIN_DATABASE_URL_FILE naming a 0600 file that holds a postgresql:// URL.
 *
 * Fault switch "never healthy": PARLANT_SANDBOX_APP_NEVER_HEALTHY=1 in its environment, or the file given by
 * --never-healthy-file existing (checked at every request, so it can be toggled while the app runs): /health then
 * always answers 503, whatever the database does.
 *
 * Exit codes: 0 after SIGTERM/SIGINT, 2 bad arguments or settings, 3 the port is taken (the caller may retry with 0).
 */

export const APP_NAME = 'sim-standin';
export const HEARTBEAT_TABLE = 'sim_standin_heartbeat';
export const NEVER_HEALTHY_ENV = 'PARLANT_SANDBOX_APP_NEVER_HEALTHY';
export const URL_FILE_ENV = 'SIM_STANDIN_DATABASE_URL_FILE';
export const EXIT_PORT_TAKEN = 3;

export interface StandinOptions {
  /** 0: any free port. */
  port: number;
  /** Where `{pid, port, startedAt}` is written (0600) once the server listens. */
  stateFile?: string;
  neverHealthyFile?: string;
  connections: number;
  writeEveryMs: number;
  healthTimeoutMs: number;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export interface StandinRecord {
  version: 1;
  pid: number;
  port: number;
  startedAt: string;
  /** host:port/database it connects to (no user, no password). */
  db?: string;
}

interface Slot {
  n: number;
  client: pg.Client | null;
  connecting: boolean;
  busy: boolean;
}

class ArgError extends Error {}

/** Rows kept in the heartbeat table: enough to see writes happen, bounded for a sandbox that runs for days. */
const KEEP_ROWS = 10_000;
const PRUNE_EVERY = 120;

function isTruthy(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function errorText(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/** The connection settings, password included, from the environment: never from argv. */
async function connectionConfig(env: NodeJS.ProcessEnv): Promise<{ config: pg.ClientConfig; label: string }> {
  const base = { application_name: APP_NAME, connectionTimeoutMillis: 2000, keepAlive: true };
  const urlFile = env[URL_FILE_ENV];
  if (urlFile) {
    const st = await fs.stat(urlFile).catch(() => null);
    if (!st?.isFile()) throw new ArgError(`${URL_FILE_ENV} names ${urlFile}, which is not a file.`);
    if ((st.mode & 0o077) !== 0) throw new ArgError(`${urlFile} holds a password and group or others can read it: run chmod 0600 ${urlFile}.`);
    const url = (await fs.readFile(urlFile, 'utf8')).trim();
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ArgError(`${urlFile} does not hold a postgresql:// URL.`);
    const u = new URL(url);
    return { config: { ...base, connectionString: url }, label: `${u.hostname}:${u.port || 5432}${decodeURIComponent(u.pathname)}` };
  }
  const host = env.PGHOST ?? '127.0.0.1';
  const port = Number(env.PGPORT ?? 5432);
  const user = env.PGUSER ?? 'postgres';
  const database = env.PGDATABASE ?? user;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ArgError(`PGPORT=${env.PGPORT ?? ''} is not a port number.`);
  const passfile = env.PGPASSFILE;
  const config: pg.ClientConfig = {
    ...base,
    host,
    port,
    user,
    database,
    ssl: env.PGSSLMODE === 'require' ? { rejectUnauthorized: false } : false,
    // Re-read at every connect, so a passfile rewritten for a rebuilt sandbox is picked up without a restart.
    password: async () => {
      if (!passfile) return env.PGPASSWORD ?? '';
      const r = await lookupPgpass(passfile, { host, port, database, user });
      if (r.warning) throw new Error(r.warning);
      return r.password ?? '';
    },
  };
  return { config, label: `${host}:${port}/${database}` };
}

export interface Standin {
  port: number;
  close(): Promise<void>;
}

/** Start the server and the connection/write loops. Resolves once it listens. */
export async function startStandin(opts: StandinOptions): Promise<Standin> {
  const { config, label } = await connectionConfig(opts.env);
  const slots: Slot[] = Array.from({ length: opts.connections }, (_, n) => ({ n, client: null, connecting: false, busy: false }));
  let closing = false;
  let lastError = 'not connected yet';
  let writes = 0;
  let lastWriteAt: string | undefined;
  let tableReady: Promise<void> | null = null;

  // One log line per change of state, not one per failed attempt.
  let reported = '';
  const report = (): void => {
    const open = slots.filter((s) => s.client).length;
    const line = open === 0 ? `database unreachable: ${lastError}` : `database connections open: ${open}/${slots.length}`;
    if (line !== reported) {
      reported = line;
      opts.log(line);
    }
  };
  let healthReported = '';
  const reportHealth = (ok: boolean, reason: string): void => {
    const line = ok ? 'health: ok' : `health: failing (${reason})`;
    if (line !== healthReported) {
      healthReported = line;
      opts.log(line);
    }
  };

  const drop = (slot: Slot, why: string): void => {
    const c = slot.client;
    if (!c) return;
    slot.client = null;
    slot.busy = false;
    lastError = why;
    c.end().catch(() => undefined);
    report();
  };

  const connectSlot = async (slot: Slot): Promise<void> => {
    if (slot.client || slot.connecting || closing) return;
    slot.connecting = true;
    const c = new pg.Client(config);
    // A server that goes away (a restore terminating us, a shutdown) emits 'error' on an idle client; unhandled it
    // would crash the process. The slot is emptied and reconnected by the next tick.
    c.on('error', (err) => {
      if (slot.client === c) drop(slot, errorText(err));
    });
    c.on('end', () => {
      if (slot.client === c) drop(slot, 'the server closed the connection');
    });
    try {
      await c.connect();
      if (closing) {
        await c.end().catch(() => undefined);
        return;
      }
      slot.client = c;
      report();
    } catch (err) {
      lastError = errorText(err);
      await c.end().catch(() => undefined);
      report();
    } finally {
      slot.connecting = false;
    }
  };

  /** Run one query on a slot, holding it busy (node-postgres must not queue queries on one client). */
  const onSlot = async <T extends pg.QueryResultRow>(slot: Slot, text: string, values: unknown[] = []): Promise<pg.QueryResult<T>> => {
    const c = slot.client;
    if (!c) throw new Error('no connection');
    slot.busy = true;
    try {
      return await c.query<T>(text, values);
    } finally {
      if (slot.client === c) slot.busy = false;
    }
  };

  const ensureTable = (slot: Slot): Promise<void> => {
    tableReady ??= onSlot(
      slot,
      `CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE} (
         id bigserial PRIMARY KEY,
         at timestamptz NOT NULL DEFAULT now(),
         pid integer NOT NULL,
         connection integer NOT NULL
       )`,
    )
      .then(() => undefined)
      .catch((err: unknown) => {
        tableReady = null;
        // Two stand-ins creating it at once: the loser's unique violation means the table is there.
        if ((err as { code?: string }).code !== '23505' && (err as { code?: string }).code !== '42P07') throw err;
      });
    return tableReady;
  };

  let next = 0;
  const idleSlot = (): Slot | undefined => {
    for (let i = 0; i < slots.length; i++) {
      const s = slots[(next + i) % slots.length];
      if (s?.client && !s.busy) {
        next = (next + i + 1) % slots.length;
        return s;
      }
    }
    return undefined;
  };

  const writeOnce = async (): Promise<void> => {
    const slot = idleSlot();
    if (!slot) return;
    try {
      await ensureTable(slot);
      await onSlot(slot, `INSERT INTO ${HEARTBEAT_TABLE} (pid, connection) VALUES ($1, $2)`, [process.pid, slot.n]);
      writes++;
      lastWriteAt = new Date().toISOString();
      if (writes % PRUNE_EVERY === 0) {
        await onSlot(slot, `DELETE FROM ${HEARTBEAT_TABLE} WHERE id <= (SELECT max(id) - ${KEEP_ROWS} FROM ${HEARTBEAT_TABLE})`);
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      // A restore replaced the database with one that lacks our table: create it again next time.
      if (code === '42P01') tableReady = null;
      else if (!code || code.startsWith('57P') || code.startsWith('08')) drop(slot, errorText(err));
      else if (code === '25006' || code === '40001') lastError = errorText(err); // read-only / serialization: retry later
      else lastError = errorText(err);
    }
  };

  const tick = (): void => {
    if (closing) return;
    for (const s of slots) void connectSlot(s);
    void writeOnce();
  };
  tick();
  const timer = setInterval(tick, opts.writeEveryMs);

  const neverHealthy = async (): Promise<string | undefined> => {
    if (isTruthy(opts.env[NEVER_HEALTHY_ENV])) return `fault injected: never healthy (${NEVER_HEALTHY_ENV} is set)`;
    if (opts.neverHealthyFile) {
      const there = await fs.stat(opts.neverHealthyFile).then(() => true, () => false);
      if (there) return `fault injected: never healthy (remove ${opts.neverHealthyFile})`;
    }
    return undefined;
  };

  /** SELECT 1 on an idle connection within the timeout; the reason it is not healthy otherwise. */
  const check = async (): Promise<{ ok: true } | { ok: false; reason: string }> => {
    const fault = await neverHealthy();
    if (fault) return { ok: false, reason: fault };
    const deadline = Date.now() + opts.healthTimeoutMs;
    let slot = idleSlot();
    while (!slot && slots.some((s) => s.client) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      slot = idleSlot();
    }
    if (!slot) {
      const open = slots.filter((s) => s.client).length;
      return open > 0
        ? { ok: false, reason: `all ${open} database connections are busy for over ${opts.healthTimeoutMs} ms (blocked by a lock?)` }
        : { ok: false, reason: `no database connection: ${lastError}` };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(50, deadline - Date.now()));
    });
    try {
      const r = await Promise.race([onSlot(slot, 'SELECT 1'), timeout]);
      if (r === 'timeout') {
        // The connection is stuck (a hung server, a network drop): abandon it and reconnect.
        drop(slot, `SELECT 1 did not answer within ${opts.healthTimeoutMs} ms`);
        return { ok: false, reason: `SELECT 1 did not answer within ${opts.healthTimeoutMs} ms` };
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `SELECT 1 failed: ${errorText(err)}` };
    } finally {
      clearTimeout(timer);
    }
  };

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', connection: 'close' });
      res.end(text);
    };
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { ok: false, reason: 'only GET' });
    if (url === '/health') {
      void check().then((r) => {
        const open = slots.filter((s) => s.client).length;
        reportHealth(r.ok, r.ok ? '' : r.reason);
        if (r.ok) send(200, { ok: true, app: APP_NAME, pid: process.pid, connections: open, writes, lastWriteAt });
        else send(503, { ok: false, app: APP_NAME, pid: process.pid, reason: r.reason, connections: open, writes });
      });
      return;
    }
    if (url === '/') return send(200, { app: APP_NAME, pid: process.pid, health: '/health' });
    send(404, { ok: false, reason: `no such path: ${url}` });
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  }).catch((err: unknown) => {
    closing = true;
    clearInterval(timer);
    for (const s of slots) drop(s, 'stopping');
    throw err;
  });

  if (opts.stateFile) {
    const record: StandinRecord = { version: 1, pid: process.pid, port, startedAt: new Date().toISOString(), db: label };
    const tmp = `${opts.stateFile}.tmp-${process.pid}`;
    await fs.writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    await fs.chmod(tmp, 0o600);
    await fs.rename(tmp, opts.stateFile);
  }
  opts.log(`listening on http://127.0.0.1:${port}/health (pid ${process.pid})`);

  return {
    port,
    async close() {
      closing = true;
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all(
        slots.map(async (s) => {
          const c = s.client;
          s.client = null;
          if (c) await Promise.race([c.end().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
        }),
      );
    },
  };
}

function parseArgs(argv: readonly string[]): Pick<StandinOptions, 'port' | 'stateFile' | 'neverHealthyFile' | 'connections' | 'writeEveryMs'> {
  const out = { port: 0, stateFile: undefined as string | undefined, neverHealthyFile: undefined as string | undefined, connections: 3, writeEveryMs: 500 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const num = (min: number, max: number): number => {
      const n = Number(value);
      if (value === undefined || !Number.isInteger(n) || n < min || n > max) throw new ArgError(`${flag} needs a whole number from ${min} to ${max}.`);
      return n;
    };
    switch (flag) {
      case '--port':
        out.port = num(0, 65535);
        break;
      case '--connections':
        out.connections = num(1, 20);
        break;
      case '--write-every':
        out.writeEveryMs = num(50, 60_000);
        break;
      case '--state-file':
      case '--never-healthy-file':
        if (!value) throw new ArgError(`${flag} needs a file path.`);
        if (flag === '--state-file') out.stateFile = path.resolve(value);
        else out.neverHealthyFile = path.resolve(value);
        break;
      default:
        throw new ArgError(`Unknown argument ${flag ?? ''}. Usage: app.js [--port N] [--state-file F] [--never-healthy-file F] [--connections N] [--write-every MS]`);
    }
    i++;
  }
  return out;
}

/** The process entry point: log lines go to stdout (the launcher points it at the log file). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = (line: string): void => {
    process.stdout.write(`${new Date().toISOString()} ${APP_NAME}[${process.pid}] ${line}\n`);
  };
  let app: Standin;
  try {
    app = await startStandin({ ...parseArgs(argv), healthTimeoutMs: 1000, env, log });
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      log(`cannot listen: the port is taken (${errorText(err)})`);
      process.exitCode = EXIT_PORT_TAKEN;
      return;
    }
    log(`cannot start: ${errorText(err)}`);
    process.exitCode = 2;
    return;
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    void app.close().then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  void main(process.argv.slice(2));
}
