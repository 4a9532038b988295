-- 0001_parlant_schema (verify): one row per difference between the database and what 0001 up creates.
-- No rows = healthy. Columns: problem, object, detail. Read-only (catalog queries only); it works whether or not
-- the schema exists: before 0001 up it returns one row per missing enum and per missing table (a missing table's
-- columns and keys are not listed separately).
--
-- Checked, in the current schema (where 0001 up creates everything; public on Sim):
--   enums: present, an enum, labels in this exact order;
--   tables: present and ordinary tables; columns: present, type, NOT NULL, default (compared as
--     pg_get_expr() prints it: the normalized form PostgreSQL stores, e.g. '{}'::jsonb, 'active'::agent_status);
--     and no column that 0001 does not create (e.g. the timestamptz variant of spec §5.3 shows up as wrong types);
--   primary key <table>_pkey on (id);
--   foreign keys by name: column, referenced table (resolved on search_path, as up resolved it) and column,
--     ON DELETE action, ON UPDATE NO ACTION, validated;
--   no other constraint (CHECK, UNIQUE, EXCLUDE, extra or duplicate FK; spec §5.2, §5.5) and no user trigger
--     (the SQL chain's update_*_updated_at triggers, §5.1) on the 18 tables.
-- Column order is not checked: a database built by Sim's SQL chain (ALTER TABLE ADD COLUMN) has the same columns
-- in another order, which changes nothing for the application.
-- Indexes other than the primary keys are checked by 0002_parlant_indexes.verify.sql.
WITH
expected_enum (enum_name, labels) AS (VALUES
    ('agent_status', ARRAY['active', 'inactive', 'archived']),
    ('session_mode', ARRAY['auto', 'manual', 'paused']),
    ('session_status', ARRAY['active', 'completed', 'abandoned']),
    ('event_type', ARRAY['customer_message', 'agent_message', 'tool_call', 'tool_result', 'status_update',
                         'journey_transition', 'variable_update']),
    ('journey_state_type', ARRAY['chat', 'tool', 'decision', 'final']),
    ('composition_mode', ARRAY['fluid', 'strict'])
),
-- 262 columns: (table, column, format_type(), NOT NULL, pg_get_expr() of the default or NULL for none).
expected_column (table_name, column_name, data_type, not_null, default_expr) AS (VALUES
    ('parlant_agent', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_agent', 'workspace_id', 'text', true, NULL),
    ('parlant_agent', 'created_by', 'text', true, NULL),
    ('parlant_agent', 'name', 'text', true, NULL),
    ('parlant_agent', 'description', 'text', false, NULL),
    ('parlant_agent', 'status', 'agent_status', true, '''active''::agent_status'),
    ('parlant_agent', 'composition_mode', 'composition_mode', true, '''fluid''::composition_mode'),
    ('parlant_agent', 'system_prompt', 'text', false, NULL),
    ('parlant_agent', 'model_provider', 'text', true, '''openai''::text'),
    ('parlant_agent', 'model_name', 'text', true, '''gpt-4''::text'),
    ('parlant_agent', 'temperature', 'integer', false, '70'),
    ('parlant_agent', 'max_tokens', 'integer', false, '2000'),
    ('parlant_agent', 'response_timeout_ms', 'integer', false, '30000'),
    ('parlant_agent', 'max_context_length', 'integer', false, '8000'),
    ('parlant_agent', 'system_instructions', 'text', false, NULL),
    ('parlant_agent', 'allow_interruption', 'boolean', true, 'true'),
    ('parlant_agent', 'allow_proactive_messages', 'boolean', true, 'false'),
    ('parlant_agent', 'conversation_style', 'text', false, '''professional''::text'),
    ('parlant_agent', 'data_retention_days', 'integer', false, '30'),
    ('parlant_agent', 'allow_data_export', 'boolean', true, 'true'),
    ('parlant_agent', 'pii_handling_mode', 'text', false, '''standard''::text'),
    ('parlant_agent', 'integration_metadata', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_agent', 'custom_config', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_agent', 'total_sessions', 'integer', true, '0'),
    ('parlant_agent', 'total_messages', 'integer', true, '0'),
    ('parlant_agent', 'total_tokens_used', 'integer', true, '0'),
    ('parlant_agent', 'total_cost', 'integer', true, '0'),
    ('parlant_agent', 'average_session_duration', 'integer', false, NULL),
    ('parlant_agent', 'last_active_at', 'timestamp without time zone', false, NULL),
    ('parlant_agent', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent', 'deleted_at', 'timestamp without time zone', false, NULL),
    ('parlant_tool', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_tool', 'workspace_id', 'text', true, NULL),
    ('parlant_tool', 'name', 'text', true, NULL),
    ('parlant_tool', 'display_name', 'text', true, NULL),
    ('parlant_tool', 'description', 'text', true, NULL),
    ('parlant_tool', 'sim_tool_id', 'text', false, NULL),
    ('parlant_tool', 'tool_type', 'text', true, NULL),
    ('parlant_tool', 'parameters', 'jsonb', true, NULL),
    ('parlant_tool', 'return_schema', 'jsonb', false, NULL),
    ('parlant_tool', 'usage_guidelines', 'text', false, NULL),
    ('parlant_tool', 'error_handling', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_tool', 'execution_timeout', 'integer', false, '30000'),
    ('parlant_tool', 'retry_policy', 'jsonb', false, '''{"backoff_ms": 1000, "max_attempts": 3}''::jsonb'),
    ('parlant_tool', 'rate_limit_per_minute', 'integer', false, '60'),
    ('parlant_tool', 'rate_limit_per_hour', 'integer', false, '1000'),
    ('parlant_tool', 'requires_auth', 'boolean', true, 'false'),
    ('parlant_tool', 'auth_type', 'text', false, NULL),
    ('parlant_tool', 'auth_config', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_tool', 'enabled', 'boolean', true, 'true'),
    ('parlant_tool', 'is_public', 'boolean', true, 'false'),
    ('parlant_tool', 'is_deprecated', 'boolean', true, 'false'),
    ('parlant_tool', 'use_count', 'integer', true, '0'),
    ('parlant_tool', 'success_rate', 'integer', false, '100'),
    ('parlant_tool', 'last_used_at', 'timestamp without time zone', false, NULL),
    ('parlant_tool', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_tool', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_guideline', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_guideline', 'agent_id', 'uuid', true, NULL),
    ('parlant_guideline', 'condition', 'text', true, NULL),
    ('parlant_guideline', 'action', 'text', true, NULL),
    ('parlant_guideline', 'priority', 'integer', true, '100'),
    ('parlant_guideline', 'enabled', 'boolean', true, 'true'),
    ('parlant_guideline', 'tool_ids', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_guideline', 'match_count', 'integer', true, '0'),
    ('parlant_guideline', 'last_matched_at', 'timestamp without time zone', false, NULL),
    ('parlant_guideline', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_guideline', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_journey', 'agent_id', 'uuid', true, NULL),
    ('parlant_journey', 'title', 'text', true, NULL),
    ('parlant_journey', 'description', 'text', false, NULL),
    ('parlant_journey', 'conditions', 'jsonb', true, NULL),
    ('parlant_journey', 'enabled', 'boolean', true, 'true'),
    ('parlant_journey', 'allow_skipping', 'boolean', true, 'true'),
    ('parlant_journey', 'allow_revisiting', 'boolean', true, 'true'),
    ('parlant_journey', 'total_sessions', 'integer', true, '0'),
    ('parlant_journey', 'completion_rate', 'integer', false, '0'),
    ('parlant_journey', 'last_used_at', 'timestamp without time zone', false, NULL),
    ('parlant_journey', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey_state', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_journey_state', 'journey_id', 'uuid', true, NULL),
    ('parlant_journey_state', 'name', 'text', true, NULL),
    ('parlant_journey_state', 'state_type', 'journey_state_type', true, NULL),
    ('parlant_journey_state', 'chat_prompt', 'text', false, NULL),
    ('parlant_journey_state', 'tool_id', 'text', false, NULL),
    ('parlant_journey_state', 'tool_config', 'jsonb', false, NULL),
    ('parlant_journey_state', 'condition', 'text', false, NULL),
    ('parlant_journey_state', 'is_initial', 'boolean', true, 'false'),
    ('parlant_journey_state', 'is_final', 'boolean', true, 'false'),
    ('parlant_journey_state', 'allow_skip', 'boolean', true, 'true'),
    ('parlant_journey_state', 'metadata', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_journey_state', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey_state', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey_transition', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_journey_transition', 'journey_id', 'uuid', true, NULL),
    ('parlant_journey_transition', 'from_state_id', 'uuid', true, NULL),
    ('parlant_journey_transition', 'to_state_id', 'uuid', true, NULL),
    ('parlant_journey_transition', 'condition', 'text', false, NULL),
    ('parlant_journey_transition', 'priority', 'integer', true, '100'),
    ('parlant_journey_transition', 'use_count', 'integer', true, '0'),
    ('parlant_journey_transition', 'last_used_at', 'timestamp without time zone', false, NULL),
    ('parlant_journey_transition', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_session', 'agent_id', 'uuid', true, NULL),
    ('parlant_session', 'workspace_id', 'text', true, NULL),
    ('parlant_session', 'user_id', 'text', false, NULL),
    ('parlant_session', 'customer_id', 'text', false, NULL),
    ('parlant_session', 'mode', 'session_mode', true, '''auto''::session_mode'),
    ('parlant_session', 'status', 'session_status', true, '''active''::session_status'),
    ('parlant_session', 'title', 'text', false, NULL),
    ('parlant_session', 'metadata', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_session', 'current_journey_id', 'uuid', false, NULL),
    ('parlant_session', 'current_state_id', 'uuid', false, NULL),
    ('parlant_session', 'variables', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_session', 'event_count', 'integer', true, '0'),
    ('parlant_session', 'message_count', 'integer', true, '0'),
    ('parlant_session', 'tokens_used', 'integer', true, '0'),
    ('parlant_session', 'cost', 'integer', true, '0'),
    ('parlant_session', 'average_response_time', 'integer', false, NULL),
    ('parlant_session', 'satisfaction_score', 'integer', false, NULL),
    ('parlant_session', 'session_type', 'text', false, '''conversation''::text'),
    ('parlant_session', 'tags', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_session', 'user_agent', 'text', false, NULL),
    ('parlant_session', 'ip_address', 'text', false, NULL),
    ('parlant_session', 'referrer', 'text', false, NULL),
    ('parlant_session', 'locale', 'text', false, '''en''::text'),
    ('parlant_session', 'timezone', 'text', false, '''UTC''::text'),
    ('parlant_session', 'started_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session', 'last_activity_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session', 'ended_at', 'timestamp without time zone', false, NULL),
    ('parlant_session', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_event', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_event', 'session_id', 'uuid', true, NULL),
    ('parlant_event', 'offset', 'integer', true, NULL),
    ('parlant_event', 'event_type', 'event_type', true, NULL),
    ('parlant_event', 'content', 'jsonb', true, NULL),
    ('parlant_event', 'metadata', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_event', 'tool_call_id', 'text', false, NULL),
    ('parlant_event', 'journey_id', 'uuid', false, NULL),
    ('parlant_event', 'state_id', 'uuid', false, NULL),
    ('parlant_event', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_variable', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_variable', 'agent_id', 'uuid', true, NULL),
    ('parlant_variable', 'session_id', 'uuid', false, NULL),
    ('parlant_variable', 'key', 'text', true, NULL),
    ('parlant_variable', 'scope', 'text', true, '''session''::text'),
    ('parlant_variable', 'value', 'jsonb', true, NULL),
    ('parlant_variable', 'value_type', 'text', true, NULL),
    ('parlant_variable', 'is_private', 'boolean', true, 'false'),
    ('parlant_variable', 'description', 'text', false, NULL),
    ('parlant_variable', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_variable', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_term', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_term', 'agent_id', 'uuid', true, NULL),
    ('parlant_term', 'name', 'text', true, NULL),
    ('parlant_term', 'description', 'text', true, NULL),
    ('parlant_term', 'synonyms', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_term', 'category', 'text', false, NULL),
    ('parlant_term', 'examples', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_term', 'importance', 'integer', true, '100'),
    ('parlant_term', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_term', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_canned_response', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_canned_response', 'agent_id', 'uuid', true, NULL),
    ('parlant_canned_response', 'template', 'text', true, NULL),
    ('parlant_canned_response', 'category', 'text', false, NULL),
    ('parlant_canned_response', 'tags', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_canned_response', 'conditions', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_canned_response', 'priority', 'integer', true, '100'),
    ('parlant_canned_response', 'enabled', 'boolean', true, 'true'),
    ('parlant_canned_response', 'requires_exact_match', 'boolean', true, 'false'),
    ('parlant_canned_response', 'use_count', 'integer', true, '0'),
    ('parlant_canned_response', 'last_used_at', 'timestamp without time zone', false, NULL),
    ('parlant_canned_response', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_canned_response', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_tool', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_agent_tool', 'agent_id', 'uuid', true, NULL),
    ('parlant_agent_tool', 'tool_id', 'uuid', true, NULL),
    ('parlant_agent_tool', 'configuration', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_agent_tool', 'enabled', 'boolean', true, 'true'),
    ('parlant_agent_tool', 'priority', 'integer', true, '100'),
    ('parlant_agent_tool', 'use_count', 'integer', true, '0'),
    ('parlant_agent_tool', 'last_used_at', 'timestamp without time zone', false, NULL),
    ('parlant_agent_tool', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_tool', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey_guideline', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_journey_guideline', 'journey_id', 'uuid', true, NULL),
    ('parlant_journey_guideline', 'guideline_id', 'uuid', true, NULL),
    ('parlant_journey_guideline', 'priority_override', 'integer', false, NULL),
    ('parlant_journey_guideline', 'enabled', 'boolean', true, 'true'),
    ('parlant_journey_guideline', 'journey_specific_condition', 'text', false, NULL),
    ('parlant_journey_guideline', 'match_count', 'integer', true, '0'),
    ('parlant_journey_guideline', 'last_matched_at', 'timestamp without time zone', false, NULL),
    ('parlant_journey_guideline', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_journey_guideline', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_knowledge_base', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_agent_knowledge_base', 'agent_id', 'uuid', true, NULL),
    ('parlant_agent_knowledge_base', 'knowledge_base_id', 'text', true, NULL),
    ('parlant_agent_knowledge_base', 'enabled', 'boolean', true, 'true'),
    ('parlant_agent_knowledge_base', 'search_threshold', 'integer', false, '80'),
    ('parlant_agent_knowledge_base', 'max_results', 'integer', false, '5'),
    ('parlant_agent_knowledge_base', 'priority', 'integer', true, '100'),
    ('parlant_agent_knowledge_base', 'search_count', 'integer', true, '0'),
    ('parlant_agent_knowledge_base', 'last_searched_at', 'timestamp without time zone', false, NULL),
    ('parlant_agent_knowledge_base', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_knowledge_base', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_tool_integration', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_tool_integration', 'parlant_tool_id', 'uuid', true, NULL),
    ('parlant_tool_integration', 'integration_type', 'text', true, NULL),
    ('parlant_tool_integration', 'target_id', 'text', true, NULL),
    ('parlant_tool_integration', 'configuration', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_tool_integration', 'enabled', 'boolean', true, 'true'),
    ('parlant_tool_integration', 'parameter_mapping', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_tool_integration', 'response_mapping', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_tool_integration', 'last_health_check', 'timestamp without time zone', false, NULL),
    ('parlant_tool_integration', 'health_status', 'text', false, '''unknown''::text'),
    ('parlant_tool_integration', 'error_count', 'integer', true, '0'),
    ('parlant_tool_integration', 'last_error', 'text', false, NULL),
    ('parlant_tool_integration', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_tool_integration', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_workflow', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_agent_workflow', 'agent_id', 'uuid', true, NULL),
    ('parlant_agent_workflow', 'workflow_id', 'text', true, NULL),
    ('parlant_agent_workflow', 'workspace_id', 'text', true, NULL),
    ('parlant_agent_workflow', 'integration_type', 'text', true, NULL),
    ('parlant_agent_workflow', 'enabled', 'boolean', true, 'true'),
    ('parlant_agent_workflow', 'trigger_conditions', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_agent_workflow', 'input_mapping', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_agent_workflow', 'monitor_events', 'jsonb', false, '''[]''::jsonb'),
    ('parlant_agent_workflow', 'output_mapping', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_agent_workflow', 'trigger_count', 'integer', true, '0'),
    ('parlant_agent_workflow', 'last_triggered_at', 'timestamp without time zone', false, NULL),
    ('parlant_agent_workflow', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_workflow', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_api_key', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_agent_api_key', 'agent_id', 'uuid', true, NULL),
    ('parlant_agent_api_key', 'api_key_id', 'text', true, NULL),
    ('parlant_agent_api_key', 'workspace_id', 'text', true, NULL),
    ('parlant_agent_api_key', 'purpose', 'text', true, NULL),
    ('parlant_agent_api_key', 'enabled', 'boolean', true, 'true'),
    ('parlant_agent_api_key', 'priority', 'integer', true, '100'),
    ('parlant_agent_api_key', 'use_count', 'integer', true, '0'),
    ('parlant_agent_api_key', 'last_used_at', 'timestamp without time zone', false, NULL),
    ('parlant_agent_api_key', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_agent_api_key', 'updated_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session_workflow', 'id', 'uuid', true, 'gen_random_uuid()'),
    ('parlant_session_workflow', 'session_id', 'uuid', true, NULL),
    ('parlant_session_workflow', 'workflow_id', 'text', true, NULL),
    ('parlant_session_workflow', 'execution_id', 'text', false, NULL),
    ('parlant_session_workflow', 'trigger_reason', 'text', true, NULL),
    ('parlant_session_workflow', 'input_data', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_session_workflow', 'output_data', 'jsonb', false, '''{}''::jsonb'),
    ('parlant_session_workflow', 'status', 'text', true, '''pending''::text'),
    ('parlant_session_workflow', 'started_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session_workflow', 'completed_at', 'timestamp without time zone', false, NULL),
    ('parlant_session_workflow', 'error_message', 'text', false, NULL),
    ('parlant_session_workflow', 'created_at', 'timestamp without time zone', true, 'now()'),
    ('parlant_session_workflow', 'updated_at', 'timestamp without time zone', true, 'now()')
),
-- 36 foreign keys: drizzle's 32 plus the 4 ON DELETE SET NULL keys of the SQL chain. on_delete as in
-- pg_constraint.confdeltype: c = CASCADE, n = SET NULL.
expected_fk (table_name, constraint_name, column_name, ref_table, ref_column, on_delete) AS (VALUES
    ('parlant_agent', 'parlant_agent_workspace_id_workspace_id_fk', 'workspace_id', 'workspace', 'id', 'c'),
    ('parlant_agent', 'parlant_agent_created_by_user_id_fk', 'created_by', 'user', 'id', 'c'),
    ('parlant_tool', 'parlant_tool_workspace_id_workspace_id_fk', 'workspace_id', 'workspace', 'id', 'c'),
    ('parlant_guideline', 'parlant_guideline_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_journey', 'parlant_journey_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_journey_state', 'parlant_journey_state_journey_id_parlant_journey_id_fk', 'journey_id', 'parlant_journey', 'id', 'c'),
    ('parlant_journey_transition', 'parlant_journey_transition_journey_id_parlant_journey_id_fk', 'journey_id', 'parlant_journey', 'id', 'c'),
    ('parlant_journey_transition', 'parlant_journey_transition_from_state_id_parlant_journey_state_', 'from_state_id', 'parlant_journey_state', 'id', 'c'),
    ('parlant_journey_transition', 'parlant_journey_transition_to_state_id_parlant_journey_state_id', 'to_state_id', 'parlant_journey_state', 'id', 'c'),
    ('parlant_session', 'parlant_session_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_session', 'parlant_session_workspace_id_workspace_id_fk', 'workspace_id', 'workspace', 'id', 'c'),
    ('parlant_session', 'parlant_session_user_id_user_id_fk', 'user_id', 'user', 'id', 'n'),
    ('parlant_event', 'parlant_event_session_id_parlant_session_id_fk', 'session_id', 'parlant_session', 'id', 'c'),
    ('parlant_variable', 'parlant_variable_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_variable', 'parlant_variable_session_id_parlant_session_id_fk', 'session_id', 'parlant_session', 'id', 'c'),
    ('parlant_term', 'parlant_term_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_canned_response', 'parlant_canned_response_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_agent_tool', 'parlant_agent_tool_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_agent_tool', 'parlant_agent_tool_tool_id_parlant_tool_id_fk', 'tool_id', 'parlant_tool', 'id', 'c'),
    ('parlant_journey_guideline', 'parlant_journey_guideline_journey_id_parlant_journey_id_fk', 'journey_id', 'parlant_journey', 'id', 'c'),
    ('parlant_journey_guideline', 'parlant_journey_guideline_guideline_id_parlant_guideline_id_fk', 'guideline_id', 'parlant_guideline', 'id', 'c'),
    ('parlant_agent_knowledge_base', 'parlant_agent_knowledge_base_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_agent_knowledge_base', 'parlant_agent_knowledge_base_knowledge_base_id_knowledge_base_i', 'knowledge_base_id', 'knowledge_base', 'id', 'c'),
    ('parlant_tool_integration', 'parlant_tool_integration_parlant_tool_id_parlant_tool_id_fk', 'parlant_tool_id', 'parlant_tool', 'id', 'c'),
    ('parlant_agent_workflow', 'parlant_agent_workflow_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_agent_workflow', 'parlant_agent_workflow_workflow_id_workflow_id_fk', 'workflow_id', 'workflow', 'id', 'c'),
    ('parlant_agent_workflow', 'parlant_agent_workflow_workspace_id_workspace_id_fk', 'workspace_id', 'workspace', 'id', 'c'),
    ('parlant_agent_api_key', 'parlant_agent_api_key_agent_id_parlant_agent_id_fk', 'agent_id', 'parlant_agent', 'id', 'c'),
    ('parlant_agent_api_key', 'parlant_agent_api_key_api_key_id_api_key_id_fk', 'api_key_id', 'api_key', 'id', 'c'),
    ('parlant_agent_api_key', 'parlant_agent_api_key_workspace_id_workspace_id_fk', 'workspace_id', 'workspace', 'id', 'c'),
    ('parlant_session_workflow', 'parlant_session_workflow_session_id_parlant_session_id_fk', 'session_id', 'parlant_session', 'id', 'c'),
    ('parlant_session_workflow', 'parlant_session_workflow_workflow_id_workflow_id_fk', 'workflow_id', 'workflow', 'id', 'c'),
    ('parlant_session', 'parlant_session_current_journey_id_parlant_journey_id_fk', 'current_journey_id', 'parlant_journey', 'id', 'n'),
    ('parlant_session', 'parlant_session_current_state_id_parlant_journey_state_id_fk', 'current_state_id', 'parlant_journey_state', 'id', 'n'),
    ('parlant_event', 'parlant_event_journey_id_parlant_journey_id_fk', 'journey_id', 'parlant_journey', 'id', 'n'),
    ('parlant_event', 'parlant_event_state_id_parlant_journey_state_id_fk', 'state_id', 'parlant_journey_state', 'id', 'n')
),
here AS (
  SELECT oid AS nsp FROM pg_namespace WHERE nspname = current_schema()
),
expected_table AS (
  SELECT DISTINCT table_name FROM expected_column
),
tbl AS (
  SELECT e.table_name, c.oid, c.relkind
  FROM expected_table e
  LEFT JOIN pg_class c ON c.relname = e.table_name AND c.relnamespace = (SELECT nsp FROM here)
),
present AS (
  SELECT table_name, oid FROM tbl WHERE relkind::text = 'r'
),
col AS (
  SELECT p.table_name, a.attname::text AS column_name, format_type(a.atttypid, a.atttypmod) AS data_type,
         a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_expr
  FROM present p
  JOIN pg_attribute a ON a.attrelid = p.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
),
typ AS (
  SELECT e.enum_name, e.labels, t.oid, t.typtype,
         (SELECT array_agg(l.enumlabel::text ORDER BY l.enumsortorder) FROM pg_enum l WHERE l.enumtypid = t.oid) AS found
  FROM expected_enum e
  LEFT JOIN pg_type t ON t.typname = e.enum_name AND t.typnamespace = (SELECT nsp FROM here)
),
con AS (
  SELECT p.table_name, c.conname::text AS conname, c.contype::text AS contype, c.conkey, c.confrelid, c.confkey,
         c.confdeltype::text AS confdeltype, c.confupdtype::text AS confupdtype, c.convalidated,
         pg_get_constraintdef(c.oid) AS def
  FROM present p
  JOIN pg_constraint c ON c.conrelid = p.oid
),
problem (sort, problem, object, detail) AS (
  SELECT 1, 'missing enum', t.enum_name, 'expected ENUM (' || array_to_string(t.labels, ', ') || ')'
  FROM typ t WHERE t.oid IS NULL
  UNION ALL
  SELECT 1, 'wrong enum', t.enum_name,
         CASE WHEN t.typtype::text <> 'e' THEN 'a type of this name exists but is not an enum'
              ELSE 'expected labels (' || array_to_string(t.labels, ', ') || '), found (' ||
                   coalesce(array_to_string(t.found, ', '), '') || ')' END
  FROM typ t WHERE t.oid IS NOT NULL AND (t.typtype::text <> 'e' OR t.found IS DISTINCT FROM t.labels)
  UNION ALL
  SELECT 2, 'missing table', t.table_name, 'apply 0001_parlant_schema'
  FROM tbl t WHERE t.oid IS NULL
  UNION ALL
  SELECT 2, 'wrong table', t.table_name, 'a relation of this name exists but is not an ordinary table (relkind ' || t.relkind::text || ')'
  FROM tbl t WHERE t.oid IS NOT NULL AND t.relkind::text <> 'r'
  UNION ALL
  SELECT 3, 'missing column', e.table_name || '.' || e.column_name,
         'expected ' || e.data_type || CASE WHEN e.not_null THEN ' NOT NULL' ELSE '' END ||
         coalesce(' DEFAULT ' || e.default_expr, '')
  FROM expected_column e
  JOIN present p USING (table_name)
  WHERE NOT EXISTS (SELECT 1 FROM col c WHERE c.table_name = e.table_name AND c.column_name = e.column_name)
  UNION ALL
  SELECT 3, 'wrong column type', e.table_name || '.' || e.column_name,
         'expected ' || e.data_type || ', found ' || c.data_type
  FROM expected_column e JOIN col c USING (table_name, column_name)
  WHERE c.data_type <> e.data_type
  UNION ALL
  SELECT 3, 'wrong column nullability', e.table_name || '.' || e.column_name,
         CASE WHEN e.not_null THEN 'expected NOT NULL, found nullable' ELSE 'expected nullable, found NOT NULL' END
  FROM expected_column e JOIN col c USING (table_name, column_name)
  WHERE c.not_null <> e.not_null
  UNION ALL
  SELECT 3, 'wrong column default', e.table_name || '.' || e.column_name,
         'expected ' || coalesce(e.default_expr, 'no default') || ', found ' || coalesce(c.default_expr, 'no default')
  FROM expected_column e JOIN col c USING (table_name, column_name)
  WHERE c.default_expr IS DISTINCT FROM e.default_expr
  UNION ALL
  SELECT 3, 'unexpected column', c.table_name || '.' || c.column_name,
         c.data_type || CASE WHEN c.not_null THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || c.default_expr, '')
  FROM col c
  WHERE NOT EXISTS (SELECT 1 FROM expected_column e WHERE e.table_name = c.table_name AND e.column_name = c.column_name)
  UNION ALL
  SELECT 4, 'missing primary key', p.table_name, 'expected ' || p.table_name || '_pkey PRIMARY KEY (id)'
  FROM present p
  WHERE NOT EXISTS (SELECT 1 FROM con c WHERE c.table_name = p.table_name AND c.contype = 'p')
  UNION ALL
  SELECT 4, 'wrong primary key', c.table_name || '.' || c.conname,
         'expected ' || c.table_name || '_pkey PRIMARY KEY (id), found ' || c.def
  FROM con c
  WHERE c.contype = 'p'
    AND (c.conname <> c.table_name || '_pkey' OR c.def <> 'PRIMARY KEY (id)')
  UNION ALL
  SELECT 5, 'missing foreign key', e.table_name || '.' || e.constraint_name,
         'expected FOREIGN KEY (' || e.column_name || ') REFERENCES ' || quote_ident(e.ref_table) || '(' || e.ref_column ||
         ') ON DELETE ' || CASE e.on_delete WHEN 'c' THEN 'CASCADE' ELSE 'SET NULL' END
  FROM expected_fk e
  JOIN present p USING (table_name)
  WHERE NOT EXISTS (SELECT 1 FROM con c WHERE c.table_name = e.table_name AND c.conname = e.constraint_name)
  UNION ALL
  SELECT 5, 'wrong foreign key', e.table_name || '.' || e.constraint_name,
         'expected FOREIGN KEY (' || e.column_name || ') REFERENCES ' || quote_ident(e.ref_table) || '(' || e.ref_column ||
         ') ON DELETE ' || CASE e.on_delete WHEN 'c' THEN 'CASCADE' ELSE 'SET NULL' END ||
         ', found ' || c.def || CASE WHEN c.convalidated THEN '' ELSE ' (not validated)' END
  FROM expected_fk e
  JOIN present p USING (table_name)
  JOIN con c ON c.table_name = e.table_name AND c.conname = e.constraint_name
  WHERE c.contype <> 'f'
     OR c.conkey IS DISTINCT FROM ARRAY(SELECT a.attnum FROM pg_attribute a
                                        WHERE a.attrelid = p.oid AND a.attname = e.column_name)
     OR c.confrelid IS DISTINCT FROM to_regclass(quote_ident(e.ref_table))
     OR c.confkey IS DISTINCT FROM ARRAY(SELECT a.attnum FROM pg_attribute a
                                         WHERE a.attrelid = to_regclass(quote_ident(e.ref_table)) AND a.attname = e.ref_column)
     OR c.confdeltype <> e.on_delete
     OR c.confupdtype <> 'a'
     OR NOT c.convalidated
  UNION ALL
  SELECT 6, 'unexpected constraint', c.table_name || '.' || c.conname, c.def
  FROM con c
  WHERE c.contype IN ('c', 'f', 'u', 'x', 't')
    AND NOT EXISTS (SELECT 1 FROM expected_fk e WHERE e.table_name = c.table_name AND e.constraint_name = c.conname)
  UNION ALL
  SELECT 7, 'unexpected trigger', p.table_name || '.' || g.tgname, pg_get_triggerdef(g.oid)
  FROM present p
  JOIN pg_trigger g ON g.tgrelid = p.oid AND NOT g.tgisinternal
)
SELECT problem, object, detail
FROM problem
ORDER BY sort, object, problem;
