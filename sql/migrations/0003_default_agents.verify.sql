-- 0003_default_agents (verify): at most one row, when workspaces exist that have no Parlant agent at all:
--   ('workspaces without an agent', 'workspace', '<count> workspaces ..., first id <id>')
-- (a count, not one row per workspace: there can be 100 000 of them). No rows = healthy. Columns: problem, object,
-- detail. Read-only.
--
-- It also works before 0001: then it reports the missing table instead of failing. (query_to_xml runs the count
-- only when both tables exist; a plain query would fail to parse on a missing table.)
WITH t AS (
  SELECT to_regclass('parlant_agent') IS NOT NULL AS has_agent,
         to_regclass('workspace') IS NOT NULL AS has_workspace
),
counted AS (
  SELECT CASE WHEN t.has_agent AND t.has_workspace THEN
           query_to_xml('SELECT count(*) AS n, min(w.id) AS first_id
                         FROM workspace w
                         WHERE NOT EXISTS (SELECT 1 FROM parlant_agent a WHERE a.workspace_id = w.id)',
                        false, true, '')
         END AS x
  FROM t
)
SELECT 'missing table' AS problem, 'parlant_agent' AS object, 'apply 0001_parlant_schema first' AS detail
FROM t WHERE NOT t.has_agent
UNION ALL
SELECT 'missing table', 'workspace', 'not a Sim database: the workspace table does not exist'
FROM t WHERE NOT t.has_workspace
UNION ALL
SELECT 'workspaces without an agent', 'workspace',
       v.n::text || ' workspace(s) have no parlant_agent, first id ' || v.first_id ||
       ': re-run 0003_default_agents (it only fills the gaps)'
FROM counted c
CROSS JOIN LATERAL (
  SELECT (xpath('/row/n/text()', c.x))[1]::text::bigint AS n,
         (xpath('/row/first_id/text()', c.x))[1]::text AS first_id
) v
WHERE c.x IS NOT NULL AND v.n > 0;
