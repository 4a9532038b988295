import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateExpectation } from '../../src/core/expect.js';
import type { Expectation } from '../../src/core/model.js';
import { packageRoot } from '../../src/core/paths.js';
import { resolveServerBinDir } from '../../src/sandbox/cluster.js';
import { q } from '../helpers/catalog.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The preflight checks (sql/preflight/*.sql) against a real Sim-like database: healthy, then deliberately broken.
 * Each file runs as the check step runs it: alone, inside BEGIN READ ONLY … ROLLBACK, as the non-superuser
 * sim_admin unless a test is about another role. RULES is the expectation and severity each file is written for
 * (what the preflight runbook's check step says); verdict() applies it with the engine's own evaluateExpectation.
 *
 * Sessions that hold locks or transactions open are real second connections, closed in finally blocks. Thresholds
 * that cannot be waited out in a test (5 minutes, 1 hour, 1 GB) are tested by running the file with that one
 * constant lowered; every other word of the file is the same.
 */

const DIR = path.join(packageRoot(), 'sql', 'preflight');
const read = (file: string): string => readFileSync(path.join(DIR, file), 'utf8');

const RULES: Record<string, { expect: Expectation; severity?: 'warn' }> = {
  'size.sql': { expect: { rows: 'some' } },
  'size-total.sql': { expect: { count: 1 } },
  'prerequisites.sql': { expect: { rows: 'none' } },
  'privileges.sql': { expect: { rows: 'none' } },
  'role.sql': { expect: { count: 1 } },
  'activity-blocking.sql': { expect: { rows: 'none' } },
  'activity-long.sql': { expect: { rows: 'none' }, severity: 'warn' },
  'connections.sql': { expect: { column: 'percent_used', at_most: 80 }, severity: 'warn' },
  'replication.sql': { expect: { rows: 'any' } },
  'replication-slots.sql': { expect: { rows: 'none' }, severity: 'warn' },
  'pitr.sql': { expect: { rows: 'any' } },
  'pitr-problems.sql': { expect: { rows: 'none' }, severity: 'warn' },
};

const SIM_TABLES = ['"user"', 'workspace', 'workflow', 'api_key', 'knowledge_base'];

type Row = Record<string, unknown>;
interface Result {
  columns: string[];
  rows: Row[];
}

let cluster: TestCluster;
let binDir: string;
/** Sessions and processes a test opened; closed by the test itself, and here as a last resort. */
const openClients = new Set<pg.Client>();
const children = new Set<ChildProcess>();

/** A role's URL over the unix socket (trust, as the test cluster's pg_hba allows for local connections). */
function urlAs(role: string, database = 'sim'): string {
  return `postgresql://${role}@${encodeURIComponent(cluster.socketDir)}:${cluster.port}/${database}`;
}

/** Runs a preflight file as the check step does: one query in BEGIN READ ONLY … ROLLBACK on a fresh connection. */
async function run(file: string, opts: { url?: string; sql?: string; before?: string[] } = {}): Promise<Result> {
  const c = new pg.Client({ connectionString: opts.url ?? cluster.url, application_name: 'parlant-runbook/test preflight' });
  await c.connect();
  try {
    await c.query('BEGIN READ ONLY');
    for (const s of opts.before ?? []) await c.query(s);
    const r = await c.query(opts.sql ?? read(file));
    // One statement: node-postgres answers several with an array of results.
    expect(Array.isArray(r), `${file} must be one statement`).toBe(false);
    return { columns: r.fields.map((f) => f.name), rows: r.rows as Row[] };
  } finally {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  }
}

/** The file with one constant changed (it must occur exactly once). */
function variant(file: string, from: string, to: string): string {
  const text = read(file);
  expect(text.split(from).length - 1, `${file} should contain ${from} once`).toBe(1);
  return text.replace(from, to);
}

/** What the check step would report: passed, or the file's severity. */
function verdict(file: string, rows: Row[]): 'passed' | 'warned' | 'failed' {
  const rule = RULES[file]!;
  if (evaluateExpectation(rule.expect, rows).ok) return 'passed';
  return rule.severity === 'warn' ? 'warned' : 'failed';
}

/** A second session, kept open until the test ends it. */
async function session(url: string, appName: string, statements: string[] = []): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: url, application_name: appName });
  await client.connect();
  openClients.add(client);
  client.on('error', () => undefined);
  const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  for (const s of statements) await client.query(s);
  return { client, pid };
}

async function close(client: pg.Client): Promise<void> {
  openClients.delete(client);
  await client.end().catch(() => undefined);
}

/** Polls until ok(value) or the deadline; returns the last value (the assertion after it says what was wrong). */
async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const su = (sql: string, params: unknown[] = []): Promise<Row[]> => q(cluster.superuserUrl, sql, params);

/**
 * Waits until no superuser session is left in sim: a connection that was just closed can linger in
 * pg_stat_activity for a moment, and sim_admin would count it as a hidden session. Asked as sim_admin, who sees
 * the user name of every session.
 */
