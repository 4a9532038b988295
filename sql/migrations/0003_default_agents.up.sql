-- runbook: no-transaction
-- runbook: repeat-until-zero-rows
--
-- 0003_default_agents (up): gives every existing workspace that has no Parlant agent a default one (name
-- 'Default agent', created_by = the workspace owner, status active, every other column at its default), marked
-- with custom_config = {"created_by_migration": "0003_default_agents"} so that the down file can find exactly
-- these agents again.
--
-- Batched: the file is ONE statement that handles at most 1000 workspaces. The engine runs it again and again,
-- each run in its own autocommit transaction, until it inserts 0 rows (header "repeat-until-zero-rows"). No
-- statement runs long, no transaction holds locks for long, and an interrupted run just continues where it stopped.
--
-- Idempotent: a workspace is served only if it has NO agent at all (default or not, soft-deleted or not), so a
-- re-run inserts nothing new, and a workspace whose users already created agents gets no extra one.
--
-- Key ranges: the batches walk workspace.id upwards. The lower bound is the highest workspace_id that already
-- has a marked agent (found through an index on parlant_agent.workspace_id, backwards: one probe), so each
-- batch starts where the previous one ended instead of re-reading the workspaces already done. Workspace ids are
-- random strings, so a workspace created during the backfill may land below that bound: when a batch finds
-- nothing above the bound, the same statement falls back to one pass over all workspaces (still 1000 at most),
-- which picks such stragglers up. The last run (0 rows) is therefore one full index pass over workspace.
--
-- Needs 0002 first: the anti-join and the bound use parlant_agent_workspace_id_idx (or another index leading with
-- workspace_id); without them every batch would scan parlant_agent.
-- Row locks: the foreign-key checks take FOR KEY SHARE on the workspace and "user" rows involved, which blocks
-- only a concurrent DELETE of that workspace or user (or a change of its id), not ordinary updates.
WITH last_done AS (
  SELECT coalesce(max(a.workspace_id), '') AS workspace_id
  FROM parlant_agent a
  WHERE a.custom_config @> '{"created_by_migration": "0003_default_agents"}'
),
next_range AS (
  SELECT w.id, w.owner_id
  FROM workspace w
  WHERE w.id > (SELECT workspace_id FROM last_done)
    AND NOT EXISTS (SELECT 1
                    FROM parlant_agent a
                    WHERE a.workspace_id = w.id
                      -- implied by the line above; spelled out so that the agent side of the anti-join also
                      -- starts at the bound instead of at the first agent
                      AND a.workspace_id > (SELECT workspace_id FROM last_done))
  ORDER BY w.id
  LIMIT 1000
),
stragglers AS (
  SELECT w.id, w.owner_id
  FROM workspace w
  WHERE NOT EXISTS (SELECT 1 FROM next_range)
    AND NOT EXISTS (SELECT 1 FROM parlant_agent a WHERE a.workspace_id = w.id)
  ORDER BY w.id
  LIMIT 1000
)
INSERT INTO parlant_agent (workspace_id, created_by, name, description, status, custom_config)
SELECT batch.id, batch.owner_id, 'Default agent',
       'Created by parlant-runbook (migration 0003_default_agents) for a workspace that had no agent.',
       'active', '{"created_by_migration": "0003_default_agents"}'
FROM (SELECT id, owner_id FROM next_range UNION ALL SELECT id, owner_id FROM stragglers) AS batch;
