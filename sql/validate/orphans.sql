-- Orphaned rows: one row per Parlant foreign-key relationship that has child rows whose parent does not exist.
-- No rows = healthy. Columns: problem, object, detail. Read-only; one scan of each child table per relationship.
--   orphaned rows   parlant_x.col → parent(col)   '<n> rows, e.g. id <lowest id>'
--   missing table   <table>                       the relationship cannot be checked (listed once per table)
--   missing column  parlant_x.col                 the relationship cannot be checked
-- Counted from a fixed list of the 36 relationships 0001 creates, NOT from pg_constraint: orphans exist exactly
-- when a key is missing, was added NOT VALID, or was switched off (session_replication_role = replica, DESIGN §9),
-- and a catalog-driven check would skip precisely those.
--
-- How: each count is a query text run through query_to_xml (built in; no function is created) and read back with
-- xpath, so that a missing table or column is reported instead of failing the whole statement at parse time.
-- Names are resolved on search_path, as the migration files resolve them (public on Sim).
WITH
fk (table_name, column_name, ref_table, ref_column) AS (VALUES
    ('parlant_agent', 'workspace_id', 'workspace', 'id'),
    ('parlant_agent', 'created_by', 'user', 'id'),
    ('parlant_tool', 'workspace_id', 'workspace', 'id'),
    ('parlant_guideline', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_journey', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_journey_state', 'journey_id', 'parlant_journey', 'id'),
    ('parlant_journey_transition', 'journey_id', 'parlant_journey', 'id'),
    ('parlant_journey_transition', 'from_state_id', 'parlant_journey_state', 'id'),
    ('parlant_journey_transition', 'to_state_id', 'parlant_journey_state', 'id'),
    ('parlant_session', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_session', 'workspace_id', 'workspace', 'id'),
    ('parlant_session', 'user_id', 'user', 'id'),
    ('parlant_session', 'current_journey_id', 'parlant_journey', 'id'),
    ('parlant_session', 'current_state_id', 'parlant_journey_state', 'id'),
    ('parlant_event', 'session_id', 'parlant_session', 'id'),
    ('parlant_event', 'journey_id', 'parlant_journey', 'id'),
    ('parlant_event', 'state_id', 'parlant_journey_state', 'id'),
    ('parlant_variable', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_variable', 'session_id', 'parlant_session', 'id'),
    ('parlant_term', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_canned_response', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_agent_tool', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_agent_tool', 'tool_id', 'parlant_tool', 'id'),
    ('parlant_journey_guideline', 'journey_id', 'parlant_journey', 'id'),
    ('parlant_journey_guideline', 'guideline_id', 'parlant_guideline', 'id'),
    ('parlant_agent_knowledge_base', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_agent_knowledge_base', 'knowledge_base_id', 'knowledge_base', 'id'),
    ('parlant_tool_integration', 'parlant_tool_id', 'parlant_tool', 'id'),
    ('parlant_agent_workflow', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_agent_workflow', 'workflow_id', 'workflow', 'id'),
    ('parlant_agent_workflow', 'workspace_id', 'workspace', 'id'),
    ('parlant_agent_api_key', 'agent_id', 'parlant_agent', 'id'),
    ('parlant_agent_api_key', 'api_key_id', 'api_key', 'id'),
    ('parlant_agent_api_key', 'workspace_id', 'workspace', 'id'),
    ('parlant_session_workflow', 'session_id', 'parlant_session', 'id'),
    ('parlant_session_workflow', 'workflow_id', 'workflow', 'id')
),
-- Every table named above, child or parent, once; to_regclass resolves it the way the count query will.
tbl AS (
  SELECT t.table_name, to_regclass(quote_ident(t.table_name)) AS oid
  FROM (SELECT table_name FROM fk UNION SELECT ref_table FROM fk) t
),
rel AS (
  SELECT f.*, ct.oid AS child, pt.oid AS parent,
         ca.atttypid AS child_type, pa.atttypid AS parent_type,
         f.table_name || '.' || f.column_name || ' → ' || quote_ident(f.ref_table) || '(' || f.ref_column || ')' AS label
  FROM fk f
  JOIN tbl ct ON ct.table_name = f.table_name
  JOIN tbl pt ON pt.table_name = f.ref_table
  LEFT JOIN pg_attribute ca ON ca.attrelid = ct.oid AND ca.attname = f.column_name AND ca.attnum > 0 AND NOT ca.attisdropped
  LEFT JOIN pg_attribute pa ON pa.attrelid = pt.oid AND pa.attname = f.ref_column AND pa.attnum > 0 AND NOT pa.attisdropped
),
counted AS (
  SELECT r.label,
         -- CASE, not WHERE: the query text must never run for a relationship whose table or column is missing.
         CASE WHEN r.child_type IS NOT NULL AND r.parent_type IS NOT NULL THEN
           query_to_xml(format(
             'SELECT count(*) AS n, min(c.id::text) AS first_id FROM %I c
              WHERE c.%I IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %I p WHERE p.%I%s = c.%I%s)',
             r.table_name, r.column_name, r.ref_table, r.ref_column,
             -- a drifted schema (e.g. uuid against text) still gets counted: compare as text then
             CASE WHEN r.child_type = r.parent_type THEN '' ELSE '::text' END,
             r.column_name,
             CASE WHEN r.child_type = r.parent_type THEN '' ELSE '::text' END),
           false, true, '')
         END AS x
  FROM rel r
),
problem (sort, problem, object, detail) AS (
  SELECT 1, 'missing table', t.table_name,
         CASE WHEN t.table_name LIKE 'parlant\_%' THEN 'apply 0001_parlant_schema first: its relationships cannot be checked'
              ELSE 'a Sim table the Parlant foreign keys point at does not exist (not a Sim database?)' END
  FROM tbl t
  WHERE t.oid IS NULL
  UNION ALL
  SELECT 2, 'missing column', CASE WHEN r.child_type IS NULL THEN r.table_name || '.' || r.column_name
                                   ELSE r.ref_table || '.' || r.ref_column END,
         'cannot check ' || r.label || ' (0001 verify lists the schema differences)'
  FROM rel r
  WHERE r.child IS NOT NULL AND r.parent IS NOT NULL AND (r.child_type IS NULL OR r.parent_type IS NULL)
  UNION ALL
  SELECT 3, 'orphaned rows', c.label,
         v.n::text || CASE WHEN v.n = 1 THEN ' row' ELSE ' rows' END || ', e.g. id ' || v.first_id
  FROM counted c
  CROSS JOIN LATERAL (
    SELECT (xpath('/row/n/text()', c.x))[1]::text::bigint AS n,
           (xpath('/row/first_id/text()', c.x))[1]::text AS first_id
  ) v
  WHERE c.x IS NOT NULL AND v.n > 0
)
SELECT problem, object, detail
FROM problem
ORDER BY sort, object, problem, detail
