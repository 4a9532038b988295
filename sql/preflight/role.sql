-- The connecting role (current_user): who the runbooks act as. One row, for information (never fails); save it
-- with save_as to branch on it (role.superuser). Superuser is not required: privileges.sql lists what is missing.
-- Columns:
--   role               current_user
--   superuser          bypasses every privilege check (and row-level security)
--   createdb           may create databases: verifying a backup by restoring it into a scratch database needs it
--   replication        may stream WAL (pg_basebackup, pg_receivewal)
--   bypassrls          pg_dump can read tables with row-level security
--   conn_limit         connections this role may open at once ('none' = no limit): pg_dump -j N opens N + 1
--   schema             the current schema (first existing one on search_path), where 0001 creates its tables
--   owns_schema        has its owner's privileges (directly or through a role it belongs to)
--   owns_sim_tables    of the five tables Parlant's foreign keys reference that exist: 'all 5', or which are not
--                      and their owners
--   member_of          the roles it belongs to (directly), e.g. pg_read_all_stats, pg_signal_backend
--   sees_all_sessions  superuser or pg_read_all_stats: the activity checks see other roles' sessions; without it,
--                      their state, transaction age and query are hidden
--   can_cancel_others  superuser or pg_signal_backend: may cancel or terminate other roles' sessions (the
--                      emergency runbook's way to remove a blocker)
WITH
sim (sort, name) AS (VALUES (1, 'user'), (2, 'workspace'), (3, 'workflow'), (4, 'api_key'), (5, 'knowledge_base')),
sim_found AS (
  SELECT s.sort, s.name, c.relowner, pg_has_role(c.relowner, 'USAGE') AS owned
  FROM sim s
  JOIN pg_class c ON c.oid = to_regclass(quote_ident(s.name))
)
SELECT r.rolname::text AS role,
       r.rolsuper AS superuser,
       r.rolcreatedb AS createdb,
       r.rolreplication AS replication,
       r.rolbypassrls AS bypassrls,
       CASE WHEN r.rolconnlimit < 0 THEN 'none' ELSE r.rolconnlimit::text END AS conn_limit,
       coalesce(current_schema()::text, '(none)') AS schema,
       (SELECT pg_has_role(n.nspowner, 'USAGE') FROM pg_namespace n WHERE n.nspname = current_schema()) AS owns_schema,
       CASE WHEN NOT EXISTS (SELECT 1 FROM sim_found) THEN 'none found'
            WHEN (SELECT bool_and(owned) FROM sim_found) THEN 'all ' || (SELECT count(*) FROM sim_found)
            ELSE (SELECT count(*) FILTER (WHERE owned) || ' of ' || count(*) || '; not: ' ||
                         string_agg(quote_ident(name) || ' (' || relowner::regrole::text || ')', ', ' ORDER BY sort)
                           FILTER (WHERE NOT owned)
                  FROM sim_found) END AS owns_sim_tables,
       coalesce((SELECT string_agg(g.rolname::text, ', ' ORDER BY g.rolname)
                 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                 WHERE m.member = r.oid), 'none') AS member_of,
       pg_has_role('pg_read_all_stats', 'USAGE') AS sees_all_sessions,
       pg_has_role('pg_signal_backend', 'USAGE') AS can_cancel_others
FROM pg_roles r
WHERE r.rolname = current_user
