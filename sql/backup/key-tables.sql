-- The tables whose exact row counts go into backup manifests (DESIGN §7): the Sim tables the Parlant foreign keys
-- point at, then every Parlant table — only those that exist. One row per table, schema and name unquoted.
SELECT n.nspname AS schema_name, c.relname AS table_name
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
  AND c.relkind IN ('r', 'p')
  AND (c.relname IN ('user', 'workspace', 'workflow', 'api_key', 'knowledge_base') OR c.relname LIKE 'parlant\_%')
ORDER BY array_position(ARRAY['user', 'workspace', 'workflow', 'api_key', 'knowledge_base']::name[], c.relname) NULLS LAST,
         c.relname
