-- Sim base tables for the parlant-runbook sandbox (parlant-schema-spec §3).
--
-- Only the tables the Parlant extension points at (user, workspace, api_key, workflow, knowledge_base) plus the
-- soft targets of parlant_tool_integration (custom_tools, mcp_servers, workflow_blocks), with the columns,
-- types, nullability and defaults of Sim's 0090 snapshot. Ids are app-generated text with no default, as in Sim.
-- Timestamps are `timestamp` without time zone, as in Sim.
--
-- The file is laid out like a pg_dump: tables first, then (after the marker line below) the unique constraints,
-- foreign keys and indexes. Run top to bottom with `psql -f` it builds an empty schema. The sandbox builder splits
-- it at the marker and loads sim_data.sql in between, because building an index or checking a foreign key once
-- over loaded rows is far cheaper than maintaining them row by row during a bulk load.

CREATE TABLE "user" (
  id                 text PRIMARY KEY,
  name               text NOT NULL,
  email              text NOT NULL,
  email_verified     boolean NOT NULL,
  image              text,
  created_at         timestamp NOT NULL,
  updated_at         timestamp NOT NULL,
  stripe_customer_id text
);

CREATE TABLE workspace (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  owner_id   text NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE api_key (
  id           text PRIMARY KEY,
  user_id      text NOT NULL,
  workspace_id text,
  created_by   text,
  name         text NOT NULL,
  key          text NOT NULL,
  type         text NOT NULL DEFAULT 'personal',
  last_used    timestamp,
  expires_at   timestamp,
  created_at   timestamp NOT NULL DEFAULT now(),
  updated_at   timestamp NOT NULL DEFAULT now(),
  CONSTRAINT workspace_type_check CHECK (
    (type = 'workspace' AND workspace_id IS NOT NULL) OR (type = 'personal' AND workspace_id IS NULL)
  )
);

CREATE TABLE workflow (
  id           text PRIMARY KEY,
  user_id      text NOT NULL,
  workspace_id text,
  name         text NOT NULL,
  description  text,
  color        text NOT NULL DEFAULT '#3972F6',
  last_synced  timestamp NOT NULL,
  created_at   timestamp NOT NULL,
  updated_at   timestamp NOT NULL,
  is_deployed  boolean NOT NULL DEFAULT false,
  deployed_at  timestamp,
  run_count    integer NOT NULL DEFAULT 0,
  last_run_at  timestamp,
  variables    json DEFAULT '{}'
);

CREATE TABLE knowledge_base (
  id                  text PRIMARY KEY,
  user_id             text NOT NULL,
  workspace_id        text,
  name                text NOT NULL,
  description         text,
  token_count         integer NOT NULL DEFAULT 0,
  embedding_model     text NOT NULL DEFAULT 'text-embedding-3-small',
  embedding_dimension integer NOT NULL DEFAULT 1536,
  chunking_config     json NOT NULL DEFAULT '{"maxSize": 1024, "minSize": 1, "overlap": 200}',
  deleted_at          timestamp,
  created_at          timestamp NOT NULL DEFAULT now(),
  updated_at          timestamp NOT NULL DEFAULT now()
);

CREATE TABLE custom_tools (
  id         text PRIMARY KEY,
  user_id    text NOT NULL,
  title      text NOT NULL,
  schema     json NOT NULL,
  code       text NOT NULL,
  created_at timestamp NOT NULL DEFAULT now(),
  updated_at timestamp NOT NULL DEFAULT now()
);

CREATE TABLE mcp_servers (
  id           text PRIMARY KEY,
  workspace_id text NOT NULL,
  created_by   text,
  name         text NOT NULL,
  transport    text NOT NULL,
  url          text,
  enabled      boolean NOT NULL DEFAULT true,
  deleted_at   timestamp,
  created_at   timestamp NOT NULL DEFAULT now(),
  updated_at   timestamp NOT NULL DEFAULT now()
);

-- A subset of Sim's workflow_blocks columns: enough for realistic parlant_tool_integration targets.
CREATE TABLE workflow_blocks (
  id          text PRIMARY KEY,
  workflow_id text NOT NULL,
  type        text NOT NULL,
  name        text NOT NULL,
  position_x  numeric NOT NULL,
  position_y  numeric NOT NULL,
  enabled     boolean NOT NULL DEFAULT true,
  height      numeric NOT NULL DEFAULT '0',
  sub_blocks  jsonb NOT NULL DEFAULT '{}',
  outputs     jsonb NOT NULL DEFAULT '{}',
  data        jsonb DEFAULT '{}',
  created_at  timestamp NOT NULL DEFAULT now(),
  updated_at  timestamp NOT NULL DEFAULT now()
);

-- parlant-runbook: post-data

-- Constraint names follow drizzle-kit (<table>_<col>_unique, <table>_<col>_<reftable>_<refcol>_fk), so the
-- sandbox's catalog reads like a real Sim database's.
ALTER TABLE "user" ADD CONSTRAINT user_email_unique UNIQUE (email);
ALTER TABLE api_key ADD CONSTRAINT api_key_key_unique UNIQUE (key);

ALTER TABLE workspace
  ADD CONSTRAINT workspace_owner_id_user_id_fk FOREIGN KEY (owner_id) REFERENCES "user" (id) ON DELETE CASCADE;

ALTER TABLE api_key
  ADD CONSTRAINT api_key_user_id_user_id_fk FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE CASCADE,
  ADD CONSTRAINT api_key_workspace_id_workspace_id_fk FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE,
  ADD CONSTRAINT api_key_created_by_user_id_fk FOREIGN KEY (created_by) REFERENCES "user" (id) ON DELETE SET NULL;

ALTER TABLE workflow
  ADD CONSTRAINT workflow_user_id_user_id_fk FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE CASCADE,
  ADD CONSTRAINT workflow_workspace_id_workspace_id_fk FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE;

-- NO ACTION, as in Sim: deleting a workspace that still has knowledge bases fails unless they go in the same
-- statement (e.g. through a user cascade). Training scenarios rely on this.
ALTER TABLE knowledge_base
  ADD CONSTRAINT knowledge_base_user_id_user_id_fk FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE CASCADE,
  ADD CONSTRAINT knowledge_base_workspace_id_workspace_id_fk FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE NO ACTION;

ALTER TABLE custom_tools
  ADD CONSTRAINT custom_tools_user_id_user_id_fk FOREIGN KEY (user_id) REFERENCES "user" (id) ON DELETE CASCADE;

ALTER TABLE mcp_servers
  ADD CONSTRAINT mcp_servers_workspace_id_workspace_id_fk FOREIGN KEY (workspace_id) REFERENCES workspace (id) ON DELETE CASCADE,
  ADD CONSTRAINT mcp_servers_created_by_user_id_fk FOREIGN KEY (created_by) REFERENCES "user" (id) ON DELETE SET NULL;

ALTER TABLE workflow_blocks
  ADD CONSTRAINT workflow_blocks_workflow_id_workflow_id_fk FOREIGN KEY (workflow_id) REFERENCES workflow (id) ON DELETE CASCADE;

-- The ordinary indexes on foreign-key columns. Without them every cascade from "user" or workspace scans the
-- child tables, which is exactly the slow-delete behaviour the runbook's checks should not be confused by.
CREATE INDEX workspace_owner_id_idx ON workspace (owner_id);
CREATE INDEX api_key_user_id_idx ON api_key (user_id);
CREATE INDEX api_key_workspace_id_idx ON api_key (workspace_id);
CREATE INDEX workflow_user_id_idx ON workflow (user_id);
CREATE INDEX workflow_workspace_id_idx ON workflow (workspace_id);
CREATE INDEX workflow_user_workspace_idx ON workflow (user_id, workspace_id);
CREATE INDEX kb_user_id_idx ON knowledge_base (user_id);
CREATE INDEX kb_workspace_id_idx ON knowledge_base (workspace_id);
CREATE INDEX custom_tools_user_id_idx ON custom_tools (user_id);
CREATE INDEX mcp_servers_workspace_id_idx ON mcp_servers (workspace_id);
CREATE INDEX workflow_blocks_workflow_id_idx ON workflow_blocks (workflow_id);
