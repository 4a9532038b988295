-- The objects the Parlant migration (0001) would create that already exist in the current schema, and
-- objects a migration like it commonly creates (the SQL chain's update_updated_at_column() function and
-- triggers on parlant_* tables). Columns: kind, name, detail. No rows: nothing is in the way.
-- Read-only, catalog queries only. The preflight compares these rows with 0001's verify file to say whether
-- each object matches what the migration would create (a half-applied earlier run, or another tool) or
-- conflicts with it.
SELECT 'table' AS kind, c.relname::text AS name,
       CASE c.relkind WHEN 'r' THEN '' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view' ELSE 'relkind ' || c.relkind::text END
         || CASE WHEN c.reltuples > 0 THEN ' ~' || c.reltuples::bigint || ' rows' ELSE '' END AS detail
FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname LIKE 'parlant\_%'
UNION ALL
SELECT 'enum', t.typname::text, (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)
FROM pg_type t
WHERE t.typnamespace = current_schema()::regnamespace
  AND t.typname IN ('agent_status', 'composition_mode', 'event_type', 'journey_state_type', 'session_mode', 'session_status')
UNION ALL
SELECT 'function', p.proname::text, 'not created or dropped by this migration (it has no triggers)'
FROM pg_proc p
WHERE p.pronamespace = current_schema()::regnamespace AND p.proname = 'update_updated_at_column'
UNION ALL
SELECT 'trigger', c.relname || '.' || g.tgname, 'on a parlant table; the migration creates none'
FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
WHERE NOT g.tgisinternal AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'parlant\_%'
ORDER BY 1, 2;
