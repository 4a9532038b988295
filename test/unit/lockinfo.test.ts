import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  describeLocks,
  foreignKeyMap,
  lockConflicts,
  normalizeStatement,
  statementLocks,
  type LockMode,
  type StatementLocks,
} from '../../src/core/lockinfo.js';
import { packageRoot } from '../../src/core/paths.js';

const UNKNOWN = 'lock not known: check before running';

/** table → mode, for compact assertions. */
function modes(l: StatementLocks): Record<string, LockMode> {
  return Object.fromEntries(l.locks.map((x) => [x.table, x.mode]));
}

describe('normalizeStatement', () => {
  it('strips comments outside literals and identifiers and collapses whitespace', () => {
    const sql = `SELECT '-- kept', "a--b" /* gone */, $$ /* kept */ ; $$, E'it\\'s -- kept'  -- gone
      FROM   t /* outer /* nested */ still gone */ WHERE x = 'two  spaces'`;
    expect(normalizeStatement(sql)).toBe(
      `SELECT '-- kept', "a--b" , $$ /* kept */ ; $$, E'it\\'s -- kept' FROM t WHERE x = 'two  spaces'`,
    );
  });

  it('never glues tokens a comment separated, and keeps the semicolon', () => {
    expect(normalizeStatement('DROP/*x*/TABLE\n\tt;')).toBe('DROP TABLE t;');
    expect(normalizeStatement('-- only a comment')).toBe('');
  });
});

describe('lockConflicts', () => {
  it('is the manual’s symmetric conflict table', () => {
    const all: LockMode[] = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];
    for (const a of all) for (const b of all) expect(lockConflicts(a, b)).toBe(lockConflicts(b, a));
    expect(lockConflicts('ROW EXCLUSIVE', 'ROW EXCLUSIVE')).toBe(false);
    expect(lockConflicts('SHARE', 'SHARE')).toBe(false);
    expect(lockConflicts('SHARE UPDATE EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE')).toBe(true);
    expect(lockConflicts('ACCESS SHARE', 'EXCLUSIVE')).toBe(false);
    expect(lockConflicts('ROW SHARE', 'EXCLUSIVE')).toBe(true);
  });
});

