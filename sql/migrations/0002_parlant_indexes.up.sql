-- runbook: no-transaction
--
-- 0002_parlant_indexes (up): the secondary indexes of the 18 parlant_* tables, built CONCURRENTLY so that the
-- application keeps reading and writing these tables while they build (CREATE INDEX CONCURRENTLY takes only
-- SHARE UPDATE EXCLUSIVE, which does not block DML). The primary keys come with the tables in 0001.
--
-- 115 indexes: the 113 declared in drizzle (spec §2.19; 10 UNIQUE, all plain btree, none partial), plus 2 that
-- back the ON DELETE SET NULL foreign keys 0001 adds on parlant_session.current_state_id and
-- parlant_event.state_id (README.md, "Indexes"). With the 18 primary keys: 133 rows in pg_indexes.
--
-- no-transaction: CREATE INDEX CONCURRENTLY cannot run in a transaction block. The engine runs the statements one
-- at a time in autocommit; a statement ends at a line ending in ";". The file holds nothing but these statements.
--
-- Re-running after a failure is safe: IF NOT EXISTS skips the indexes already built. BUT a build that failed
-- (a duplicate under a UNIQUE index, a cancel, a lost connection, a deadlock) leaves an INVALID index of that name
-- behind, and IF NOT EXISTS skips that one too. 0002_parlant_indexes.verify.sql reports it as "invalid index";
-- the engine must then DROP INDEX CONCURRENTLY IF EXISTS <name> (and fix the cause, e.g. the duplicates) before
-- re-running this file.
--
-- Each build waits, several times, for every transaction in the database that is older than it: a long-running
-- or idle-in-transaction session anywhere makes this file wait. Those waits are lock waits, so they obey
-- lock_timeout: under the short lock_timeout used for DDL, a build that meets an older transaction fails and
-- leaves an INVALID index. Run this file with lock_timeout = 0 (or minutes) and watch the waits instead.
-- On big tables, a larger maintenance_work_mem speeds each build up. The order is the spec's, table by table.

