-- The Sim tables the Parlant foreign keys point at (spec §3). One row per table that is missing; none = all present.
SELECT t.name AS missing_table
FROM (VALUES ('user'), ('workspace'), ('workflow'), ('api_key'), ('knowledge_base')) AS t(name)
WHERE to_regclass(format('public.%I', t.name)) IS NULL
ORDER BY t.name
