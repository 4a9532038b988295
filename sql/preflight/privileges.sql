-- Privileges the connecting role (current_user) lacks, and which runbooks each one breaks. One row per missing
-- privilege; no rows = every runbook can do its work as this role. Superuser is not required (role.sql shows it).
-- Columns: privilege, object, breaks (the runbooks, and the step that fails), fix (what a DBA would run).
--   CONNECT      database sim          every new connection: each runbook's, pg_dump's, pg_restore's
--   CREATE       database sim          the migration engine's CREATE SCHEMA IF NOT EXISTS parlant_runbook (checked
--                                      even when the schema exists)
--   USAGE        schema public         the current schema, where the Sim tables are and 0001 creates its tables
--   CREATE       schema public         0001's 6 types and 18 tables, 0002's indexes
--   REFERENCES   "user" … (each of the five tables Parlant's foreign keys reference; the owner has it)
--   SELECT       workspace … (each of the five: 0003 reads workspace, validate's orphans.sql reads all five,
--                pg_dump reads them)
--   USAGE, CREATE, SELECT, INSERT, UPDATE, DELETE   parlant_runbook and its tables, when another role created them
--   ownership    existing parlant_* tables and Parlant enum types owned by a role whose privileges this one lacks
--                (0001 down drops them, 0002 indexes them: only the owner may)
--   USAGE        schema x              pg_dump must read every schema with tables (backup)
--   SELECT       "n of m tables and sequences in schema x, e.g. …"   pg_dump reads every table and sequence (backup)
--   BYPASSRLS    table x               pg_dump runs with row_security off and stops at a table whose row-level
--                                      security applies to this role
-- Ownership counts through role membership, as PostgreSQL counts it. Read-only, catalog only. Not checked: TEMP
-- (no runbook creates temporary objects) and CREATEDB (role.sql shows it: only a restore into a scratch database
-- needs it).
WITH
me AS (
  SELECT current_user::text AS role, current_database()::text AS db, current_schema()::text AS schema,
         (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypasses_rls
),
sim (sort, name) AS (VALUES (1, 'user'), (2, 'workspace'), (3, 'workflow'), (4, 'api_key'), (5, 'knowledge_base')),
sim_found AS (
  SELECT s.sort, s.name, c.oid, c.relnamespace AS nsp, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS qname
  FROM sim s
  JOIN pg_class c ON c.oid = to_regclass(quote_ident(s.name))
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
),
-- The migration engine's own schema and tables (sql/engine/tracking.sql), if some role created them already.
tracking AS (
  SELECT t.sort, t.name, t.privs, c.oid
  FROM (VALUES (1, 'migrations', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
               (2, 'migration_history', ARRAY['SELECT', 'INSERT'])) AS t (sort, name, privs)
  -- By name, not to_regclass: that fails outright without USAGE on the schema.
  JOIN pg_class c ON c.relname = t.name
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'parlant_runbook'
),
-- Parlant objects that already exist in the current schema (a partial or earlier migration).
parlant_obj AS (
  SELECT 'table' AS kind, c.relname::text AS name, c.relowner AS owner
  FROM pg_class c
  WHERE c.relnamespace = to_regnamespace(quote_ident(current_schema())) AND c.relkind IN ('r', 'p')
    AND c.relname LIKE 'parlant\_%'
  UNION ALL
  SELECT 'type', t.typname::text, t.typowner
  FROM pg_type t
  WHERE t.typnamespace = to_regnamespace(quote_ident(current_schema())) AND t.typtype = 'e'
    AND t.typname IN ('agent_status', 'session_mode', 'session_status', 'event_type', 'journey_state_type',
                      'composition_mode')
),
-- What pg_dump reads: every table (data, including partitions) and sequence (its value) of every schema but the
-- system ones, except extension members (their data is not dumped).
dumped AS (
  SELECT n.oid AS nsp, n.nspname::text AS nspname, c.oid, c.relname::text AS relname, c.relkind,
         c.relrowsecurity, c.relforcerowsecurity, c.relowner
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'S')
    AND c.relpersistence <> 't'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
),
problem (sort, sub, privilege, object, breaks, fix) AS (
  SELECT 1, 0, 'CONNECT', 'database ' || quote_ident(db),
         'every runbook: each new connection, and pg_dump / pg_restore (backup, restore)',
         format('GRANT CONNECT ON DATABASE %I TO %I', db, role)
  FROM me WHERE NOT has_database_privilege(db, 'CONNECT')
  UNION ALL
  SELECT 2, 0, 'CREATE', 'database ' || quote_ident(db),
         'migrate, hot-migrate, rollback: the migration engine creates its schema parlant_runbook, where applied ' ||
         'migrations are recorded (CREATE SCHEMA IF NOT EXISTS needs it even when the schema exists)',
         format('GRANT CREATE ON DATABASE %I TO %I', db, role)
  FROM me WHERE NOT has_database_privilege(db, 'CREATE')
  UNION ALL
  SELECT 3, 0, 'USAGE', 'schema ' || quote_ident(schema),
         'every runbook: the Sim tables are there, 0001 creates the Parlant tables there; backup: pg_dump reads it',
         format('GRANT USAGE ON SCHEMA %I TO %I', schema, role)
  FROM me WHERE schema IS NOT NULL AND NOT has_schema_privilege(schema, 'USAGE')
  UNION ALL
  SELECT 4, 0, 'CREATE', 'schema ' || quote_ident(schema),
         'migrate, hot-migrate: 0001 creates 6 enum types and 18 tables there, 0002 their indexes',
         format('GRANT CREATE ON SCHEMA %I TO %I', schema, role)
  FROM me WHERE schema IS NOT NULL AND NOT has_schema_privilege(schema, 'CREATE')
  UNION ALL
  -- Column-level REFERENCES on id is enough for a foreign key; the table's owner has every privilege.
  SELECT 5, f.sort, 'REFERENCES', f.qname,
         'migrate, hot-migrate: 0001 cannot create the foreign keys to ' || f.qname || '(id)',
         format('GRANT REFERENCES ON %s TO %I', f.qname, me.role)
  FROM sim_found f CROSS JOIN me
  WHERE NOT has_table_privilege(f.oid, 'REFERENCES')
    AND NOT CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a
                              WHERE a.attrelid = f.oid AND a.attname = 'id' AND a.attnum > 0 AND NOT a.attisdropped)
                 THEN has_column_privilege(f.oid, 'id', 'REFERENCES') ELSE false END
  UNION ALL
  SELECT 6, f.sort, 'SELECT', f.qname,
         CASE WHEN f.name = 'workspace' THEN 'migrate, hot-migrate: 0003 reads workspace to give each one an agent; '
              ELSE '' END ||
         'validate: orphans.sql reads it; backup: pg_dump reads every table',
         format('GRANT SELECT ON %s TO %I', f.qname, me.role)
  FROM sim_found f CROSS JOIN me
  WHERE NOT has_table_privilege(f.oid, 'SELECT')
  UNION ALL
  SELECT 7, 0, 'USAGE', 'schema parlant_runbook',
         'migrate, hot-migrate, rollback, status: the migration records are there (another role created the ' ||
         'schema); backup: pg_dump reads it',
         format('GRANT USAGE ON SCHEMA parlant_runbook TO %I', role)
  FROM me
  WHERE to_regnamespace('parlant_runbook') IS NOT NULL AND NOT has_schema_privilege('parlant_runbook', 'USAGE')
  UNION ALL
  SELECT 8, 0, 'CREATE', 'schema parlant_runbook',
         'migrate, hot-migrate, rollback: the engine runs CREATE TABLE IF NOT EXISTS there on every start',
         format('GRANT CREATE ON SCHEMA parlant_runbook TO %I', role)
  FROM me
  WHERE to_regnamespace('parlant_runbook') IS NOT NULL AND NOT has_schema_privilege('parlant_runbook', 'CREATE')
  UNION ALL
  SELECT 9, t.sort, string_agg(p.priv, ', ' ORDER BY p.ord), 'parlant_runbook.' || t.name,
         CASE WHEN t.name = 'migrations'
              THEN 'migrate, hot-migrate, rollback: the engine records each applied or rolled-back migration; status reads it'
              ELSE 'migrate, hot-migrate, rollback: the engine logs every attempt' END,
         format('GRANT %s ON parlant_runbook.%I TO %I', string_agg(p.priv, ', ' ORDER BY p.ord), t.name, me.role)
  FROM tracking t
  CROSS JOIN me
  CROSS JOIN LATERAL unnest(t.privs) WITH ORDINALITY AS p (priv, ord)
  WHERE NOT has_table_privilege(t.oid, p.priv)
  GROUP BY t.sort, t.name, me.role
  UNION ALL
  SELECT 10, 0, 'ownership',
         string_agg(o.name, ', ' ORDER BY o.kind, o.name) || ' (' ||
         array_to_string(ARRAY[
           CASE count(*) FILTER (WHERE o.kind = 'table') WHEN 0 THEN NULL WHEN 1 THEN '1 table'
                ELSE count(*) FILTER (WHERE o.kind = 'table') || ' tables' END,
           CASE count(*) FILTER (WHERE o.kind = 'type') WHEN 0 THEN NULL WHEN 1 THEN '1 type'
                ELSE count(*) FILTER (WHERE o.kind = 'type') || ' types' END], ', ') ||
         ' owned by ' || o.owner::regrole::text || ')',
         'rollback: 0001 down drops them; migrate, hot-migrate: 0002 indexes the tables (only their owner may)',
         format('have %s run ALTER TABLE / ALTER TYPE … OWNER TO %I, or run the runbooks as %s',
                o.owner::regrole::text, me.role, o.owner::regrole::text)
  FROM parlant_obj o
  CROSS JOIN me
  WHERE NOT pg_has_role(o.owner, 'USAGE')
  GROUP BY o.owner, me.role
  UNION ALL
  SELECT 11, 0, 'USAGE', 'schema ' || quote_ident(d.nspname),
         'backup: pg_dump cannot read its ' || count(*) || ' tables and sequences',
         format('GRANT USAGE ON SCHEMA %I TO %I', d.nspname, me.role)
  FROM dumped d CROSS JOIN me
  WHERE NOT has_schema_privilege(d.nsp, 'USAGE')
    -- reported above, with what else they break
    AND d.nspname IS DISTINCT FROM me.schema AND d.nspname <> 'parlant_runbook'
  GROUP BY d.nsp, d.nspname, me.role
  UNION ALL
  -- The five Sim tables and the engine's two tables are listed above on their own.
  SELECT 12, 0, 'SELECT',
         count(*) FILTER (WHERE NOT has_table_privilege(d.oid, 'SELECT')) || ' of ' || count(*) ||
         CASE WHEN d.nsp IN (SELECT nsp FROM sim_found) THEN ' other' ELSE '' END ||
         ' tables and sequences in schema ' || quote_ident(d.nspname) || ', e.g. ' ||
         array_to_string((array_agg(quote_ident(d.relname) ORDER BY d.relname)
                          FILTER (WHERE NOT has_table_privilege(d.oid, 'SELECT')))[1:3], ', '),
         'backup: pg_dump reads every table and sequence',
         format('GRANT SELECT ON ALL TABLES IN SCHEMA %1$I TO %2$I; GRANT SELECT ON ALL SEQUENCES IN SCHEMA %1$I TO %2$I',
                d.nspname, me.role)
  FROM dumped d CROSS JOIN me
  WHERE has_schema_privilege(d.nsp, 'USAGE')
    AND d.oid NOT IN (SELECT oid FROM sim_found UNION ALL SELECT oid FROM tracking)
  GROUP BY d.nsp, d.nspname, me.role
  HAVING bool_or(NOT has_table_privilege(d.oid, 'SELECT'))
  UNION ALL
  SELECT 13, 0, 'BYPASSRLS',
         quote_ident(d.nspname) || '.' || quote_ident(d.relname) || ' (row-level security' ||
         CASE WHEN d.relforcerowsecurity THEN ', forced on its owner too' ELSE '' END || ')',
         'backup: pg_dump runs with row_security off and stops at this table ' ||
         '("query would be affected by row-level security policy")',
         CASE WHEN d.relforcerowsecurity
              THEN format('ALTER ROLE %I BYPASSRLS (as a superuser)', me.role)
              ELSE format('dump as %s, or ALTER ROLE %I BYPASSRLS (as a superuser)', d.relowner::regrole::text, me.role)
         END
  FROM dumped d CROSS JOIN me
  WHERE d.relkind IN ('r', 'p') AND d.relrowsecurity AND NOT me.bypasses_rls
    AND (d.relforcerowsecurity OR NOT pg_has_role(d.relowner, 'USAGE'))
)
SELECT privilege, object, breaks, fix
FROM problem
ORDER BY sort, sub, object
