-- Point-in-time-recovery problems: why this database cannot now be restored to the moment just before a failed
-- migration (only to its last backup), or why its WAL archive is falling behind. One row per problem; no rows =
-- WAL is archived. Expect no rows with severity warn (pitr.sql shows the full picture).
-- Columns: problem, object, detail.
--   wal_level minimal   wal_level           WAL cannot be archived at all
--   archiving off       archive_mode        WAL is not archived
--   no archive command  archive_command     archive_mode is on but nothing archives: WAL piles up in pg_wal
--   archiving failing   pg_stat_archiver    the last attempt failed and none succeeded since
--   archiving stalled   pg_stat_archiver    nothing archived for over an hour while WAL segments were completed
-- The archiver only runs on a primary (or with archive_mode = always); on a standby the last two are not checked.
WITH
setting AS (SELECT name, setting FROM pg_settings),
v AS (
  SELECT (SELECT setting FROM setting WHERE name = 'wal_level') AS wal_level,
         (SELECT setting FROM setting WHERE name = 'archive_mode') AS archive_mode,
         (SELECT setting FROM setting WHERE name = 'archive_command') AS archive_command,
         (SELECT setting FROM setting WHERE name = 'archive_library') AS archive_library,
         (SELECT setting::bigint FROM setting WHERE name = 'wal_segment_size') AS seg_size,
         interval '1 hour' AS stall_after
),
d AS (
  SELECT v.*, a.*,
         v.archive_mode IN ('on', 'always') AS archiving,
         coalesce(v.archive_command, '') NOT IN ('', '(disabled)') OR coalesce(v.archive_library, '') <> '' AS configured,
         to_char(a.last_archived_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') AS archived_at,
         to_char(a.last_failed_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') AS failed_at,
         -- Segments completed since the last archived one: segment numbers from the WAL file name
         -- (timeline, then the 64-bit segment number as two 8-digit hex halves) and from the current position.
         CASE WHEN a.last_archived_wal ~ '^[0-9A-F]{24}' AND NOT pg_is_in_recovery() THEN
           floor(pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') / v.seg_size)::bigint - 1 -
           (('x' || lpad(substr(a.last_archived_wal, 9, 8), 16, '0'))::bit(64)::bigint * (4294967296 / v.seg_size) +
            ('x' || lpad(substr(a.last_archived_wal, 17, 8), 16, '0'))::bit(64)::bigint)
         END AS unarchived_segments
  FROM v CROSS JOIN pg_stat_archiver a
),
problem (sort, problem, object, detail) AS (
  SELECT 1, 'wal_level minimal', 'wal_level',
         'wal_level is minimal: WAL cannot be archived or replayed to a point in time. Set wal_level = replica ' ||
         '(a restart) and archive WAL to be able to recover to just before a failed migration.'
  FROM d WHERE wal_level = 'minimal'
  UNION ALL
  SELECT 2, 'archiving off', 'archive_mode',
         'archive_mode is ' || coalesce(archive_mode, 'not visible') || ': WAL is not archived, so this database ' ||
         'can be restored only to the moment of a backup, not to just before a failed migration. Take a verified ' ||
         'backup right before migrating; for point-in-time recovery set archive_mode = on and archive_command ' ||
         '(archive_mode needs a restart).'
  FROM d WHERE NOT archiving
  UNION ALL
  SELECT 3, 'no archive command', 'archive_command',
         'archive_mode is ' || archive_mode || ' but neither archive_command nor archive_library is set: nothing ' ||
         'is archived, and every completed WAL segment stays in pg_wal until one is (the disk fills).'
  FROM d WHERE archiving AND NOT configured
  UNION ALL
  SELECT 4, 'archiving failing', 'pg_stat_archiver',
         failed_count || ' failed attempts; the last, ' || coalesce(last_failed_wal, '?') || ' at ' || failed_at ||
         ', came after the last success (' ||
         coalesce(last_archived_wal || ' at ' || archived_at, 'none since ' ||
                  to_char(stats_reset AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"')) ||
         '). The server log has the archive command''s error; WAL piles up in pg_wal until it succeeds.'
  FROM d WHERE archiving AND configured AND failed_count > 0
                AND last_failed_time > coalesce(last_archived_time, '-infinity')
  UNION ALL
  SELECT 5, 'archiving stalled', 'pg_stat_archiver',
         'nothing archived for ' || date_trunc('minute', now() - last_archived_time)::text || ' (last ' ||
         last_archived_wal || ' at ' || archived_at || ') while ' || unarchived_segments ||
         ' WAL segments (' || pg_size_pretty(unarchived_segments * seg_size) || ') were completed since: is the ' ||
         'archiver running, and the archive command hanging?'
  FROM d WHERE archiving AND configured AND unarchived_segments > 0
                AND last_archived_time < now() - stall_after
                AND NOT (failed_count > 0 AND last_failed_time > last_archived_time)
)
SELECT problem, object, detail
FROM problem
ORDER BY sort
