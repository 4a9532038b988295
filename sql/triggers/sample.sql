-- One look for the rollback triggers while a migration runs (src/steps/triggers.ts, src/core/triggers.ts):
-- this database's committed and rolled-back transactions since its statistics were reset, and the server's
-- client connections against max_connections (connections run out server-wide, not per database).
-- Any role can read these: pg_stat_activity shows every session's row, only other roles' queries are hidden.
SELECT d.xact_commit::bigint AS commits,
       d.xact_rollback::bigint AS rollbacks,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
       current_setting('max_connections')::int AS max_connections
FROM pg_stat_database d
WHERE d.datname = current_database();
