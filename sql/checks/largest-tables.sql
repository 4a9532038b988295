-- The largest tables of the database with their row estimates (pg_class.reltuples: no full scans).
SELECT n.nspname || '.' || c.relname                        AS "table",
       pg_size_pretty(pg_total_relation_size(c.oid))        AS total_size,
       GREATEST(c.reltuples, 0)::bigint                      AS rows_estimate
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY pg_total_relation_size(c.oid) DESC
LIMIT 10
