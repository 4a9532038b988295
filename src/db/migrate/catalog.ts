import type pg from 'pg';
import type { AppliedRecord, Blocker, LockHolder } from '../../core/migrations.js';

/**
 * The catalog helpers of the migration engine: the advisory lock, the lock radar, INVALID indexes and the
 * tracking rows. Small, fixed queries against pg_catalog and the engine's own schema (DESIGN §4 allows catalog
 * helpers in TypeScript; everything a runbook runs lives in sql/).
 */

/** The advisory lock key: one per database (advisory locks are per database), the same for every version of the tool. */
export const LOCK_KEY_SQL = "hashtextextended('parlant-runbook:migrations', 0)";

export async function tryAdvisoryLock(c: pg.Client): Promise<boolean> {
  const r = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_KEY_SQL}) AS ok`);
  return Boolean(r.rows[0]?.ok);
}

export async function releaseAdvisoryLock(c: pg.Client): Promise<void> {
  await c.query(`SELECT pg_advisory_unlock(${LOCK_KEY_SQL})`);
}

/** Who holds the migration lock: pid, application_name, client address, since when, what it runs. */
export async function lockHolder(c: pg.Client): Promise<LockHolder | undefined> {
  const r = await c.query<{ pid: number; app: string; addr: string | null; state: string | null; since: string | null; query: string | null }>(
    `SELECT a.pid, a.application_name AS app, host(a.client_addr) AS addr, a.state,
            to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') AS since, left(a.query, 200) AS query
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND ((l.classid::bigint << 32) | l.objid::bigint) = ${LOCK_KEY_SQL}
      LIMIT 1`,
  );
  const h = r.rows[0];
  return h ? { pid: h.pid, applicationName: h.app, clientAddr: h.addr, state: h.state, since: h.since, query: h.query } : undefined;
}

/**
 * The lock radar: the sessions that block `pid` (pg_blocking_pids: heavyweight locks, including the
 * virtual-transaction waits of a concurrent index build) and how many sessions wait behind `pid`.
 */
export async function lockRadar(c: pg.Client, pid: number): Promise<{ blockers: Blocker[]; queued: number }> {
  const r = await c.query<{ pid: number; app: string; state: string | null; age: number | null; query: string | null }>(
    `SELECT a.pid, a.application_name AS app, a.state,
            extract(epoch FROM now() - coalesce(a.xact_start, a.query_start))::int AS age, left(a.query, 160) AS query
       FROM pg_stat_activity a
      WHERE a.pid = ANY (pg_blocking_pids($1))
      ORDER BY a.xact_start NULLS LAST`,
    [pid],
  );
  const q = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND $1 = ANY (pg_blocking_pids(pid))`,
    [pid],
  );
  return {
    blockers: r.rows.map((b) => ({ pid: b.pid, applicationName: b.app, state: b.state, ageSeconds: b.age, query: b.query })),
    queued: q.rows[0]?.n ?? 0,
  };
}

