import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { cli, tempStateDir } from '../helpers/cli.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The validation SQL (sql/validate/*, sql/status/other-tools.sql) and the `validate` runbook against a real
 * Sim-like database. The migration is applied with psql the way the engine applies it: 0001 in one transaction,
 * 0002 statement by statement in autocommit, 0003 again and again until it inserts nothing.
 *
 * Every query runs inside BEGIN READ ONLY (as the check step runs it), which also proves it writes nothing.
 * The tests build on each other in file order: before 0001, migrate, break things (rolled back), fill, CLI.
 */

const SQL = path.join(packageRoot(), 'sql');
const read = (rel: string): string => readFileSync(path.join(SQL, rel), 'utf8');
const ORPHANS = read('validate/orphans.sql');
const INDEX_USE = read('validate/index-use.sql');
const OTHER_TOOLS = read('status/other-tools.sql');

const PARLANT_TABLES = [
  'parlant_agent', 'parlant_agent_api_key', 'parlant_agent_knowledge_base', 'parlant_agent_tool', 'parlant_agent_workflow',
  'parlant_canned_response', 'parlant_event', 'parlant_guideline', 'parlant_journey', 'parlant_journey_guideline',
  'parlant_journey_state', 'parlant_journey_transition', 'parlant_session', 'parlant_session_workflow', 'parlant_term',
  'parlant_tool', 'parlant_tool_integration', 'parlant_variable',
];

/** The tables index-use.sql plans queries for; each gets more than 10 000 rows below. */
const KEY_TABLES = ['parlant_agent', 'parlant_tool', 'parlant_session', 'parlant_event', 'parlant_guideline', 'parlant_journey', 'parlant_variable'];

/** Over 10 000 rows in every key table (1000 workspaces at scale 1), so that a sequential scan would count. */
const FILL = `
  INSERT INTO parlant_agent (workspace_id, created_by, name)
  SELECT w.id, w.owner_id, 'agent ' || g FROM workspace w CROSS JOIN generate_series(1, 11) g;
  INSERT INTO parlant_tool (workspace_id, name, display_name, description, tool_type, parameters)
  SELECT w.id, 'tool_' || g, 'Tool ' || g, 'a tool', 'custom', '{}' FROM workspace w CROSS JOIN generate_series(1, 11) g;
  INSERT INTO parlant_guideline (agent_id, condition, action) SELECT a.id, 'when asked', 'answer' FROM parlant_agent a;
  INSERT INTO parlant_journey (agent_id, title, conditions) SELECT a.id, 'onboarding', '[]' FROM parlant_agent a;
  INSERT INTO parlant_session (agent_id, workspace_id, user_id)
  SELECT a.id, a.workspace_id, a.created_by FROM parlant_agent a CROSS JOIN generate_series(1, 2);
  INSERT INTO parlant_event (session_id, "offset", event_type, content)
  SELECT s.id, g, 'customer_message', '{}' FROM parlant_session s CROSS JOIN generate_series(1, 2) g;
  INSERT INTO parlant_variable (agent_id, session_id, key, value, value_type)
  SELECT s.agent_id, s.id, 'locale', '"en"', 'string' FROM parlant_session s;
  ANALYZE ${KEY_TABLES.join(', ')};`;

interface Problem {
  problem: string;
  object: string;
  detail: string;
}

interface ToolRow {
  tool: string;
  relation: string;
  state: string;
  detail: string | null;
  warning: string | null;
}

const ADVISORY_WARNING = 'another session holds an advisory lock: a migration tool may be running';

let cluster: TestCluster;
let c: pg.Client;

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
});

afterAll(async () => {
  await c?.end();
  await cluster?.stop();
});

/** Runs a validation query as the check step does: in a read-only transaction, rolled back. */
async function readOnly<T extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<T>> {
  await c.query('BEGIN READ ONLY');
  try {
    return await c.query<T>(sql);
  } finally {
    await c.query('ROLLBACK');
  }
}

/** Inside the caller's (writing) transaction: switch it to read-only first, then run the query. */
async function readOnlyHere<T extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<T>> {
  await c.query('SET TRANSACTION READ ONLY');
  return c.query<T>(sql);
}

/** Runs fn in a transaction that is always rolled back, so that what it breaks never leaks into later tests. */
async function inRolledBack(fn: () => Promise<void>): Promise<void> {
  await c.query('BEGIN');
  try {
    await fn();
  } finally {
    await c.query('ROLLBACK');
  }
}

