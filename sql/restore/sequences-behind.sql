-- Sequences behind their tables: a sequence owned by a column (serial, identity) whose next value is not past the
-- largest value in that column. The next INSERT that takes a default would then fail with a duplicate key (or,
-- without a unique index, silently reuse an id). pg_restore sets every sequence from the dump, so after a clean
-- restore there are none; a data-only restore, a partial reload or a hand-made copy are how they come about.
-- One row per problem; no rows = healthy. Columns: problem, object, detail. Read-only.
--   sequence behind   schema.sequence   'next value 5, but max(schema.table.col) is 1200: SELECT setval(…)'
--   cannot check      schema.sequence   the role may not read the sequence or the column
-- How: the sequence's state and the column's max are read through query_to_xml (built in; no function is created,
-- no DO block), with the query text built by format(%I) so any identifier works. CASE, not WHERE, guards every
-- query text, so that none runs on an object the role may not read.
WITH
owned AS (
  SELECT s.oid AS seq, t.oid AS tbl, a.attnum, a.attname,
         quote_ident(sn.nspname) || '.' || quote_ident(s.relname) AS seq_name,
         quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname) AS col_name,
         format('%I.%I', sn.nspname, s.relname) AS seq_ref,
         format('%I.%I', tn.nspname, t.relname) AS tbl_ref,
         ps.seqincrement AS increment,
         has_sequence_privilege(s.oid, 'SELECT') AND has_column_privilege(t.oid, a.attnum, 'SELECT') AS readable
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_sequence ps ON ps.seqrelid = s.oid
  JOIN pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p')
  JOIN pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid AND NOT a.attisdropped
  WHERE d.classid = 'pg_class'::regclass
    AND d.refclassid = 'pg_class'::regclass
    AND d.deptype IN ('a', 'i')           -- a: OWNED BY (serial), i: identity column
    AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)
    AND sn.nspname NOT IN ('pg_catalog', 'information_schema')
),
state AS (
  SELECT o.*,
         CASE WHEN o.readable THEN
           query_to_xml(format('SELECT s.last_value, s.is_called, (SELECT %s(c.%I) FROM %s c) AS edge FROM %s s',
                               CASE WHEN o.increment > 0 THEN 'max' ELSE 'min' END, o.attname, o.tbl_ref, o.seq_ref),
                        false, true, '')
         END AS x
  FROM owned o
),
v AS (
  SELECT st.seq_name, st.col_name, st.increment, st.readable,
         (xpath('/row/last_value/text()', st.x))[1]::text::numeric AS last_value,
         (xpath('/row/is_called/text()', st.x))[1]::text::boolean AS is_called,
         (xpath('/row/edge/text()', st.x))[1]::text::numeric AS edge
  FROM state st
),
n AS (
  SELECT v.*, CASE WHEN v.is_called THEN v.last_value + v.increment ELSE v.last_value END AS next_value
  FROM v
)
SELECT 'sequence behind' AS problem,
       n.seq_name AS object,
       'next value ' || n.next_value || ', but ' || CASE WHEN n.increment > 0 THEN 'max' ELSE 'min' END ||
       '(' || n.col_name || ') is ' || n.edge || ': the next insert collides. Fix: SELECT setval(' ||
       quote_literal(n.seq_name) || ', ' || n.edge || ')' AS detail
FROM n
WHERE n.readable AND n.edge IS NOT NULL
  AND ((n.increment > 0 AND n.next_value <= n.edge) OR (n.increment < 0 AND n.next_value >= n.edge))
UNION ALL
SELECT 'cannot check', n.seq_name,
       current_user || ' may not read the sequence or ' || n.col_name || ': GRANT SELECT on both to check it'
FROM n
WHERE NOT n.readable
ORDER BY 1 DESC, 2