/** Indexes of these names, in the current schema, that are INVALID (a failed or cancelled concurrent build). */
export async function invalidIndexes(c: pg.Client, names: readonly string[]): Promise<string[]> {
  if (!names.length) return [];
  const r = await c.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY ($1) AND NOT (i.indisvalid AND i.indisready)
      ORDER BY 1`,
    [names],
  );
  return r.rows.map((x) => x.name);
}

/** Whether an index of this name exists in the current schema and is valid. */
export async function indexIsValid(c: pg.Client, name: string): Promise<boolean | undefined> {
  const r = await c.query<{ ok: boolean }>(
    `SELECT i.indisvalid AND i.indisready AS ok
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1`,
    [name],
  );
  return r.rows[0]?.ok;
}

export async function trackingExists(c: pg.Client): Promise<boolean> {
  const r = await c.query<{ ok: boolean }>("SELECT to_regclass('parlant_runbook.migrations') IS NOT NULL AS ok");
  return Boolean(r.rows[0]?.ok);
}

export async function appliedRecords(c: pg.Client): Promise<AppliedRecord[]> {
  if (!(await trackingExists(c))) return [];
  const r = await c.query<{
    version: string;
    name: string;
    sha256: string;
    state: AppliedRecord['state'];
    applied_at: string;
    applied_by: string;
    duration_ms: string | null;
    error: string | null;
  }>(
    `SELECT version, name, sha256, state, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"') AS applied_at,
            applied_by, duration_ms, error
       FROM parlant_runbook.migrations ORDER BY version`,
  );
  return r.rows.map((x) => ({
    version: x.version,
    name: x.name,
    sha256: x.sha256,
    state: x.state,
    appliedAt: x.applied_at,
    appliedBy: x.applied_by,
    ...(x.duration_ms !== null ? { durationMs: Number(x.duration_ms) } : {}),
    ...(x.error !== null ? { error: x.error } : {}),
  }));
}

export interface TrackingWrite {
  version: string;
  name: string;
  sha256: string;
  by: string;
  runId?: string;
}

/** The current row for a version: insert or replace. */
export async function setState(
  c: pg.Client,
  w: TrackingWrite,
  state: AppliedRecord['state'],
  extra: { durationMs?: number; error?: string } = {},
): Promise<void> {
  await c.query(
    `INSERT INTO parlant_runbook.migrations (version, name, sha256, state, applied_at, applied_by, duration_ms, run_id, error)
     VALUES ($1, $2, $3, $4, now(), $5, $6, $7, $8)
     ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, sha256 = EXCLUDED.sha256, state = EXCLUDED.state,
       applied_at = EXCLUDED.applied_at, applied_by = EXCLUDED.applied_by, duration_ms = EXCLUDED.duration_ms,
       run_id = EXCLUDED.run_id, error = EXCLUDED.error`,
    [w.version, w.name, w.sha256, state, w.by, extra.durationMs ?? null, w.runId ?? null, extra.error ?? null],
  );
}

/** Rolled back: a failed down keeps its row (state says so); a finished down removes it. */
export async function forget(c: pg.Client, version: string): Promise<void> {
  await c.query('DELETE FROM parlant_runbook.migrations WHERE version = $1', [version]);
}

/** Keep the sha of the file that was applied when a down fails half way: the up is what is (partly) there. */
export async function setStateKeepSha(c: pg.Client, version: string, state: AppliedRecord['state'], error: string): Promise<void> {
  await c.query('UPDATE parlant_runbook.migrations SET state = $2, error = $3, applied_at = now() WHERE version = $1', [version, state, error]);
}

export async function history(
  c: pg.Client,
  w: TrackingWrite,
  direction: 'up' | 'down',
  startedAt: Date,
  outcome: 'started' | 'ok' | 'failed' | 'aborted',
  error?: string,
): Promise<void> {
  await c.query(
    `INSERT INTO parlant_runbook.migration_history (version, name, direction, sha256, started_at, finished_at, outcome, by_whom, run_id, error)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 = 'started' THEN NULL ELSE now() END, $6, $7, $8, $9)`,
    [w.version, w.name, direction, w.sha256, startedAt.toISOString(), outcome, w.by, w.runId ?? null, error ?? null],
  );
}

/**
 * An upper bound on the rows of the largest table a statement names: bounds the number of batches. A heap
 * tuple takes at least 28 bytes (24-byte header + 4-byte line pointer), so size / 28 holds even for a table
 * never analysed (reltuples -1).
 */
export async function largestNamedTable(c: pg.Client, statement: string): Promise<number> {
  const r = await c.query<{ n: string | null }>(
    `SELECT max(greatest(c.reltuples, pg_relation_size(c.oid) / 28))::bigint AS n
       FROM pg_class c
      WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
        AND $1 ~* ('\\m' || c.relname || '\\M')`,
    [statement],
  );
  return Number(r.rows[0]?.n ?? 0);
}
