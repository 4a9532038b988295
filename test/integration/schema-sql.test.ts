import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * The Parlant migration SQL (sql/migrations/0001–0003) against a real Sim-like database, applied the way
 * sql/migrations/README.md tells the engine to: transactional files as one query between BEGIN and COMMIT,
 * `-- runbook: no-transaction` files one statement at a time in autocommit, `-- runbook: repeat-until-zero-rows`
 * files again and again until they touch 0 rows. Everything runs as sim_admin (not a superuser), as in production.
 *
 * The tests build on each other in file order: up, verify, break things, backfill, down, up again.
 */

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'sql', 'migrations');
const KNOWN_HEADERS = new Set(['no-transaction', 'repeat-until-zero-rows']);
const MARKER = '{"created_by_migration": "0003_default_agents"}';

const ENUMS: Record<string, string[]> = {
  agent_status: ['active', 'inactive', 'archived'],
  session_mode: ['auto', 'manual', 'paused'],
  session_status: ['active', 'completed', 'abandoned'],
  event_type: ['customer_message', 'agent_message', 'tool_call', 'tool_result', 'status_update', 'journey_transition', 'variable_update'],
  journey_state_type: ['chat', 'tool', 'decision', 'final'],
  composition_mode: ['fluid', 'strict'],
};

/** Sim base tables and their exact row counts at scale 1 (sql/sandbox/sim_data.sql). */
const BASE_TABLES = ['user', 'workspace', 'workflow', 'api_key', 'knowledge_base', 'custom_tools', 'mcp_servers', 'workflow_blocks'];

interface MigrationFile {
  name: string;
  text: string;
  headers: Set<string>;
  statements: string[];
}

interface Problem {
  problem: string;
  object: string;
  detail: string;
}

/** The header contract: `-- runbook: <directive>` lines in the leading comment block. */
function parseHeaders(text: string): Set<string> {
  const headers = new Set<string>();
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('--')) break;
    const m = /^-- runbook: (\S+)$/.exec(t);
    if (m) headers.add(m[1]!);
  }
  return headers;
}

