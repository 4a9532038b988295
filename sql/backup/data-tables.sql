-- How many tables pg_dump will dump data for (the "of N tables" of a backup's progress): ordinary tables outside
-- the system schemas that no extension owns (an extension's tables are recreated by CREATE EXTENSION, not dumped).
SELECT count(*)::int AS tables
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
