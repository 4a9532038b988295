-- What a restore needs to know about the database it restores into ($1), before it touches anything.
-- One row, also when the database does not exist (exists false, the rest NULL). Columns:
--   exists          the database exists
--   is_owner        the current role owns it (or is a member of its owner, or superuser): needed to drop it
--                   and to change ALLOW_CONNECTIONS
--   owner           the owner's name
--   is_template     datistemplate: a template is never dropped by a restore
--   allow_conn      datallowconn now
--   size            pg_database_size (bytes), NULL when the role may not connect to it
--   can_create      the current role may create databases (CREATEDB or superuser)
--   server_major    the server's major version (WITH (FORCE) needs 13)
-- Read-only.
SELECT d.oid IS NOT NULL AS exists,
       CASE WHEN d.oid IS NULL THEN NULL ELSE pg_has_role(d.datdba, 'MEMBER') END AS is_owner,
       pg_get_userbyid(d.datdba)::text AS owner,
       d.datistemplate AS is_template,
       d.datallowconn AS allow_conn,
       CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END AS size,
       (SELECT r.rolcreatedb OR r.rolsuper FROM pg_roles r WHERE r.rolname = current_user) AS can_create,
       current_setting('server_version_num')::int / 10000 AS server_major
FROM (SELECT $1::text AS name) n
LEFT JOIN pg_database d ON d.datname = n.name
