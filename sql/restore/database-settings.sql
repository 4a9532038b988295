-- What a database ($1) has that a pg_dump archive does not carry (pg_dump writes database-level settings and grants
-- only with --create, which a restore into a named database does not use): its ALTER DATABASE … SET settings (also
-- per role) and its access privileges. A replace drops the database, so these would be lost silently.
-- One row per item; no rows = nothing to carry over. Columns:
--   kind        'setting' or 'privileges'
--   statement   setting: the statement that sets it again on a database of the same name
--               (ALTER DATABASE … SET, or ALTER ROLE … IN DATABASE … SET); privileges: NULL
--   detail      setting: 'name=value' as stored; privileges: the database's ACL as text
-- List-valued settings (search_path and the like) are stored already in SQL list syntax and are written as they
-- are; every other value is quoted as a literal. Read-only.
WITH cfg AS (
  SELECT d.datname, s.setrole, c.cfg,
         split_part(c.cfg, '=', 1) AS name,
         substr(c.cfg, strpos(c.cfg, '=') + 1) AS raw
  FROM pg_database d
  JOIN pg_db_role_setting s ON s.setdatabase = d.oid
  CROSS JOIN LATERAL unnest(s.setconfig) AS c (cfg)
  WHERE d.datname = $1
),
stmt AS (
  SELECT cfg.*,
         CASE WHEN name ~ '^[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?$' THEN name ELSE quote_ident(name) END ||
         ' = ' ||
         CASE WHEN name IN ('search_path', 'temp_tablespaces', 'session_preload_libraries', 'local_preload_libraries',
                            'shared_preload_libraries') THEN raw ELSE quote_literal(raw) END AS assignment
  FROM cfg
)
SELECT 'setting' AS kind,
       CASE WHEN setrole = 0 THEN format('ALTER DATABASE %I SET %s', datname, assignment)
            ELSE format('ALTER ROLE %I IN DATABASE %I SET %s', pg_get_userbyid(setrole), datname, assignment) END AS statement,
       cfg || CASE WHEN setrole = 0 THEN '' ELSE ' (for role ' || quote_ident(pg_get_userbyid(setrole)) || ')' END AS detail
FROM stmt
UNION ALL
SELECT 'privileges', NULL, d.datacl::text
FROM pg_database d
WHERE d.datname = $1 AND d.datacl IS NOT NULL
ORDER BY 1 DESC, 3
