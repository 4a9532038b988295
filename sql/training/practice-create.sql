-- A practice table in a schema of its own, so the tour never touches Sim's tables.
CREATE SCHEMA IF NOT EXISTS parlant_training;
CREATE TABLE IF NOT EXISTS parlant_training.practice (
  id         integer PRIMARY KEY,
  note       text NOT NULL,
  created_at timestamp NOT NULL DEFAULT now()
);
INSERT INTO parlant_training.practice (id, note)
SELECT i, 'practice row ' || i FROM generate_series(1, 100) AS i
ON CONFLICT (id) DO NOTHING;
