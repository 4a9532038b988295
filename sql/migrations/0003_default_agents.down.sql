-- runbook: no-transaction
-- runbook: repeat-until-zero-rows
--
-- 0003_default_agents (down): deletes the agents 0003 up created, i.e. those whose custom_config still carries
-- {"created_by_migration": "0003_default_agents"}. Agents created by the application are never touched; a default
-- agent whose custom_config was since replaced by the application no longer carries the marker and is kept.
--
-- DESTRUCTIVE beyond the agents themselves: deleting an agent cascades (spec ON DELETE CASCADE) to its sessions,
-- events, guidelines, journeys, variables, terms, canned responses and links. On a database where the default
-- agents have been used, that is user data: back up and confirm first.
--
-- Batched like the up file: ONE statement deleting the marked agents of one key range, repeated by the engine in
-- autocommit until it deletes 0 rows. The range starts at the lowest workspace_id that still has a marked agent
-- and spans the next 1000 entries of the index on parlant_agent.workspace_id (parlant_agent_workspace_id_idx, from
-- 0002), so a batch deletes at most about 1000 agents and never scans the table. Each batch deletes at least one
-- agent while any is left, so 0 rows means done.
WITH lo AS (
  SELECT min(a.workspace_id) AS workspace_id
  FROM parlant_agent a
  WHERE a.custom_config @> '{"created_by_migration": "0003_default_agents"}'
),
hi AS (
  SELECT coalesce(
           (SELECT a.workspace_id
            FROM parlant_agent a
            WHERE a.workspace_id >= (SELECT workspace_id FROM lo)
            ORDER BY a.workspace_id
            OFFSET 999 LIMIT 1),
           (SELECT max(a.workspace_id) FROM parlant_agent a)) AS workspace_id
)
DELETE FROM parlant_agent a
WHERE a.workspace_id >= (SELECT workspace_id FROM lo)
  AND a.workspace_id <= (SELECT workspace_id FROM hi)
  AND a.custom_config @> '{"created_by_migration": "0003_default_agents"}';
