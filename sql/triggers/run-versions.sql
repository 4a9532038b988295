-- What a run changed going up, for rollback_triggers.action: rollback (src/steps/migrate.ts): the versions it
-- applied ('ok'), and the statement-by-statement files it began ('started': what ran before a failure stays
-- done). A transactional file that failed or was cancelled was rolled back whole and is not among them.
-- $1: the run id the migration engine recorded.
SELECT DISTINCT version
FROM parlant_runbook.migration_history
WHERE run_id = $1 AND direction = 'up' AND outcome IN ('ok', 'started')
ORDER BY version;
