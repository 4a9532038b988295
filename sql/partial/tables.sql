-- The tables chosen for a partial recovery, as the live database has them. $1: schema names, $2: table names
-- (two arrays of the same length, exact names, no quoting). One row per input, in input order. Columns:
--   ord, schema_name, table_name   the input
--   oid                            the table (NULL: no such table or partitioned-table parent in that schema)
--   pk                             its primary key's columns in key order (NULL: no primary key)
--   q_schema, q_table              quote_ident of each: what pg_dump/pg_restore write in their COPY headers
--   readable                       the current role may SELECT from it (and so may compare it)
-- Read-only.
WITH input AS (
  SELECT i.ord, i.schema_name, i.table_name
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i (schema_name, table_name, ord)
)
SELECT i.ord::int AS ord,
       i.schema_name,
       i.table_name,
       c.oid::bigint AS oid,
       (SELECT array_agg(a.attname::text ORDER BY k.n)
        FROM pg_constraint p
        CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k (attnum, n)
        JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.attnum
        WHERE p.conrelid = c.oid AND p.contype = 'p') AS pk,
       quote_ident(i.schema_name) AS q_schema,
       quote_ident(i.table_name) AS q_table,
       CASE WHEN c.oid IS NULL THEN false ELSE has_table_privilege(c.oid, 'SELECT') END AS readable
FROM input i
LEFT JOIN pg_namespace n ON n.nspname = i.schema_name
LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = i.table_name AND c.relkind IN ('r', 'p')
ORDER BY i.ord
