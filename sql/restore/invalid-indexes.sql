-- Indexes that exist but cannot be used: INVALID (a failed CREATE INDEX CONCURRENTLY, or one interrupted) or not
-- yet ready. A restore builds every index itself, so after pg_restore --exit-on-error there should be none; one
-- here means something else is working on the database, or the build failed without pg_restore noticing.
-- One row per problem; no rows = healthy. Columns: problem, object, detail. Read-only.
SELECT 'invalid index' AS problem,
       quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS object,
       'on ' || quote_ident(tn.nspname) || '.' || quote_ident(t.relname) ||
       CASE WHEN NOT i.indisready THEN ' (not ready)' ELSE '' END ||
       ': queries cannot use it; DROP INDEX CONCURRENTLY ' || quote_ident(n.nspname) || '.' || quote_ident(c.relname) ||
       ' and create it again' AS detail
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
WHERE (NOT i.indisvalid OR NOT i.indisready)
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY 2
