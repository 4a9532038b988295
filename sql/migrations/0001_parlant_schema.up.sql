-- 0001_parlant_schema (up): the 6 enums and the 18 parlant_* tables of the Parlant extension, with their
-- columns, defaults, primary keys and foreign keys. Source of truth: /work/shared/parlant-schema-spec.md §1-§4
-- (drizzle's packages/db/parlant-schema.ts). Decisions on the spec's open questions are in README.md.
--
-- Transactional: the engine wraps the whole file in one transaction, so it either creates everything or
-- nothing. It deliberately has no IF NOT EXISTS: an existing enum or table of the same name (e.g. from the
-- divergent 0092_parlant_schema_comprehensive.sql, spec §5.3) must stop the migration, not be silently reused.
--
-- The secondary indexes are NOT here: they are built CONCURRENTLY by 0002_parlant_indexes. Each table gets only its
-- primary key index (<table>_pkey), so this file is fast and never scans data.
--
-- Locks: creating a foreign key takes SHARE ROW EXCLUSIVE on the referenced table until COMMIT. Here that means
-- "user", workspace, workflow, api_key and knowledge_base: writes to them wait (briefly) for this transaction, and
-- this transaction waits for any open write transaction on them. Run it under lock_timeout with retries.
--
-- Column order follows drizzle (id, columns, created_at, updated_at; parlant_agent.deleted_at last), so the
-- catalog reads like a drizzle-created database. Every timestamp is `timestamp` without time zone. Only the table
-- "user" and the column "offset" need quoting. gen_random_uuid() is built in from PostgreSQL 13.
-- Objects are created in the current schema (the first one on search_path: public on Sim).

-- 1. Enums (spec §1), labels in this exact order.
CREATE TYPE agent_status AS ENUM ('active', 'inactive', 'archived');
CREATE TYPE session_mode AS ENUM ('auto', 'manual', 'paused');
CREATE TYPE session_status AS ENUM ('active', 'completed', 'abandoned');
CREATE TYPE event_type AS ENUM ('customer_message', 'agent_message', 'tool_call', 'tool_result', 'status_update',
  'journey_transition', 'variable_update');
CREATE TYPE journey_state_type AS ENUM ('chat', 'tool', 'decision', 'final');
CREATE TYPE composition_mode AS ENUM ('fluid', 'strict');

-- 2. The Sim base tables ("user", workspace, api_key, workflow, knowledge_base) already exist; never touched here.

-- 3-20. Tables in the dependency order of spec §4. Foreign keys are named as drizzle-kit names them
-- (<table>_<col>_<reftable>_<refcol>_fk, cut to PostgreSQL's 63 bytes). The four ON DELETE SET NULL keys on
-- parlant_session.current_journey_id / current_state_id and parlant_event.journey_id / state_id are not in drizzle
-- but in Sim's SQL migration chain (spec §5.1); see README.md. No CHECK constraints and no triggers (README.md).

-- 3. parlant_agent
CREATE TABLE parlant_agent (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id             text NOT NULL,
  created_by               text NOT NULL,
  name                     text NOT NULL,
  description              text,
  status                   agent_status NOT NULL DEFAULT 'active',
  composition_mode         composition_mode NOT NULL DEFAULT 'fluid',
  system_prompt            text,
  model_provider           text NOT NULL DEFAULT 'openai',
  model_name               text NOT NULL DEFAULT 'gpt-4',
  temperature              integer DEFAULT 70,
  max_tokens               integer DEFAULT 2000,
  response_timeout_ms      integer DEFAULT 30000,
  max_context_length       integer DEFAULT 8000,
  system_instructions      text,
  allow_interruption       boolean NOT NULL DEFAULT true,
  allow_proactive_messages boolean NOT NULL DEFAULT false,
  conversation_style       text DEFAULT 'professional',
  data_retention_days      integer DEFAULT 30,
  allow_data_export        boolean NOT NULL DEFAULT true,
  pii_handling_mode        text DEFAULT 'standard',
  integration_metadata     jsonb DEFAULT '{}',
  custom_config            jsonb DEFAULT '{}',
  total_sessions           integer NOT NULL DEFAULT 0,
  total_messages           integer NOT NULL DEFAULT 0,
  total_tokens_used        integer NOT NULL DEFAULT 0,
  total_cost               integer NOT NULL DEFAULT 0,
  average_session_duration integer,
  last_active_at           timestamp,
  created_at               timestamp NOT NULL DEFAULT now(),
  updated_at               timestamp NOT NULL DEFAULT now(),
  deleted_at               timestamp,
  CONSTRAINT parlant_agent_workspace_id_workspace_id_fk
    FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_created_by_user_id_fk
    FOREIGN KEY (created_by) REFERENCES "user" (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_agent IS 'Parlant: workspace-scoped AI agent (soft delete via deleted_at)';

-- 4. parlant_tool
CREATE TABLE parlant_tool (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id          text NOT NULL,
  name                  text NOT NULL,
  display_name          text NOT NULL,
  description           text NOT NULL,
  sim_tool_id           text,
  tool_type             text NOT NULL,
  parameters            jsonb NOT NULL,
  return_schema         jsonb,
  usage_guidelines      text,
  error_handling        jsonb DEFAULT '{}',
  execution_timeout     integer DEFAULT 30000,
  retry_policy          jsonb DEFAULT '{"max_attempts": 3, "backoff_ms": 1000}',
  rate_limit_per_minute integer DEFAULT 60,
  rate_limit_per_hour   integer DEFAULT 1000,
  requires_auth         boolean NOT NULL DEFAULT false,
  auth_type             text,
  auth_config           jsonb DEFAULT '{}',
  enabled               boolean NOT NULL DEFAULT true,
  is_public             boolean NOT NULL DEFAULT false,
  is_deprecated         boolean NOT NULL DEFAULT false,
  use_count             integer NOT NULL DEFAULT 0,
  success_rate          integer DEFAULT 100,
  last_used_at          timestamp,
  created_at            timestamp NOT NULL DEFAULT now(),
  updated_at            timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_tool_workspace_id_workspace_id_fk
    FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_tool IS 'Parlant: workspace-scoped tool definition';

-- 5. parlant_guideline
CREATE TABLE parlant_guideline (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id        uuid NOT NULL,
  condition       text NOT NULL,
  action          text NOT NULL,
  priority        integer NOT NULL DEFAULT 100,
  enabled         boolean NOT NULL DEFAULT true,
  tool_ids        jsonb DEFAULT '[]',
  match_count     integer NOT NULL DEFAULT 0,
  last_matched_at timestamp,
  created_at      timestamp NOT NULL DEFAULT now(),
  updated_at      timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_guideline_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_guideline IS 'Parlant: condition/action rule of an agent';

-- 6. parlant_journey
CREATE TABLE parlant_journey (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id         uuid NOT NULL,
  title            text NOT NULL,
  description      text,
  conditions       jsonb NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  allow_skipping   boolean NOT NULL DEFAULT true,
  allow_revisiting boolean NOT NULL DEFAULT true,
  total_sessions   integer NOT NULL DEFAULT 0,
  completion_rate  integer DEFAULT 0,
  last_used_at     timestamp,
  created_at       timestamp NOT NULL DEFAULT now(),
  updated_at       timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_journey_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_journey IS 'Parlant: multi-step conversational flow of an agent';

-- 7. parlant_journey_state
CREATE TABLE parlant_journey_state (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  journey_id  uuid NOT NULL,
  name        text NOT NULL,
  state_type  journey_state_type NOT NULL,
  chat_prompt text,
  tool_id     text,
  tool_config jsonb,
  condition   text,
  is_initial  boolean NOT NULL DEFAULT false,
  is_final    boolean NOT NULL DEFAULT false,
  allow_skip  boolean NOT NULL DEFAULT true,
  metadata    jsonb DEFAULT '{}',
  created_at  timestamp NOT NULL DEFAULT now(),
  updated_at  timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_journey_state_journey_id_parlant_journey_id_fk
    FOREIGN KEY (journey_id) REFERENCES parlant_journey (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_journey_state IS 'Parlant: state (step) of a journey';

-- 8. parlant_journey_transition
CREATE TABLE parlant_journey_transition (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  journey_id    uuid NOT NULL,
  from_state_id uuid NOT NULL,
  to_state_id   uuid NOT NULL,
  condition     text,
  priority      integer NOT NULL DEFAULT 100,
  use_count     integer NOT NULL DEFAULT 0,
  last_used_at  timestamp,
  created_at    timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_journey_transition_journey_id_parlant_journey_id_fk
    FOREIGN KEY (journey_id) REFERENCES parlant_journey (id) ON DELETE CASCADE,
  CONSTRAINT parlant_journey_transition_from_state_id_parlant_journey_state_
    FOREIGN KEY (from_state_id) REFERENCES parlant_journey_state (id) ON DELETE CASCADE,
  CONSTRAINT parlant_journey_transition_to_state_id_parlant_journey_state_id
    FOREIGN KEY (to_state_id) REFERENCES parlant_journey_state (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_journey_transition IS 'Parlant: edge between two states of a journey';

-- 9. parlant_session
CREATE TABLE parlant_session (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id              uuid NOT NULL,
  workspace_id          text NOT NULL,
  user_id               text,
  customer_id           text,
  mode                  session_mode NOT NULL DEFAULT 'auto',
  status                session_status NOT NULL DEFAULT 'active',
  title                 text,
  metadata              jsonb DEFAULT '{}',
  current_journey_id    uuid,
  current_state_id      uuid,
  variables             jsonb DEFAULT '{}',
  event_count           integer NOT NULL DEFAULT 0,
  message_count         integer NOT NULL DEFAULT 0,
  tokens_used           integer NOT NULL DEFAULT 0,
  cost                  integer NOT NULL DEFAULT 0,
  average_response_time integer,
  satisfaction_score    integer,
  session_type          text DEFAULT 'conversation',
  tags                  jsonb DEFAULT '[]',
  user_agent            text,
  ip_address            text,
  referrer              text,
  locale                text DEFAULT 'en',
  timezone              text DEFAULT 'UTC',
  started_at            timestamp NOT NULL DEFAULT now(),
  last_activity_at      timestamp NOT NULL DEFAULT now(),
  ended_at              timestamp,
  created_at            timestamp NOT NULL DEFAULT now(),
  updated_at            timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_session_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE,
  CONSTRAINT parlant_session_workspace_id_workspace_id_fk
    FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE,
  CONSTRAINT parlant_session_user_id_user_id_fk
    FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE SET NULL,
  CONSTRAINT parlant_session_current_journey_id_parlant_journey_id_fk
    FOREIGN KEY (current_journey_id) REFERENCES parlant_journey (id) ON DELETE SET NULL,
  CONSTRAINT parlant_session_current_state_id_parlant_journey_state_id_fk
    FOREIGN KEY (current_state_id) REFERENCES parlant_journey_state (id) ON DELETE SET NULL
);
COMMENT ON TABLE parlant_session IS 'Parlant: conversation with an agent (user_id NULL for anonymous users)';

-- 10. parlant_event
CREATE TABLE parlant_event (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id   uuid NOT NULL,
  "offset"     integer NOT NULL,
  event_type   event_type NOT NULL,
  content      jsonb NOT NULL,
  metadata     jsonb DEFAULT '{}',
  tool_call_id text,
  journey_id   uuid,
  state_id     uuid,
  created_at   timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_event_session_id_parlant_session_id_fk
    FOREIGN KEY (session_id) REFERENCES parlant_session (id) ON DELETE CASCADE,
  CONSTRAINT parlant_event_journey_id_parlant_journey_id_fk
    FOREIGN KEY (journey_id) REFERENCES parlant_journey (id) ON DELETE SET NULL,
  CONSTRAINT parlant_event_state_id_parlant_journey_state_id_fk
    FOREIGN KEY (state_id) REFERENCES parlant_journey_state (id) ON DELETE SET NULL
);
COMMENT ON TABLE parlant_event IS 'Parlant: event log of a session, ordered by "offset"';

-- 11. parlant_variable
CREATE TABLE parlant_variable (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id    uuid NOT NULL,
  session_id  uuid,
  key         text NOT NULL,
  scope       text NOT NULL DEFAULT 'session',
  value       jsonb NOT NULL,
  value_type  text NOT NULL,
  is_private  boolean NOT NULL DEFAULT false,
  description text,
  created_at  timestamp NOT NULL DEFAULT now(),
  updated_at  timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_variable_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE,
  CONSTRAINT parlant_variable_session_id_parlant_session_id_fk
    FOREIGN KEY (session_id) REFERENCES parlant_session (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_variable IS 'Parlant: variable of an agent, per session or wider scope';

-- 12. parlant_term
CREATE TABLE parlant_term (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id    uuid NOT NULL,
  name        text NOT NULL,
  description text NOT NULL,
  synonyms    jsonb DEFAULT '[]',
  category    text,
  examples    jsonb DEFAULT '[]',
  importance  integer NOT NULL DEFAULT 100,
  created_at  timestamp NOT NULL DEFAULT now(),
  updated_at  timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_term_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_term IS 'Parlant: glossary term of an agent';

-- 13. parlant_canned_response
CREATE TABLE parlant_canned_response (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id             uuid NOT NULL,
  template             text NOT NULL,
  category             text,
  tags                 jsonb DEFAULT '[]',
  conditions           jsonb DEFAULT '[]',
  priority             integer NOT NULL DEFAULT 100,
  enabled              boolean NOT NULL DEFAULT true,
  requires_exact_match boolean NOT NULL DEFAULT false,
  use_count            integer NOT NULL DEFAULT 0,
  last_used_at         timestamp,
  created_at           timestamp NOT NULL DEFAULT now(),
  updated_at           timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_canned_response_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_canned_response IS 'Parlant: template response of an agent';

-- 14. parlant_agent_tool
CREATE TABLE parlant_agent_tool (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id      uuid NOT NULL,
  tool_id       uuid NOT NULL,
  configuration jsonb DEFAULT '{}',
  enabled       boolean NOT NULL DEFAULT true,
  priority      integer NOT NULL DEFAULT 100,
  use_count     integer NOT NULL DEFAULT 0,
  last_used_at  timestamp,
  created_at    timestamp NOT NULL DEFAULT now(),
  updated_at    timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_agent_tool_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_tool_tool_id_parlant_tool_id_fk
    FOREIGN KEY (tool_id) REFERENCES parlant_tool (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_agent_tool IS 'Parlant: agent <-> parlant_tool link';

-- 15. parlant_journey_guideline
CREATE TABLE parlant_journey_guideline (
  id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  journey_id                 uuid NOT NULL,
  guideline_id               uuid NOT NULL,
  priority_override          integer,
  enabled                    boolean NOT NULL DEFAULT true,
  journey_specific_condition text,
  match_count                integer NOT NULL DEFAULT 0,
  last_matched_at            timestamp,
  created_at                 timestamp NOT NULL DEFAULT now(),
  updated_at                 timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_journey_guideline_journey_id_parlant_journey_id_fk
    FOREIGN KEY (journey_id) REFERENCES parlant_journey (id) ON DELETE CASCADE,
  CONSTRAINT parlant_journey_guideline_guideline_id_parlant_guideline_id_fk
    FOREIGN KEY (guideline_id) REFERENCES parlant_guideline (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_journey_guideline IS 'Parlant: journey <-> guideline link with per-journey overrides';

-- 16. parlant_agent_knowledge_base
CREATE TABLE parlant_agent_knowledge_base (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id          uuid NOT NULL,
  knowledge_base_id text NOT NULL,
  enabled           boolean NOT NULL DEFAULT true,
  search_threshold  integer DEFAULT 80,
  max_results       integer DEFAULT 5,
  priority          integer NOT NULL DEFAULT 100,
  search_count      integer NOT NULL DEFAULT 0,
  last_searched_at  timestamp,
  created_at        timestamp NOT NULL DEFAULT now(),
  updated_at        timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_agent_knowledge_base_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_knowledge_base_knowledge_base_id_knowledge_base_i
    FOREIGN KEY (knowledge_base_id) REFERENCES knowledge_base (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_agent_knowledge_base IS 'Parlant: agent <-> Sim knowledge_base link';

-- 17. parlant_tool_integration
CREATE TABLE parlant_tool_integration (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parlant_tool_id   uuid NOT NULL,
  integration_type  text NOT NULL,
  target_id         text NOT NULL,
  configuration     jsonb DEFAULT '{}',
  enabled           boolean NOT NULL DEFAULT true,
  parameter_mapping jsonb DEFAULT '{}',
  response_mapping  jsonb DEFAULT '{}',
  last_health_check timestamp,
  health_status     text DEFAULT 'unknown',
  error_count       integer NOT NULL DEFAULT 0,
  last_error        text,
  created_at        timestamp NOT NULL DEFAULT now(),
  updated_at        timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_tool_integration_parlant_tool_id_parlant_tool_id_fk
    FOREIGN KEY (parlant_tool_id) REFERENCES parlant_tool (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_tool_integration IS
  'Parlant: parlant_tool -> Sim target (custom tool, workflow block or MCP server; no FK)';

-- 18. parlant_agent_workflow
CREATE TABLE parlant_agent_workflow (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id           uuid NOT NULL,
  workflow_id        text NOT NULL,
  workspace_id       text NOT NULL,
  integration_type   text NOT NULL,
  enabled            boolean NOT NULL DEFAULT true,
  trigger_conditions jsonb DEFAULT '[]',
  input_mapping      jsonb DEFAULT '{}',
  monitor_events     jsonb DEFAULT '[]',
  output_mapping     jsonb DEFAULT '{}',
  trigger_count      integer NOT NULL DEFAULT 0,
  last_triggered_at  timestamp,
  created_at         timestamp NOT NULL DEFAULT now(),
  updated_at         timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_agent_workflow_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_workflow_workflow_id_workflow_id_fk
    FOREIGN KEY (workflow_id) REFERENCES workflow (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_workflow_workspace_id_workspace_id_fk
    FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_agent_workflow IS 'Parlant: agent <-> Sim workflow link';

-- 19. parlant_agent_api_key
CREATE TABLE parlant_agent_api_key (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agent_id     uuid NOT NULL,
  api_key_id   text NOT NULL,
  workspace_id text NOT NULL,
  purpose      text NOT NULL,
  enabled      boolean NOT NULL DEFAULT true,
  priority     integer NOT NULL DEFAULT 100,
  use_count    integer NOT NULL DEFAULT 0,
  last_used_at timestamp,
  created_at   timestamp NOT NULL DEFAULT now(),
  updated_at   timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_agent_api_key_agent_id_parlant_agent_id_fk
    FOREIGN KEY (agent_id) REFERENCES parlant_agent (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_api_key_api_key_id_api_key_id_fk
    FOREIGN KEY (api_key_id) REFERENCES api_key (id) ON DELETE CASCADE,
  CONSTRAINT parlant_agent_api_key_workspace_id_workspace_id_fk
    FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_agent_api_key IS 'Parlant: agent <-> Sim api_key link';

-- 20. parlant_session_workflow
CREATE TABLE parlant_session_workflow (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id     uuid NOT NULL,
  workflow_id    text NOT NULL,
  execution_id   text,
  trigger_reason text NOT NULL,
  input_data     jsonb DEFAULT '{}',
  output_data    jsonb DEFAULT '{}',
  status         text NOT NULL DEFAULT 'pending',
  started_at     timestamp NOT NULL DEFAULT now(),
  completed_at   timestamp,
  error_message  text,
  created_at     timestamp NOT NULL DEFAULT now(),
  updated_at     timestamp NOT NULL DEFAULT now(),
  CONSTRAINT parlant_session_workflow_session_id_parlant_session_id_fk
    FOREIGN KEY (session_id) REFERENCES parlant_session (id) ON DELETE CASCADE,
  CONSTRAINT parlant_session_workflow_workflow_id_workflow_id_fk
    FOREIGN KEY (workflow_id) REFERENCES workflow (id) ON DELETE CASCADE
);
COMMENT ON TABLE parlant_session_workflow IS 'Parlant: Sim workflow execution started from a session';