async function settled(): Promise<void> {
  const left = await waitFor(
    () => q<{ n: number }>(cluster.url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'sim' AND usename = 'postgres'"),
    (r) => r[0]?.n === 0,
  );
  expect(left[0]?.n, 'superuser sessions still open in sim').toBe(0);
}
const pick = (rows: Row[], ...cols: string[]): Row[] => rows.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])));

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  binDir = resolveServerBinDir();
  // Copies of sim for the broken prerequisites, made while nobody is connected to sim (a template must be idle).
  const pgdb = urlAs('postgres', 'postgres');
  await q(pgdb, 'CREATE DATABASE pf_broken TEMPLATE sim');
  await q(pgdb, 'CREATE DATABASE pf_ok TEMPLATE sim');
  await q(
    urlAs('postgres', 'pf_broken'),
    `DROP TABLE knowledge_base CASCADE;
     ALTER TABLE workflow RENAME COLUMN id TO workflow_id;
     ALTER TABLE workspace DROP CONSTRAINT workspace_pkey CASCADE;
     TRUNCATE api_key CASCADE;
     ALTER TABLE api_key ALTER COLUMN id TYPE integer USING 0;
     REVOKE EXECUTE ON FUNCTION gen_random_uuid() FROM PUBLIC;`,
  );
});

afterAll(async () => {
  for (const c of openClients) await c.end().catch(() => undefined);
  for (const p of children) p.kill('SIGTERM');
  await cluster?.stop();
});

describe('every preflight file', () => {
  it('is in RULES (and every rule has its file)', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.sql')).sort()).toEqual(Object.keys(RULES).sort());
  });

  it('opens with a comment that says what its rows mean, and runs read-only as sim_admin and as the superuser', async () => {
    for (const file of Object.keys(RULES)) {
      expect(read(file).split('\n')[0], file).toMatch(/^-- \S/);
      const asAdmin = await run(file);
      const asSuper = await run(file, { url: cluster.superuserUrl });
      expect(asAdmin.columns, file).toEqual(asSuper.columns);
      expect(asAdmin.columns.length, file).toBeGreaterThan(0);
    }
  });

  it('passes on the healthy sandbox (which archives WAL, so pitr-problems passes too)', async () => {
    await settled();
    const verdicts: Record<string, string> = {};
    for (const file of Object.keys(RULES)) verdicts[file] = verdict(file, (await run(file)).rows);
    expect(verdicts).toEqual(Object.fromEntries(Object.keys(RULES).map((f) => [f, 'passed'])));
  });
});

describe('size.sql and size-total.sql', () => {
  it('lists the database first, then its tables by total size with the planner\'s row estimates', async () => {
    const { columns, rows } = await run('size.sql');
    expect(columns).toEqual(['object', 'rows_estimate', 'size', 'share']);
    expect(rows[0]).toMatchObject({ object: 'database sim', share: '100%' });
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThanOrEqual(11);
    const sizes = await su(`SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object,
                                   pg_total_relation_size(c.oid)::bigint AS bytes, c.reltuples::bigint AS est
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = 'public' AND c.relkind = 'r'`);
    const bytes = new Map(sizes.map((s) => [s.object, Number(s.bytes)]));
    const tables = rows.slice(1).map((r) => String(r.object));
    expect(tables).toContain('public."user"');
    expect(tables).toContain('public.workspace');
    const inOrder = tables.map((t) => bytes.get(t)!);
    expect(inOrder).toEqual([...inOrder].sort((a, b) => b - a));
    const ws = rows.find((r) => r.object === 'public.workspace')!;
    expect(Number(ws.rows_estimate)).toBe(Number(sizes.find((s) => s.object === 'public.workspace')!.est));
    expect(Number(ws.rows_estimate)).toBeGreaterThan(0);
  });

  it('counts a partitioned table once, with its partitions\' rows and size', async () => {
    await q(cluster.url, `CREATE TABLE pf_part (id int, pad text) PARTITION BY RANGE (id);
      CREATE TABLE pf_part_1 PARTITION OF pf_part FOR VALUES FROM (0) TO (5000);
      CREATE TABLE pf_part_2 PARTITION OF pf_part FOR VALUES FROM (5000) TO (10000);
      INSERT INTO pf_part SELECT g, repeat('x', 200) FROM generate_series(0, 9999) g;
      ANALYZE pf_part;`);
    try {
      const { rows } = await run('size.sql');
      const objects = rows.map((r) => r.object);
      expect(objects).toContain('public.pf_part'); // the sandbox has fewer than 10 tables: all are listed
      expect(objects).not.toContain('public.pf_part_1');
      const part = rows.find((r) => r.object === 'public.pf_part')!;
      expect(part.rows_estimate).toBe('10000');
      const [sum] = await su(`SELECT pg_size_pretty(pg_total_relation_size('pf_part_1') + pg_total_relation_size('pf_part_2')) AS s`);
      expect(part.size).toBe(sum!.s);
    } finally {
      await q(cluster.url, 'DROP TABLE pf_part');
    }
  });

  it('size-total.sql is one row a later step can save: database, bytes, pretty', async () => {
    const { columns, rows } = await run('size-total.sql');
    expect(columns).toEqual(['database', 'bytes', 'pretty']);
    const [real] = await su("SELECT pg_database_size('sim')::text AS bytes, pg_size_pretty(pg_database_size('sim')) AS pretty");
    expect(rows).toEqual([{ database: 'sim', bytes: real!.bytes, pretty: real!.pretty }]);
  });
});

