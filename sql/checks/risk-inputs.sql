-- The live numbers the risk assessment needs: the row estimates of the Sim tables the Parlant migration locks
-- (its foreign keys reference them; 0003 reads workspace), the largest of them, and the database size.
-- One row: rows, largest_bytes, largest_table, database_bytes. Read-only.
SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS rows,
       coalesce(max(pg_total_relation_size(c.oid)), 0)::bigint AS largest_bytes,
       (array_agg(c.relname::text ORDER BY pg_total_relation_size(c.oid) DESC))[1] AS largest_table,
       pg_database_size(current_database())::bigint AS database_bytes
FROM pg_class c
WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
  AND c.relname IN ('user', 'workspace', 'workflow', 'api_key', 'knowledge_base');
