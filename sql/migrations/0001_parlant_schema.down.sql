-- 0001_parlant_schema (down): removes exactly what 0001 up created: the 18 parlant_* tables (with their primary
-- keys, foreign keys, comments and any index still on them) and the 6 enums. The Sim base tables keep their rows
-- and their definitions.
--
-- Transactional: all or nothing. Tables go in the exact reverse of the creation order (spec §4: 20 -> 3), so every
-- table is dropped after all tables that reference it, and nothing needs CASCADE. There is deliberately no CASCADE
-- anywhere: if something else depends on a Parlant object (a view, a table of another feature, a foreign key
-- someone added), the drop fails and names it instead of silently removing it.
-- IF EXISTS everywhere, so the file also cleans up after a partial manual run of the up file.
--
-- Locks: dropping a table drops its foreign keys, which takes ACCESS EXCLUSIVE on the parlant table AND on
-- the referenced Sim table ("user", workspace, workflow, api_key, knowledge_base) until COMMIT: even reads of
-- those wait for it, and it waits for every transaction using them. Run it under lock_timeout with retries, with
-- the application that uses the Parlant tables already rolled back.
--
-- This destroys all Parlant data. Take (and verify) a backup first.

-- 3-20. Tables, from 20 (parlant_session_workflow) back to 3 (parlant_agent).
DROP TABLE IF EXISTS parlant_session_workflow;
DROP TABLE IF EXISTS parlant_agent_api_key;
DROP TABLE IF EXISTS parlant_agent_workflow;
DROP TABLE IF EXISTS parlant_tool_integration;
DROP TABLE IF EXISTS parlant_agent_knowledge_base;
DROP TABLE IF EXISTS parlant_journey_guideline;
DROP TABLE IF EXISTS parlant_agent_tool;
DROP TABLE IF EXISTS parlant_canned_response;
DROP TABLE IF EXISTS parlant_term;
DROP TABLE IF EXISTS parlant_variable;
DROP TABLE IF EXISTS parlant_event;
DROP TABLE IF EXISTS parlant_session;
DROP TABLE IF EXISTS parlant_journey_transition;
DROP TABLE IF EXISTS parlant_journey_state;
DROP TABLE IF EXISTS parlant_journey;
DROP TABLE IF EXISTS parlant_guideline;
DROP TABLE IF EXISTS parlant_tool;
DROP TABLE IF EXISTS parlant_agent;

-- 1. The enums, in reverse creation order, once no table uses them.
DROP TYPE IF EXISTS composition_mode;
DROP TYPE IF EXISTS journey_state_type;
DROP TYPE IF EXISTS event_type;
DROP TYPE IF EXISTS session_status;
DROP TYPE IF EXISTS session_mode;
DROP TYPE IF EXISTS agent_status;
