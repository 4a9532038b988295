-- Activity that does not stop the migration but can make it slow, or that the operator should know about before
-- starting. One row per finding; no rows = nothing to note. Expect no rows with severity warn.
-- Columns: pid, app (application_name), client, state, xact_age (how long its transaction has been open), why
-- (the finding), query (the start of its current or last statement).
--   long transaction     open for more than 5 minutes, in this database: every CREATE INDEX CONCURRENTLY of
--                        0002 waits until it ends (and, under lock_timeout, fails leaving an INVALID index)
--   pg_dump              a pg_dump (or pg_dumpall) of this database is running: its snapshot stalls CREATE INDEX
--                        CONCURRENTLY, and the dump will not contain what the migration creates
--   autovacuum           an autovacuum worker is processing one of the five Sim tables Parlant references: 0001's
--                        lock waits for it (autovacuum gives way after deadlock_timeout, unless it runs to
--                        prevent wraparound)
--   reads a Sim table    a transaction older than 5 seconds holds AccessShareLock or RowShareLock on one of the
--                        five tables: harmless for 0001 up, but 0001 down (rollback) waits for it
--   aborted transaction  idle in an aborted transaction for more than 5 seconds: it holds no locks, but its
--                        client is stuck and keeps a connection
--   hidden sessions      one row (pid NULL) counting the sessions of other roles in this database whose state,
--                        transaction age and query this role cannot see (it lacks pg_read_all_stats): the findings
--                        above, and activity-blocking.sql, cannot cover them
-- A session can appear under several findings. This session (pg_backend_pid()) is never listed. Read-only.
WITH
settings AS (SELECT interval '5 minutes' AS long_after, interval '5 seconds' AS grace),
sim (sort, name) AS (VALUES (1, 'user'), (2, 'workspace'), (3, 'workflow'), (4, 'api_key'), (5, 'knowledge_base')),
sim_rel AS (
  SELECT s.sort, c.oid, quote_ident(s.name) AS name
  FROM sim s JOIN pg_class c ON c.oid = to_regclass(quote_ident(s.name))
),
held AS (
  SELECT l.pid, r.sort, r.name AS tbl, string_agg(l.mode, ', ' ORDER BY l.mode) AS modes,
         bool_and(l.granted AND l.mode IN ('AccessShareLock', 'RowShareLock')) AS reads_only
  FROM pg_locks l
  JOIN sim_rel r ON l.locktype = 'relation' AND l.relation = r.oid
  WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.pid <> pg_backend_pid()
  GROUP BY l.pid, r.sort, r.name
),
act AS (
  SELECT a.pid, a.application_name, a.client_addr, a.state, a.xact_start, a.state_change, a.query, a.backend_type,
         a.usename, a.query = '<insufficient privilege>' AS hidden
  FROM pg_stat_activity a
  WHERE a.datname = current_database()
    AND a.pid <> pg_backend_pid()
),
finding (sort, age, pid, app, client, state, why, query) AS (
  SELECT 1, now() - a.xact_start, a.pid, a.application_name, a.client_addr::text, a.state,
         'long transaction: CREATE INDEX CONCURRENTLY (0002) waits until it ends', a.query
  FROM act a CROSS JOIN settings
  WHERE a.xact_start < now() - settings.long_after
    AND a.backend_type NOT IN ('autovacuum worker', 'parallel worker')
  UNION ALL
  SELECT 2, now() - a.xact_start, a.pid, a.application_name, a.client_addr::text, coalesce(a.state, 'hidden'),
         a.application_name || ' of this database is running: its snapshot stalls CREATE INDEX CONCURRENTLY; ' ||
         'the dump will not contain what the migration creates', a.query
  FROM act a
  WHERE a.application_name IN ('pg_dump', 'pg_dumpall')
  UNION ALL
  -- Autovacuum workers have no user: hidden from a role without pg_read_all_stats, they are still recognisable.
  SELECT 3, now() - a.xact_start, a.pid, 'autovacuum', '-', coalesce(a.state, 'hidden'),
         'autovacuum on ' || h.tbl || ' (' || h.modes || '): 0001 waits for it' ||
         CASE WHEN a.query LIKE '%(to prevent wraparound)%'
              THEN '; it runs to prevent wraparound and will NOT give way: wait for it to finish'
              ELSE '; it gives way after deadlock_timeout unless it runs to prevent wraparound' END,
         a.query
  FROM act a
  JOIN held h ON h.pid = a.pid
  WHERE a.backend_type = 'autovacuum worker' OR (a.hidden AND a.usename IS NULL)
  UNION ALL
  SELECT 4, now() - a.xact_start, a.pid, a.application_name, a.client_addr::text, a.state,
         'holds ' || h.modes || ' on ' || h.tbl || ': harmless for 0001 up; 0001 down (rollback) waits for it',
         a.query
  FROM act a CROSS JOIN settings
  JOIN held h ON h.pid = a.pid AND h.reads_only
  WHERE a.xact_start < now() - settings.grace
    AND a.backend_type = 'client backend'
    AND a.application_name NOT IN ('pg_dump', 'pg_dumpall')
  UNION ALL
  -- An aborted transaction has no xact_start any more: its age is the time since it failed.
  SELECT 5, now() - a.state_change, a.pid, a.application_name, a.client_addr::text, a.state,
         'left in an aborted transaction: holds no locks, but its client is stuck (ROLLBACK, or terminate it)',
         a.query
  FROM act a CROSS JOIN settings
  WHERE a.state = 'idle in transaction (aborted)' AND a.state_change < now() - settings.grace
  UNION ALL
  SELECT 6, NULL, NULL, string_agg(DISTINCT coalesce(nullif(a.application_name, ''), '-'), ', '), 'hidden',
         'hidden',
         count(*) || ' session' || CASE WHEN count(*) = 1 THEN '' ELSE 's' END || ' of ' ||
         string_agg(DISTINCT a.usename::text, ', ') || ' hidden from ' || current_user ||
         ': their transactions cannot be checked; GRANT pg_read_all_stats TO ' || quote_ident(current_user),
         NULL
  FROM act a
  WHERE a.hidden AND a.usename IS NOT NULL
  HAVING count(*) > 0
)
SELECT f.pid,
       coalesce(nullif(f.app, ''), '-') AS app,
       CASE WHEN f.client IS NULL THEN 'local' ELSE regexp_replace(f.client, '/\d+$', '') END AS client,
       coalesce(f.state, '-') AS state,
       coalesce(date_trunc('second', f.age)::text, '?') AS xact_age,
       f.why,
       coalesce(left(regexp_replace(f.query, '\s+', ' ', 'g'), 60), '-') AS query
FROM finding f
ORDER BY f.sort, f.age DESC NULLS LAST, f.pid