/** The statement boundary of no-transaction files: a non-comment line whose last non-blank character is `;`. */
function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  const hasSql = (lines: string[]) => lines.some((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  for (const line of text.split('\n')) {
    current.push(line);
    const t = line.trim();
    if (!t.startsWith('--') && t.endsWith(';')) {
      if (hasSql(current)) statements.push(current.join('\n'));
      current = [];
    }
  }
  if (hasSql(current)) throw new Error('SQL after the last statement boundary (a line ending in ";")');
  return statements;
}

function load(name: string): MigrationFile {
  const text = readFileSync(path.join(MIGRATIONS, name), 'utf8');
  const headers = parseHeaders(text);
  for (const h of headers) if (!KNOWN_HEADERS.has(h)) throw new Error(`${name}: unknown header ${h}`);
  return { name, text, headers, statements: headers.has('no-transaction') ? splitStatements(text) : [text] };
}

/** Applies a file as the engine must. Returns the number of runs and rows of a repeat-until-zero-rows file. */
async function apply(c: pg.Client, name: string): Promise<{ runs: number; rows: number }> {
  const f = load(name);
  if (!f.headers.has('no-transaction')) {
    if (/\bconcurrently\b/i.test(f.text.replace(/--.*$/gm, ''))) throw new Error(`${name}: CONCURRENTLY in a transactional file`);
    await c.query('BEGIN');
    try {
      await c.query(f.text);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK');
      throw err;
    }
    return { runs: 1, rows: 0 };
  }
  if (f.headers.has('repeat-until-zero-rows')) {
    if (f.statements.length !== 1) throw new Error(`${name}: a repeated file must hold exactly one statement`);
    let runs = 0;
    let rows = 0;
    for (;;) {
      const r = await c.query(f.statements[0]!);
      runs++;
      rows += r.rowCount ?? 0;
      if (!r.rowCount) return { runs, rows };
      if (runs > 10_000) throw new Error(`${name}: still touching rows after ${runs} runs`);
    }
  }
  for (const s of f.statements) await c.query(s);
  return { runs: 1, rows: 0 };
}

async function verify(c: pg.Client, version: '0001_parlant_schema' | '0002_parlant_indexes' | '0003_default_agents'): Promise<Problem[]> {
  return (await c.query<Problem>(load(`${version}.verify.sql`).text)).rows;
}

async function one<T>(c: pg.Client, sql: string, params: unknown[] = []): Promise<T> {
  const r = await c.query(sql, params);
  return Object.values(r.rows[0] as Record<string, unknown>)[0] as T;
}

/** Everything the Parlant migration creates, in a comparable form. */
const CATALOG_SNAPSHOT = `
  WITH t AS (
    SELECT c.oid, c.relname FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'r' AND c.relname LIKE 'parlant\\_%'
  )
  SELECT json_build_object(
    'enums', (SELECT json_agg(json_build_array(t.typname, (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                FROM pg_enum e WHERE e.enumtypid = t.oid)) ORDER BY t.typname)
              FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())),
    'columns', (SELECT json_agg(json_build_array(t.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) ORDER BY t.relname, a.attnum)
                FROM t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum),
    'constraints', (SELECT json_agg(json_build_array(t.relname, k.conname, pg_get_constraintdef(k.oid)) ORDER BY t.relname, k.conname)
                    FROM t JOIN pg_constraint k ON k.conrelid = t.oid),
    'indexes', (SELECT json_agg(json_build_array(i.indexname, i.indexdef) ORDER BY i.indexname)
                FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename LIKE 'parlant\\_%'),
    'comments', (SELECT json_agg(json_build_array(t.relname, obj_description(t.oid, 'pg_class')) ORDER BY t.relname) FROM t)
  ) AS snapshot`;

/** The Sim base tables: their definitions (constraints, indexes, triggers) and row counts. */
const BASE_SNAPSHOT = `
  SELECT json_build_object(
    'constraints', (SELECT json_agg(json_build_array(c.relname, k.conname, pg_get_constraintdef(k.oid))
                      ORDER BY c.relname, k.conname)
                    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
                    WHERE c.relname = ANY($1::text[]) AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())),
    'indexes', (SELECT json_agg(json_build_array(indexname, indexdef) ORDER BY indexname)
                FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1::text[])),
    'triggers', (SELECT json_agg(json_build_array(c.relname, g.tgname, g.tgfoid::regproc::text) ORDER BY c.relname, g.tgname)
                 FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                 WHERE c.relname = ANY($1::text[]) AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())),
    'rows', json_build_object(${BASE_TABLES.map((t) => `'${t}', (SELECT count(*) FROM "${t}")`).join(', ')})
  ) AS snapshot`;

describe('sql/migrations: the Parlant schema', () => {
  let cluster: TestCluster;
  let c: pg.Client;
  let baseBefore: unknown;
  let catalogAfterFirstUp: unknown;

  beforeAll(async () => {
    cluster = await startTestCluster({ withSimData: true });
    c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    baseBefore = await one(c, BASE_SNAPSHOT, [BASE_TABLES]);
  });

  afterAll(async () => {
    await c?.end();
    await cluster?.stop();
  });

  describe('file conventions', () => {
    it('0001 files are transactional, 0002 and 0003 files are no-transaction, 0003 up and down repeat', () => {
      for (const n of ['0001_parlant_schema.up.sql', '0001_parlant_schema.down.sql']) expect(load(n).headers.size).toBe(0);
      for (const n of ['0002_parlant_indexes.up.sql', '0002_parlant_indexes.down.sql']) {
        expect([...load(n).headers]).toEqual(['no-transaction']);
      }
      for (const n of ['0003_default_agents.up.sql', '0003_default_agents.down.sql']) {
        const f = load(n);
        expect([...f.headers].sort()).toEqual(['no-transaction', 'repeat-until-zero-rows']);
        expect(f.statements).toHaveLength(1);
      }
    });

    it('0002 holds 115 CONCURRENTLY statements and nothing else, 10 of them UNIQUE; its down drops the same names', () => {
      const up = load('0002_parlant_indexes.up.sql').statements.map((s) => s.replace(/^--.*\n/gm, '').trim());
      expect(up).toHaveLength(115);
      for (const s of up) expect(s).toMatch(/^CREATE (UNIQUE )?INDEX CONCURRENTLY IF NOT EXISTS \w+ ON parlant_\w+ \([\w", ]+\);$/);
      expect(up.filter((s) => s.startsWith('CREATE UNIQUE'))).toHaveLength(10);
      const down = load('0002_parlant_indexes.down.sql').statements.map((s) => s.replace(/^--.*\n/gm, '').trim());
      const names = (list: string[], re: RegExp) => list.map((s) => re.exec(s)?.[1]).sort();
      expect(names(down, /^DROP INDEX CONCURRENTLY IF EXISTS (\w+);$/)).toEqual(names(up, /IF NOT EXISTS (\w+) ON/));
    });

    it('0001 down uses neither CASCADE nor anything but DROP … IF EXISTS', () => {
      const sql = load('0001_parlant_schema.down.sql').text.replace(/--.*$/gm, '');
      expect(sql).not.toMatch(/cascade/i);
      const statements = sql.split(';').map((s) => s.trim()).filter(Boolean);
      expect(statements).toHaveLength(24);
      for (const s of statements) expect(s).toMatch(/^DROP (TABLE|TYPE) IF EXISTS \w+$/);
    });
  });

  describe('before 0001', () => {
    it('0001 verify reports each of the 6 enums and 18 tables as missing', async () => {
      const rows = await verify(c, '0001_parlant_schema');
      expect(rows.filter((r) => r.problem === 'missing enum').map((r) => r.object).sort()).toEqual(Object.keys(ENUMS).sort());
      expect(rows.filter((r) => r.problem === 'missing table')).toHaveLength(18);
      expect(rows).toHaveLength(24);
    });

    it('0002 verify reports all 115 indexes missing, and 0003 verify the missing agent table', async () => {
      const rows = await verify(c, '0002_parlant_indexes');
      expect(rows).toHaveLength(115);
      expect(new Set(rows.map((r) => r.problem))).toEqual(new Set(['missing index']));
      expect(await verify(c, '0003_default_agents')).toEqual([
        { problem: 'missing table', object: 'parlant_agent', detail: 'apply 0001_parlant_schema first' },
      ]);
    });
  });

  describe('0001 up', () => {
    beforeAll(async () => {
      await apply(c, '0001_parlant_schema.up.sql');
    });

    it('leaves 0001 verify empty', async () => {
      expect(await verify(c, '0001_parlant_schema')).toEqual([]);
    });

    it('creates 18 parlant_* tables with 262 columns, 18 primary keys and 36 foreign keys, no CHECK and no trigger', async () => {
      const counts = await c.query(`
        SELECT (SELECT count(*)::int FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_name LIKE 'parlant\\_%' AND table_type = 'BASE TABLE') AS tables,
               (SELECT count(*)::int FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name LIKE 'parlant\\_%') AS columns,
               (SELECT count(*)::int FROM pg_constraint WHERE conrelid::regclass::text LIKE 'parlant\\_%' AND contype = 'p') AS pks,
               (SELECT count(*)::int FROM pg_constraint WHERE conrelid::regclass::text LIKE 'parlant\\_%' AND contype = 'f') AS fks,
               (SELECT count(*)::int FROM pg_constraint WHERE conrelid::regclass::text LIKE 'parlant\\_%' AND contype = 'c') AS checks,
               (SELECT count(*)::int FROM pg_trigger WHERE tgrelid::regclass::text LIKE 'parlant\\_%' AND NOT tgisinternal) AS triggers,
               (SELECT count(*)::int FROM pg_indexes WHERE tablename LIKE 'parlant\\_%') AS indexes`);
      expect(counts.rows[0]).toEqual({ tables: 18, columns: 262, pks: 18, fks: 36, checks: 0, triggers: 0, indexes: 18 });
    });

    it('creates the 6 enums with their labels in order', async () => {
      const r = await c.query<{ typname: string; labels: string[] }>(`
        SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) GROUP BY t.typname`);
      expect(Object.fromEntries(r.rows.map((x) => [x.typname, x.labels]))).toEqual(ENUMS);
    });

    it('names foreign keys as drizzle-kit does, cut to 63 bytes, with the spec ON DELETE actions', async () => {
      const r = await c.query<{ conname: string; deltype: string }>(`
        SELECT conname, confdeltype::text AS deltype FROM pg_constraint
        WHERE contype = 'f' AND conrelid::regclass::text LIKE 'parlant\\_%'`);
      const fk = Object.fromEntries(r.rows.map((x) => [x.conname, x.deltype]));
      expect(fk).toMatchObject({
        parlant_journey_transition_from_state_id_parlant_journey_state_: 'c',
        parlant_journey_transition_to_state_id_parlant_journey_state_id: 'c',
        parlant_agent_knowledge_base_knowledge_base_id_knowledge_base_i: 'c',
        parlant_agent_workspace_id_workspace_id_fk: 'c',
        parlant_session_user_id_user_id_fk: 'n',
        parlant_session_current_journey_id_parlant_journey_id_fk: 'n',
        parlant_session_current_state_id_parlant_journey_state_id_fk: 'n',
        parlant_event_journey_id_parlant_journey_id_fk: 'n',
        parlant_event_state_id_parlant_journey_state_id_fk: 'n',
      });
      expect(Object.values(fk).filter((d) => d === 'n')).toHaveLength(5);
    });

    it('makes "offset" a NOT NULL integer and every timestamp one without time zone', async () => {
      const r = await c.query<{ data_type: string; n: number }>(`
        SELECT data_type, count(*)::int AS n FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name LIKE 'parlant\\_%' AND data_type LIKE 'timestamp%' GROUP BY 1`);
      expect(r.rows).toEqual([{ data_type: 'timestamp without time zone', n: expect.any(Number) }]);
      const offset = await c.query(`SELECT data_type, is_nullable FROM information_schema.columns
        WHERE table_name = 'parlant_event' AND column_name = 'offset'`);
      expect(offset.rows).toEqual([{ data_type: 'integer', is_nullable: 'NO' }]);
    });

    it('is refused as a whole when applied a second time, leaving the schema as it was', async () => {
      await expect(apply(c, '0001_parlant_schema.up.sql')).rejects.toThrow(/already exists/);
      expect(await verify(c, '0001_parlant_schema')).toEqual([]);
    });

    it('verify names each kind of drift: type, nullability, default, column, enum label, foreign key, CHECK, trigger, table', async () => {
      await c.query('BEGIN');
      try {
        await c.query(`
          ALTER TABLE parlant_agent ALTER COLUMN temperature TYPE bigint;
          ALTER TABLE parlant_agent ALTER COLUMN name DROP NOT NULL;
          ALTER TABLE parlant_tool ALTER COLUMN retry_policy SET DEFAULT '{}';
          ALTER TABLE parlant_term ADD COLUMN extra integer;
          ALTER TABLE parlant_variable DROP COLUMN description;
          ALTER TYPE event_type ADD VALUE 'error_event';
          ALTER TABLE parlant_session DROP CONSTRAINT parlant_session_user_id_user_id_fk;
          ALTER TABLE parlant_session ADD CONSTRAINT parlant_session_user_id_user_id_fk
            FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE CASCADE;
          ALTER TABLE parlant_event DROP CONSTRAINT parlant_event_state_id_parlant_journey_state_id_fk;
          ALTER TABLE parlant_term ADD CONSTRAINT parlant_term_importance_check CHECK (importance > 0);
          CREATE FUNCTION pg_temp.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
          CREATE TRIGGER touch BEFORE UPDATE ON parlant_journey FOR EACH ROW EXECUTE FUNCTION pg_temp.touch();
          DROP TABLE parlant_session_workflow;`);
        const rows = await verify(c, '0001_parlant_schema');
        expect(rows.map((r) => [r.problem, r.object])).toEqual([
          ['wrong enum', 'event_type'],
          ['missing table', 'parlant_session_workflow'],
          ['wrong column nullability', 'parlant_agent.name'],
          ['wrong column type', 'parlant_agent.temperature'],
          ['unexpected column', 'parlant_term.extra'],
          ['wrong column default', 'parlant_tool.retry_policy'],
          ['missing column', 'parlant_variable.description'],
          ['missing foreign key', 'parlant_event.parlant_event_state_id_parlant_journey_state_id_fk'],
          ['wrong foreign key', 'parlant_session.parlant_session_user_id_user_id_fk'],
          ['unexpected constraint', 'parlant_term.parlant_term_importance_check'],
          ['unexpected trigger', 'parlant_journey.touch'],
        ]);
        expect(rows.find((r) => r.problem === 'wrong column type')?.detail).toBe('expected integer, found bigint');
        expect(rows.find((r) => r.problem === 'wrong foreign key')?.detail).toMatch(/expected .* ON DELETE SET NULL, found .* ON DELETE CASCADE/);
      } finally {
        await c.query('ROLLBACK');
      }
      expect(await verify(c, '0001_parlant_schema')).toEqual([]);
    });
  });

  describe('0002 up', () => {
    it('leaves an INVALID index behind when a UNIQUE build meets duplicates; verify reports it and a re-run skips it', async () => {
      // Two terms with the same (agent_id, name): parlant_term_agent_name_idx cannot be built.
      await c.query(`
        WITH a AS (
          INSERT INTO parlant_agent (workspace_id, created_by, name)
          SELECT id, owner_id, 'duplicate-terms test' FROM workspace ORDER BY id LIMIT 1 RETURNING id
        )
        INSERT INTO parlant_term (agent_id, name, description) SELECT a.id, 'same', 'twice' FROM a, generate_series(1, 2)`);
      await expect(apply(c, '0002_parlant_indexes.up.sql')).rejects.toThrow(/could not create unique index "parlant_term_agent_name_idx"/);

      const afterFailure = await verify(c, '0002_parlant_indexes');
      expect(afterFailure.find((r) => r.object === 'parlant_term_agent_name_idx')).toMatchObject({ problem: 'invalid index' });
      expect(afterFailure.filter((r) => r.problem === 'missing index').length).toBeGreaterThan(0);

      // IF NOT EXISTS skips the INVALID leftover: the rest gets built, the leftover stays reported.
      await apply(c, '0002_parlant_indexes.up.sql');
      const afterRerun = await verify(c, '0002_parlant_indexes');
      expect(afterRerun).toEqual([expect.objectContaining({ problem: 'invalid index', object: 'parlant_term_agent_name_idx' })]);
      expect(afterRerun[0]!.detail).toMatch(/DROP INDEX CONCURRENTLY IF EXISTS parlant_term_agent_name_idx/);
    });

    it('is healthy after the documented recovery: remove the duplicates, drop the INVALID index, apply again', async () => {
      await c.query(`DELETE FROM parlant_agent WHERE name = 'duplicate-terms test'`);
      await c.query('DROP INDEX CONCURRENTLY IF EXISTS parlant_term_agent_name_idx');
      await apply(c, '0002_parlant_indexes.up.sql');
      expect(await verify(c, '0002_parlant_indexes')).toEqual([]);
    });

    it('gives the parlant tables 133 indexes (113 declared + 2 for the SET NULL keys + 18 primary keys), 28 unique', async () => {
      const r = await c.query(`
        SELECT count(*)::int AS indexes, count(*) FILTER (WHERE i.indisunique)::int AS unique_indexes,
               count(*) FILTER (WHERE NOT i.indisvalid OR NOT i.indisready)::int AS invalid
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname LIKE 'parlant\\_%' AND t.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`);
      expect(r.rows[0]).toEqual({ indexes: 133, unique_indexes: 28, invalid: 0 });
      catalogAfterFirstUp = await one(c, CATALOG_SNAPSHOT);
    });

    it('verify reports an index with other columns and one that lost its uniqueness', async () => {
      await c.query('BEGIN');
      try {
        await c.query(`
          DROP INDEX parlant_agent_status_idx;
          CREATE INDEX parlant_agent_status_idx ON parlant_agent (status, name);
          DROP INDEX parlant_tool_workspace_name_idx;
          CREATE INDEX parlant_tool_workspace_name_idx ON parlant_tool (workspace_id, name);`);
        const rows = await verify(c, '0002_parlant_indexes');
        expect(rows.map((r) => [r.problem, r.object])).toEqual([
          ['wrong index', 'parlant_agent_status_idx'],
          ['wrong index', 'parlant_tool_workspace_name_idx'],
        ]);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });

  describe('0003 up: default agents', () => {
    it('gives each of the 1000 workspaces exactly one agent, owned by the workspace owner, in 2 runs', async () => {
      expect(await verify(c, '0003_default_agents')).toEqual([
        expect.objectContaining({ problem: 'workspaces without an agent', detail: expect.stringMatching(/^1000 workspace/) }),
      ]);
      const { runs, rows } = await apply(c, '0003_default_agents.up.sql');
      expect(rows).toBe(1000);
      expect(runs).toBeLessThanOrEqual(Math.ceil(1000 / 1000) + 1);
      const r = await c.query(`
        SELECT count(*)::int AS agents, count(DISTINCT a.workspace_id)::int AS workspaces,
               count(*) FILTER (WHERE a.created_by = w.owner_id)::int AS by_owner,
               count(*) FILTER (WHERE a.custom_config @> $1::jsonb)::int AS marked,
               count(*) FILTER (WHERE a.status = 'active' AND a.model_provider = 'openai' AND a.temperature = 70)::int AS defaults
        FROM parlant_agent a JOIN workspace w ON w.id = a.workspace_id`, [MARKER]);
      expect(r.rows[0]).toEqual({ agents: 1000, workspaces: 1000, by_owner: 1000, marked: 1000, defaults: 1000 });
      expect(await verify(c, '0003_default_agents')).toEqual([]);
    });

    it('does nothing when run again', async () => {
      expect(await apply(c, '0003_default_agents.up.sql')).toEqual({ runs: 1, rows: 0 });
      expect(await one(c, 'SELECT count(*)::int FROM parlant_agent')).toBe(1000);
    });

    it('picks up a workspace created below the batches\' key range (ids are random), then stops', async () => {
      const owner = await one<string>(c, 'SELECT owner_id FROM workspace ORDER BY id LIMIT 1');
      await c.query(`INSERT INTO workspace (id, name, owner_id) VALUES ('!straggler', 'Created during the backfill', $1)`, [owner]);
      expect(await verify(c, '0003_default_agents')).toEqual([
        expect.objectContaining({ problem: 'workspaces without an agent', detail: expect.stringMatching(/^1 workspace.*!straggler/) }),
      ]);
      expect(await apply(c, '0003_default_agents.up.sql')).toEqual({ runs: 2, rows: 1 });
      expect(await verify(c, '0003_default_agents')).toEqual([]);
      await c.query(`DELETE FROM workspace WHERE id = '!straggler'`); // cascades to its agent
    });
  });

  describe('foreign keys act as the spec says', () => {
    it('deleting a workspace deletes its agents and their sessions', async () => {
      await c.query('BEGIN');
      try {
        // A workspace without knowledge bases: knowledge_base.workspace_id is NO ACTION in Sim.
        const ws = await one<string>(c, `SELECT w.id FROM workspace w
          WHERE NOT EXISTS (SELECT 1 FROM knowledge_base k WHERE k.workspace_id = w.id) ORDER BY w.id LIMIT 1`);
        await c.query(`INSERT INTO parlant_session (agent_id, workspace_id) SELECT id, workspace_id FROM parlant_agent WHERE workspace_id = $1`, [ws]);
        expect(await one(c, 'SELECT count(*)::int FROM parlant_session WHERE workspace_id = $1', [ws])).toBe(1);
        await c.query('DELETE FROM workspace WHERE id = $1', [ws]);
        expect(await one(c, 'SELECT count(*)::int FROM parlant_agent WHERE workspace_id = $1', [ws])).toBe(0);
        expect(await one(c, 'SELECT count(*)::int FROM parlant_session WHERE workspace_id = $1', [ws])).toBe(0);
      } finally {
        await c.query('ROLLBACK');
      }
    });

    it('deleting a user keeps the sessions they took part in, with user_id set to NULL', async () => {
      await c.query('BEGIN');
      try {
        // A user who owns no workspace, chatting with an agent of someone else's workspace.
        const user = await one<string>(c, `SELECT u.id FROM "user" u
          WHERE NOT EXISTS (SELECT 1 FROM workspace w WHERE w.owner_id = u.id) ORDER BY u.id LIMIT 1`);
        const session = await one<string>(c, `INSERT INTO parlant_session (agent_id, workspace_id, user_id)
          SELECT id, workspace_id, $1 FROM parlant_agent ORDER BY workspace_id LIMIT 1 RETURNING id`, [user]);
        await c.query('DELETE FROM "user" WHERE id = $1', [user]);
        const r = await c.query('SELECT user_id FROM parlant_session WHERE id = $1', [session]);
        expect(r.rows).toEqual([{ user_id: null }]);
      } finally {
        await c.query('ROLLBACK');
      }
    });

    it('deleting a journey state or journey sets the pointers of sessions and events to NULL and removes transitions', async () => {
      await c.query('BEGIN');
      try {
        const ids = (
          await c.query<{ journey: string; s1: string; s2: string }>(`
            WITH agent AS (SELECT id, workspace_id FROM parlant_agent ORDER BY workspace_id LIMIT 1),
            j AS (INSERT INTO parlant_journey (agent_id, title, conditions) SELECT id, 'Onboarding', '[]' FROM agent RETURNING id),
            s AS (INSERT INTO parlant_journey_state (journey_id, name, state_type)
                  SELECT j.id, v.name, 'chat' FROM j, (VALUES ('greet'), ('ask')) AS v (name) RETURNING id, name)
            SELECT (SELECT id FROM j) AS journey, (SELECT id FROM s WHERE name = 'greet') AS s1,
                   (SELECT id FROM s WHERE name = 'ask') AS s2`)
        ).rows[0]!;
        await c.query(`INSERT INTO parlant_journey_transition (journey_id, from_state_id, to_state_id) VALUES ($1, $2, $3)`, [ids.journey, ids.s1, ids.s2]);
        const session = await one<string>(c, `INSERT INTO parlant_session (agent_id, workspace_id, current_journey_id, current_state_id)
          SELECT id, workspace_id, $1, $2 FROM parlant_agent ORDER BY workspace_id LIMIT 1 RETURNING id`, [ids.journey, ids.s1]);
        await c.query(`INSERT INTO parlant_event (session_id, "offset", event_type, content, journey_id, state_id)
          VALUES ($1, 0, 'journey_transition', '{}', $2, $3)`, [session, ids.journey, ids.s1]);

        await c.query('DELETE FROM parlant_journey_state WHERE id = $1', [ids.s1]);
        expect((await c.query('SELECT current_journey_id, current_state_id FROM parlant_session WHERE id = $1', [session])).rows)
          .toEqual([{ current_journey_id: ids.journey, current_state_id: null }]);
        expect((await c.query('SELECT journey_id, state_id FROM parlant_event WHERE session_id = $1', [session])).rows)
          .toEqual([{ journey_id: ids.journey, state_id: null }]);
        expect(await one(c, 'SELECT count(*)::int FROM parlant_journey_transition WHERE journey_id = $1', [ids.journey])).toBe(0);

        await c.query('DELETE FROM parlant_journey WHERE id = $1', [ids.journey]);
        expect((await c.query('SELECT current_journey_id FROM parlant_session WHERE id = $1', [session])).rows).toEqual([{ current_journey_id: null }]);
        expect((await c.query('SELECT journey_id FROM parlant_event WHERE session_id = $1', [session])).rows).toEqual([{ journey_id: null }]);
      } finally {
        await c.query('ROLLBACK');
      }
    });
  });

  describe('down, in reverse', () => {
    it('0003 down deletes exactly the marked agents, batched, and keeps an agent the application created', async () => {
      const ws = await one<string>(c, 'SELECT id FROM workspace ORDER BY id DESC LIMIT 1');
      await c.query(`INSERT INTO parlant_agent (workspace_id, created_by, name)
        SELECT id, owner_id, 'Made in the app' FROM workspace WHERE id = $1`, [ws]);
      const { runs, rows } = await apply(c, '0003_default_agents.down.sql');
      expect(rows).toBe(1000);
      expect(runs).toBeLessThanOrEqual(3);
      expect((await c.query('SELECT name FROM parlant_agent')).rows).toEqual([{ name: 'Made in the app' }]);
      expect(await apply(c, '0003_default_agents.down.sql')).toEqual({ runs: 1, rows: 0 });
      await c.query(`DELETE FROM parlant_agent WHERE name = 'Made in the app'`);
      expect(await verify(c, '0003_default_agents')).toEqual([
        expect.objectContaining({ problem: 'workspaces without an agent', detail: expect.stringMatching(/^1000 workspace/) }),
      ]);
    });

    it('0002 down drops the 115 indexes and leaves the primary keys', async () => {
      await apply(c, '0002_parlant_indexes.down.sql');
      expect(await one(c, `SELECT count(*)::int FROM pg_indexes WHERE tablename LIKE 'parlant\\_%'`)).toBe(18);
      expect(await verify(c, '0002_parlant_indexes')).toHaveLength(115);
      expect(await verify(c, '0001_parlant_schema')).toEqual([]);
    });

    it('0001 down leaves no Parlant object, and the Sim tables exactly as they were, rows included', async () => {
      await apply(c, '0001_parlant_schema.down.sql');
      const left = await c.query(`
        SELECT (SELECT count(*)::int FROM pg_class WHERE relname LIKE 'parlant\\_%') AS relations,
               (SELECT count(*)::int FROM pg_type WHERE typname LIKE 'parlant\\_%' OR typname = ANY($1::text[])
                  OR typname = ANY(SELECT '_' || unnest($1::text[]))) AS types,
               (SELECT count(*)::int FROM pg_constraint WHERE conname LIKE 'parlant\\_%') AS constraints`, [Object.keys(ENUMS)]);
      expect(left.rows[0]).toEqual({ relations: 0, types: 0, constraints: 0 });
      expect(await one(c, BASE_SNAPSHOT, [BASE_TABLES])).toEqual(baseBefore);
      expect(await verify(c, '0001_parlant_schema')).toHaveLength(24);
    });

    it('0001 down again, on an empty schema, is a no-op', async () => {
      await apply(c, '0001_parlant_schema.down.sql');
      expect(await one(c, BASE_SNAPSHOT, [BASE_TABLES])).toEqual(baseBefore);
    });
  });

  describe('up after down', () => {
    it('rebuilds a catalog identical to the first one', async () => {
      await apply(c, '0001_parlant_schema.up.sql');
      await apply(c, '0002_parlant_indexes.up.sql');
      expect(await one(c, CATALOG_SNAPSHOT)).toEqual(catalogAfterFirstUp);
      expect(await verify(c, '0001_parlant_schema')).toEqual([]);
      expect(await verify(c, '0002_parlant_indexes')).toEqual([]);
    });
  });
});
