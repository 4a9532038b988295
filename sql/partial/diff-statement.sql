-- Builds the statement that compares a live table with its copy from the backup in the side schema.
-- $1, $2: the live table's schema and name; $3, $4: the side table's schema and name (exact names).
-- Returns one row, column statement: a SELECT whose one row has live, backup, missing, differ (bigint):
--   live     rows in the live table
--   backup   rows in the side table (from the backup)
--   missing  backup rows whose primary key is not in the live table (what a merge would insert)
--   differ   rows whose key is in both but whose values differ (a merge never overwrites them)
-- Rows are compared as their text form (s::text vs l::text), not ROW(s.*) IS DISTINCT FROM ROW(l.*): json (and
-- point, xml …) have no equality operator, so the row comparison fails on exactly the tables Sim has. The side
-- table was created LIKE the live one, so both have the same columns in the same order.
-- The statement is built here with format(%I) so that any identifier is quoted by the server itself. Read-only.
WITH t AS (
  SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2
),
pk AS (
  SELECT string_agg(format('l.%1$I = s.%1$I', a.attname), ' AND ' ORDER BY k.n) AS cond
  FROM t
  JOIN pg_constraint p ON p.conrelid = t.oid AND p.contype = 'p'
  CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k (attnum, n)
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
)
SELECT format(
  'SELECT (SELECT count(*) FROM %1$I.%2$I)::bigint AS live, '
  '(SELECT count(*) FROM %3$I.%4$I)::bigint AS backup, '
  '(SELECT count(*) FROM %3$I.%4$I s WHERE NOT EXISTS (SELECT 1 FROM %1$I.%2$I l WHERE %5$s))::bigint AS missing, '
  '(SELECT count(*) FROM %3$I.%4$I s JOIN %1$I.%2$I l ON %5$s WHERE s::text IS DISTINCT FROM l::text)::bigint AS differ',
  $1::text, $2::text, $3::text, $4::text, pk.cond) AS statement
FROM pk
WHERE pk.cond IS NOT NULL
