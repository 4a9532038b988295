-- The database's size, one row, for a later step to use (save_as size → {{size.bytes}}): compared with the free
-- disk space where backups go. Never fails. Columns: database, bytes (pg_database_size), pretty (e.g. 1306 MB).
SELECT current_database()::text                             AS database,
       pg_database_size(current_database())                 AS bytes,
       pg_size_pretty(pg_database_size(current_database())) AS pretty
