-- Connection headroom: how many more connections ordinary roles can open before max_connections turns them away.
-- The migration needs a few (the runbook's own, pg_dump -j N opens N + 1), and the application must not be
-- starved of them meanwhile. One row: warn when percent_used is over 80 (expect column percent_used, at_most 80)
-- or headroom under 10 (column headroom, at_least 10).
-- Columns:
--   used             client connections now, in all databases (what max_connections counts; autovacuum, WAL
--                    senders and background workers have slots of their own)
--   max_connections  the server's limit
--   reserved         slots only superusers (and, from PostgreSQL 16, pg_use_reserved_connections) may use
--   headroom         max_connections - reserved - used: what an ordinary role can still open
--   percent_used     used as a percentage of max_connections - reserved
-- A role without pg_read_all_stats does not see other roles' sessions' type; those that have a database and a
-- user are counted as client connections (a parallel worker of another role's query may be counted too).
WITH
s AS (
  SELECT current_setting('max_connections')::int AS max_connections,
         current_setting('superuser_reserved_connections')::int +
           coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved
),
u AS (
  SELECT count(*)::int AS used
  FROM pg_stat_activity
  WHERE backend_type = 'client backend'
     OR (backend_type IS NULL AND query = '<insufficient privilege>' AND datname IS NOT NULL AND usename IS NOT NULL)
)
SELECT u.used,
       s.max_connections,
       s.reserved,
       s.max_connections - s.reserved - u.used AS headroom,
       round(100.0 * u.used / nullif(s.max_connections - s.reserved, 0), 1)::float8 AS percent_used
FROM s CROSS JOIN u
