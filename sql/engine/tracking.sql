-- The migration engine's own bookkeeping (DESIGN §7), in a schema of its own so that it never mixes with the
-- application's tables or shows up in the verify files. Created by the engine while it holds the migration
-- advisory lock, so two engines never race to create it. Idempotent.
--
-- migrations: one row per version as it stands now.
--   state applied  — the up file ran to the end (and its verify, when it has one, found nothing).
--   state failed   — the last attempt failed; `error` says how. A transactional file that failed left nothing.
--   state running  — a no-transaction file started and never finished (process killed, connection lost), or a
--                    down file is half done. The next run re-runs the file (such files are written to be re-run).
-- migration_history: every attempt, up and down, with who ran it, from which run, how long and how it ended.
CREATE SCHEMA IF NOT EXISTS parlant_runbook;

CREATE TABLE IF NOT EXISTS parlant_runbook.migrations (
  version     text PRIMARY KEY,
  name        text NOT NULL,
  sha256      text NOT NULL,
  state       text NOT NULL CHECK (state IN ('applied', 'failed', 'running')),
  applied_at  timestamptz NOT NULL DEFAULT now(),
  applied_by  text NOT NULL,
  duration_ms bigint,
  run_id      text,
  error       text
);

CREATE TABLE IF NOT EXISTS parlant_runbook.migration_history (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version     text NOT NULL,
  name        text NOT NULL,
  direction   text NOT NULL CHECK (direction IN ('up', 'down')),
  sha256      text NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz,
  outcome     text NOT NULL CHECK (outcome IN ('started', 'ok', 'failed', 'aborted')),
  by_whom     text NOT NULL,
  run_id      text,
  error       text
);

COMMENT ON SCHEMA parlant_runbook IS 'parlant-runbook: which Parlant migrations are applied, and the history of every up and down';
