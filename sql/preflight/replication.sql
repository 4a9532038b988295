-- Standbys and other WAL receivers streaming from this server (pg_stat_replication), worst lag first. Information
-- (expect rows any): a big lag means a failover now would lose data, and the migration's WAL adds to it. No rows =
-- nothing streams from this server.
-- Columns:
--   pid         the WAL sender's process
--   standby     its application_name (a standby's cluster_name or primary_conninfo application_name)
--   client      its address ('local' for a unix socket)
--   state       streaming, catchup (still catching up), startup, backup (pg_basebackup), stopping; 'hidden' when
--               this role lacks pg_read_all_stats and cannot see the details
--   sync        async, sync, quorum or potential (synchronous_standby_names): a sync standby that falls behind
--               makes every commit here wait
--   slot        the replication slot it uses, if any
--   lag_bytes   WAL written here and not yet replayed there (flushed, for a receiver that does not replay, such
--               as pg_receivewal); lag is the same, readable
--   replay_lag  how long replay trails behind (NULL while idle: nothing to replay)
WITH here AS (
  SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn
)
SELECT r.pid,
       coalesce(nullif(r.application_name, ''), '-') AS standby,
       CASE WHEN r.state IS NULL THEN 'hidden' WHEN r.client_addr IS NULL THEN 'local' ELSE host(r.client_addr) END
         AS client,
       coalesce(r.state, 'hidden') AS state,
       coalesce(r.sync_state, '-') AS sync,
       coalesce(s.slot_name::text, '-') AS slot,
       pg_wal_lsn_diff(here.lsn, coalesce(r.replay_lsn, r.flush_lsn, r.write_lsn, r.sent_lsn))::bigint AS lag_bytes,
       coalesce(pg_size_pretty(pg_wal_lsn_diff(here.lsn, coalesce(r.replay_lsn, r.flush_lsn, r.write_lsn,
                                                                  r.sent_lsn))), '-') AS lag,
       r.replay_lag::text AS replay_lag
FROM pg_stat_replication r
CROSS JOIN here
LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid
ORDER BY lag_bytes DESC NULLS LAST, standby, r.pid
