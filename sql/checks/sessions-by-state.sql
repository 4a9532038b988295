-- Other sessions on this database, by state: what a migration would share the server with.
SELECT coalesce(state, 'background') AS state,
       count(*)                      AS sessions,
       to_char(max(now() - xact_start), 'HH24:MI:SS') AS longest_transaction
FROM pg_stat_activity
WHERE datname = current_database()
  AND pid <> pg_backend_pid()
GROUP BY 1
ORDER BY 2 DESC