/**
 * index-use.sql is two statements (a DO block, then a SELECT) in one simple-protocol query string, as the check step
 * sends it; node-postgres then gives one result per statement, and the engine (PgDbPort) answers with the last.
 * here: inside the caller's transaction (switched to read-only); otherwise in a BEGIN READ ONLY … ROLLBACK of its own.
 */
async function indexUse(here = false): Promise<Problem[]> {
  const r = (here ? await readOnlyHere(INDEX_USE) : await readOnly(INDEX_USE)) as unknown as pg.QueryResult<Problem>[];
  expect(Array.isArray(r)).toBe(true);
  expect(r.map((x) => x.command)).toEqual(['DO', 'SELECT']);
  expect(r[1]!.fields.map((f) => f.name)).toEqual(['problem', 'object', 'detail']);
  return r[1]!.rows;
}

async function psql(args: string[]): Promise<string> {
  const r = await execa('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-d', cluster.url, ...args], { reject: false });
  if (r.exitCode !== 0) throw new Error(`psql ${args.join(' ')} failed (exit ${r.exitCode}): ${r.stderr}`);
  return String(r.stdout);
}

/** The migration as the engine applies it (sql/migrations/README.md), with psql. */
async function migrate(): Promise<void> {
  const m = (f: string): string => path.join(SQL, 'migrations', f);
  await psql(['-q', '-1', '-f', m('0001_parlant_schema.up.sql')]);
  await psql(['-q', '-f', m('0002_parlant_indexes.up.sql')]);
  for (let runs = 1; ; runs++) {
    const out = await psql(['-f', m('0003_default_agents.up.sql')]);
    if (/^INSERT 0 0$/m.test(out)) break;
    if (runs > 20) throw new Error(`0003 still inserting after ${runs} runs: ${out}`);
  }
}

describe('before the migration (0001 not applied)', () => {
  it('orphans.sql lists each of the 18 parlant tables once as a missing table, and nothing else', async () => {
    const { rows } = await readOnly<Problem>(ORPHANS);
    expect(rows.map((r) => r.problem)).toEqual(PARLANT_TABLES.map(() => 'missing table'));
    expect(rows.map((r) => r.object)).toEqual(PARLANT_TABLES);
    expect(rows[0]?.detail).toMatch(/apply 0001_parlant_schema first/);
  });

  it('index-use.sql returns no rows: the tables it would plan for do not exist yet (0001 verify reports them)', async () => {
    expect(await indexUse()).toEqual([]);
  });

  it('other-tools.sql returns no rows on a database no other tool has touched', async () => {
    expect((await readOnly<ToolRow>(OTHER_TOOLS)).rows).toEqual([]);
  });
});

describe('orphans.sql on a migrated database', () => {
  beforeAll(async () => {
    await migrate();
  }, 120_000);

  it('the migration applied cleanly (precondition): 0001 and 0002 verify find nothing', async () => {
    expect((await readOnly(read('migrations/0001_parlant_schema.verify.sql'))).rows).toEqual([]);
    expect((await readOnly(read('migrations/0002_parlant_indexes.verify.sql'))).rows).toEqual([]);
    expect(Number((await c.query('SELECT count(*) AS n FROM parlant_agent')).rows[0].n)).toBe(1000);
  });

  it('finds no orphans', async () => {
    expect((await readOnly<Problem>(ORPHANS)).rows).toEqual([]);
  });

  it('counts an orphan whose foreign key was dropped: exactly one row, naming the relationship, the count and the id', async () => {
    await inRolledBack(async () => {
      await c.query('ALTER TABLE parlant_agent DROP CONSTRAINT parlant_agent_workspace_id_workspace_id_fk');
      const ins = await c.query<{ id: string }>(
        `INSERT INTO parlant_agent (workspace_id, created_by, name)
         SELECT 'no-such-workspace', id, 'stray' FROM "user" ORDER BY id LIMIT 1 RETURNING id`,
      );
      const { rows } = await readOnlyHere<Problem>(ORPHANS);
      expect(rows).toEqual([
        { problem: 'orphaned rows', object: 'parlant_agent.workspace_id → workspace(id)', detail: `1 row, e.g. id ${ins.rows[0]!.id}` },
      ]);
    });
  });

  it('counts orphans behind a NOT VALID key, ignores NULL references, and gives the lowest id', async () => {
    await inRolledBack(async () => {
      const fk = 'parlant_session_user_id_user_id_fk';
      await c.query(`ALTER TABLE parlant_session DROP CONSTRAINT ${fk}`);
      const agent = (await c.query<{ id: string; workspace_id: string }>('SELECT id, workspace_id FROM parlant_agent LIMIT 1')).rows[0]!;
      const ins = await c.query<{ id: string }>(
        `INSERT INTO parlant_session (agent_id, workspace_id, user_id)
         VALUES ($1, $2, 'gone-user-1'), ($1, $2, 'gone-user-2'), ($1, $2, NULL) RETURNING id`,
        [agent.id, agent.workspace_id],
      );
      await c.query(`ALTER TABLE parlant_session ADD CONSTRAINT ${fk} FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE SET NULL NOT VALID`);
      const lowest = ins.rows.slice(0, 2).map((r) => r.id).sort()[0];
      const { rows } = await readOnlyHere<Problem>(ORPHANS);
      expect(rows).toEqual([{ problem: 'orphaned rows', object: 'parlant_session.user_id → "user"(id)', detail: `2 rows, e.g. id ${lowest}` }]);
    });
  });

  it('reports a missing column instead of failing, and still counts the other relationships', async () => {
    await inRolledBack(async () => {
      await c.query('ALTER TABLE parlant_event DROP COLUMN state_id');
      await c.query('ALTER TABLE parlant_guideline DROP CONSTRAINT parlant_guideline_agent_id_parlant_agent_id_fk');
      await c.query(`INSERT INTO parlant_guideline (agent_id, condition, action) VALUES (gen_random_uuid(), 'c', 'a')`);
      const { rows } = await readOnlyHere<Problem>(ORPHANS);
      expect(rows.map((r) => [r.problem, r.object])).toEqual([
        ['missing column', 'parlant_event.state_id'],
        ['orphaned rows', 'parlant_guideline.agent_id → parlant_agent(id)'],
      ]);
    });
  });
});

