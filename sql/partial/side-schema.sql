-- The side schema ($1, exact name) a partial recovery loads the backup's rows into. One row. Columns:
--   exists   the schema exists
--   tables   the names of its ordinary tables (empty when none or when it does not exist)
-- Read-only.
SELECT n.oid IS NOT NULL AS exists,
       coalesce((SELECT array_agg(c.relname::text ORDER BY c.relname)
                 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'r'), '{}') AS tables
FROM (SELECT $1::text AS name) s
LEFT JOIN pg_namespace n ON n.nspname = s.name