describe('prerequisites.sql', () => {
  it('finds nothing in a copy of sim', async () => {
    expect((await run('prerequisites.sql', { url: urlAs('sim_admin', 'pf_ok') })).rows).toEqual([]);
  });

  it('names a dropped table, a renamed id, an integer id, a dropped primary key and a revoked gen_random_uuid()', async () => {
    const { rows } = await run('prerequisites.sql', { url: urlAs('sim_admin', 'pf_broken') });
    expect(pick(rows, 'problem', 'object')).toEqual([
      { problem: 'no unique key', object: 'workspace.id' },
      { problem: 'missing column', object: 'workflow.id' },
      { problem: 'wrong type', object: 'api_key.id' },
      { problem: 'missing table', object: 'knowledge_base' },
      { problem: 'not executable', object: 'gen_random_uuid()' },
    ]);
    expect(rows[2]!.detail).toMatch(/public\.api_key\.id is integer, not text: .*cannot be created/);
    expect(rows[3]!.detail).toMatch(/not found on search_path/);
    expect(verdict('prerequisites.sql', rows)).toBe('failed');
  });

  it('says when the search_path names no existing schema (and then every table is missing)', async () => {
    const { rows } = await run('prerequisites.sql', { before: ['SET LOCAL search_path = pf_nowhere'] });
    expect(pick(rows, 'problem', 'object')).toEqual([
      { problem: 'no current schema', object: 'search_path' },
      ...SIM_TABLES.map((t) => ({ problem: 'missing table', object: t })),
    ]);
  });

  it('accepts varchar ids but flags a char(n) id as a string type that compares differently', async () => {
    await q(urlAs('postgres', 'pf_ok'), 'ALTER TABLE api_key ALTER COLUMN id TYPE varchar(64)');
    expect((await run('prerequisites.sql', { url: urlAs('sim_admin', 'pf_ok') })).rows).toEqual([]);
    await q(urlAs('postgres', 'pf_ok'), 'ALTER TABLE api_key ALTER COLUMN id TYPE char(64)');
    try {
      const { rows } = await run('prerequisites.sql', { url: urlAs('sim_admin', 'pf_ok') });
      expect(pick(rows, 'problem', 'object')).toEqual([{ problem: 'wrong type', object: 'api_key.id' }]);
      expect(rows[0]!.detail).toMatch(/character\(64\), not text: .*could be created, but compare differently/);
    } finally {
      await q(urlAs('postgres', 'pf_ok'), 'ALTER TABLE api_key ALTER COLUMN id TYPE text');
    }
  });
});

describe('privileges.sql and role.sql', () => {
  beforeAll(async () => {
    await su(`CREATE ROLE pf_connect_only LOGIN;
              GRANT CONNECT ON DATABASE sim TO pf_connect_only;
              CREATE ROLE pf_full LOGIN;
              GRANT CONNECT, CREATE ON DATABASE sim TO pf_full;
              GRANT CREATE ON SCHEMA public TO pf_full;
              GRANT SELECT ON ALL TABLES IN SCHEMA public TO pf_full;
              GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO pf_full;
              GRANT REFERENCES (id) ON "user", workspace, workflow, api_key, knowledge_base TO pf_full;`);
  });

  it('as a role with only CONNECT: names the missing CREATE on the database and what it breaks', async () => {
    const { columns, rows } = await run('privileges.sql', { url: urlAs('pf_connect_only') });
    expect(columns).toEqual(['privilege', 'object', 'breaks', 'fix']);
    expect(rows[0]).toEqual({
      privilege: 'CREATE',
      object: 'database sim',
      breaks: expect.stringMatching(/^migrate, hot-migrate, rollback: the migration engine creates its schema parlant_runbook/),
      fix: 'GRANT CREATE ON DATABASE sim TO pf_connect_only',
    });
    expect(pick(rows.slice(1), 'privilege', 'object')).toEqual([
      { privilege: 'CREATE', object: 'schema public' },
      ...SIM_TABLES.map((t) => ({ privilege: 'REFERENCES', object: `public.${t}` })),
      ...SIM_TABLES.map((t) => ({ privilege: 'SELECT', object: `public.${t}` })),
      { privilege: 'SELECT', object: '3 of 3 other tables and sequences in schema public, e.g. custom_tools, mcp_servers, workflow_blocks' },
    ]);
    expect(rows.find((r) => r.privilege === 'SELECT' && r.object === 'public.workspace')!.breaks).toMatch(/0003 reads workspace.*validate.*backup/);
    expect(rows.find((r) => r.privilege === 'REFERENCES' && r.object === 'public.api_key')!.breaks).toMatch(/0001 cannot create the foreign keys to public\.api_key\(id\)/);
    expect(verdict('privileges.sql', rows)).toBe('failed');
  });

  it('finds nothing missing once CREATE, SELECT and column REFERENCES are granted (no superuser, no ownership)', async () => {
    expect((await run('privileges.sql', { url: urlAs('pf_full') })).rows).toEqual([]);
    await su('REVOKE CREATE ON DATABASE sim FROM pf_full');
    try {
      expect(pick((await run('privileges.sql', { url: urlAs('pf_full') })).rows, 'privilege', 'object')).toEqual([
        { privilege: 'CREATE', object: 'database sim' },
      ]);
    } finally {
      await su('GRANT CREATE ON DATABASE sim TO pf_full');
    }
  });

  it('names row-level security that would stop pg_dump: for a reader always, for the owner once it is forced', async () => {
    await q(cluster.url, 'ALTER TABLE custom_tools ENABLE ROW LEVEL SECURITY');
    try {
      expect(pick((await run('privileges.sql', { url: urlAs('pf_full') })).rows, 'privilege', 'object')).toEqual([
        { privilege: 'BYPASSRLS', object: 'public.custom_tools (row-level security)' },
      ]);
      expect((await run('privileges.sql')).rows).toEqual([]); // sim_admin owns it
      await q(cluster.url, 'ALTER TABLE custom_tools FORCE ROW LEVEL SECURITY');
      const { rows } = await run('privileges.sql');
      expect(pick(rows, 'privilege', 'object')).toEqual([
        { privilege: 'BYPASSRLS', object: 'public.custom_tools (row-level security, forced on its owner too)' },
      ]);
      expect(rows[0]!.breaks).toMatch(/^backup: pg_dump/);
    } finally {
      await q(cluster.url, 'ALTER TABLE custom_tools NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY');
    }
  });

  it('names parlant objects and a tracking schema that another role owns', async () => {
    await su(`CREATE TYPE public.agent_status AS ENUM ('active');
              CREATE TABLE public.parlant_agent (id text);
              ${readFileSync(path.join(packageRoot(), 'sql', 'engine', 'tracking.sql'), 'utf8')}`);
    try {
      const { rows } = await run('privileges.sql');
      expect(pick(rows, 'privilege', 'object')).toEqual([
        { privilege: 'USAGE', object: 'schema parlant_runbook' },
        { privilege: 'CREATE', object: 'schema parlant_runbook' },
        { privilege: 'SELECT, INSERT, UPDATE, DELETE', object: 'parlant_runbook.migrations' },
        { privilege: 'SELECT, INSERT', object: 'parlant_runbook.migration_history' },
        { privilege: 'ownership', object: 'parlant_agent, agent_status (1 table, 1 type owned by postgres)' },
        { privilege: 'SELECT', object: '1 of 4 other tables and sequences in schema public, e.g. parlant_agent' },
      ]);
      expect(rows[4]!.breaks).toMatch(/^rollback: 0001 down drops them/);
      // Granted everything on the schema and its tables, only the identity sequence is left (pg_dump reads it).
      await su(`GRANT USAGE, CREATE ON SCHEMA parlant_runbook TO sim_admin;
                GRANT ALL ON ALL TABLES IN SCHEMA parlant_runbook TO sim_admin`);
      expect(pick((await run('privileges.sql')).rows, 'privilege', 'object')).toEqual([
        { privilege: 'ownership', object: 'parlant_agent, agent_status (1 table, 1 type owned by postgres)' },
        { privilege: 'SELECT', object: '1 of 1 tables and sequences in schema parlant_runbook, e.g. migration_history_id_seq' },
        { privilege: 'SELECT', object: '1 of 4 other tables and sequences in schema public, e.g. parlant_agent' },
      ]);
    } finally {
      await su('DROP SCHEMA parlant_runbook CASCADE; DROP TABLE public.parlant_agent; DROP TYPE public.agent_status');
    }
  });

  it('role.sql: one row about sim_admin (not superuser, owns the schema and the five tables)', async () => {
    const { rows } = await run('role.sql');
    expect(rows).toEqual([
      {
        role: 'sim_admin',
        superuser: false,
        createdb: true,
        replication: false,
        bypassrls: false,
        conn_limit: 'none',
        schema: 'public',
        owns_schema: true,
        owns_sim_tables: 'all 5',
        member_of: 'none',
        sees_all_sessions: false,
        can_cancel_others: false,
      },
    ]);
  });

  it('role.sql: for another role, which tables it does not own and the monitoring roles it belongs to', async () => {
    await su('GRANT pg_read_all_stats TO pf_connect_only');
    try {
      const [row] = (await run('role.sql', { url: urlAs('pf_connect_only') })).rows;
      expect(row).toMatchObject({
        role: 'pf_connect_only',
        createdb: false,
        owns_schema: false,
        owns_sim_tables: '0 of 5; not: "user" (sim_admin), workspace (sim_admin), workflow (sim_admin), api_key (sim_admin), knowledge_base (sim_admin)',
        member_of: 'pg_read_all_stats',
        sees_all_sessions: true,
        can_cancel_others: false,
      });
      expect((await run('role.sql', { url: cluster.superuserUrl })).rows[0]).toMatchObject({ role: 'postgres', superuser: true, sees_all_sessions: true, can_cancel_others: true });
    } finally {
      await su('REVOKE pg_read_all_stats FROM pf_connect_only');
    }
  });
});

