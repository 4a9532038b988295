-- 0002_parlant_indexes (verify): one row per index problem on the 18 parlant_* tables. No rows = healthy.
-- Columns: problem, object, detail. Read-only catalog query; works before 0001 and 0002 (every index is missing).
--
--   missing index       no index of that name in the current schema;
--   invalid index       indisvalid = false or indisready = false: a CREATE INDEX CONCURRENTLY that failed or was
--                       cancelled (or is still running). Reported for ANY index on the 18 tables, not only ours.
--                       Fix: DROP INDEX CONCURRENTLY IF EXISTS <name>; remove the cause; re-run 0002 up
--                       (IF NOT EXISTS would otherwise skip the INVALID leftover forever);
--   wrong index         on another table, other columns (in order), other uniqueness, not btree, partial, or on
--                       an expression;
--   not an index        a relation of that name exists but is not an index (a table, a sequence...).
-- Extra valid indexes (say, added by a DBA) are not problems and are not reported.
WITH
-- 115 indexes: (name, table, columns in order, unique). The last column of each row is the UNIQUE flag.
expected_index (index_name, table_name, columns, is_unique) AS (VALUES
    ('parlant_agent_workspace_id_idx', 'parlant_agent', ARRAY['workspace_id'], false),
    ('parlant_agent_created_by_idx', 'parlant_agent', ARRAY['created_by'], false),
    ('parlant_agent_status_idx', 'parlant_agent', ARRAY['status'], false),
    ('parlant_agent_workspace_status_idx', 'parlant_agent', ARRAY['workspace_id', 'status'], false),
    ('parlant_agent_deleted_at_idx', 'parlant_agent', ARRAY['deleted_at'], false),
    ('parlant_agent_last_active_idx', 'parlant_agent', ARRAY['last_active_at'], false),
    ('parlant_agent_composition_mode_idx', 'parlant_agent', ARRAY['composition_mode'], false),
    ('parlant_agent_model_provider_idx', 'parlant_agent', ARRAY['model_provider'], false),
    ('parlant_agent_conversation_style_idx', 'parlant_agent', ARRAY['conversation_style'], false),
    ('parlant_agent_workspace_active_idx', 'parlant_agent', ARRAY['workspace_id', 'last_active_at'], false),
    ('parlant_session_agent_id_idx', 'parlant_session', ARRAY['agent_id'], false),
    ('parlant_session_workspace_id_idx', 'parlant_session', ARRAY['workspace_id'], false),
    ('parlant_session_user_id_idx', 'parlant_session', ARRAY['user_id'], false),
    ('parlant_session_customer_id_idx', 'parlant_session', ARRAY['customer_id'], false),
    ('parlant_session_status_idx', 'parlant_session', ARRAY['status'], false),
    ('parlant_session_agent_status_idx', 'parlant_session', ARRAY['agent_id', 'status'], false),
    ('parlant_session_last_activity_idx', 'parlant_session', ARRAY['last_activity_at'], false),
    ('parlant_session_current_journey_idx', 'parlant_session', ARRAY['current_journey_id'], false),
    ('parlant_session_type_idx', 'parlant_session', ARRAY['session_type'], false),
    ('parlant_session_locale_idx', 'parlant_session', ARRAY['locale'], false),
    ('parlant_session_satisfaction_idx', 'parlant_session', ARRAY['satisfaction_score'], false),
    ('parlant_session_workspace_type_idx', 'parlant_session', ARRAY['workspace_id', 'session_type'], false),
    ('parlant_session_agent_active_idx', 'parlant_session', ARRAY['agent_id', 'last_activity_at'], false),
    ('parlant_session_current_state_idx', 'parlant_session', ARRAY['current_state_id'], false),
    ('parlant_event_session_id_idx', 'parlant_event', ARRAY['session_id'], false),
    ('parlant_event_session_offset_idx', 'parlant_event', ARRAY['session_id', 'offset'], true),
    ('parlant_event_type_idx', 'parlant_event', ARRAY['event_type'], false),
    ('parlant_event_session_type_idx', 'parlant_event', ARRAY['session_id', 'event_type'], false),
    ('parlant_event_tool_call_idx', 'parlant_event', ARRAY['tool_call_id'], false),
    ('parlant_event_journey_idx', 'parlant_event', ARRAY['journey_id'], false),
    ('parlant_event_created_at_idx', 'parlant_event', ARRAY['created_at'], false),
    ('parlant_event_state_idx', 'parlant_event', ARRAY['state_id'], false),
    ('parlant_guideline_agent_id_idx', 'parlant_guideline', ARRAY['agent_id'], false),
    ('parlant_guideline_enabled_idx', 'parlant_guideline', ARRAY['enabled'], false),
    ('parlant_guideline_agent_enabled_idx', 'parlant_guideline', ARRAY['agent_id', 'enabled'], false),
    ('parlant_guideline_priority_idx', 'parlant_guideline', ARRAY['priority'], false),
    ('parlant_guideline_last_matched_idx', 'parlant_guideline', ARRAY['last_matched_at'], false),
    ('parlant_journey_agent_id_idx', 'parlant_journey', ARRAY['agent_id'], false),
    ('parlant_journey_enabled_idx', 'parlant_journey', ARRAY['enabled'], false),
    ('parlant_journey_agent_enabled_idx', 'parlant_journey', ARRAY['agent_id', 'enabled'], false),
    ('parlant_journey_last_used_idx', 'parlant_journey', ARRAY['last_used_at'], false),
    ('parlant_journey_state_journey_id_idx', 'parlant_journey_state', ARRAY['journey_id'], false),
    ('parlant_journey_state_type_idx', 'parlant_journey_state', ARRAY['state_type'], false),
    ('parlant_journey_state_journey_type_idx', 'parlant_journey_state', ARRAY['journey_id', 'state_type'], false),
    ('parlant_journey_state_initial_idx', 'parlant_journey_state', ARRAY['is_initial'], false),
    ('parlant_journey_state_final_idx', 'parlant_journey_state', ARRAY['is_final'], false),
    ('parlant_journey_transition_journey_id_idx', 'parlant_journey_transition', ARRAY['journey_id'], false),
    ('parlant_journey_transition_from_state_idx', 'parlant_journey_transition', ARRAY['from_state_id'], false),
    ('parlant_journey_transition_to_state_idx', 'parlant_journey_transition', ARRAY['to_state_id'], false),
    ('parlant_journey_transition_journey_from_idx', 'parlant_journey_transition', ARRAY['journey_id', 'from_state_id'], false),
    ('parlant_journey_transition_priority_idx', 'parlant_journey_transition', ARRAY['priority'], false),
    ('parlant_variable_agent_id_idx', 'parlant_variable', ARRAY['agent_id'], false),
    ('parlant_variable_session_id_idx', 'parlant_variable', ARRAY['session_id'], false),
    ('parlant_variable_key_idx', 'parlant_variable', ARRAY['key'], false),
    ('parlant_variable_agent_key_idx', 'parlant_variable', ARRAY['agent_id', 'key'], false),
    ('parlant_variable_session_key_idx', 'parlant_variable', ARRAY['session_id', 'key'], true),
    ('parlant_variable_scope_idx', 'parlant_variable', ARRAY['scope'], false),
    ('parlant_tool_workspace_id_idx', 'parlant_tool', ARRAY['workspace_id'], false),
    ('parlant_tool_name_idx', 'parlant_tool', ARRAY['name'], false),
    ('parlant_tool_workspace_name_idx', 'parlant_tool', ARRAY['workspace_id', 'name'], true),
    ('parlant_tool_sim_tool_idx', 'parlant_tool', ARRAY['sim_tool_id'], false),
    ('parlant_tool_type_idx', 'parlant_tool', ARRAY['tool_type'], false),
    ('parlant_tool_enabled_idx', 'parlant_tool', ARRAY['enabled'], false),
    ('parlant_tool_public_idx', 'parlant_tool', ARRAY['is_public'], false),
    ('parlant_tool_last_used_idx', 'parlant_tool', ARRAY['last_used_at'], false),
    ('parlant_term_agent_id_idx', 'parlant_term', ARRAY['agent_id'], false),
    ('parlant_term_name_idx', 'parlant_term', ARRAY['name'], false),
    ('parlant_term_agent_name_idx', 'parlant_term', ARRAY['agent_id', 'name'], true),
    ('parlant_term_category_idx', 'parlant_term', ARRAY['category'], false),
    ('parlant_term_importance_idx', 'parlant_term', ARRAY['importance'], false),
    ('parlant_canned_response_agent_id_idx', 'parlant_canned_response', ARRAY['agent_id'], false),
    ('parlant_canned_response_category_idx', 'parlant_canned_response', ARRAY['category'], false),
    ('parlant_canned_response_agent_category_idx', 'parlant_canned_response', ARRAY['agent_id', 'category'], false),
    ('parlant_canned_response_enabled_idx', 'parlant_canned_response', ARRAY['enabled'], false),
    ('parlant_canned_response_priority_idx', 'parlant_canned_response', ARRAY['priority'], false),
    ('parlant_canned_response_last_used_idx', 'parlant_canned_response', ARRAY['last_used_at'], false),
    ('parlant_agent_workflow_agent_id_idx', 'parlant_agent_workflow', ARRAY['agent_id'], false),
    ('parlant_agent_workflow_workflow_id_idx', 'parlant_agent_workflow', ARRAY['workflow_id'], false),
    ('parlant_agent_workflow_workspace_id_idx', 'parlant_agent_workflow', ARRAY['workspace_id'], false),
    ('parlant_agent_workflow_unique', 'parlant_agent_workflow', ARRAY['agent_id', 'workflow_id'], true),
    ('parlant_agent_workflow_type_idx', 'parlant_agent_workflow', ARRAY['integration_type'], false),
    ('parlant_agent_workflow_agent_enabled_idx', 'parlant_agent_workflow', ARRAY['agent_id', 'enabled'], false),
    ('parlant_agent_api_key_agent_id_idx', 'parlant_agent_api_key', ARRAY['agent_id'], false),
    ('parlant_agent_api_key_api_key_id_idx', 'parlant_agent_api_key', ARRAY['api_key_id'], false),
    ('parlant_agent_api_key_workspace_id_idx', 'parlant_agent_api_key', ARRAY['workspace_id'], false),
    ('parlant_agent_api_key_unique', 'parlant_agent_api_key', ARRAY['agent_id', 'api_key_id'], true),
    ('parlant_agent_api_key_purpose_idx', 'parlant_agent_api_key', ARRAY['purpose'], false),
    ('parlant_agent_api_key_agent_enabled_idx', 'parlant_agent_api_key', ARRAY['agent_id', 'enabled'], false),
    ('parlant_session_workflow_session_id_idx', 'parlant_session_workflow', ARRAY['session_id'], false),
    ('parlant_session_workflow_workflow_id_idx', 'parlant_session_workflow', ARRAY['workflow_id'], false),
    ('parlant_session_workflow_execution_id_idx', 'parlant_session_workflow', ARRAY['execution_id'], false),
    ('parlant_session_workflow_status_idx', 'parlant_session_workflow', ARRAY['status'], false),
    ('parlant_session_workflow_session_status_idx', 'parlant_session_workflow', ARRAY['session_id', 'status'], false),
    ('parlant_session_workflow_started_at_idx', 'parlant_session_workflow', ARRAY['started_at'], false),
    ('parlant_agent_tool_agent_id_idx', 'parlant_agent_tool', ARRAY['agent_id'], false),
    ('parlant_agent_tool_tool_id_idx', 'parlant_agent_tool', ARRAY['tool_id'], false),
    ('parlant_agent_tool_unique', 'parlant_agent_tool', ARRAY['agent_id', 'tool_id'], true),
    ('parlant_agent_tool_agent_enabled_idx', 'parlant_agent_tool', ARRAY['agent_id', 'enabled'], false),
    ('parlant_agent_tool_priority_idx', 'parlant_agent_tool', ARRAY['priority'], false),
    ('parlant_journey_guideline_journey_id_idx', 'parlant_journey_guideline', ARRAY['journey_id'], false),
    ('parlant_journey_guideline_guideline_id_idx', 'parlant_journey_guideline', ARRAY['guideline_id'], false),
    ('parlant_journey_guideline_unique', 'parlant_journey_guideline', ARRAY['journey_id', 'guideline_id'], true),
    ('parlant_journey_guideline_journey_enabled_idx', 'parlant_journey_guideline', ARRAY['journey_id', 'enabled'], false),
    ('parlant_journey_guideline_priority_override_idx', 'parlant_journey_guideline', ARRAY['priority_override'], false),
    ('parlant_agent_kb_agent_id_idx', 'parlant_agent_knowledge_base', ARRAY['agent_id'], false),
    ('parlant_agent_kb_kb_id_idx', 'parlant_agent_knowledge_base', ARRAY['knowledge_base_id'], false),
    ('parlant_agent_kb_unique', 'parlant_agent_knowledge_base', ARRAY['agent_id', 'knowledge_base_id'], true),
    ('parlant_agent_kb_agent_enabled_idx', 'parlant_agent_knowledge_base', ARRAY['agent_id', 'enabled'], false),
    ('parlant_agent_kb_priority_idx', 'parlant_agent_knowledge_base', ARRAY['priority'], false),
    ('parlant_tool_integration_parlant_tool_idx', 'parlant_tool_integration', ARRAY['parlant_tool_id'], false),
    ('parlant_tool_integration_type_idx', 'parlant_tool_integration', ARRAY['integration_type'], false),
    ('parlant_tool_integration_target_idx', 'parlant_tool_integration', ARRAY['target_id'], false),
    ('parlant_tool_integration_type_target_idx', 'parlant_tool_integration', ARRAY['integration_type', 'target_id'], false),
    ('parlant_tool_integration_health_idx', 'parlant_tool_integration', ARRAY['health_status'], false),
    ('parlant_tool_integration_unique', 'parlant_tool_integration', ARRAY['parlant_tool_id', 'integration_type', 'target_id'], true)
),
here AS (
  SELECT oid AS nsp FROM pg_namespace WHERE nspname = current_schema()
),
found AS (
  SELECT e.index_name, e.table_name, e.columns, e.is_unique, c.oid, c.relkind::text AS relkind,
         i.indrelid, i.indisunique, i.indisvalid, i.indisready, i.indpred, i.indexprs,
         (SELECT amname::text FROM pg_am WHERE pg_am.oid = c.relam) AS method,
         ARRAY(SELECT a.attname::text
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
               LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
               ORDER BY k.ord) AS found_columns,
         t.relname::text AS found_table
  FROM expected_index e
  LEFT JOIN pg_class c ON c.relname = e.index_name AND c.relnamespace = (SELECT nsp FROM here)
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  LEFT JOIN pg_class t ON t.oid = i.indrelid
),
parlant_table AS (
  SELECT c.oid, c.relname::text AS table_name
  FROM pg_class c
  WHERE c.relnamespace = (SELECT nsp FROM here)
    AND c.relname IN (SELECT DISTINCT table_name FROM expected_index)
),
problem (problem, object, detail) AS (
  SELECT 'missing index', f.index_name,
         'expected ' || CASE WHEN f.is_unique THEN 'UNIQUE ' ELSE '' END || 'btree on ' || f.table_name ||
         ' (' || array_to_string(f.columns, ', ') || '): apply 0002_parlant_indexes'
  FROM found f WHERE f.oid IS NULL
  UNION ALL
  SELECT 'not an index', f.index_name, 'a relation of this name exists with relkind ' || f.relkind
  FROM found f WHERE f.oid IS NOT NULL AND f.relkind <> 'i'
  UNION ALL
  SELECT 'wrong index', f.index_name,
         'expected ' || CASE WHEN f.is_unique THEN 'UNIQUE ' ELSE '' END || 'btree on ' || f.table_name ||
         ' (' || array_to_string(f.columns, ', ') || '), found ' || pg_get_indexdef(f.oid)
  FROM found f
  WHERE f.relkind = 'i'
    AND (f.found_table IS DISTINCT FROM f.table_name
         OR f.found_columns IS DISTINCT FROM f.columns
         OR f.indisunique IS DISTINCT FROM f.is_unique
         OR f.method IS DISTINCT FROM 'btree'
         OR f.indpred IS NOT NULL
         OR f.indexprs IS NOT NULL)
  UNION ALL
  SELECT 'invalid index', c.relname::text,
         'INVALID (indisvalid = ' || i.indisvalid::text || ', indisready = ' || i.indisready::text || ') on ' ||
         t.table_name || ': a CREATE INDEX CONCURRENTLY failed or is still running; ' ||
         'DROP INDEX CONCURRENTLY IF EXISTS ' || quote_ident(c.relname) || ', fix the cause, re-apply 0002'
  FROM parlant_table t
  JOIN pg_index i ON i.indrelid = t.oid
  JOIN pg_class c ON c.oid = i.indexrelid
  WHERE NOT i.indisvalid OR NOT i.indisready
)
SELECT problem, object, detail
FROM problem
ORDER BY object, problem;
