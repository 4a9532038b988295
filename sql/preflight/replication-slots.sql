-- Replication slots that can hurt during the migration. One row per slot and problem; no rows = none. Expect no
-- rows with severity warn. A slot keeps every WAL segment its consumer has not confirmed, on this server's disk.
-- Columns: slot, type (physical / logical), database (a logical slot's), active (a consumer is connected),
-- retained (WAL kept for it), problem, detail.
--   inactive      nobody consumes it: the WAL it keeps grows with every write, and a big migration writes a lot
--   retains WAL   it keeps more than 1 GB of WAL now
--   WAL lost      (PostgreSQL 13 and later) WAL it needs is gone: its consumer can never catch up and must be
--                 rebuilt
--   logical slot  in this database: logical replication does not carry DDL (see detail)
-- What to do: a slot nobody will come back for is dropped with SELECT pg_drop_replication_slot('name') — only
-- once it is certain its consumer is gone for good. Read-only.
WITH
settings AS (SELECT pg_size_bytes('1 GB') AS too_much),
here AS (
  SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn
),
slot AS (
  SELECT s.slot_name::text AS slot, s.slot_type AS type, s.database::text AS database, s.active,
         pg_wal_lsn_diff(here.lsn, s.restart_lsn)::bigint AS retained,
         -- wal_status exists from PostgreSQL 13: read through jsonb so the query also runs on older servers.
         to_jsonb(s) ->> 'wal_status' AS wal_status
  FROM pg_replication_slots s CROSS JOIN here
),
publications AS (
  SELECT string_agg(quote_ident(p.pubname) || CASE WHEN p.puballtables THEN ' (FOR ALL TABLES)' ELSE '' END, ', '
                    ORDER BY p.pubname) AS list
  FROM pg_publication p
),
problem (slot, sort, problem, detail) AS (
  SELECT s.slot, 1, 'inactive',
         'no consumer is connected: the server keeps all WAL from its position on, and the migration''s WAL adds ' ||
         'to it (' || coalesce(pg_size_pretty(s.retained), 'nothing') || ' now). If its standby or subscriber is ' ||
         'gone for good, drop it: SELECT pg_drop_replication_slot(' || quote_literal(s.slot) || ')'
  FROM slot s WHERE NOT s.active
  UNION ALL
  SELECT s.slot, 2, 'retains WAL',
         pg_size_pretty(s.retained) || ' of WAL kept for it (more than ' || pg_size_pretty(settings.too_much) ||
         '): its consumer is behind, and the migration''s WAL adds to it; check the free space of pg_wal'
  FROM slot s CROSS JOIN settings WHERE s.retained > settings.too_much
  UNION ALL
  SELECT s.slot, 3, 'WAL lost',
         'WAL it needs has been removed (max_slot_wal_keep_size): its consumer can never catch up; rebuild that ' ||
         'standby or subscription, then drop the slot'
  FROM slot s WHERE s.wal_status = 'lost'
  UNION ALL
  SELECT s.slot, 4, 'logical slot',
         'Logical replication does not replicate DDL: the 6 enum types and 18 tables of 0001 are not created on ' ||
         'the subscriber. Apply 0001 (and 0002) on each subscriber first, migrate here, then run ALTER ' ||
         'SUBSCRIPTION … REFRESH PUBLICATION there. Until the tables exist there, a publication FOR ALL TABLES ' ||
         '(or FOR TABLES IN SCHEMA) sends the first Parlant row written here and the subscriber''s apply worker ' ||
         'stops with "logical replication target relation … does not exist"; this slot then keeps WAL until that ' ||
         'is fixed. Publications here: ' || coalesce(p.list, 'none') || '.'
  FROM slot s CROSS JOIN publications p
  WHERE s.type = 'logical' AND s.database = current_database()
)
SELECT p.slot, s.type, coalesce(s.database, '-') AS database, s.active,
       coalesce(pg_size_pretty(s.retained), '-') AS retained, p.problem, p.detail
FROM problem p
JOIN slot s ON s.slot = p.slot
ORDER BY p.slot, p.sort
