-- runbook: no-transaction
--
-- 0002_parlant_indexes (down): drops the 115 indexes 0002 up builds, CONCURRENTLY (DROP INDEX CONCURRENTLY waits
-- for running queries on the table instead of blocking them). IF EXISTS, so it also cleans up after a partial up,
-- and it drops INVALID leftovers too. The primary keys are 0001's and stay.
--
-- no-transaction: DROP INDEX CONCURRENTLY cannot run in a transaction block; one statement at a time, in
-- autocommit; a statement ends at a line ending in ";".

-- parlant_agent
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workspace_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_created_by_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workspace_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_deleted_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_last_active_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_composition_mode_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_model_provider_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_conversation_style_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workspace_active_idx;

-- parlant_session
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workspace_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_user_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_customer_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_agent_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_last_activity_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_current_journey_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_locale_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_satisfaction_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workspace_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_agent_active_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_current_state_idx;

-- parlant_event
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_session_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_session_offset_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_session_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_tool_call_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_journey_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_created_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_event_state_idx;

-- parlant_guideline
DROP INDEX CONCURRENTLY IF EXISTS parlant_guideline_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_guideline_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_guideline_agent_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_guideline_priority_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_guideline_last_matched_idx;

-- parlant_journey
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_agent_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_last_used_idx;

-- parlant_journey_state
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_state_journey_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_state_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_state_journey_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_state_initial_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_state_final_idx;

-- parlant_journey_transition
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_transition_journey_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_transition_from_state_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_transition_to_state_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_transition_journey_from_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_transition_priority_idx;

-- parlant_variable
DROP INDEX CONCURRENTLY IF EXISTS parlant_variable_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_variable_session_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_variable_key_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_variable_agent_key_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_variable_session_key_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_variable_scope_idx;

-- parlant_tool
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_workspace_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_workspace_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_sim_tool_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_public_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_last_used_idx;

-- parlant_term
DROP INDEX CONCURRENTLY IF EXISTS parlant_term_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_term_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_term_agent_name_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_term_category_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_term_importance_idx;

-- parlant_canned_response
DROP INDEX CONCURRENTLY IF EXISTS parlant_canned_response_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_canned_response_category_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_canned_response_agent_category_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_canned_response_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_canned_response_priority_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_canned_response_last_used_idx;

-- parlant_agent_workflow
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workflow_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workflow_workflow_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workflow_workspace_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workflow_unique;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workflow_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_workflow_agent_enabled_idx;

-- parlant_agent_api_key
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_api_key_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_api_key_api_key_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_api_key_workspace_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_api_key_unique;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_api_key_purpose_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_api_key_agent_enabled_idx;

-- parlant_session_workflow
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workflow_session_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workflow_workflow_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workflow_execution_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workflow_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workflow_session_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_session_workflow_started_at_idx;

-- parlant_agent_tool
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_tool_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_tool_tool_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_tool_unique;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_tool_agent_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_tool_priority_idx;

-- parlant_journey_guideline
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_guideline_journey_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_guideline_guideline_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_guideline_unique;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_guideline_journey_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_journey_guideline_priority_override_idx;

-- parlant_agent_knowledge_base
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_kb_agent_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_kb_kb_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_kb_unique;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_kb_agent_enabled_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_agent_kb_priority_idx;

-- parlant_tool_integration
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_integration_parlant_tool_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_integration_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_integration_target_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_integration_type_target_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_integration_health_idx;
DROP INDEX CONCURRENTLY IF EXISTS parlant_tool_integration_unique;
