-- Point-in-time-recovery readiness: can this database be restored to the moment just before a failed migration,
-- not only to its last backup? One row per setting or fact, for information (expect rows any); pitr-problems.sql
-- returns only the problems, for a warning.
-- Columns: setting, value, status ('ok', 'problem' or 'info'), note.
--   wal_level         replica or logical: WAL has what archiving and replay need (minimal does not)
--   archive_mode      on (or always): completed WAL segments are handed to the archiver
--   archive_command   the command that archives a segment; shown as its program name only when it looks like it
--                     carries credentials ('(disabled)' while archive_mode is off)
--   archive_library   (PostgreSQL 15 and later) an archive module, instead of archive_command
--   archive_timeout   forces a segment switch after so long: it bounds how much WAL a quiet server has not
--                     archived yet (0 = only when a 16 MB segment fills)
--   last archived     pg_stat_archiver: the last segment archived, when, and how long ago
--   archive failures  pg_stat_archiver: failed attempts since the statistics were reset, the last one, and
--                     whether a success came after it
-- Settings this role may not read (superuser-only ones, without pg_read_all_settings) show as 'not visible'.
WITH
setting AS (SELECT name, setting, unit FROM pg_settings),
v AS (
  SELECT (SELECT setting FROM setting WHERE name = 'wal_level') AS wal_level,
         (SELECT setting FROM setting WHERE name = 'archive_mode') AS archive_mode,
         (SELECT setting FROM setting WHERE name = 'archive_command') AS archive_command,
         (SELECT setting FROM setting WHERE name = 'archive_library') AS archive_library,
         EXISTS (SELECT 1 FROM setting WHERE name = 'archive_library') AS has_library,
         (SELECT setting || coalesce(unit, '') FROM setting WHERE name = 'archive_timeout') AS archive_timeout,
         (SELECT setting FROM setting WHERE name = 'archive_timeout') = '0' AS no_timeout
),
a AS (SELECT * FROM pg_stat_archiver),
derived AS (
  SELECT v.*,
         v.archive_mode IN ('on', 'always') AS archiving,
         coalesce(v.archive_command, '') NOT IN ('', '(disabled)') OR coalesce(v.archive_library, '') <> '' AS configured,
         a.*,
         a.failed_count > 0 AND a.last_failed_time > coalesce(a.last_archived_time, '-infinity') AS failing
  FROM v CROSS JOIN a
),
fmt AS (
  SELECT d.*,
         to_char(d.last_archived_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') ||
           ' (' || date_trunc('second', now() - d.last_archived_time)::text || ' ago)' AS archived_at,
         to_char(d.last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') ||
           ' (' || date_trunc('second', now() - d.last_failed_time)::text || ' ago)' AS failed_at
  FROM derived d
),
row_ (sort, setting, value, status, note) AS (
  SELECT 1, 'wal_level', coalesce(wal_level, 'not visible'),
         CASE WHEN wal_level IN ('replica', 'logical') THEN 'ok' ELSE 'problem' END,
         CASE WHEN wal_level IN ('replica', 'logical') THEN 'WAL can be archived and replayed'
              ELSE 'minimal: WAL cannot be archived or replayed to a point in time; set replica (restart)' END
  FROM fmt
  UNION ALL
  SELECT 2, 'archive_mode', coalesce(archive_mode, 'not visible'),
         CASE WHEN archiving THEN 'ok' ELSE 'problem' END,
         CASE WHEN archiving THEN 'completed WAL segments are archived'
              ELSE 'WAL is not archived: a restore can only go back to a backup, not to a point in time; ' ||
                   'take a verified backup right before the migration' END
  FROM fmt
  UNION ALL
  SELECT 3, 'archive_command',
         CASE WHEN archive_command IS NULL THEN 'not visible'
              WHEN archive_command = '' THEN '(empty)'
              -- It may carry credentials (an object store key, a password): then only its program is shown.
              WHEN archive_command ~* '(=|passw|secret|token|key)'
              THEN split_part(regexp_replace(archive_command, '^\s*(\S+=\S*\s+)*', ''), ' ', 1) ||
                   ' … (rest hidden: it may carry credentials)'
              ELSE archive_command END,
         CASE WHEN NOT archiving THEN 'info' WHEN configured THEN 'ok' ELSE 'problem' END,
         CASE WHEN NOT archiving THEN 'unused while archive_mode is off'
              WHEN coalesce(archive_command, '') NOT IN ('', '(disabled)') THEN 'runs for every completed segment'
              WHEN configured THEN 'unused: archive_library is set'
              ELSE 'neither archive_command nor archive_library is set: WAL piles up in pg_wal' END
  FROM fmt
  UNION ALL
  SELECT 4, 'archive_library', CASE WHEN archive_library = '' THEN '(none)' ELSE archive_library END,
         CASE WHEN archive_library <> '' AND archiving THEN 'ok' ELSE 'info' END,
         CASE WHEN archive_library <> '' THEN 'archives through this module instead of archive_command'
              ELSE 'archive_command is used' END
  FROM fmt WHERE has_library
  UNION ALL
  SELECT 5, 'archive_timeout', coalesce(archive_timeout, 'not visible'), 'info',
         CASE WHEN no_timeout THEN 'a quiet server archives a segment only when it fills: the newest changes ' ||
                                   'may not be archived for a long time'
              ELSE 'a segment is archived at least this often when anything was written' END
  FROM fmt
  UNION ALL
  SELECT 6, 'last archived',
         coalesce(last_archived_wal || ' at ' || archived_at,
                  'never (since ' || to_char(stats_reset AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') || ')'),
         CASE WHEN last_archived_time IS NOT NULL AND NOT failing THEN 'ok'
              WHEN archiving AND failing THEN 'problem' ELSE 'info' END,
         CASE WHEN NOT archiving THEN 'archiving is off'
              WHEN last_archived_time IS NULL THEN 'nothing archived since the statistics were reset'
              ELSE archived_count || ' segments archived since the statistics were reset' END
  FROM fmt
  UNION ALL
  SELECT 7, 'archive failures',
         failed_count || coalesce(', last ' || last_failed_wal || ' at ' || failed_at, ''),
         CASE WHEN failing THEN 'problem' WHEN failed_count > 0 THEN 'info' ELSE 'ok' END,
         CASE WHEN failing THEN 'the last attempt failed and none succeeded since: see the server log for the ' ||
                                'archive_command''s error; pg_wal grows until it succeeds'
              WHEN failed_count > 0 THEN 'archiving succeeded after the last failure'
              ELSE 'no failed attempt since the statistics were reset' END
  FROM fmt
)
SELECT setting, value, status, note
FROM row_
ORDER BY sort
