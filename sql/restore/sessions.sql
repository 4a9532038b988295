-- The sessions connected to a database ($1), other than this one: who a replace (or a DROP DATABASE) cuts off.
-- One row per session; columns: pid, user, application_name, client, state, age_seconds (since the session
-- started), query (the start of its current or last statement).
-- Autovacuum and parallel workers are left out: DROP DATABASE stops the former itself, the latter end with their
-- leader. A role without pg_read_all_stats sees other roles' sessions without state or query ('hidden'); they are
-- listed all the same, because they will be cut off too. Read-only.
SELECT a.pid,
       coalesce(a.usename::text, '?') AS "user",
       coalesce(a.application_name, '') AS application_name,
       CASE WHEN a.client_addr IS NULL THEN 'local' ELSE host(a.client_addr) END AS client,
       coalesce(a.state, 'hidden') AS state,
       coalesce(extract(epoch FROM now() - a.backend_start)::bigint, 0) AS age_seconds,
       coalesce(left(regexp_replace(a.query, '\s+', ' ', 'g'), 80), '') AS query
FROM pg_stat_activity a
WHERE a.datname = $1
  AND a.pid <> pg_backend_pid()
  AND a.backend_type IS DISTINCT FROM 'autovacuum worker'
  AND a.backend_type IS DISTINCT FROM 'parallel worker'
ORDER BY a.backend_start, a.pid
