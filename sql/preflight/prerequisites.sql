-- Prerequisites of the Parlant schema: what 0001 needs from the Sim database before it can create its tables
-- (parlant-schema-spec §3). One row per problem; no rows = ready. Columns: problem, object, detail.
--   no current schema  search_path         0001 creates everything in the current schema, and there is none
--   missing table      "user"              one of the five tables Parlant's foreign keys reference is not found
--   not a table        workspace           it is a view, sequence, …: a foreign key can only reference a table
--   not permanent      workspace           unlogged or temporary: a permanent table cannot reference it
--   missing column     workflow.id         the referenced column
--   wrong type         api_key.id          not text (nor varchar): Parlant's 36 key columns are text
--   no unique key      workspace.id        no primary key or unique constraint on id alone to reference
--   missing function   gen_random_uuid()   the default of every Parlant id (built in from PostgreSQL 13)
--   not executable     gen_random_uuid()   exists, but the connecting role may not call it
-- Names are resolved on the search_path, as 0001 resolves them (it names the tables unqualified). Read-only,
-- catalog only; written to run on old servers too (PostgreSQL 11 and later), since it must be able to say so.
WITH
sim (sort, name) AS (VALUES (1, 'user'), (2, 'workspace'), (3, 'workflow'), (4, 'api_key'), (5, 'knowledge_base')),
found AS (
  SELECT s.sort, s.name, c.oid, c.relkind, c.relpersistence,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname,
         a.attnum, a.atttypid, format_type(a.atttypid, a.atttypmod) AS type_name,
         -- A domain counts as its base type.
         coalesce(nullif(t.typbasetype, 0), t.oid) AS base_type
  FROM sim s
  LEFT JOIN pg_class c ON c.oid = to_regclass(quote_ident(s.name))
  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_type t ON t.oid = a.atttypid
),
problem (sort, sub, problem, object, detail) AS (
  SELECT 0, 0, 'no current schema', 'search_path',
         'search_path is ' || current_setting('search_path') || ', and none of its schemas exists: 0001 would ' ||
         'have nowhere to create its tables. Set search_path to the Sim schema (usually public) for this role.'
  WHERE current_schema() IS NULL
  UNION ALL
  SELECT f.sort, 1, 'missing table', quote_ident(f.name),
         'not found on search_path (' || current_setting('search_path') || '): Parlant''s foreign keys reference ' ||
         quote_ident(f.name) || '(id). Is this the Sim database, and the right search_path?'
  FROM found f WHERE f.oid IS NULL
  UNION ALL
  SELECT f.sort, 2, 'not a table', quote_ident(f.name),
         f.qname || ' is ' ||
         CASE f.relkind WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view' WHEN 'S' THEN 'a sequence'
                        WHEN 'f' THEN 'a foreign table' WHEN 'i' THEN 'an index' WHEN 'c' THEN 'a composite type'
                        ELSE 'of relkind ' || f.relkind::text END ||
         ': a foreign key can only reference a table'
  FROM found f WHERE f.oid IS NOT NULL AND f.relkind NOT IN ('r', 'p')
  UNION ALL
  SELECT f.sort, 3, 'not permanent', quote_ident(f.name),
         f.qname || ' is ' || CASE f.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'temporary' END ||
         ': the permanent Parlant tables cannot reference it'
  FROM found f WHERE f.relkind IN ('r', 'p') AND f.relpersistence <> 'p'
  UNION ALL
  SELECT f.sort, 4, 'missing column', quote_ident(f.name) || '.id',
         f.qname || ' has no column id: Parlant''s foreign keys reference ' || quote_ident(f.name) || '(id)'
  FROM found f WHERE f.relkind IN ('r', 'p') AND f.attnum IS NULL
  UNION ALL
  SELECT f.sort, 5, 'wrong type', quote_ident(f.name) || '.id',
         f.qname || '.id is ' || f.type_name || ', not text: ' ||
         CASE WHEN t.typcategory = 'S'
              THEN 'the foreign keys from Parlant''s text columns could be created, but compare differently ' ||
                   '(padding, truncation, case); Sim''s ids are text'
              ELSE 'the foreign keys from Parlant''s text columns cannot be created (incompatible types), ' ||
                   'and 0001 fails' END
  FROM found f
  JOIN pg_type t ON t.oid = f.base_type
  WHERE f.relkind IN ('r', 'p') AND f.attnum IS NOT NULL AND f.base_type NOT IN ('text'::regtype, 'varchar'::regtype)
  UNION ALL
  -- What a foreign key accepts: a unique, non-deferrable, non-partial index on exactly this column.
  SELECT f.sort, 6, 'no unique key', quote_ident(f.name) || '.id',
         f.qname || ' has no primary key or unique constraint on id alone: 0001 cannot create the foreign keys ' ||
         'that reference it ("there is no unique constraint matching given keys")'
  FROM found f
  WHERE f.relkind IN ('r', 'p') AND f.attnum IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pg_index x
                    WHERE x.indrelid = f.oid AND x.indisunique AND x.indimmediate AND x.indisvalid
                      AND x.indpred IS NULL AND x.indexprs IS NULL
                      AND x.indnkeyatts = 1 AND x.indkey[0] = f.attnum)
  UNION ALL
  SELECT 9, 1, 'missing function', 'gen_random_uuid()',
         'PostgreSQL ' || current_setting('server_version') || ' has no gen_random_uuid() on search_path (' ||
         current_setting('search_path') || '): it is built in from PostgreSQL 13; before that, ' ||
         'CREATE EXTENSION pgcrypto in a schema on the search_path. Every Parlant id defaults to it.'
  WHERE to_regprocedure('gen_random_uuid()') IS NULL
  UNION ALL
  SELECT 9, 2, 'not executable', 'gen_random_uuid()',
         current_user || ' may not execute ' || to_regprocedure('gen_random_uuid()')::text ||
         ': every insert into a Parlant table (0003, the application) calls it for the id. ' ||
         'GRANT EXECUTE ON FUNCTION ' || to_regprocedure('gen_random_uuid()')::text || ' TO ' || quote_ident(current_user)
  WHERE to_regprocedure('gen_random_uuid()') IS NOT NULL
    AND NOT has_function_privilege(to_regprocedure('gen_random_uuid()'), 'EXECUTE')
)
SELECT problem, object, detail
FROM problem
ORDER BY sort, sub