describe('activity-blocking.sql and activity-long.sql', () => {
  it('names a session idle in transaction holding a lock on workspace, once past the 5-second grace', async () => {
    const started = Date.now();
    const { client, pid } = await session(cluster.url, 'pf-idle-writer', [
      'BEGIN',
      'UPDATE workspace SET name = name WHERE id = (SELECT min(id) FROM workspace)',
    ]);
    try {
      const early = await run('activity-blocking.sql');
      if (Date.now() - started < 4000) expect(early.rows).toEqual([]); // an application's short transaction is not a finding
      const { columns, rows } = await waitFor(() => run('activity-blocking.sql'), (r) => r.rows.length > 0);
      expect(columns).toEqual(['pid', 'app', 'client', 'state', 'xact_age', 'table', 'mode', 'query']);
      expect(rows).toEqual([
        {
          pid,
          app: 'pf-idle-writer',
          client: '127.0.0.1',
          state: 'idle in transaction',
          xact_age: expect.stringMatching(/^00:00:\d\d$/),
          table: 'workspace',
          mode: expect.stringContaining('RowExclusiveLock'),
          query: 'UPDATE workspace SET name = name WHERE id = (SELECT min(id) FROM workspace)'.slice(0, 60),
        },
      ]);
      expect(verdict('activity-blocking.sql', rows)).toBe('failed');
    } finally {
      await close(client);
    }
    expect((await run('activity-blocking.sql')).rows).toEqual([]);
  });

  it('names a running transaction that has written to "user" for over 5 seconds, but not one that only read workflow', async () => {
    const writer = await session(cluster.url, 'pf-busy-writer', ['BEGIN', 'UPDATE "user" SET name = name WHERE id = (SELECT min(id) FROM "user")']);
    const reader = await session(cluster.url, 'pf-busy-reader', ['BEGIN', 'SELECT count(*) FROM workflow']);
    const sleeping = [writer, reader].map((s) => s.client.query('SELECT pg_sleep(60)').catch(() => undefined));
    try {
      const { rows } = await waitFor(() => run('activity-blocking.sql'), (r) => r.rows.length > 0);
      expect(pick(rows, 'pid', 'app', 'state', 'table', 'query')).toEqual([
        { pid: writer.pid, app: 'pf-busy-writer', state: 'active', table: '"user"', query: 'SELECT pg_sleep(60)' },
      ]);
      expect(rows[0]!.mode).toContain('RowExclusiveLock');
      const long = (await run('activity-long.sql')).rows;
      expect(pick(long, 'pid', 'why')).toEqual([
        { pid: reader.pid, why: 'holds AccessShareLock on workflow: harmless for 0001 up; 0001 down (rollback) waits for it' },
      ]);
      expect(verdict('activity-long.sql', long)).toBe('warned');
    } finally {
      await su('SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)', [[writer.pid, reader.pid]]);
      await Promise.all(sleeping);
      await close(writer.client);
      await close(reader.client);
    }
  });

  it('shows another role\'s lock holder to sim_admin as hidden, at once, and counts it as a hidden session', async () => {
    await settled();
    const { client, pid } = await session(cluster.superuserUrl, 'pf-other-role', ['BEGIN', 'LOCK TABLE api_key IN ROW EXCLUSIVE MODE']);
    try {
      const { rows } = await run('activity-blocking.sql');
      expect(rows).toEqual([
        {
          pid,
          app: 'pf-other-role',
          client: 'hidden',
          state: 'hidden',
          xact_age: '?',
          table: 'api_key',
          mode: 'RowExclusiveLock',
          query: '(hidden from sim_admin: needs pg_read_all_stats)',
        },
      ]);
      const long = (await run('activity-long.sql')).rows;
      expect(pick(long, 'pid', 'app', 'why')).toEqual([
        {
          pid: null,
          app: 'pf-other-role',
          why: '1 session of postgres hidden from sim_admin: their transactions cannot be checked; GRANT pg_read_all_stats TO sim_admin',
        },
      ]);
      // The superuser sees what it is once the grace is over.
      const asSuper = await waitFor(() => run('activity-blocking.sql', { url: cluster.superuserUrl }), (r) => r.rows.length > 0);
      expect(pick(asSuper.rows, 'pid', 'state', 'table')).toEqual([{ pid, state: 'idle in transaction', table: 'api_key' }]);
    } finally {
      await close(client);
    }
  });

  it('activity-long: a transaction older than the limit (5 minutes, lowered to 1 second here)', async () => {
    const sql = variant('activity-long.sql', "interval '5 minutes'", "interval '1 second'");
    const { client, pid } = await session(cluster.url, 'pf-long', ['BEGIN', 'SELECT 1']);
    try {
      const { rows } = await waitFor(() => run('activity-long.sql', { sql }), (r) => r.rows.length > 0);
      expect(pick(rows, 'pid', 'app', 'state', 'why', 'query')).toEqual([
        { pid, app: 'pf-long', state: 'idle in transaction', why: 'long transaction: CREATE INDEX CONCURRENTLY (0002) waits until it ends', query: 'SELECT 1' },
      ]);
      expect((await run('activity-long.sql')).rows).toEqual([]);
    } finally {
      await close(client);
    }
  });

  it('activity-long: a running pg_dump of this database (here: waiting for a lock another session holds)', async () => {
    const blocker = await session(cluster.url, 'pf-blocker', ['BEGIN', 'LOCK TABLE custom_tools IN ACCESS EXCLUSIVE MODE']);
    const dump = spawn(path.join(binDir, 'pg_dump'), ['-d', urlAs('sim_admin'), '-Fc', '--no-sync', '-f', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(dump);
    let stderr = '';
    dump.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => dump.on('exit', (code) => resolve(code)));
    try {
      // Waiting for its lock, pg_dump is active (between its queries it is briefly idle in transaction).
      // Wait until it is blocked at its LOCK TABLE, not just between two of its catalog queries.
      const waiting = (x: Row): boolean => x.app === 'pg_dump' && x.state === 'active' && /LOCK TABLE/.test(String(x.query));
      const { rows } = await waitFor(() => run('activity-long.sql'), (r) => r.rows.some(waiting));
      const row = rows.find(waiting)!;
      expect(row).toMatchObject({ state: 'active', why: expect.stringMatching(/^pg_dump of this database is running: its snapshot stalls CREATE INDEX CONCURRENTLY/) });
      expect(String(row.query)).toMatch(/LOCK TABLE/);
    } finally {
      await close(blocker.client);
      expect(await done, stderr).toBe(0);
      children.delete(dump);
    }
  });

  it('activity-long: an aborted transaction left open (activity-blocking ignores it: it holds no locks)', async () => {
    const { client, pid } = await session(cluster.url, 'pf-aborted', ['BEGIN']);
    await client.query('SELECT 1/0').catch(() => undefined);
    try {
      const { rows } = await waitFor(() => run('activity-long.sql'), (r) => r.rows.length > 0);
      expect(pick(rows, 'pid', 'state', 'why')).toEqual([
        { pid, state: 'idle in transaction (aborted)', why: 'left in an aborted transaction: holds no locks, but its client is stuck (ROLLBACK, or terminate it)' },
      ]);
      expect((await run('activity-blocking.sql')).rows).toEqual([]);
    } finally {
      await close(client);
    }
  });

  it('activity-long: an autovacuum worker on workspace, seen by sim_admin although its details are hidden', async () => {
    // A slow autovacuum on demand: wake every second, vacuum workspace after any change, sleep after every page.
    await su("ALTER SYSTEM SET autovacuum_naptime = '1s'");
    await su('SELECT pg_reload_conf()');
    await q(cluster.url, `ALTER TABLE workspace SET (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0,
                            autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`);
    try {
      await q(cluster.url, 'UPDATE workspace SET name = name');
      // Other tables may get an autovacuum of their own meanwhile: wait for the one on workspace.
      const onWorkspace = (x: Row): boolean => x.app === 'autovacuum' && /^autovacuum on workspace /.test(String(x.why));
      const { rows } = await waitFor(() => run('activity-long.sql'), (r) => r.rows.some(onWorkspace), 40_000);
      const row = rows.find(onWorkspace)!;
      expect(row).toMatchObject({ state: 'hidden', why: expect.stringMatching(/^autovacuum on workspace \(.*ShareUpdateExclusiveLock.*\): 0001 waits for it/) });
      const asSuper = (await run('activity-long.sql', { url: cluster.superuserUrl })).rows.find((x) => x.app === 'autovacuum');
      if (asSuper) expect(String(asSuper.query)).toMatch(/^autovacuum: VACUUM/);
    } finally {
      await q(cluster.url, `ALTER TABLE workspace RESET (autovacuum_vacuum_threshold, autovacuum_vacuum_scale_factor,
                              autovacuum_vacuum_cost_delay, autovacuum_vacuum_cost_limit)`);
      await su('ALTER SYSTEM RESET autovacuum_naptime');
      await su('SELECT pg_reload_conf()');
    }
  }, 60_000);
});

describe('connections.sql', () => {
  const count = "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'";

  it('agrees with pg_stat_activity: used, max_connections, reserved, headroom, percent_used', async () => {
    const c = new pg.Client({ connectionString: cluster.superuserUrl });
    await c.connect();
    try {
      // One transaction: pg_stat_activity is read once per transaction, so both queries see the same sessions.
      await c.query('BEGIN READ ONLY');
      const { rows, fields } = await c.query(read('connections.sql'));
      const n = (await c.query<{ n: number }>(count)).rows[0]!.n;
      const max = Number((await c.query('SHOW max_connections')).rows[0].max_connections);
      const reserved = Number((await c.query('SHOW superuser_reserved_connections')).rows[0].superuser_reserved_connections);
      await c.query('ROLLBACK');
      expect(fields.map((f) => f.name)).toEqual(['used', 'max_connections', 'reserved', 'headroom', 'percent_used']);
      expect(rows).toEqual([
        { used: n, max_connections: max, reserved, headroom: max - reserved - n, percent_used: Math.round((1000 * n) / (max - reserved)) / 10 },
      ]);
    } finally {
      await c.end();
    }
  });

  it('counts other roles\' sessions that sim_admin cannot see, and five more connections as five more', async () => {
    // Each count includes its own connection; both are asked until they agree (closed connections linger a moment).
    const counts = async (): Promise<[number, number]> => [
      Number((await run('connections.sql')).rows[0]!.used),
      Number(((await su(count)) as [{ n: number }])[0].n),
    ];
    const [before, bySuper] = await waitFor(counts, ([a, b]) => a === b);
    expect(before).toBe(bySuper);
    const extra = await Promise.all([1, 2, 3].map(() => session(cluster.superuserUrl, 'pf-extra')).concat([4, 5].map(() => session(cluster.url, 'pf-extra'))));
    try {
      const [withExtra, bySuperNow] = await waitFor(counts, ([a, b]) => a === b && a === before + 5);
      expect([withExtra, bySuperNow]).toEqual([before + 5, before + 5]);
    } finally {
      for (const s of extra) await close(s.client);
    }
  });
});

describe('replication.sql and replication-slots.sql', () => {
  it('an inactive physical slot is a warning that says how to drop it; once streaming it is not', async () => {
    await su("SELECT pg_create_physical_replication_slot('pf_standby', true)");
    let receiver: ChildProcess | undefined;
    const walDir = mkdtempSync(path.join(os.tmpdir(), 'pf-wal-'));
    try {
      const { columns, rows } = await run('replication-slots.sql');
      expect(columns).toEqual(['slot', 'type', 'database', 'active', 'retained', 'problem', 'detail']);
      expect(pick(rows, 'slot', 'type', 'database', 'active', 'problem')).toEqual([
        { slot: 'pf_standby', type: 'physical', database: '-', active: false, problem: 'inactive' },
      ]);
      expect(rows[0]!.detail).toMatch(/SELECT pg_drop_replication_slot\('pf_standby'\)$/);
      expect(verdict('replication-slots.sql', rows)).toBe('warned');

      // More than 1 GB cannot be made here: with the limit lowered to 1 kB the same slot retains too much.
      await su('CREATE TABLE pf_wal (x int); INSERT INTO pf_wal SELECT generate_series(1, 1000); DROP TABLE pf_wal');
      const lowered = await run('replication-slots.sql', { sql: variant('replication-slots.sql', "pg_size_bytes('1 GB')", "pg_size_bytes('1 kB')") });
      expect(lowered.rows.map((r) => r.problem)).toEqual(['inactive', 'retains WAL']);

      // A WAL receiver on the slot: pg_receivewal streams like a standby (without replaying).
      receiver = spawn(path.join(binDir, 'pg_receivewal'), ['-D', walDir, '-d', urlAs('postgres', 'postgres'), '--slot=pf_standby', '-n'], { stdio: 'ignore' });
      children.add(receiver);
      const asSuper = await waitFor(() => run('replication.sql', { url: cluster.superuserUrl }), (r) => r.rows.some((x) => x.state === 'streaming'));
      expect(asSuper.columns).toEqual(['pid', 'standby', 'client', 'state', 'sync', 'slot', 'lag_bytes', 'lag', 'replay_lag']);
      expect(pick(asSuper.rows, 'standby', 'client', 'state', 'sync', 'slot')).toEqual([
        { standby: 'pg_receivewal', client: 'local', state: 'streaming', sync: 'async', slot: 'pf_standby' },
      ]);
      expect(Number(asSuper.rows[0]!.lag_bytes)).toBeGreaterThanOrEqual(0);
      expect(verdict('replication.sql', asSuper.rows)).toBe('passed');
      const asAdmin = await run('replication.sql');
      expect(pick(asAdmin.rows, 'standby', 'client', 'state', 'slot')).toEqual([{ standby: 'pg_receivewal', client: 'hidden', state: 'hidden', slot: 'pf_standby' }]);
      expect((await run('replication-slots.sql')).rows).toEqual([]);
    } finally {
      if (receiver) {
        const gone = new Promise((r) => receiver!.on('exit', r));
        receiver.kill('SIGTERM');
        await gone;
        children.delete(receiver);
      }
      await waitFor(() => su("SELECT active FROM pg_replication_slots WHERE slot_name = 'pf_standby'"), (r) => r[0]?.active === false);
      await su("SELECT pg_drop_replication_slot('pf_standby')");
      rmSync(walDir, { recursive: true, force: true });
    }
    expect((await run('replication-slots.sql')).rows).toEqual([]);
    expect((await run('replication.sql')).rows).toEqual([]);
  });
});

describe('pitr.sql and pitr-problems.sql on the sandbox (archiving on)', () => {
  it('pitr.sql shows each setting as ok; pitr-problems.sql has no row', async () => {
    const pitr = await run('pitr.sql');
    expect(pitr.columns).toEqual(['setting', 'value', 'status', 'note']);
    expect(pick(pitr.rows, 'setting', 'status')).toEqual([
      { setting: 'wal_level', status: 'ok' },
      { setting: 'archive_mode', status: 'ok' },
      { setting: 'archive_command', status: 'ok' },
      { setting: 'archive_library', status: 'info' },
      { setting: 'archive_timeout', status: 'info' },
      { setting: 'last archived', status: expect.stringMatching(/^(ok|info)$/) },
      { setting: 'archive failures', status: 'ok' },
    ]);
    expect(pitr.rows.find((r) => r.setting === 'archive_mode')?.value).toBe('on');
    // The archive command may carry credentials: pitr.sql shows only its program.
    expect(String(pitr.rows.find((r) => r.setting === 'archive_command')?.value)).toMatch(/^test\b/);
    const problems = await run('pitr-problems.sql');
    expect(problems.columns).toEqual(['problem', 'object', 'detail']);
    expect(problems.rows).toEqual([]);
    expect(verdict('pitr-problems.sql', problems.rows)).toBe('passed');
  });
});

/**
 * Settings that need a restart: logical WAL (for a logical slot), archiving (failing, fixed, stalled), prepared
 * transactions, and a small max_connections. Last in the file: the server is restarted.
 */
describe('after a restart with wal_level logical, archiving on, prepared transactions and max_connections 20', () => {
  const release = (): string => path.join(cluster.dir, 'pf-archive-release');

  /** Writes a little WAL and switches to a new segment, so that one is ready to archive. */
  const switchWal = (): Promise<Row[]> => su('CREATE TABLE pf_w (x int); DROP TABLE pf_w; SELECT pg_switch_wal()');

  async function setArchiveCommand(cmd: string): Promise<void> {
    await su(`ALTER SYSTEM SET archive_command = '${cmd.replace(/'/g, "''")}'`);
    await su('SELECT pg_reload_conf()');
    await waitFor(() => su('SHOW archive_command'), (r) => r[0]?.archive_command === cmd);
  }

  beforeAll(async () => {
    await su(`ALTER SYSTEM SET wal_level = 'logical'`);
    await su(`ALTER SYSTEM SET archive_mode = 'on'`);
    await su(`ALTER SYSTEM SET archive_command = 'false'`);
    await su('ALTER SYSTEM SET max_prepared_transactions = 4');
    await su('ALTER SYSTEM SET max_connections = 20');
    await cluster.stopServer();
    await cluster.startServer();
  }, 120_000);

  afterAll(async () => {
    writeFileSync(release(), ''); // never leave the archiver waiting when the server stops
    await setArchiveCommand('true').catch(() => undefined);
  });

  it('the archive command fails: pitr-problems.sql says so, and pitr.sql marks the failures', async () => {
    const { rows } = await waitFor(
      async () => {
        await switchWal();
        return run('pitr-problems.sql');
      },
      (r) => r.rows.some((x) => x.problem === 'archiving failing'),
    );
    expect(pick(rows, 'problem', 'object')).toEqual([{ problem: 'archiving failing', object: 'pg_stat_archiver' }]);
    expect(rows[0]!.detail).toMatch(/^\d+ failed attempts; the last, [0-9A-F]{24} at .*came after the last success \((none since|[0-9A-F]{24} at)/);
    const pitr = (await run('pitr.sql')).rows;
    expect(pick(pitr, 'setting', 'value', 'status').slice(0, 3)).toEqual([
      { setting: 'wal_level', value: 'logical', status: 'ok' },
      { setting: 'archive_mode', value: 'on', status: 'ok' },
      { setting: 'archive_command', value: 'false', status: 'ok' },
    ]);
    expect(pitr.find((r) => r.setting === 'archive failures')!.status).toBe('problem');
  });

  it('archive_mode on without a command: "no archive command"', async () => {
    await setArchiveCommand('');
    const { rows } = await run('pitr-problems.sql');
    expect(pick(rows, 'problem', 'object')).toEqual([{ problem: 'no archive command', object: 'archive_command' }]);
    expect((await run('pitr.sql')).rows.find((r) => r.setting === 'archive_command')).toMatchObject({ value: '(empty)', status: 'problem' });
  });

  it('once the command succeeds the failures are history: no problems', async () => {
    await setArchiveCommand('true');
    const { rows } = await waitFor(
      async () => {
        await switchWal();
        return run('pitr-problems.sql');
      },
      (r) => r.rows.length === 0,
    );
    expect(rows).toEqual([]);
    const pitr = (await run('pitr.sql')).rows;
    expect(pitr.find((r) => r.setting === 'last archived')).toMatchObject({ value: expect.stringMatching(/^[0-9A-F]{24} at /), status: 'ok' });
    expect(pitr.find((r) => r.setting === 'archive failures')!.status).toBe('info');
  });

  it('a hanging archive command: completed segments pile up ("archiving stalled", with 1 hour lowered to 0)', async () => {
    const sql = variant('pitr-problems.sql', "interval '1 hour'", "interval '0 seconds'");
    await setArchiveCommand(`while [ ! -e '${release()}' ]; do sleep 0.2; done`);
    try {
      const { rows } = await waitFor(
        async () => {
          await switchWal();
          return run('pitr-problems.sql', { sql });
        },
        (r) => r.rows.length > 0,
      );
      expect(pick(rows, 'problem', 'object')).toEqual([{ problem: 'archiving stalled', object: 'pg_stat_archiver' }]);
      expect(rows[0]!.detail).toMatch(/while [1-9]\d* WAL segments \(\d+ MB\) were completed since/);
      expect((await run('pitr-problems.sql')).rows).toEqual([]); // the last success is minutes, not an hour, old
      expect(pick((await run('pitr.sql')).rows, 'setting', 'value').find((r) => r.setting === 'archive_command')).toEqual({
        setting: 'archive_command',
        value: `while [ ! -e '${release()}' ]; do sleep 0.2; done`,
      });
    } finally {
      writeFileSync(release(), '');
      await setArchiveCommand('true');
    }
  });

  it('pitr.sql shows only the program of an archive command that may carry credentials', async () => {
    await setArchiveCommand('AWS_SECRET_ACCESS_KEY=abc123 wal-g wal-push %p');
    try {
      const row = (await run('pitr.sql')).rows.find((r) => r.setting === 'archive_command')!;
      expect(row.value).toBe('wal-g … (rest hidden: it may carry credentials)');
    } finally {
      await setArchiveCommand('true');
    }
  });

  it('a logical slot: logical replication does not carry DDL, and the publications are named', async () => {
    await su("SELECT pg_create_logical_replication_slot('pf_logical', 'pgoutput')");
    await su('CREATE PUBLICATION pf_all FOR ALL TABLES');
    try {
      const { rows } = await run('replication-slots.sql');
      expect(pick(rows, 'slot', 'type', 'database', 'active', 'problem')).toEqual([
        { slot: 'pf_logical', type: 'logical', database: 'sim', active: false, problem: 'inactive' },
        { slot: 'pf_logical', type: 'logical', database: 'sim', active: false, problem: 'logical slot' },
      ]);
      expect(rows[1]!.detail).toMatch(/^Logical replication does not replicate DDL: .*Apply 0001 \(and 0002\) on each subscriber first/);
      expect(rows[1]!.detail).toMatch(/Publications here: pf_all \(FOR ALL TABLES\)\.$/);
    } finally {
      await su("SELECT pg_drop_replication_slot('pf_logical')");
      await su('DROP PUBLICATION pf_all');
    }
  });

  it('a prepared transaction holding a lock on workspace is a blocking finding until it is rolled back', async () => {
    await q(cluster.url, "BEGIN; UPDATE workspace SET name = name WHERE id = (SELECT min(id) FROM workspace); PREPARE TRANSACTION 'pf-2pc'");
    try {
      const { rows } = await run('activity-blocking.sql');
      expect(rows).toEqual([
        {
          pid: null,
          app: 'prepared by sim_admin',
          client: '-',
          state: 'prepared',
          xact_age: expect.stringMatching(/^00:00:\d\d$/),
          table: 'workspace',
          mode: expect.stringContaining('RowExclusiveLock'),
          query: "ROLLBACK PREPARED 'pf-2pc' (or COMMIT PREPARED)",
        },
      ]);
    } finally {
      await su("ROLLBACK PREPARED 'pf-2pc'");
    }
    expect((await run('activity-blocking.sql')).rows).toEqual([]);
  });

  it('connections.sql warns when more than 80 % of the 17 ordinary slots are taken', async () => {
    const extra = await Promise.all(Array.from({ length: 13 }, () => session(cluster.url, 'pf-crowd')));
    try {
      const { rows } = await run('connections.sql');
      const used = Number(rows[0]!.used);
      expect(used).toBeGreaterThanOrEqual(14);
      expect(rows[0]).toMatchObject({ max_connections: 20, reserved: 3, headroom: 17 - used, percent_used: Math.round((1000 * used) / 17) / 10 });
      expect(verdict('connections.sql', rows)).toBe('warned');
    } finally {
      for (const s of extra) await close(s.client);
    }
    const after = await waitFor(() => run('connections.sql'), (r) => verdict('connections.sql', r.rows) === 'passed');
    expect(verdict('connections.sql', after.rows)).toBe('passed');
  });
});
