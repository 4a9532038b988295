-- Sessions that make the migration's DDL dangerous right now. One row per finding; no rows = safe to start.
-- Expect no rows (severity fail): each row would make 0001 wait on a lock (and everything queue behind it) or
-- stall 0002's CREATE INDEX CONCURRENTLY until that session ends.
-- Columns: pid, app (application_name), client (address, 'local' for a unix socket), state, xact_age (how long
-- its transaction has been open), table and mode (its locks on the five Sim tables Parlant references), query
-- (the start of its current or last statement).
--   idle in transaction   open for more than 5 seconds without doing anything: it holds its locks and snapshot
--                         until its client commits; one row per Sim table it has locked, or table '-'
--   active / …            a transaction open for more than 5 seconds holding, or waiting for, a lock on one of
--                         the five tables that conflicts with the SHARE ROW EXCLUSIVE lock 0001 takes (any write:
--                         RowExclusiveLock, or stronger). Readers (AccessShareLock) do not block 0001; when they
--                         are long, activity-long.sql shows them.
--   hidden                a session of another role that holds such a lock; this role cannot see its state or
--                         age (it lacks pg_read_all_stats), so it is listed whatever its age
--   prepared              a prepared transaction (two-phase commit) of this database: it has no session, keeps
--                         its locks and stalls CREATE INDEX CONCURRENTLY until COMMIT PREPARED or ROLLBACK PREPARED
-- What to do: find the client (app, client) and have it commit or roll back; or, if it is abandoned,
-- SELECT pg_terminate_backend(pid) (the emergency runbook). The 5-second grace keeps a busy application's
-- ordinary short transactions out. This session (pg_backend_pid()) is never listed. Read-only.
WITH
settings AS (SELECT interval '5 seconds' AS grace),
sim (sort, name) AS (VALUES (1, 'user'), (2, 'workspace'), (3, 'workflow'), (4, 'api_key'), (5, 'knowledge_base')),
sim_rel AS (
  SELECT s.sort, c.oid, quote_ident(s.name) AS name
  FROM sim s JOIN pg_class c ON c.oid = to_regclass(quote_ident(s.name))
),
-- Locks on the five tables, one row per holder (a pid, or a prepared transaction) and table.
held AS (
  SELECT l.pid, l.virtualtransaction, r.sort, r.name AS tbl,
         string_agg(l.mode || CASE WHEN l.granted THEN '' ELSE ' (waiting)' END, ', ' ORDER BY l.mode) AS modes,
         -- conflicts with SHARE ROW EXCLUSIVE, or not granted yet (0001 would queue behind the waiter)
         bool_or(NOT l.granted OR l.mode NOT IN ('AccessShareLock', 'RowShareLock')) AS blocks_0001
  FROM pg_locks l
  JOIN sim_rel r ON l.locktype = 'relation' AND l.relation = r.oid
  WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.pid IS DISTINCT FROM pg_backend_pid()
  GROUP BY l.pid, l.virtualtransaction, r.sort, r.name
),
act AS (
  SELECT a.pid, a.application_name, a.client_addr, a.state, a.xact_start, a.state_change, a.query,
         a.query = '<insufficient privilege>' AS hidden
  FROM pg_stat_activity a
  WHERE a.datname = current_database()
    AND a.pid <> pg_backend_pid()
),
finding (sort, age, pid, app, client, state, tbl_sort, tbl, mode, query) AS (
  -- Idle in transaction beyond the grace: every Sim table it has locked, or one row without.
  SELECT 1, now() - a.xact_start, a.pid, a.application_name,
         CASE WHEN a.client_addr IS NULL THEN 'local' ELSE host(a.client_addr) END,
         a.state, coalesce(h.sort, 0), coalesce(h.tbl, '-'), coalesce(h.modes, '-'), a.query
  FROM act a
  CROSS JOIN settings
  LEFT JOIN held h ON h.pid = a.pid
  WHERE a.state = 'idle in transaction' AND a.state_change < now() - settings.grace
  UNION ALL
  -- Any other visible transaction older than the grace holding or awaiting a lock 0001 conflicts with.
  SELECT 2, now() - a.xact_start, a.pid, a.application_name,
         CASE WHEN a.client_addr IS NULL THEN 'local' ELSE host(a.client_addr) END,
         a.state, h.sort, h.tbl, h.modes, a.query
  FROM act a
  CROSS JOIN settings
  JOIN held h ON h.pid = a.pid AND h.blocks_0001
  WHERE NOT a.hidden
    AND a.state IS DISTINCT FROM 'idle in transaction'
    AND a.xact_start < now() - settings.grace
  UNION ALL
  -- Another role's session holding such a lock: its age cannot be seen, so it is listed at any age.
  SELECT 3, NULL, a.pid, a.application_name, 'hidden', 'hidden', h.sort, h.tbl, h.modes,
         '(hidden from ' || current_user || ': needs pg_read_all_stats)'
  FROM act a
  JOIN held h ON h.pid = a.pid AND h.blocks_0001
  WHERE a.hidden
  UNION ALL
  -- Prepared transactions of this database, with the locks they keep on the Sim tables.
  SELECT 4, now() - p.prepared, NULL::int, 'prepared by ' || p.owner::text, '-', 'prepared',
         coalesce(h.sort, 0), coalesce(h.tbl, '-'), coalesce(h.modes, '-'),
         'ROLLBACK PREPARED ' || quote_literal(p.gid) || ' (or COMMIT PREPARED)'
  FROM pg_prepared_xacts p
  -- Its locks have no pid; its virtual transaction is the one that holds its transaction id.
  LEFT JOIN held h ON h.pid IS NULL
                  AND h.virtualtransaction IN (SELECT x.virtualtransaction FROM pg_locks x
                                               WHERE x.locktype = 'transactionid' AND x.pid IS NULL
                                                 AND x.transactionid = p.transaction)
  WHERE p.database = current_database()
)
SELECT f.pid,
       coalesce(nullif(f.app, ''), '-') AS app,
       f.client,
       f.state,
       coalesce(date_trunc('second', f.age)::text, '?') AS xact_age,
       f.tbl AS "table",
       f.mode,
       CASE WHEN f.sort = 4 THEN f.query ELSE left(regexp_replace(f.query, '\s+', ' ', 'g'), 60) END AS query
FROM finding f
ORDER BY f.sort, f.age DESC NULLS LAST, f.pid, f.tbl_sort
