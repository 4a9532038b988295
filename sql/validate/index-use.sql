-- Index use: do the application's key Parlant queries use an index? For each query below, the planner's plan
-- (EXPLAIN, never ANALYZE: nothing is executed) must not read its table with a sequential scan once the table is
-- big enough for that to hurt (more than 10 000 rows by pg_class.reltuples; smaller tables are rightly seq-scanned).
-- Returns one row per problem, (problem, object, detail), in the order of the queries below; no rows = healthy:
--   sequential scan | <query name> | <table>: Seq Scan over ~<rows> rows; <which index should have served it>
--   cannot explain  | <query name> | <the error>        (the query no longer fits the schema)
-- Tables that do not exist are skipped: 0001 verify reports them.
--
-- How: two statements, sent together as one query string and run in ONE transaction (the check step runs it
-- inside BEGIN READ ONLY … ROLLBACK; the engine reports the last statement's rows). The DO block runs the EXPLAINs
-- and leaves its findings, as a JSON array, in the transaction-local setting parlant_runbook.index_use
-- (set_config(…, true): allowed in a read-only transaction, gone at ROLLBACK, creates nothing). The SELECT at the
-- end turns that setting into rows. Why not one SELECT: there is no function-free way to run EXPLAIN inside a
-- SELECT. query_to_xml runs its text through SPI read-only, and PostgreSQL refuses EXPLAIN there ("EXPLAIN is not
-- allowed in a non-volatile function"; so do ts_stat and the other text-executing built-ins), and this file must
-- not create a function.
-- Run by hand, keep the two statements in one transaction (psql -1 -f, or inside BEGIN … ROLLBACK): in autocommit
-- the setting is gone before the SELECT, and the SELECT then fails saying so rather than report a healthy database.
--
-- The queries use fixed, real-looking literal ids (plans for literals are what the application gets, and an id
-- that matches nothing makes the planner's choice clear-cut). "offset" is a reserved word and stays quoted.
DO $index_use$
DECLARE
  q record;
  tbl regclass;
  est bigint;
  plan jsonb;
  served_by text;
  problems jsonb := '[]';
BEGIN
  FOR q IN
    SELECT k.*
    FROM (VALUES
      (1, 'agents of a workspace', 'parlant_agent', 'workspace_id',
       $q$SELECT * FROM parlant_agent
          WHERE workspace_id = '3547fa97-92e5-44df-95eb-ea26c6c64220' AND deleted_at IS NULL
          ORDER BY created_at$q$),
      (2, 'tools of a workspace', 'parlant_tool', 'workspace_id',
       $q$SELECT * FROM parlant_tool WHERE workspace_id = '3547fa97-92e5-44df-95eb-ea26c6c64220' AND enabled$q$),
      (3, 'sessions of an agent', 'parlant_session', 'agent_id',
       $q$SELECT * FROM parlant_session
          WHERE agent_id = '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f' ORDER BY last_activity_at DESC$q$),
      (4, 'sessions of a user', 'parlant_session', 'user_id',
       $q$SELECT * FROM parlant_session
          WHERE user_id = 'bdb1dd105679979ca82b28edd1c8ccd2' ORDER BY last_activity_at DESC$q$),
      (5, 'events of a session', 'parlant_event', 'session_id',
       $q$SELECT * FROM parlant_event WHERE session_id = '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70' ORDER BY "offset"$q$),
      (6, 'guidelines of an agent', 'parlant_guideline', 'agent_id',
       $q$SELECT * FROM parlant_guideline
          WHERE agent_id = '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f' AND enabled ORDER BY priority DESC$q$),
      (7, 'journeys of an agent', 'parlant_journey', 'agent_id',
       $q$SELECT * FROM parlant_journey WHERE agent_id = '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f' AND enabled$q$),
      (8, 'variables of a session', 'parlant_variable', 'session_id',
       $q$SELECT * FROM parlant_variable
          WHERE session_id = '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70' AND key = 'locale'$q$)
    ) AS k (sort, name, table_name, column_name, query)
    ORDER BY k.sort
  LOOP
    tbl := to_regclass(quote_ident(q.table_name));
    CONTINUE WHEN tbl IS NULL;
    -- reltuples is -1 for a table never vacuumed or analyzed: treated as small (autovacuum will get to it).
    SELECT greatest(c.reltuples, 0)::bigint INTO est FROM pg_class c WHERE c.oid = tbl;
    CONTINUE WHEN est <= 10000;

    BEGIN
      EXECUTE 'EXPLAIN (FORMAT JSON) ' || q.query INTO plan;
    EXCEPTION WHEN OTHERS THEN
      problems := problems || jsonb_build_object('sort', q.sort, 'problem', 'cannot explain', 'object', q.name,
                                                 'detail', SQLERRM);
      CONTINUE;
    END;

    -- Any node of the plan tree (Plans nest) that is a Seq Scan of this table.
    IF jsonb_path_exists(plan, '$.** ? (@."Node Type" == "Seq Scan" && @."Relation Name" == $t)',
                         jsonb_build_object('t', q.table_name)) THEN
      SELECT string_agg(i.relname, ', ' ORDER BY i.relname) INTO served_by
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
      WHERE x.indrelid = tbl AND a.attname = q.column_name AND x.indisvalid AND x.indisready;
      problems := problems || jsonb_build_object('sort', q.sort, 'problem', 'sequential scan', 'object', q.name,
        'detail', format('%s: Seq Scan over ~%s rows; %s', q.table_name, est,
          CASE WHEN served_by IS NULL
               THEN 'no valid index leads with ' || q.column_name || ' (see 0002 verify: missing or INVALID index)'
               ELSE 'not used although an index leads with ' || q.column_name || ' (' || served_by ||
                    '): statistics out of date? planner settings?' END));
    END IF;
  END LOOP;

  -- Always set, also when empty: the SELECT below tells "no problems" from "this block did not run".
  PERFORM set_config('parlant_runbook.index_use', problems::text, true);
END
$index_use$;

-- The findings as rows. The setting is NULL (never set in this session) or '' (set by an earlier, finished
-- transaction) when the DO block above did not run in this transaction: then the ELSE branch fails on purpose,
-- with an error that says so (invalid input syntax for type integer: "index-use.sql: …"), instead of giving an
-- empty, "healthy" answer. (The text is glued to the setting so that it is not a constant the planner would fold.)
SELECT p.problem, p.object, p.detail
FROM jsonb_to_recordset(
       CASE WHEN coalesce(current_setting('parlant_runbook.index_use', true), '') <> ''
            THEN current_setting('parlant_runbook.index_use', true)::jsonb
            ELSE to_jsonb((coalesce(current_setting('parlant_runbook.index_use', true), '') ||
                           'index-use.sql: the DO block did not run in this transaction; '
                           'run the whole file in one transaction')::int) END
     ) AS p (sort int, problem text, object text, detail text)
ORDER BY p.sort;
