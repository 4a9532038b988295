-- Builds the statement that inserts into a live table the backup rows whose primary key it lacks.
-- $1, $2: the live table's schema and name; $3, $4: the side table's schema and name (exact names).
-- Returns one row, column statement: a data-modifying query whose one row has candidates (backup rows whose key is
-- missing live) and inserted (bigint). candidates - inserted = rows skipped by ON CONFLICT DO NOTHING because they
-- collide with a live row on another unique key (e.g. an email taken since).
-- Rows whose key exists live are never touched: no UPDATE, no DO UPDATE. Generated columns are left out (the live
-- table computes them); GENERATED ALWAYS identity columns get OVERRIDING SYSTEM VALUE, so the old ids come back.
-- The statement is built here with format(%I) so that any identifier is quoted by the server itself.
WITH t AS (
  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2
),
cols AS (
  SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum) AS list,
         coalesce(bool_or(a.attidentity = 'a'), false) AS always_identity
  FROM t JOIN pg_attribute a ON a.attrelid = t.oid
  WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
),
pk AS (
  SELECT string_agg(format('l.%1$I = s.%1$I', a.attname), ' AND ' ORDER BY k.n) AS cond
  FROM t
  JOIN pg_constraint p ON p.conrelid = t.oid AND p.contype = 'p'
  CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k (attnum, n)
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
)
SELECT format(
  'WITH cand AS (SELECT %5$s FROM %3$I.%4$I s WHERE NOT EXISTS (SELECT 1 FROM %1$I.%2$I l WHERE %6$s)), '
  'ins AS (INSERT INTO %1$I.%2$I (%5$s) %7$s SELECT %5$s FROM cand ON CONFLICT DO NOTHING RETURNING 1) '
  'SELECT (SELECT count(*) FROM cand)::bigint AS candidates, (SELECT count(*) FROM ins)::bigint AS inserted',
  $1::text, $2::text, $3::text, $4::text, cols.list, pk.cond,
  CASE WHEN cols.always_identity THEN 'OVERRIDING SYSTEM VALUE' ELSE '' END) AS statement
FROM cols, pk
WHERE pk.cond IS NOT NULL AND cols.list IS NOT NULL