describe('index-use.sql', () => {
  beforeAll(async () => {
    await c.query(FILL);
  }, 120_000);

  it('the key tables are big enough for a sequential scan to count (precondition: over 10 000 rows each)', async () => {
    const { rows } = await c.query<{ relname: string; n: number }>(
      `SELECT relname, reltuples::bigint::int AS n FROM pg_class WHERE relname = ANY($1::text[]) ORDER BY relname`,
      [KEY_TABLES],
    );
    expect(rows).toHaveLength(KEY_TABLES.length);
    for (const r of rows) expect(r.n, r.relname).toBeGreaterThan(10_000);
  });

  it('returns no rows on a migrated, analyzed database: every key query uses an index', async () => {
    expect(await indexUse()).toEqual([]);
  });

  it('returns a sequential scan row after the only index leading with the filter column is dropped', async () => {
    await inRolledBack(async () => {
      await c.query('DROP INDEX parlant_session_user_id_idx');
      expect(await indexUse(true)).toEqual([
        {
          problem: 'sequential scan',
          object: 'sessions of a user',
          detail: expect.stringMatching(/^parlant_session: Seq Scan over ~\d+ rows; no valid index leads with user_id \(see 0002 verify/),
        },
      ]);
    });
  });

  it('returns a row per key query, in file order, naming the index that exists but is not used (here: index scans off)', async () => {
    await inRolledBack(async () => {
      await c.query('SET LOCAL enable_indexscan = off');
      await c.query('SET LOCAL enable_bitmapscan = off');
      await c.query('SET LOCAL enable_indexonlyscan = off');
      const rows = await indexUse(true);
      expect(rows.map((r) => [r.problem, r.object])).toEqual(
        [
          'agents of a workspace', 'tools of a workspace', 'sessions of an agent', 'sessions of a user',
          'events of a session', 'guidelines of an agent', 'journeys of an agent', 'variables of a session',
        ].map((q) => ['sequential scan', q]),
      );
      expect(rows).toContainEqual({
        problem: 'sequential scan',
        object: 'events of a session',
        detail: expect.stringMatching(/^parlant_event: .*not used although an index leads with session_id \(.*parlant_event_session_offset_idx/),
      });
    });
  });

  it('returns a cannot-explain row when a key query no longer fits the schema, and still checks the others', async () => {
    await inRolledBack(async () => {
      await c.query('ALTER TABLE parlant_journey RENAME COLUMN enabled TO is_enabled');
      expect(await indexUse(true)).toEqual([
        { problem: 'cannot explain', object: 'journeys of an agent', detail: 'column "enabled" does not exist' },
      ]);
    });
  });

  it('leaves nothing behind: the setting it reports through is transaction-local', async () => {
    await indexUse();
    const { rows } = await c.query<{ v: string | null }>(`SELECT current_setting('parlant_runbook.index_use', true) AS v`);
    expect(rows[0]!.v ?? '').toBe('');
  });

  it('fails, rather than report a healthy database, when its two statements do not share a transaction (psql in autocommit)', async () => {
    await expect(psql(['-f', path.join(SQL, 'validate', 'index-use.sql')])).rejects.toThrow(
      /the DO block did not run in this transaction; run the whole file in one transaction/,
    );
    expect(await psql(['-1', '-q', '-A', '-t', '-f', path.join(SQL, 'validate', 'index-use.sql')])).toBe('');
  });
});

describe('other-tools.sql', () => {
  it('lists drizzle, flyway, golang-migrate and Liquibase tables, with a warning only where the operator must act', async () => {
    await inRolledBack(async () => {
      await c.query(`
        CREATE SCHEMA drizzle;
        CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint);
        INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('a1', 1700000000000), ('b2', 1727430000000);
        CREATE TABLE flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
          type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int, installed_by varchar(100) NOT NULL,
          installed_on timestamp NOT NULL DEFAULT now(), execution_time int NOT NULL, success boolean NOT NULL);
        INSERT INTO flyway_schema_history VALUES
          (1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'ci', '2025-01-02 03:04:05', 12, true),
          (2, '2', 'add <things> & more', 'SQL', 'V2__add.sql', 2, 'ci', '2025-01-03 03:04:05', 7, false);
        CREATE SCHEMA gm;
        CREATE TABLE gm.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
        INSERT INTO gm.schema_migrations VALUES (20240101120000, true);
        CREATE TABLE databasechangelog (id varchar(255) NOT NULL, author varchar(255) NOT NULL, filename varchar(255) NOT NULL,
          dateexecuted timestamp NOT NULL, orderexecuted int NOT NULL, exectype varchar(10) NOT NULL, md5sum varchar(35));
        INSERT INTO databasechangelog VALUES ('create-things', 'alice', 'db/changelog.xml', '2025-02-01 10:00:00', 1, 'EXECUTED', NULL);
        CREATE TABLE databasechangeloglock (id int PRIMARY KEY, locked boolean NOT NULL, lockgranted timestamp, lockedby varchar(255));
        INSERT INTO databasechangeloglock VALUES (1, true, '2025-02-01 10:00:00', 'build-7 (10.0.0.5)');`);
      const { rows } = await readOnlyHere<ToolRow>(OTHER_TOOLS);
      expect(rows).toEqual([
        { tool: 'drizzle', relation: 'drizzle.__drizzle_migrations', state: '2 applied', detail: 'latest 2024-09-27 09:40:00Z', warning: null },
        {
          tool: 'flyway',
          relation: 'public.flyway_schema_history',
          state: 'version 1',
          detail: '2 rows, latest installed 2025-01-03 03:04:05',
          warning: 'failed migration: version 2 add <things> & more: fix the cause, then flyway repair before the next migrate',
        },
        {
          tool: 'golang-migrate',
          relation: 'gm.schema_migrations',
          state: 'version 20240101120000',
          detail: 'dirty',
          warning: expect.stringMatching(/^dirty at version 20240101120000: .*migrate force$/),
        },
        {
          tool: 'liquibase',
          relation: 'public.databasechangelog',
          state: '1 changeset(s) applied',
          detail: 'latest create-things by alice (db/changelog.xml) at 2025-02-01 10:00:00',
          warning: null,
        },
        {
          tool: 'liquibase',
          relation: 'public.databasechangeloglock',
          state: 'locked',
          detail: 'by build-7 (10.0.0.5) since 2025-02-01 10:00:00',
          warning: expect.stringMatching(/^Liquibase lock held: .*releaseLocks/),
        },
      ]);
    });
  });

  it('gives no warning when nothing needs attention: clean golang-migrate, unlocked Liquibase, Rails-style schema_migrations', async () => {
    await inRolledBack(async () => {
      await c.query(`
        CREATE SCHEMA gm;
        CREATE TABLE gm.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
        INSERT INTO gm.schema_migrations VALUES (7, false);
        CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY);
        INSERT INTO public.schema_migrations VALUES ('20230101000000'), ('20240101000000');
        CREATE TABLE databasechangeloglock (id int PRIMARY KEY, locked boolean NOT NULL, lockgranted timestamp, lockedby varchar(255));
        INSERT INTO databasechangeloglock VALUES (1, false, NULL, NULL);`);
      const { rows } = await readOnlyHere<ToolRow>(OTHER_TOOLS);
      expect(rows.map((r) => [r.tool, r.relation, r.state, r.warning])).toEqual([
        ['golang-migrate', 'gm.schema_migrations', 'version 7', null],
        ['rails / dbmate', 'public.schema_migrations', '2 applied', null],
        ['liquibase', 'public.databasechangeloglock', 'unlocked', null],
      ]);
    });
  });

  it('lists a table whose columns differ from the tool\'s as unrecognised, without reading it or failing', async () => {
    await inRolledBack(async () => {
      await c.query(`
        CREATE TABLE public.schema_migrations (id int, applied text);
        CREATE TABLE public.__drizzle_migrations (id int, something text);`);
      const { rows } = await readOnlyHere<ToolRow>(OTHER_TOOLS);
      expect(rows).toEqual([
        {
          tool: 'drizzle',
          relation: 'public.__drizzle_migrations',
          state: 'unrecognised',
          detail: 'columns id, something; expected drizzle (id, hash, created_at)',
          warning: null,
        },
        {
          tool: 'golang-migrate or rails / dbmate',
          relation: 'public.schema_migrations',
          state: 'unrecognised',
          detail: 'columns id, applied; expected golang-migrate (version, dirty) or rails / dbmate (version)',
          warning: null,
        },
      ]);
    });
  });

  it('lists a tracking table it may not read as not readable instead of failing', async () => {
    const su = new pg.Client({ connectionString: cluster.superuserUrl });
    await su.connect();
    try {
      await su.query(`CREATE SCHEMA hidden; CREATE TABLE hidden.flyway_schema_history (installed_rank int, version text,
        description text, installed_on timestamp, success boolean)`);
      const { rows } = await readOnly<ToolRow>(OTHER_TOOLS);
      expect(rows).toEqual([
        { tool: 'flyway', relation: 'hidden.flyway_schema_history', state: 'not readable', detail: expect.stringMatching(/^sim_admin may not read it/), warning: null },
      ]);
    } finally {
      await su.query('DROP SCHEMA IF EXISTS hidden CASCADE');
      await su.end();
    }
  });

  it('warns about an advisory lock held by another session, with its application_name, but not about its own', async () => {
    const other = new pg.Client({ connectionString: cluster.url, application_name: 'flyway-like-tool' });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock(4242)');
      await c.query('SELECT pg_advisory_lock(777)'); // our own session: never listed
      const { rows } = await readOnly<ToolRow>(OTHER_TOOLS);
      expect(rows).toEqual([
        {
          tool: 'advisory lock',
          relation: 'key 4242',
          state: 'held',
          detail: expect.stringMatching(new RegExp(`^pid ${(other as unknown as { processID: number }).processID}, application_name flyway-like-tool, user sim_admin`)),
          warning: ADVISORY_WARNING,
        },
      ]);
    } finally {
      await c.query('SELECT pg_advisory_unlock_all()');
      await other.end();
    }
    expect((await readOnly<ToolRow>(OTHER_TOOLS)).rows).toEqual([]);
  });
});

describe('parlant-runbook run validate (the binary in dist/, line mode)', () => {
  const run = async (): Promise<{ exitCode: number; stdout: string }> => {
    const url = new URL(cluster.url);
    url.password = '';
    return cli(['run', 'validate', '--plain', '--db', url.toString(), '--state-dir', tempStateDir()], { env: { PGPASSWORD: cluster.password } });
  };

  it('exits 0 on the fully migrated database, every check passing', async () => {
    const r = await run();
    for (const title of [
      'Tables, columns, enums and keys are as specified',
      'All 115 indexes present and valid',
      'Every workspace has an agent',
      'Every reference has its parent row',
      'Key queries use their indexes',
    ]) {
      expect(r.stdout).toContain(`✔ passed ${title}: No rows`);
    }
    expect(r.stdout).toMatch(/✔ DONE Finished: every step passed/);
    expect(r.exitCode).toBe(0);
  });

  it('exits 1 after an index is dropped, naming the failing checks and the index, and still runs every check', async () => {
    await c.query('DROP INDEX parlant_session_user_id_idx');
    try {
      const r = await run();
      expect(r.stdout).toMatch(/✖ FAILED All 115 indexes present and valid: 1 row found, expected none/);
      expect(r.stdout).toMatch(/missing index\s+parlant_session_user_id_idx/);
      expect(r.stdout).toMatch(/✖ FAILED Key queries use their indexes/);
      expect(r.stdout).toMatch(/sequential scan {2,}sessions of a user {2,}parlant_session: Seq Scan over ~\d+ rows/);
      expect(r.stdout).toContain('✔ passed Every reference has its parent row: No rows');
      expect(r.stdout).toMatch(/✖ FAILED Finished with 2 failed steps/);
      expect(r.exitCode).toBe(1);
    } finally {
      await c.query('CREATE INDEX IF NOT EXISTS parlant_session_user_id_idx ON parlant_session (user_id)');
    }
  });
});
