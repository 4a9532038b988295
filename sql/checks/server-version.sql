-- Who and where we are connected: shown at the top of most runbooks.
SELECT current_setting('server_version')            AS server_version,
       current_setting('server_version_num')::int   AS version_num,
       current_user                                 AS connected_as,
       current_database()                           AS database,
       pg_size_pretty(pg_database_size(current_database())) AS size