-- parlant_agent
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workspace_id_idx ON parlant_agent (workspace_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_created_by_idx ON parlant_agent (created_by);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_status_idx ON parlant_agent (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workspace_status_idx ON parlant_agent (workspace_id, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_deleted_at_idx ON parlant_agent (deleted_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_last_active_idx ON parlant_agent (last_active_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_composition_mode_idx ON parlant_agent (composition_mode);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_model_provider_idx ON parlant_agent (model_provider);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_conversation_style_idx ON parlant_agent (conversation_style);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workspace_active_idx ON parlant_agent (workspace_id, last_active_at);

-- parlant_session
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_agent_id_idx ON parlant_session (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workspace_id_idx ON parlant_session (workspace_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_user_id_idx ON parlant_session (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_customer_id_idx ON parlant_session (customer_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_status_idx ON parlant_session (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_agent_status_idx ON parlant_session (agent_id, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_last_activity_idx ON parlant_session (last_activity_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_current_journey_idx ON parlant_session (current_journey_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_type_idx ON parlant_session (session_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_locale_idx ON parlant_session (locale);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_satisfaction_idx ON parlant_session (satisfaction_score);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workspace_type_idx ON parlant_session (workspace_id, session_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_agent_active_idx ON parlant_session (agent_id, last_activity_at);
-- Not declared in drizzle: supports the ON DELETE SET NULL foreign key added in 0001 (see README).
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_current_state_idx ON parlant_session (current_state_id);

-- parlant_event
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_session_id_idx ON parlant_event (session_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_session_offset_idx ON parlant_event (session_id, "offset");
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_type_idx ON parlant_event (event_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_session_type_idx ON parlant_event (session_id, event_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_tool_call_idx ON parlant_event (tool_call_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_journey_idx ON parlant_event (journey_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_created_at_idx ON parlant_event (created_at);
-- Not declared in drizzle: supports the ON DELETE SET NULL foreign key added in 0001 (see README).
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_event_state_idx ON parlant_event (state_id);

-- parlant_guideline
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_guideline_agent_id_idx ON parlant_guideline (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_guideline_enabled_idx ON parlant_guideline (enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_guideline_agent_enabled_idx ON parlant_guideline (agent_id, enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_guideline_priority_idx ON parlant_guideline (priority);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_guideline_last_matched_idx ON parlant_guideline (last_matched_at);

-- parlant_journey
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_agent_id_idx ON parlant_journey (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_enabled_idx ON parlant_journey (enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_agent_enabled_idx ON parlant_journey (agent_id, enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_last_used_idx ON parlant_journey (last_used_at);

-- parlant_journey_state
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_state_journey_id_idx ON parlant_journey_state (journey_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_state_type_idx ON parlant_journey_state (state_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_state_journey_type_idx ON parlant_journey_state (journey_id, state_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_state_initial_idx ON parlant_journey_state (is_initial);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_state_final_idx ON parlant_journey_state (is_final);

-- parlant_journey_transition
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_transition_journey_id_idx ON parlant_journey_transition (journey_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_transition_from_state_idx ON parlant_journey_transition (from_state_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_transition_to_state_idx ON parlant_journey_transition (to_state_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_transition_journey_from_idx ON parlant_journey_transition (journey_id, from_state_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_transition_priority_idx ON parlant_journey_transition (priority);

-- parlant_variable
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_variable_agent_id_idx ON parlant_variable (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_variable_session_id_idx ON parlant_variable (session_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_variable_key_idx ON parlant_variable (key);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_variable_agent_key_idx ON parlant_variable (agent_id, key);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_variable_session_key_idx ON parlant_variable (session_id, key);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_variable_scope_idx ON parlant_variable (scope);

-- parlant_tool
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_workspace_id_idx ON parlant_tool (workspace_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_name_idx ON parlant_tool (name);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_workspace_name_idx ON parlant_tool (workspace_id, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_sim_tool_idx ON parlant_tool (sim_tool_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_type_idx ON parlant_tool (tool_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_enabled_idx ON parlant_tool (enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_public_idx ON parlant_tool (is_public);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_last_used_idx ON parlant_tool (last_used_at);

-- parlant_term
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_term_agent_id_idx ON parlant_term (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_term_name_idx ON parlant_term (name);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_term_agent_name_idx ON parlant_term (agent_id, name);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_term_category_idx ON parlant_term (category);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_term_importance_idx ON parlant_term (importance);

-- parlant_canned_response
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_canned_response_agent_id_idx ON parlant_canned_response (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_canned_response_category_idx ON parlant_canned_response (category);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_canned_response_agent_category_idx ON parlant_canned_response (agent_id, category);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_canned_response_enabled_idx ON parlant_canned_response (enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_canned_response_priority_idx ON parlant_canned_response (priority);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_canned_response_last_used_idx ON parlant_canned_response (last_used_at);

-- parlant_agent_workflow
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workflow_agent_id_idx ON parlant_agent_workflow (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workflow_workflow_id_idx ON parlant_agent_workflow (workflow_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workflow_workspace_id_idx ON parlant_agent_workflow (workspace_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workflow_unique ON parlant_agent_workflow (agent_id, workflow_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workflow_type_idx ON parlant_agent_workflow (integration_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_workflow_agent_enabled_idx ON parlant_agent_workflow (agent_id, enabled);

-- parlant_agent_api_key
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_api_key_agent_id_idx ON parlant_agent_api_key (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_api_key_api_key_id_idx ON parlant_agent_api_key (api_key_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_api_key_workspace_id_idx ON parlant_agent_api_key (workspace_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_api_key_unique ON parlant_agent_api_key (agent_id, api_key_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_api_key_purpose_idx ON parlant_agent_api_key (purpose);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_api_key_agent_enabled_idx ON parlant_agent_api_key (agent_id, enabled);

-- parlant_session_workflow
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workflow_session_id_idx ON parlant_session_workflow (session_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workflow_workflow_id_idx ON parlant_session_workflow (workflow_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workflow_execution_id_idx ON parlant_session_workflow (execution_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workflow_status_idx ON parlant_session_workflow (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workflow_session_status_idx ON parlant_session_workflow (session_id, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_session_workflow_started_at_idx ON parlant_session_workflow (started_at);

-- parlant_agent_tool
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_tool_agent_id_idx ON parlant_agent_tool (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_tool_tool_id_idx ON parlant_agent_tool (tool_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_tool_unique ON parlant_agent_tool (agent_id, tool_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_tool_agent_enabled_idx ON parlant_agent_tool (agent_id, enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_tool_priority_idx ON parlant_agent_tool (priority);

-- parlant_journey_guideline
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_guideline_journey_id_idx ON parlant_journey_guideline (journey_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_guideline_guideline_id_idx ON parlant_journey_guideline (guideline_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_guideline_unique ON parlant_journey_guideline (journey_id, guideline_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_guideline_journey_enabled_idx ON parlant_journey_guideline (journey_id, enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_journey_guideline_priority_override_idx ON parlant_journey_guideline (priority_override);

-- parlant_agent_knowledge_base
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_kb_agent_id_idx ON parlant_agent_knowledge_base (agent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_kb_kb_id_idx ON parlant_agent_knowledge_base (knowledge_base_id);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_kb_unique ON parlant_agent_knowledge_base (agent_id, knowledge_base_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_kb_agent_enabled_idx ON parlant_agent_knowledge_base (agent_id, enabled);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_agent_kb_priority_idx ON parlant_agent_knowledge_base (priority);

-- parlant_tool_integration
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_integration_parlant_tool_idx ON parlant_tool_integration (parlant_tool_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_integration_type_idx ON parlant_tool_integration (integration_type);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_integration_target_idx ON parlant_tool_integration (target_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_integration_type_target_idx ON parlant_tool_integration (integration_type, target_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_integration_health_idx ON parlant_tool_integration (health_status);
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS parlant_tool_integration_unique ON parlant_tool_integration (parlant_tool_id, integration_type, target_id);