describe('statementLocks: types, tables, indexes', () => {
  it('CREATE TYPE and DROP TYPE take no table lock', () => {
    const create = statementLocks("CREATE TYPE agent_status AS ENUM ('active', 'inactive');");
    expect(create).toMatchObject({ summary: 'CREATE TYPE agent_status', locks: [], blocksReads: false, blocksWrites: false });
    expect(create.notes[0]).toMatch(/no table lock/);
    expect(statementLocks('DROP TYPE IF EXISTS agent_status;').summary).toBe('DROP TYPE agent_status');
    expect(statementLocks('DROP TYPE agent_status CASCADE').notes.join()).toMatch(/CASCADE drops the columns/);
  });

  it('CREATE TABLE: SHARE ROW EXCLUSIVE on every foreign-key target, ACCESS EXCLUSIVE on the new table', () => {
    const l = statementLocks(`
      CREATE TABLE parlant_agent (
        id uuid PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspace (id) ON DELETE CASCADE,  -- inline
        "offset" integer NOT NULL,
        note text DEFAULT 'REFERENCES not_a_table (id); really',
        /* REFERENCES commented_out */
        created_by text NOT NULL,
        CONSTRAINT parlant_agent_created_by_user_id_fk FOREIGN KEY (created_by) REFERENCES "user" (id)
      );`);
    expect(l.summary).toBe('CREATE TABLE parlant_agent');
    expect(l.locks).toEqual([
      { table: 'workspace', mode: 'SHARE ROW EXCLUSIVE', why: expect.stringMatching(/foreign key/) },
      { table: 'user', mode: 'SHARE ROW EXCLUSIVE', why: expect.stringMatching(/foreign key/) },
      { table: 'parlant_agent', mode: 'ACCESS EXCLUSIVE', why: 'the table being created' },
    ]);
    expect(l).toMatchObject({ blocksWrites: true, blocksReads: false });
    expect(l.notes[0]).toBe('held until COMMIT: writes to workspace, "user" wait, reads go on');
    expect(describeLocks(l)).toBe(
      'CREATE TABLE parlant_agent — SHARE ROW EXCLUSIVE on workspace, "user" (foreign keys); ACCESS EXCLUSIVE on parlant_agent (new)',
    );
  });

  it('CREATE TABLE without foreign keys blocks nothing; a self-reference is just the new table', () => {
    const plain = statementLocks('CREATE TEMP TABLE IF NOT EXISTS scratch (id int)');
    expect(plain).toMatchObject({ summary: 'CREATE TABLE scratch', blocksReads: false, blocksWrites: false, notes: [] });
    expect(modes(statementLocks('CREATE TABLE node (id int PRIMARY KEY, parent int REFERENCES node)'))).toEqual({ node: 'ACCESS EXCLUSIVE' });
  });

  it('keeps quoted names as written and shows schema-qualified names with their schema', () => {
    const l = statementLocks('CREATE TABLE sim."Audit Log" (user_id text REFERENCES sim."user" (id), w text REFERENCES Public.Workspace)');
    expect(modes(l)).toEqual({ 'sim.user': 'SHARE ROW EXCLUSIVE', 'public.workspace': 'SHARE ROW EXCLUSIVE', 'sim.Audit Log': 'ACCESS EXCLUSIVE' });
    expect(describeLocks(l)).toBe(
      'CREATE TABLE sim."Audit Log" — SHARE ROW EXCLUSIVE on sim."user", public.workspace (foreign keys); ACCESS EXCLUSIVE on sim."Audit Log" (new)',
    );
  });

  it('CREATE TABLE … AS, LIKE, INHERITS and PARTITION OF lock their sources', () => {
    expect(modes(statementLocks('CREATE TABLE copy AS SELECT * FROM orig o JOIN other x ON x.id = o.id'))).toEqual({
      orig: 'ACCESS SHARE',
      other: 'ACCESS SHARE',
      copy: 'ACCESS EXCLUSIVE',
    });
    expect(modes(statementLocks('CREATE TABLE c (LIKE orig INCLUDING ALL)'))).toEqual({ orig: 'ACCESS SHARE', c: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('CREATE TABLE c (x int) INHERITS (p1, p2)'))).toEqual({ p1: 'SHARE UPDATE EXCLUSIVE', p2: 'SHARE UPDATE EXCLUSIVE', c: 'ACCESS EXCLUSIVE' });
    const part = statementLocks("CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
    expect(modes(part)).toEqual({ m: 'ACCESS EXCLUSIVE', m_2024: 'ACCESS EXCLUSIVE' });
    expect(part.blocksReads).toBe(true);
  });

  it('CREATE INDEX takes SHARE; CONCURRENTLY takes SHARE UPDATE EXCLUSIVE and waits for older transactions', () => {
    const plain = statementLocks('CREATE INDEX parlant_agent_status_idx ON parlant_agent USING btree (status)');
    expect(plain).toMatchObject({ summary: 'CREATE INDEX parlant_agent_status_idx', blocksWrites: true, blocksReads: false });
    expect(modes(plain)).toEqual({ parlant_agent: 'SHARE' });

    const conc = statementLocks('CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_tool_unique ON ONLY parlant_agent_tool (agent_id, tool_id);');
    expect(conc).toMatchObject({ summary: 'CREATE UNIQUE INDEX CONCURRENTLY parlant_agent_tool_unique', blocksWrites: false, blocksReads: false });
    expect(modes(conc)).toEqual({ parlant_agent_tool: 'SHARE UPDATE EXCLUSIVE' });
    expect(conc.notes[0]).toBe('waits for every older transaction in the database (concurrent build): a long-running or idle-in-transaction session anywhere stalls it');

    expect(statementLocks('CREATE INDEX ON t (a)').summary).toBe('CREATE INDEX ON t');
  });

  it('DROP INDEX names the index, since its table is not in the text', () => {
    const plain = statementLocks('DROP INDEX IF EXISTS a_idx, b_idx');
    expect(modes(plain)).toEqual({ '(table of a_idx)': 'ACCESS EXCLUSIVE', '(table of b_idx)': 'ACCESS EXCLUSIVE' });
    expect(plain).toMatchObject({ blocksReads: true, blocksWrites: true });
    const conc = statementLocks('DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_status_idx;');
    expect(modes(conc)).toEqual({ '(table of parlant_agent_status_idx)': 'SHARE UPDATE EXCLUSIVE' });
    expect(conc).toMatchObject({ blocksReads: false, blocksWrites: false });
    expect(describeLocks(conc)).toBe('DROP INDEX CONCURRENTLY parlant_agent_status_idx — SHARE UPDATE EXCLUSIVE on the table of parlant_agent_status_idx');
  });

  it('DROP TABLE locks each table and, given the foreign keys, the tables they reference', () => {
    const fks = new Map([['child', ['parent', 'user']]]);
    const l = statementLocks('DROP TABLE IF EXISTS child, other', fks);
    expect(l.locks.map((x) => [x.table, x.mode])).toEqual([
      ['child', 'ACCESS EXCLUSIVE'],
      ['other', 'ACCESS EXCLUSIVE'],
      ['parent', 'ACCESS EXCLUSIVE'],
      ['user', 'ACCESS EXCLUSIVE'],
    ]);
    expect(l).toMatchObject({ summary: 'DROP TABLE child, other', blocksReads: true });
    expect(describeLocks(l)).toBe('DROP TABLE child, other — ACCESS EXCLUSIVE on child, other; ACCESS EXCLUSIVE on parent, "user" (foreign keys)');
    expect(statementLocks('DROP TABLE child').notes.join()).toMatch(/tables they reference get ACCESS EXCLUSIVE too/);
    expect(statementLocks('DROP TABLE public.child', fks).locks.map((x) => x.table)).toEqual(['public.child', 'parent', 'user']);
  });
});

describe('statementLocks: ALTER TABLE', () => {
  it('ADD COLUMN takes ACCESS EXCLUSIVE (and SHARE ROW EXCLUSIVE on an inline reference)', () => {
    const l = statementLocks('ALTER TABLE parlant_agent ADD COLUMN IF NOT EXISTS owner text REFERENCES "user" (id)');
    expect(modes(l)).toEqual({ parlant_agent: 'ACCESS EXCLUSIVE', user: 'SHARE ROW EXCLUSIVE' });
    expect(l.summary).toBe('ALTER TABLE parlant_agent ADD COLUMN owner');
    expect(statementLocks('ALTER TABLE t ADD c timestamptz DEFAULT clock_timestamp()').notes.join()).toMatch(/volatile/);
  });

  it('ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables; NOT VALID defers the check', () => {
    const l = statementLocks('ALTER TABLE ONLY parlant_agent ADD CONSTRAINT fk FOREIGN KEY (workspace_id) REFERENCES workspace (id) NOT VALID');
    expect(modes(l)).toEqual({ parlant_agent: 'SHARE ROW EXCLUSIVE', workspace: 'SHARE ROW EXCLUSIVE' });
    expect(l).toMatchObject({ summary: 'ALTER TABLE parlant_agent ADD CONSTRAINT fk FOREIGN KEY', blocksWrites: true, blocksReads: false });
    expect(l.notes.join()).toMatch(/NOT VALID: existing rows are not checked now/);
    expect(statementLocks('ALTER TABLE a ADD FOREIGN KEY (b) REFERENCES b').notes.join()).toMatch(/checks every existing row/);
  });

  it('VALIDATE CONSTRAINT takes SHARE UPDATE EXCLUSIVE and blocks neither reads nor writes', () => {
    const l = statementLocks('ALTER TABLE parlant_agent VALIDATE CONSTRAINT fk');
    expect(modes(l)).toEqual({ parlant_agent: 'SHARE UPDATE EXCLUSIVE' });
    expect(l).toMatchObject({ blocksReads: false, blocksWrites: false });
  });

  it('column changes take ACCESS EXCLUSIVE, with notes on scans and rewrites', () => {
    const notNull = statementLocks('ALTER TABLE t ALTER COLUMN c SET NOT NULL');
    expect(notNull).toMatchObject({ summary: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL', blocksReads: true });
    expect(notNull.notes.join()).toMatch(/scans the table for NULLs/);
    const type = statementLocks('ALTER TABLE t ALTER c TYPE bigint USING c::bigint');
    expect(modes(type)).toEqual({ t: 'ACCESS EXCLUSIVE' });
    expect(type.notes.join()).toMatch(/rewrites the table/);
    expect(statementLocks('ALTER TABLE t DROP COLUMN IF EXISTS "offset"').summary).toBe('ALTER TABLE t DROP COLUMN "offset"');
    expect(modes(statementLocks('ALTER TABLE t RENAME COLUMN a TO b'))).toEqual({ t: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE t RENAME TO u'))).toEqual({ t: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE t ALTER COLUMN c SET STATISTICS 500'))).toEqual({ t: 'SHARE UPDATE EXCLUSIVE' });
  });

  it('several subcommands take the strongest of their locks', () => {
    const l = statementLocks('ALTER TABLE t VALIDATE CONSTRAINT a, ADD CONSTRAINT b FOREIGN KEY (x) REFERENCES u, ALTER COLUMN y SET DEFAULT 0');
    expect(modes(l)).toEqual({ t: 'ACCESS EXCLUSIVE', u: 'SHARE ROW EXCLUSIVE' });
    expect(l.summary).toBe('ALTER TABLE t VALIDATE CONSTRAINT a, ADD CONSTRAINT b FOREIGN KEY, ALTER COLUMN y SET DEFAULT');
  });

  it('storage parameters: SHARE UPDATE EXCLUSIVE for the documented ones, ACCESS EXCLUSIVE otherwise', () => {
    expect(modes(statementLocks('ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = false, toast.autovacuum_enabled = off)'))).toEqual({ t: 'SHARE UPDATE EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE t SET (fillfactor = 70, user_catalog_table = true)'))).toEqual({ t: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE t ENABLE TRIGGER trg'))).toEqual({ t: 'SHARE ROW EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE t OWNER TO app'))).toEqual({ t: 'ACCESS EXCLUSIVE' });
  });

  it('partitions: ATTACH takes SHARE UPDATE EXCLUSIVE on the parent, DETACH CONCURRENTLY too', () => {
    expect(modes(statementLocks('ALTER TABLE m ATTACH PARTITION m_1 FOR VALUES IN (1, 2)'))).toEqual({ m: 'SHARE UPDATE EXCLUSIVE', m_1: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE m DETACH PARTITION m_1'))).toEqual({ m: 'ACCESS EXCLUSIVE', m_1: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('ALTER TABLE m DETACH PARTITION m_1 CONCURRENTLY'))).toEqual({ m: 'SHARE UPDATE EXCLUSIVE', m_1: 'SHARE UPDATE EXCLUSIVE' });
  });
});

describe('statementLocks: data changes and queries', () => {
  it('INSERT … SELECT: ROW EXCLUSIVE on the target, ACCESS SHARE on what it reads', () => {
    const l = statementLocks(`INSERT INTO audit (id, what) SELECT w.id, 'FROM nowhere; JOIN nothing' FROM workspace w
      LEFT JOIN "user" u ON u.id = w.owner_id, LATERAL generate_series(1, 2) g
      WHERE extract(year FROM w.created_at) > 2020 AND w.id IS DISTINCT FROM u.id`);
    expect(l.summary).toBe('INSERT INTO audit');
    expect(modes(l)).toEqual({ audit: 'ROW EXCLUSIVE', workspace: 'ACCESS SHARE', user: 'ACCESS SHARE' });
    expect(l).toMatchObject({ blocksReads: false, blocksWrites: false });
  });

  it('takes the target that follows WITH … CTEs, never a CTE name as a table', () => {
    const l = statementLocks(`WITH recent AS MATERIALIZED (SELECT id FROM workspace ORDER BY id LIMIT 10),
      gone AS (DELETE FROM stale s USING recent r WHERE s.id = r.id RETURNING s.id)
      INSERT INTO log (id) SELECT id FROM gone UNION ALL SELECT id FROM recent`);
    expect(l.summary).toBe('INSERT INTO log');
    expect(modes(l)).toEqual({ stale: 'ROW EXCLUSIVE', log: 'ROW EXCLUSIVE', workspace: 'ACCESS SHARE' });
  });

  it('UPDATE … FROM, DELETE … USING, MERGE', () => {
    expect(modes(statementLocks('UPDATE ONLY a SET x = b.x, y = 2 FROM b, c WHERE a.id = b.id'))).toEqual({ a: 'ROW EXCLUSIVE', b: 'ACCESS SHARE', c: 'ACCESS SHARE' });
    const del = statementLocks('DELETE FROM a USING b WHERE a.id = b.id');
    expect(del.summary).toBe('DELETE FROM a');
    expect(modes(del)).toEqual({ a: 'ROW EXCLUSIVE', b: 'ACCESS SHARE' });
    const merge = statementLocks('MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)');
    expect(merge.summary).toBe('MERGE INTO t');
    expect(modes(merge)).toEqual({ t: 'ROW EXCLUSIVE', s: 'ACCESS SHARE' });
    expect(merge.notes.join()).toMatch(/PostgreSQL 15/);
  });

  it('with the foreign keys known: ROW SHARE for the checks of an INSERT, the ON DELETE reach of a DELETE', () => {
    const fks = new Map([['agent', ['workspace', 'user']], ['session', ['agent']]]);
    const ins = statementLocks('INSERT INTO agent (workspace_id) SELECT id FROM workspace', fks);
    expect(modes(ins)).toEqual({ agent: 'ROW EXCLUSIVE', workspace: 'ROW SHARE', user: 'ROW SHARE' });
    expect(describeLocks(ins)).toBe('INSERT INTO agent — ROW EXCLUSIVE on agent; ROW SHARE on workspace, "user" (foreign key checks)');
    expect(statementLocks('DELETE FROM agent WHERE id = $1', fks).notes.join()).toMatch(/foreign keys of session reference agent/);
  });

  it('SELECT takes ACCESS SHARE; FOR UPDATE takes ROW SHARE', () => {
    expect(modes(statementLocks('SELECT count(*) FROM parlant_agent'))).toEqual({ parlant_agent: 'ACCESS SHARE' });
    expect(modes(statementLocks('SELECT * FROM jobs WHERE done = false LIMIT 1 FOR UPDATE SKIP LOCKED'))).toEqual({ jobs: 'ROW SHARE' });
    expect(statementLocks('SELECT 1')).toMatchObject({ summary: 'SELECT', locks: [] });
  });
});

describe('statementLocks: other commands', () => {
  it('COMMENT ON takes SHARE UPDATE EXCLUSIVE on the table concerned', () => {
    const l = statementLocks("COMMENT ON TABLE parlant_agent IS 'Parlant: REFERENCES x; DROP TABLE y'");
    expect(l).toMatchObject({ summary: 'COMMENT ON TABLE parlant_agent', blocksReads: false, blocksWrites: false });
    expect(modes(l)).toEqual({ parlant_agent: 'SHARE UPDATE EXCLUSIVE' });
    expect(modes(statementLocks("COMMENT ON COLUMN parlant_event.\"offset\" IS 'x'"))).toEqual({ parlant_event: 'SHARE UPDATE EXCLUSIVE' });
    expect(modes(statementLocks("COMMENT ON CONSTRAINT fk ON parlant_agent IS 'x'"))).toEqual({ parlant_agent: 'SHARE UPDATE EXCLUSIVE' });
    expect(statementLocks("COMMENT ON TYPE agent_status IS 'x'").locks).toEqual([]);
  });

  it('LOCK TABLE in the mode asked, ACCESS EXCLUSIVE by default', () => {
    const l = statementLocks('LOCK TABLE a, ONLY b IN SHARE ROW EXCLUSIVE MODE NOWAIT');
    expect(l.summary).toBe('LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE');
    expect(modes(statementLocks('LOCK TABLE a IN SHARE ROW EXCLUSIVE MODE NOWAIT'))).toEqual({ a: 'SHARE ROW EXCLUSIVE' });
    expect(modes(statementLocks('LOCK t'))).toEqual({ t: 'ACCESS EXCLUSIVE' });
    expect(statementLocks('LOCK t IN SILLY MODE').notes).toEqual([UNKNOWN]);
  });

  it('TRUNCATE takes ACCESS EXCLUSIVE, CASCADE on the referencing tables too', () => {
    const fks = new Map([['b', ['a']], ['c', ['b']]]);
    expect(modes(statementLocks('TRUNCATE TABLE a CASCADE', fks))).toEqual({ a: 'ACCESS EXCLUSIVE', b: 'ACCESS EXCLUSIVE', c: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('TRUNCATE a, b RESTART IDENTITY'))).toEqual({ a: 'ACCESS EXCLUSIVE', b: 'ACCESS EXCLUSIVE' });
  });

  it('maintenance: VACUUM, ANALYZE, REINDEX, CLUSTER, REFRESH MATERIALIZED VIEW', () => {
    expect(modes(statementLocks('VACUUM (VERBOSE, ANALYZE) a, b (x, y)'))).toEqual({ a: 'SHARE UPDATE EXCLUSIVE', b: 'SHARE UPDATE EXCLUSIVE' });
    expect(modes(statementLocks('VACUUM FULL a'))).toEqual({ a: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('VACUUM (FULL false) a'))).toEqual({ a: 'SHARE UPDATE EXCLUSIVE' });
    expect(statementLocks('VACUUM').notes.join()).toMatch(/every table in the database/);
    expect(modes(statementLocks('ANALYZE VERBOSE a'))).toEqual({ a: 'SHARE UPDATE EXCLUSIVE' });
    expect(modes(statementLocks('REINDEX INDEX CONCURRENTLY a_idx'))).toEqual({ '(table of a_idx)': 'SHARE UPDATE EXCLUSIVE' });
    const reindex = statementLocks('REINDEX TABLE a');
    expect(modes(reindex)).toEqual({ a: 'SHARE', '(indexes of a)': 'ACCESS EXCLUSIVE' });
    expect(reindex.blocksReads).toBe(true);
    expect(modes(statementLocks('CLUSTER a USING a_pkey'))).toEqual({ a: 'ACCESS EXCLUSIVE' });
    expect(modes(statementLocks('REFRESH MATERIALIZED VIEW CONCURRENTLY mv'))).toEqual({ mv: 'EXCLUSIVE' });
    expect(statementLocks('REFRESH MATERIALIZED VIEW CONCURRENTLY mv')).toMatchObject({ blocksReads: false, blocksWrites: true });
    expect(modes(statementLocks('REFRESH MATERIALIZED VIEW mv WITH DATA'))).toEqual({ mv: 'ACCESS EXCLUSIVE' });
  });

  it('extensions, schemas and functions take no table lock; triggers do', () => {
    expect(statementLocks('CREATE EXTENSION IF NOT EXISTS pgcrypto').locks).toEqual([]);
    expect(statementLocks('DROP EXTENSION pgcrypto').locks).toEqual([]);
    expect(statementLocks('CREATE SCHEMA IF NOT EXISTS parlant').summary).toBe('CREATE SCHEMA parlant');
    const fn = statementLocks(`CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $body$
      BEGIN DROP TABLE victim; LOCK other; RETURN NEW; END $body$;`);
    expect(fn).toMatchObject({ summary: 'CREATE OR REPLACE FUNCTION touch', locks: [] });
    expect(statementLocks('DROP FUNCTION IF EXISTS touch()').locks).toEqual([]);
    expect(modes(statementLocks('CREATE TRIGGER trg BEFORE INSERT OR UPDATE OF a, b ON parlant_agent FOR EACH ROW EXECUTE FUNCTION touch()'))).toEqual({ parlant_agent: 'SHARE ROW EXCLUSIVE' });
    expect(modes(statementLocks('DROP TRIGGER IF EXISTS trg ON parlant_agent'))).toEqual({ parlant_agent: 'ACCESS EXCLUSIVE' });
  });

  it('anything else: first keywords, no locks, "lock not known" — and it never throws', () => {
    const l = statementLocks('GRANT SELECT ON parlant_agent TO app');
    expect(l).toEqual({ summary: 'GRANT SELECT ON', locks: [], blocksReads: false, blocksWrites: false, notes: [UNKNOWN] });
    expect(describeLocks(l)).toBe('GRANT SELECT ON — lock not known: check before running');
    expect(statementLocks("DO $$ BEGIN PERFORM 1; END $$").notes).toEqual([UNKNOWN]);
    expect(statementLocks('-- nothing here\n').summary).toBe('(empty)');
    const samples = [
      "CREATE TABLE \"unterminated (id int REFERENCES 'x",
      'ALTER TABLE', 'ALTER TABLE t', 'DROP TABLE', 'CREATE INDEX CONCURRENTLY', 'INSERT INTO', 'WITH x AS (', 'LOCK',
      'COMMENT ON COLUMN x', "SELECT E'\\", '/* open', '$$', 'REINDEX', 'VACUUM (', ')))(((', 'UPDATE', 'DELETE FROM ONLY',
    ];
    for (const sql of samples) expect(() => describeLocks(statementLocks(sql))).not.toThrow();
  });

  it('text with several statements is one transaction: all locks, held to the end', () => {
    const l = statementLocks('CREATE TABLE a (id int); CREATE INDEX a_id ON a (id); INSERT INTO b SELECT 1');
    expect(l.summary).toBe('CREATE TABLE a; CREATE INDEX a_id; INSERT INTO b');
    expect(modes(l)).toEqual({ a: 'ACCESS EXCLUSIVE', b: 'ROW EXCLUSIVE' });
    expect(l.blocksWrites).toBe(false);
  });
});

describe('foreignKeyMap', () => {
  it('reads CREATE TABLE and ALTER TABLE … ADD … FOREIGN KEY, not comments or literals', () => {
    const map = foreignKeyMap(`
      -- CREATE TABLE fake (x int REFERENCES nope);
      CREATE TABLE a (id int PRIMARY KEY, u text REFERENCES "user" (id), note text DEFAULT 'REFERENCES nope');
      CREATE TABLE b (id int, a_id int, CONSTRAINT f FOREIGN KEY (a_id) REFERENCES a (id));
      ALTER TABLE IF EXISTS ONLY b ADD CONSTRAINT g FOREIGN KEY (id) REFERENCES sim.c (id) NOT VALID, ADD FOREIGN KEY (a_id) REFERENCES a;
      CREATE TABLE plain (id int);
      COMMENT ON TABLE plain IS 'REFERENCES nope';`);
    expect([...map]).toEqual([
      ['a', ['user']],
      ['b', ['a', 'sim.c']],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real migrations must get exactly the answers of sql/migrations/README.md, "Locks, and what can block".

const MIGRATIONS = path.join(packageRoot(), 'sql', 'migrations');
const SIM_TABLES = ['user', 'workspace', 'workflow', 'api_key', 'knowledge_base'];

function readMigration(file: string): string {
  return readFileSync(path.join(MIGRATIONS, file), 'utf8');
}

/** The engine's split (README): a statement ends at a line whose last non-blank character is `;`; `--` lines are comments. */
function statementsOf(file: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const line of readMigration(file).split('\n')) {
    if (line.trimStart().startsWith('--')) continue;
    current.push(line);
    if (line.trimEnd().endsWith(';')) {
      out.push(current.join('\n'));
      current = [];
    }
  }
  if (current.join('').trim() !== '') out.push(current.join('\n'));
  return out;
}

describe('the real migrations (README, "Locks, and what can block")', () => {
  const fks = foreignKeyMap(readMigration('0001_parlant_schema.up.sql'));
  const files = readdirSync(MIGRATIONS).filter((f) => /^000[123]_.*\.(up|down)\.sql$/.test(f));

  it('finds the six files, and the foreign keys of 0001 up on its 18 tables', () => {
    expect(files).toHaveLength(6);
    expect(fks.size).toBe(18);
    // 36 keys: once per referencing table and target, parlant_journey_transition's two keys to parlant_journey_state count once
    expect(readMigration('0001_parlant_schema.up.sql').match(/REFERENCES/g)).toHaveLength(36);
    expect([...fks.values()].flat()).toHaveLength(35);
    expect(new Set([...fks.values()].flat().filter((t) => !t.startsWith('parlant_')))).toEqual(new Set(SIM_TABLES));
  });

  it('0001 up: each CREATE TABLE takes SHARE ROW EXCLUSIVE on exactly the tables its foreign keys reference; reads go on', () => {
    const locked = new Set<string>();
    let tables = 0;
    for (const sql of statementsOf('0001_parlant_schema.up.sql')) {
      const l = statementLocks(sql, fks);
      expect(l.blocksReads).toBe(false);
      const created = /^CREATE TABLE (\w+)$/.exec(l.summary)?.[1];
      if (created === undefined) continue;
      tables += 1;
      const share = l.locks.filter((x) => x.mode === 'SHARE ROW EXCLUSIVE').map((x) => x.table);
      expect(share.sort()).toEqual([...(fks.get(created) ?? [])].sort());
      expect(l.locks).toContainEqual({ table: created, mode: 'ACCESS EXCLUSIVE', why: 'the table being created' });
      expect(l.blocksWrites).toBe(share.length > 0);
      for (const t of share) locked.add(t);
    }
    expect(tables).toBe(18);
    expect([...locked].filter((t) => !t.startsWith('parlant_')).sort()).toEqual([...SIM_TABLES].sort());
  });

  it('0002 up and down: every statement takes only SHARE UPDATE EXCLUSIVE on one table, writes continue', () => {
    for (const file of ['0002_parlant_indexes.up.sql', '0002_parlant_indexes.down.sql']) {
      const statements = statementsOf(file);
      expect(statements).toHaveLength(115);
      for (const sql of statements) {
        const l = statementLocks(sql, fks);
        expect(l.locks.map((x) => x.mode)).toEqual(['SHARE UPDATE EXCLUSIVE']);
        expect(l).toMatchObject({ blocksReads: false, blocksWrites: false });
        const on = /\bON (\w+) \(/.exec(sql)?.[1];
        if (file.includes('.up.')) expect(l.locks[0]?.table).toBe(on);
      }
    }
  });

  it('0001 down: each DROP TABLE takes ACCESS EXCLUSIVE on its table and on the Sim tables it references', () => {
    const locked = new Set<string>();
    for (const sql of statementsOf('0001_parlant_schema.down.sql')) {
      const l = statementLocks(sql, fks);
      const dropped = /^DROP TABLE (\w+)$/.exec(l.summary)?.[1];
      if (dropped === undefined) {
        expect(l.summary).toMatch(/^DROP TYPE /);
        expect(l.locks).toEqual([]);
        continue;
      }
      const exclusive = l.locks.filter((x) => x.mode === 'ACCESS EXCLUSIVE').map((x) => x.table);
      expect(exclusive).toContain(dropped);
      for (const t of (fks.get(dropped) ?? []).filter((r) => SIM_TABLES.includes(r))) {
        expect(exclusive).toContain(t);
        locked.add(t);
      }
      expect(l.blocksReads).toBe(true);
    }
    expect([...locked].sort()).toEqual([...SIM_TABLES].sort());
  });

  it('0003 up and down: row-level work on parlant_agent only, blocking no reads or writes', () => {
    const [up, ...moreUp] = statementsOf('0003_default_agents.up.sql');
    const [down, ...moreDown] = statementsOf('0003_default_agents.down.sql');
    expect([moreUp, moreDown]).toEqual([[], []]);
    const insert = statementLocks(up ?? '', fks);
    expect(insert.summary).toBe('INSERT INTO parlant_agent');
    expect(modes(insert)).toEqual({ parlant_agent: 'ROW EXCLUSIVE', workspace: 'ROW SHARE', user: 'ROW SHARE' });
    expect(insert.notes.join()).toMatch(/FOR KEY SHARE/);
    expect(modes(statementLocks(up ?? ''))).toEqual({ parlant_agent: 'ROW EXCLUSIVE', workspace: 'ACCESS SHARE' });
    const del = statementLocks(down ?? '', fks);
    expect(del.summary).toBe('DELETE FROM parlant_agent');
    expect(modes(del)).toEqual({ parlant_agent: 'ROW EXCLUSIVE' });
    for (const l of [insert, del]) expect(l).toMatchObject({ blocksReads: false, blocksWrites: false });
  });

  it('no statement of any up, down or verify file is unknown', () => {
    const all = readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql'));
    expect(all).toHaveLength(9);
    for (const file of all) {
      for (const sql of statementsOf(file)) {
        const l = statementLocks(sql, fks);
        expect(l.notes, `${file}: ${l.summary}`).not.toContain(UNKNOWN);
        if (file.endsWith('.verify.sql')) expect(l).toMatchObject({ summary: 'SELECT', blocksReads: false, blocksWrites: false });
      }
    }
  });
});
