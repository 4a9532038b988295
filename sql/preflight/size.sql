-- Size: the database, then its 10 largest tables. Information (never fails): what a backup will have to read and
-- how the data is spread (one dominating table: pg_dump -j does not help, DESIGN §11).
-- Columns: object ('database <name>', then schema.table), rows_estimate, size, share (of the database size).
--   rows_estimate  from the planner's statistics (pg_class.reltuples), no table is scanned; NULL = never analyzed
--                  (ANALYZE the table for an estimate). The database row sums the known estimates.
--   size           table, indexes and TOAST together (pg_total_relation_size); a partitioned table counts its
--                  partitions, which are not listed on their own.
WITH
tbl AS (
  SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object,
         CASE WHEN c.relkind = 'p'
              THEN (SELECT sum(pc.reltuples) FILTER (WHERE pc.reltuples >= 0)
                    FROM pg_partition_tree(c.oid) p JOIN pg_class pc ON pc.oid = p.relid WHERE p.isleaf)
              ELSE nullif(greatest(c.reltuples, -1), -1) END AS rows_estimate,
         CASE WHEN c.relkind = 'p'
              THEN (SELECT coalesce(sum(pg_total_relation_size(p.relid)), 0) FROM pg_partition_tree(c.oid) p WHERE p.isleaf)
              ELSE pg_total_relation_size(c.oid) END AS bytes
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND NOT c.relispartition
    AND c.relpersistence <> 't'
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%'
),
db AS (SELECT pg_database_size(current_database()) AS bytes)
SELECT object, rows_estimate, size, share
FROM (
  SELECT 0 AS sort, 'database ' || quote_ident(current_database()) AS object,
         (SELECT sum(rows_estimate) FROM tbl)::bigint AS rows_estimate,
         pg_size_pretty(db.bytes) AS size, '100%' AS share, db.bytes
  FROM db
  UNION ALL
  SELECT 1, t.object, t.rows_estimate::bigint, pg_size_pretty(t.bytes::bigint),
         round(100.0 * t.bytes / nullif(db.bytes, 0), 1) || '%', t.bytes::bigint
  FROM (SELECT * FROM tbl ORDER BY bytes DESC, object LIMIT 10) t
  CROSS JOIN db
) r
ORDER BY sort, bytes DESC, object
