-- Foreign keys among the chosen tables ($1: their oids): one row per (child, parent) pair, self-references left
-- out. A merge inserts parents before children, so that a recovered child row finds its recovered parent.
-- Read-only.
SELECT DISTINCT c.conrelid::bigint AS child, c.confrelid::bigint AS parent
FROM pg_constraint c
WHERE c.contype = 'f'
  AND c.conrelid = ANY ($1::oid[])
  AND c.confrelid = ANY ($1::oid[])
  AND c.conrelid <> c.confrelid
ORDER BY 1, 2
