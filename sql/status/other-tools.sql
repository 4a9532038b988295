-- Other migration tools in this database: their tracking tables (any schema) and advisory locks held by other
-- sessions. One row per table or lock; no rows = no other tool has left a trace here. Read-only.
-- Columns: tool, relation, state, detail, warning. warning is NULL unless the operator must look before migrating:
--   a lock held (Liquibase, knex, an advisory lock), a failed or half-done migration (flyway, golang-migrate
--   dirty, Prisma, sqlx). A table whose columns are not the expected ones is listed as 'unrecognised', not read.
--
-- Why dynamic SQL: a static reference to a table that may not exist fails the whole statement when it is parsed.
-- Each tool's table is found in pg_class, its columns checked in pg_attribute, and only then read, with
-- query_to_xml (a built-in: nothing is created) under a CASE, and its row taken back apart with xpath.
-- Each tool's query returns exactly one row of three text columns: state, detail, warning.
WITH
known (sort, tool, relname, needs, lacks, query) AS (VALUES
    -- drizzle-kit: created_at is a bigint of epoch milliseconds.
    (1, 'drizzle', '__drizzle_migrations', ARRAY['id', 'hash', 'created_at'], ARRAY[]::text[],
     $q$SELECT count(*) || ' applied' AS state,
               'latest ' || coalesce((SELECT CASE WHEN t ~ '^[0-9]{10,}$'
                                                  THEN to_char(to_timestamp(t::numeric / 1000) AT TIME ZONE 'UTC',
                                                               'YYYY-MM-DD HH24:MI:SS"Z"')
                                                  ELSE t END
                                      FROM (SELECT created_at::text AS t, hash FROM %1$s ORDER BY id DESC LIMIT 1) l),
                                     'none') AS detail,
               NULL::text AS warning
        FROM %1$s$q$),
    (2, 'flyway', 'flyway_schema_history', ARRAY['installed_rank', 'version', 'description', 'installed_on', 'success'],
     ARRAY[]::text[],
     $q$SELECT coalesce('version ' || (SELECT version FROM %1$s
                                       WHERE success::text IN ('true', '1') AND version IS NOT NULL
                                       ORDER BY installed_rank DESC LIMIT 1), 'no version applied') AS state,
               count(*) || ' rows, latest installed ' || coalesce(left(max(installed_on)::text, 19), 'never') AS detail,
               (SELECT 'failed migration: version ' || coalesce(version::text, '(repeatable)') || ' ' ||
                       description || ': fix the cause, then flyway repair before the next migrate'
                FROM %1$s WHERE success::text NOT IN ('true', '1')
                ORDER BY installed_rank DESC LIMIT 1) AS warning
        FROM %1$s$q$),
    -- Flyway before version 5 used this name, same columns.
    (3, 'flyway', 'schema_version', ARRAY['installed_rank', 'version', 'description', 'installed_on', 'success'],
     ARRAY[]::text[],
     $q$SELECT coalesce('version ' || (SELECT version FROM %1$s
                                       WHERE success::text IN ('true', '1') AND version IS NOT NULL
                                       ORDER BY installed_rank DESC LIMIT 1), 'no version applied') AS state,
               count(*) || ' rows, latest installed ' || coalesce(left(max(installed_on)::text, 19), 'never') AS detail,
               (SELECT 'failed migration: version ' || coalesce(version::text, '(repeatable)') || ' ' ||
                       description || ': fix the cause, then flyway repair before the next migrate'
                FROM %1$s WHERE success::text NOT IN ('true', '1')
                ORDER BY installed_rank DESC LIMIT 1) AS warning
        FROM %1$s$q$),
    -- golang-migrate keeps one row; dirty = a migration failed half-way and the tool refuses to go on.
    (4, 'golang-migrate', 'schema_migrations', ARRAY['version', 'dirty'], ARRAY[]::text[],
     $q$SELECT coalesce('version ' || max(version::text), 'no version') AS state,
               CASE WHEN bool_or(dirty::text IN ('true', '1')) THEN 'dirty' ELSE 'clean' END AS detail,
               CASE WHEN bool_or(dirty::text IN ('true', '1')) THEN 'dirty at version ' || max(version::text) ||
                    ': a golang-migrate migration failed half-way; repair the schema by hand, then migrate force'
               END AS warning
        FROM %1$s$q$),
    -- The same table name without "dirty": Rails (Active Record), dbmate and others keep one row per version.
    (5, 'rails / dbmate', 'schema_migrations', ARRAY['version'], ARRAY['dirty'],
     $q$SELECT count(*) || ' applied' AS state, 'latest version ' || coalesce(max(version::text), 'none') AS detail,
               NULL::text AS warning
        FROM %1$s$q$),
    (6, 'liquibase', 'databasechangelog', ARRAY['id', 'author', 'filename', 'dateexecuted', 'orderexecuted'],
     ARRAY[]::text[],
     $q$SELECT count(*) || ' changeset(s) applied' AS state,
               coalesce((SELECT 'latest ' || id || ' by ' || author || ' (' || filename || ') at ' ||
                                left(dateexecuted::text, 19)
                         FROM %1$s ORDER BY orderexecuted DESC LIMIT 1), 'none') AS detail,
               NULL::text AS warning
        FROM %1$s$q$),
    (7, 'liquibase', 'databasechangeloglock', ARRAY['id', 'locked', 'lockgranted', 'lockedby'], ARRAY[]::text[],
     $q$SELECT CASE WHEN bool_or(locked::text IN ('true', '1')) THEN 'locked' ELSE 'unlocked' END AS state,
               coalesce((SELECT 'by ' || coalesce(lockedby::text, '?') || ' since ' ||
                                coalesce(left(lockgranted::text, 19), '?')
                         FROM %1$s WHERE locked::text IN ('true', '1') ORDER BY id LIMIT 1), 'not locked') AS detail,
               CASE WHEN bool_or(locked::text IN ('true', '1')) THEN
                 'Liquibase lock held: an update may be running; if none is, liquibase releaseLocks frees it' END AS warning
        FROM %1$s$q$),
    -- Prisma: a row with neither finished_at nor rolled_back_at is a migration that failed or is running.
    (8, 'prisma', '_prisma_migrations', ARRAY['migration_name', 'started_at', 'finished_at', 'rolled_back_at'],
     ARRAY[]::text[],
     $q$SELECT count(*) FILTER (WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL) || ' applied' AS state,
               'latest ' || coalesce((SELECT migration_name FROM %1$s WHERE finished_at IS NOT NULL
                                      ORDER BY finished_at DESC LIMIT 1), 'none') AS detail,
               (SELECT 'unfinished or failed: ' || string_agg(migration_name, ', ' ORDER BY started_at) ||
                       ': prisma migrate resolve after fixing it'
                FROM %1$s WHERE finished_at IS NULL AND rolled_back_at IS NULL HAVING count(*) > 0) AS warning
        FROM %1$s$q$),
    (9, 'knex', 'knex_migrations', ARRAY['name', 'batch', 'migration_time'], ARRAY[]::text[],
     $q$SELECT count(*) || ' applied' AS state,
               'latest batch ' || coalesce(max(batch)::text, 'none') || ', ' ||
               coalesce(left(max(migration_time)::text, 19), 'never') AS detail,
               NULL::text AS warning
        FROM %1$s$q$),
    (10, 'knex', 'knex_migrations_lock', ARRAY['is_locked'], ARRAY[]::text[],
     $q$SELECT CASE WHEN bool_or(is_locked::text IN ('1', 'true')) THEN 'locked' ELSE 'unlocked' END AS state,
               NULL::text AS detail,
               CASE WHEN bool_or(is_locked::text IN ('1', 'true')) THEN
                 'knex migration lock held: a migration may be running; if none is, knex migrate:unlock frees it'
               END AS warning
        FROM %1$s$q$),
    (11, 'node-pg-migrate', 'pgmigrations', ARRAY['name', 'run_on'], ARRAY[]::text[],
     $q$SELECT count(*) || ' applied' AS state,
               'latest ' || coalesce((SELECT name || ' at ' || left(run_on::text, 19) FROM %1$s
                                      ORDER BY run_on DESC LIMIT 1), 'none')
                 AS detail,
               NULL::text AS warning
        FROM %1$s$q$),
    (12, 'sqlx', '_sqlx_migrations', ARRAY['version', 'description', 'installed_on', 'success'], ARRAY[]::text[],
     $q$SELECT count(*) FILTER (WHERE success::text IN ('true', '1')) || ' applied' AS state,
               'latest version ' || coalesce((max(version) FILTER (WHERE success::text IN ('true', '1')))::text, 'none')
                 AS detail,
               (SELECT 'failed: version ' || string_agg(version::text, ', ' ORDER BY version) ||
                       ': fix the database, then delete the failed row before running sqlx migrate again'
                FROM %1$s WHERE success::text NOT IN ('true', '1') HAVING count(*) > 0) AS warning
        FROM %1$s$q$),
    (13, 'alembic', 'alembic_version', ARRAY['version_num'], ARRAY[]::text[],
     $q$SELECT coalesce('version ' || string_agg(version_num, ', ' ORDER BY version_num), 'no version') AS state,
               NULL::text AS detail, NULL::text AS warning
        FROM %1$s$q$),
    (14, 'goose', 'goose_db_version', ARRAY['version_id', 'is_applied'], ARRAY[]::text[],
     $q$SELECT coalesce('version ' || max(version_id) FILTER (WHERE is_applied::text IN ('true', '1')), 'no version')
                 AS state,
               count(*) || ' rows' AS detail, NULL::text AS warning
        FROM %1$s$q$),
    (15, 'sequelize', 'SequelizeMeta', ARRAY['name'], ARRAY[]::text[],
     $q$SELECT count(*) || ' applied' AS state, 'latest ' || coalesce(max(name), 'none') AS detail,
               NULL::text AS warning
        FROM %1$s$q$)
),
-- Every table (or view) of one of those names, in any schema but the system ones, with its column names.
found AS (
  SELECT DISTINCT c.oid, c.relname::text AS relname, n.nspname::text AS nspname,
         format('%I.%I', n.nspname, c.relname) AS qname,
         has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS readable,
         ARRAY(SELECT a.attname::text FROM pg_attribute a
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS cols
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN known k ON k.relname = c.relname::text
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%'
),
-- For each table, the first tool (by sort) whose column set it has; NULL when none fits.
matched AS (
  SELECT f.*,
         (SELECT k.sort FROM known k
          WHERE k.relname = f.relname AND f.cols @> k.needs AND NOT f.cols && k.lacks
          ORDER BY k.sort LIMIT 1) AS sort_matched,
         (SELECT min(k.sort) FROM known k WHERE k.relname = f.relname) AS sort_any,
         (SELECT string_agg(k.tool || ' (' || array_to_string(k.needs, ', ') || ')', ' or ' ORDER BY k.sort)
          FROM known k WHERE k.relname = f.relname) AS expected,
         (SELECT string_agg(DISTINCT k.tool, ' or ' ORDER BY k.tool) FROM known k WHERE k.relname = f.relname) AS tools
  FROM found f
),
read AS (
  SELECT m.*, k.tool,
         -- CASE, not WHERE: the text must never run for a table we cannot read or whose columns do not fit.
         CASE WHEN m.sort_matched IS NOT NULL AND m.readable
              THEN query_to_xml(format(k.query, m.qname), false, true, '') END AS x
  FROM matched m
  JOIN known k ON k.sort = coalesce(m.sort_matched, m.sort_any)
),
tool_row AS (
  SELECT r.sort_any AS sort, CASE WHEN r.sort_matched IS NULL THEN r.tools ELSE r.tool END AS tool,
         r.qname AS relation,
         CASE WHEN r.sort_matched IS NULL THEN 'unrecognised'
              WHEN NOT r.readable THEN 'not readable'
              ELSE v.state END AS state,
         CASE WHEN r.sort_matched IS NULL
              THEN 'columns ' || array_to_string(r.cols, ', ') || '; expected ' || r.expected
              WHEN NOT r.readable THEN current_user || ' may not read it (no SELECT or schema USAGE privilege)'
              ELSE v.detail END AS detail,
         v.warning
  FROM read r
  -- xpath returns text as XML (&amp; &lt; &gt; &#x0D;): undo that escaping, & last.
  LEFT JOIN LATERAL (
    SELECT replace(replace(replace(replace(e.s, '&lt;', '<'), '&gt;', '>'), '&#x0D;', chr(13)), '&amp;', '&') AS state,
           replace(replace(replace(replace(e.d, '&lt;', '<'), '&gt;', '>'), '&#x0D;', chr(13)), '&amp;', '&') AS detail,
           replace(replace(replace(replace(e.w, '&lt;', '<'), '&gt;', '>'), '&#x0D;', chr(13)), '&amp;', '&') AS warning
    FROM (SELECT (xpath('/row/state/text()', r.x))[1]::text AS s,
                 (xpath('/row/detail/text()', r.x))[1]::text AS d,
                 (xpath('/row/warning/text()', r.x))[1]::text AS w) e
  ) v ON r.x IS NOT NULL
),
-- Advisory locks other sessions hold in this database. flyway and golang-migrate take a session advisory lock while
-- they migrate (so does parlant-runbook, on its own key). A bigint key is split over classid (high) and objid (low).
lock_row AS (
  SELECT 100 AS sort, 'advisory lock' AS tool,
         'key ' || CASE WHEN l.objsubid = 1 THEN ((l.classid::bigint << 32) | l.objid::bigint)::text
                        ELSE l.classid::text || ', ' || l.objid::text END AS relation,
         'held' AS state,
         'pid ' || l.pid || ', application_name ' || coalesce(nullif(a.application_name, ''), '(none)') ||
         coalesce(', user ' || a.usename, '') || coalesce(', from ' || host(a.client_addr), '') ||
         coalesce(', connected since ' || left(a.backend_start::text, 19), '') ||
         CASE WHEN l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) =
                   hashtextextended('parlant-runbook:migrations', 0)
              THEN ' (parlant-runbook''s migration lock)' ELSE '' END AS detail,
         'another session holds an advisory lock: a migration tool may be running' AS warning
  FROM pg_locks l
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory'
    AND l.granted
    AND l.pid <> pg_backend_pid()
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT tool, relation, state, detail, warning
FROM (SELECT * FROM tool_row UNION ALL SELECT * FROM lock_row) r
ORDER BY sort, relation, tool, detail
