import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { describeLocks, foreignKeyMap, statementLocks } from '../../core/lockinfo.js';
import {
  codeOnly,
  describeBlocker,
  isAbsenceProblem,
  oneLine,
  loadMigrations,
  migrationStatus,
  MigrationFileError,
  planMigrations,
  splitStatements,
  type Blocker,
  type BlockerAction,
  type Migration,
  type MigrationEvent,
  type MigrationOutcome,
  type MigrationPort,
  type MigrationRequest,
  type SqlFile,
  type StatusRow,
} from '../../core/migrations.js';
import { formatMs } from '../../core/engine.js';
import { CancelledError, DbError } from '../../core/ports.js';
import { clockPort } from '../../tools/ports.js';
import { connect } from '../connect.js';
import type { ResolvedTarget } from '../connection.js';
import { toDbError } from '../port.js';
import * as cat from './catalog.js';

/**
 * The migration engine (DESIGN §6, §7; sql/migrations/README.md): one migrator per database at a time under a
 * session advisory lock polled in autocommit; each file in one transaction unless it says otherwise; DDL under a
 * short lock_timeout with jittered, bounded retries while the lock radar says who is in the way; concurrent
 * index builds outside any transaction, checked for INVALID leftovers before and after; tracking rows in the
 * engine's own schema, written in the same transaction as a transactional file so the two never disagree.
 *
 * Connections: `work` holds the advisory lock and runs the files; `observer` polls the radar and cancels `work`'s
 * statement when the operator aborts. Both close at the end, which also releases the lock if anything went wrong.
 */

export interface MigratorOptions {
  target: ResolvedTarget;
  /** application_name prefix: `parlant-runbook/<version> run=<id>`. */
  appName: string;
  /** The package's sql/ directory (for engine/tracking.sql). */
  sqlRoot: string;
}

type Emit = (e: MigrationEvent) => void;
type OnBlocked = (blockers: Blocker[], file: string) => Promise<BlockerAction>;

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';

class Stop extends Error {
  constructor(public readonly outcome: MigrationOutcome) {
    super(outcome.summary);
  }
}

export class PgMigrator implements MigrationPort {
  constructor(private readonly opts: MigratorOptions) {}

  async status(dir: string): Promise<{ rows: StatusRow[]; tracking: boolean }> {
    const files = await loadMigrations(dir);
    const c = await connect(this.opts.target, { applicationName: `${this.opts.appName} status`.slice(0, 63) });
    try {
      const tracking = await cat.trackingExists(c);
      return { rows: migrationStatus(files, await cat.appliedRecords(c)), tracking };
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  async run(req: MigrationRequest, on: Emit, signal: AbortSignal, onBlocked?: OnBlocked): Promise<MigrationOutcome> {
    let files: Migration[];
    try {
      files = await loadMigrations(req.dir);
    } catch (e) {
      if (e instanceof MigrationFileError) return { ok: false, refused: true, applied: [], summary: 'Refused: the migration files are not safe to run', error: e.message };
      throw e;
    }
    if (req.dryRun) return this.dryRun(files, req, on);
    const session = new Session(this.opts, req, on, signal, onBlocked);
    try {
      return await session.run(files);
    } catch (e) {
      if (e instanceof Stop) return e.outcome;
      throw e;
    } finally {
      await session.close();
    }
  }

  /** Every statement with the locks it takes; nothing runs, no lock is taken, nothing is written. */
  private async dryRun(files: Migration[], req: MigrationRequest, on: Emit): Promise<MigrationOutcome> {
    const c = await connect(this.opts.target, { applicationName: `${this.opts.appName} dry-run`.slice(0, 63) });
    try {
      const status = migrationStatus(files, await cat.appliedRecords(c));
      // A dry run of hot-migrate's later phases: the earlier phases of the same dry run applied nothing, so
      // their versions are still pending here; the real run applies them first.
      const plan = planMigrations(files, status, req, { allowGap: true });
      if (!plan.ok) return { ok: false, refused: true, applied: [], summary: 'Refused', error: plan.error };
      on({ type: 'plan', direction: req.direction, files: plan.steps.map((s) => path.basename(s.file.path)) });
      let n = 0;
      for (const s of plan.steps) {
        const fks = foreignKeyMap(s.migration.up.text);
        const statements = splitStatements(s.file.text).map((st) => ({ line: st.line, text: st.text, locks: describeLocks(statementLocks(st.text, fks)) }));
        n += statements.length;
        on({ type: 'dry-run', file: path.basename(s.file.path), statements });
      }
      const verb = req.direction === 'up' ? 'apply' : 'roll back';
      return {
        ok: true,
        applied: [],
        summary: plan.steps.length
          ? `Dry run: would ${verb} ${plan.steps.map((s) => s.migration.version).join(', ')} (${n} statements); nothing ran`
          : `Dry run: nothing to ${verb}`,
      };
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/** One run of the engine: two connections, the lock, the files. */
class Session {
  private work?: pg.Client;
  private observer?: pg.Client;
  private workPid = 0;
  private locked = false;

  constructor(
    private readonly opts: MigratorOptions,
    private readonly req: MigrationRequest,
    private readonly on: Emit,
    private readonly signal: AbortSignal,
    private readonly onBlocked?: OnBlocked,
  ) {}

  async run(files: Migration[]): Promise<MigrationOutcome> {
    const app = (suffix: string): string => `${this.opts.appName} ${suffix}`.slice(0, 63);
    this.work = await connect(this.opts.target, { applicationName: app('migrate') });
    this.observer = await connect(this.opts.target, { applicationName: app('radar') });
    this.workPid = (this.work as unknown as { processID: number }).processID;
    // If this process dies (kill -9, lost SSH link) the server notices within a second and rolls back or cancels
    // what we were running, which also frees the advisory lock: nobody has to unlock anything by hand.
    const v = await this.work.query<{ n: number }>("SELECT current_setting('server_version_num')::int AS n");
    if ((v.rows[0]?.n ?? 0) >= 140000) await this.work.query("SET client_connection_check_interval = '1s'");

    await this.acquireLock();
    try {
      await this.work.query(await readFile(path.join(this.opts.sqlRoot, 'engine', 'tracking.sql'), 'utf8'));
    } catch (e) {
      throw new Stop({
        ok: false,
        refused: true,
        applied: [],
        summary: 'Cannot set up the migration tracking schema',
        error: `Creating the schema parlant_runbook (where applied migrations are recorded) failed: ${(e as Error).message}. Nothing was changed.`,
        advice: `The role ${this.opts.target.user} needs CREATE on the database (GRANT CREATE ON DATABASE ${this.opts.target.database} TO ${this.opts.target.user}) — or a superuser creates the schema once and grants it: CREATE SCHEMA parlant_runbook AUTHORIZATION ${this.opts.target.user}.`,
      });
    }

    const status = migrationStatus(files, await cat.appliedRecords(this.work));
    const plan = planMigrations(files, status, this.req);
    if (!plan.ok) return { ok: false, refused: true, applied: [], summary: 'Refused', error: plan.error };
    if (!plan.steps.length) {
      const applied = status.filter((s) => s.state === 'applied').length;
      return {
        ok: true,
        applied: [],
        summary: this.req.direction === 'up' ? `Nothing to do: ${applied} of ${status.length} applied` : 'Nothing to roll back',
      };
    }
    this.on({ type: 'plan', direction: this.req.direction, files: plan.steps.map((s) => path.basename(s.file.path)) });
    const done: string[] = [];
    const t0 = Date.now();
    for (const s of plan.steps) {
      const r = await this.runFile(s.migration, s.file);
      if (!r.ok) {
        const before = done.length ? ` ${done.join(', ')} ${this.req.direction === 'up' ? 'stay applied' : 'were rolled back'}.` : '';
        return { ...r, applied: done, ...(r.error ? { error: `${r.error}${before}` } : {}) };
      }
      done.push(s.migration.version);
    }
    return {
      ok: true,
      applied: done,
      summary: `${this.req.direction === 'up' ? 'Applied' : 'Rolled back'} ${done.join(', ')} in ${formatMs(Date.now() - t0)}`,
    };
  }

  async close(): Promise<void> {
    if (this.locked && this.work) await cat.releaseAdvisoryLock(this.work).catch(() => undefined);
    await this.work?.end().catch(() => undefined);
    await this.observer?.end().catch(() => undefined);
  }

  /** pg_try_advisory_lock, polled in autocommit: a waiter never sits in a transaction a concurrent index build would wait for. */
  private async acquireLock(): Promise<void> {
    const work = this.need(this.work);
    const t0 = Date.now();
    let reported = false;
    while (!(await cat.tryAdvisoryLock(work))) {
      const waited = Date.now() - t0;
      const holder = await cat.lockHolder(this.need(this.observer)).catch(() => undefined);
      if (waited >= this.req.lockWaitMs) {
        throw new Stop({
          ok: false,
          applied: [],
          summary: 'Gave up waiting for the migration lock',
          error:
            `Another migration has held the migration lock for over ${formatMs(waited)}` +
            (holder ? `: pid ${holder.pid} (${holder.applicationName || 'no application_name'}${holder.clientAddr ? ` from ${holder.clientAddr}` : ''}), connected since ${holder.since}, ${holder.state ?? 'state unknown'}` : '') +
            '. Nothing was changed.',
          advice: 'Let the other migration finish (parlant-runbook status shows its progress), or raise lock_wait. A crashed migrator frees the lock by itself.',
        });
      }
      this.on({ type: 'lock-wait', waitedMs: waited, ...(holder ? { holder } : {}) });
      reported = true;
      await clockPort.sleep(400 + Math.random() * 300, this.signal).catch(() => undefined);
      if (this.signal.aborted) throw new Stop({ ok: false, aborted: true, applied: [], summary: 'Aborted while waiting for the migration lock; nothing was changed' });
    }
    this.locked = true;
    if (reported || Date.now() - t0 > 0) this.on({ type: 'lock-acquired', waitedMs: Date.now() - t0 });
  }

  private need<T>(x: T | undefined): T {
    if (!x) throw new Error('migration session is not open');
    return x;
  }

  private async runFile(m: Migration, file: SqlFile): Promise<{ ok: boolean; summary: string; error?: string; advice?: string; aborted?: boolean }> {
    const noTx = file.directives.includes('no-transaction');
    const batches = file.directives.includes('repeat-until-zero-rows');
    if (!noTx) return this.transactional(m, file);
    return this.statements(m, file, batches);
  }

  private track(m: Migration): cat.TrackingWrite {
    return { version: m.version, name: m.name, sha256: m.up.sha256, by: this.req.operator, ...(this.req.runId ? { runId: this.req.runId } : {}) };
  }

  // -------------------------------------------------------------------------------------------------------
  // One transaction: the file, its verify and the tracking row commit together or not at all.

  private async transactional(m: Migration, file: SqlFile): Promise<FileResult> {
    const work = this.need(this.work);
    const base = path.basename(file.path);
    const dir = this.req.direction;
    const w = this.track(m);
    const started = new Date();
    let attempt = 0;
    let budget = this.req.retries;
    for (;;) {
      attempt++;
      this.on({ type: 'file-start', version: m.version, name: m.name, file: base, mode: 'transaction', attempt });
      const t0 = Date.now();
      await work.query('BEGIN');
      try {
        await work.query(`SET LOCAL lock_timeout = ${Math.round(this.req.lockTimeoutMs)}`);
        await work.query(`SET LOCAL statement_timeout = ${Math.round(this.req.statementTimeoutMs)}`);
        await this.watched(base, () => work.query(file.text), file.text);
        const problems = await this.verify(m, work);
        const bad = dir === 'up' ? problems : problems.filter((p) => !isAbsenceProblem(p.problem));
        if (bad.length) {
          throw new VerifyFailed(
            `${m.version}_${m.name}.verify.sql found ${bad.length} problem${bad.length === 1 ? '' : 's'} after the ${dir} file ran, so it was rolled back: ` +
              bad.slice(0, 5).map((p) => `${p.problem} ${p.object}${p.detail ? ` (${p.detail})` : ''}`).join('; ') +
              (bad.length > 5 ? `; and ${bad.length - 5} more` : ''),
          );
        }
        const ms = Date.now() - t0;
        if (dir === 'up') await cat.setState(work, w, 'applied', { durationMs: ms });
        else await cat.forget(work, m.version);
        await cat.history(work, w, dir, started, 'ok');
        await work.query('COMMIT');
        this.on({ type: 'file-done', version: m.version, file: base, ms });
        return { ok: true, summary: `${base} in ${formatMs(ms)}` };
      } catch (e) {
        await work.query('ROLLBACK').catch(() => undefined);
        const err = e instanceof VerifyFailed || e instanceof DbError || e instanceof CancelledError ? e : toDbError(e, file.text);
        if (err instanceof CancelledError || this.signal.aborted) {
          // Who cancelled: the operator (Ctrl+C), or a rollback trigger the configuration lets act (its reason).
          const why = this.signal.reason instanceof Error && /rollback trigger/.test(this.signal.reason.message) ? this.signal.reason.message : 'cancelled by the operator';
          await this.record(w, dir, started, 'aborted', why, dir === 'up' ? 'failed' : undefined);
          return { ok: false, aborted: true, summary: `Aborted during ${base}; it was rolled back`, error: `${base} was cancelled and rolled back: the database is as it was before it.` };
        }
        if (err instanceof DbError && err.code === LOCK_NOT_AVAILABLE) {
          const next = await this.afterLockTimeout(base, attempt, budget);
          if (next === 'retry') continue;
          if (next === 'more') {
            budget = attempt + this.req.retries;
            continue;
          }
        }
        const msg = this.describeFailure(base, file.text, err) + this.blockedBy(err);
        const where =
          dir === 'up'
            ? `\n${base} ran in one transaction and was rolled back: the database is as it was before ${m.version}_${m.name}.`
            : `\n${base} ran in one transaction and was rolled back: ${m.version}_${m.name} is still applied.`;
        await this.record(w, dir, started, 'failed', msg, dir === 'up' ? 'failed' : undefined);
        return {
          ok: false,
          summary: `${base} failed${err instanceof DbError && err.code === LOCK_NOT_AVAILABLE ? ' (lock_timeout retries used up)' : ''}`,
          error: msg + where,
          advice:
            err instanceof DbError && err.code === LOCK_NOT_AVAILABLE
              ? 'Find the long transaction the radar showed (or stop the application), then run again. Nothing of this file was applied.'
              : dir === 'down'
                ? 'Fix the cause and run the rollback again, or restore the backup taken before the migration (pg_restore into a new database first, then switch).'
                : 'Fix the cause (see the statement above), then run again: it starts from this file.',
        };
      }
    }
  }

  /** After a lock_timeout: retry with a jittered delay, ask the operator when the budget is spent, or give up. */
  private async afterLockTimeout(base: string, attempt: number, budget: number): Promise<'retry' | 'more' | 'stop'> {
    const last = this.lastRadar;
    const who = last?.blockers.length ? `blocked by ${last.blockers.map(describeBlocker).join('; ')}` : 'blocked by another session';
    if (attempt <= budget) {
      const delay = Math.round(Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random()));
      this.on({ type: 'retry', file: base, attempt: attempt + 1, of: budget + 1, delayMs: delay, reason: `lock_timeout (${formatMs(this.req.lockTimeoutMs)}) ${who}` });
      await clockPort.sleep(delay, this.signal).catch(() => undefined);
      return this.signal.aborted ? 'stop' : 'retry';
    }
    if (!this.onBlocked || !last?.blockers.length) return 'stop';
    const action = await this.onBlocked(last.blockers, base).catch(() => 'stop' as const);
    if (action === 'stop') return 'stop';
    if (action === 'cancel' || action === 'terminate') {
      const fn = action === 'cancel' ? 'pg_cancel_backend' : 'pg_terminate_backend';
      // Say what happened to each: a role without pg_signal_backend (or a blocker that already left) must not
      // read as "done".
      for (const b of last.blockers) {
        const r = await this.need(this.observer)
          .query<{ ok: boolean }>(`SELECT ${fn}($1) AS ok`, [b.pid])
          .then((x) => ({ ok: Boolean(x.rows[0]?.ok), detail: x.rows[0]?.ok ? undefined : 'the session was already gone' }))
          .catch((e: unknown) => ({ ok: false, detail: e instanceof Error ? e.message : String(e) }));
        this.on({ type: 'signalled', pid: b.pid, action, ok: r.ok, ...(r.detail ? { detail: r.detail } : {}) });
      }
    }
    return 'more';
  }

  private lastRadar?: { blockers: Blocker[]; queued: number };

  /** Run one query while the observer watches for lock waits and stands ready to cancel it. */
  private async watched<T>(file: string, fn: () => Promise<T>, sql: string): Promise<T> {
    // Before the poller starts: an abort between two statements must not leave it polling for ever.
    if (this.signal.aborted) throw new CancelledError();
    const observer = this.need(this.observer);
    const t0 = Date.now();
    let running = true;
    const done = new AbortController(); // wakes the poller the moment the statement ends
    this.lastRadar = undefined;
    const poll = (async () => {
      await clockPort.sleep(250, done.signal).catch(() => undefined);
      while (running) {
        const r = await cat.lockRadar(observer, this.workPid).catch(() => undefined);
        if (!running) break;
        if (r && r.blockers.length) {
          this.lastRadar = r;
          this.on({ type: 'radar', file, waitingMs: Date.now() - t0, blockers: r.blockers, queued: r.queued });
        }
        await clockPort.sleep(500, done.signal).catch(() => undefined);
      }
    })();
    const onAbort = (): void => {
      void observer.query('SELECT pg_cancel_backend($1)', [this.workPid]).catch(() => undefined);
    };
    this.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await fn();
    } catch (e) {
      if (this.signal.aborted && (e as { code?: string }).code === QUERY_CANCELED) throw new CancelledError();
      throw toDbError(e, sql);
    } finally {
      running = false;
      done.abort();
      this.signal.removeEventListener('abort', onAbort);
      await poll;
    }
  }

  private async verify(m: Migration, c: pg.Client): Promise<{ problem: string; object: string; detail: string }[]> {
    if (!m.verify) return [];
    const r = await c.query<{ problem: string; object: string; detail: string }>(m.verify.text);
    const rows = Array.isArray(r) ? (r[r.length - 1] as pg.QueryResult<{ problem: string; object: string; detail: string }>).rows : r.rows;
    const problems = rows.map((x) => ({ problem: String(x.problem ?? ''), object: String(x.object ?? ''), detail: String(x.detail ?? '') }));
    this.on({ type: 'verify', file: path.basename(m.verify.path), problems });
    return problems;
  }

  /** A failure's history row (autocommit, after the rollback) and, for an up, the failed state status shows. */
  private async record(w: cat.TrackingWrite, dir: 'up' | 'down', started: Date, outcome: 'failed' | 'aborted', error: string, state?: 'failed'): Promise<void> {
    const work = this.need(this.work);
    try {
      if (state) {
        const prior = (await cat.appliedRecords(work)).find((a) => a.version === w.version);
        // A transactional up that failed leaves nothing; mark it failed unless an earlier attempt got further.
        if (!prior || prior.state !== 'applied') await cat.setState(work, w, state, { error: clip(error) });
      }
      await cat.history(work, w, dir, started, outcome, clip(error));
    } catch {
      // The bookkeeping must never hide the real failure (e.g. the connection itself is gone).
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Statement by statement, in autocommit (concurrent index builds), or one statement in batches.

  private async statements(m: Migration, file: SqlFile, batches: boolean): Promise<FileResult> {
    const work = this.need(this.work);
    const base = path.basename(file.path);
    const dir = this.req.direction;
    const w = this.track(m);
    const started = new Date();
    const stmts = splitStatements(file.text);
    const concurrent = stmts.some((s) => /\bCONCURRENTLY\b/i.test(codeOnly(s.text)));
    const t0 = Date.now();
    this.on({ type: 'file-start', version: m.version, name: m.name, file: base, mode: batches ? 'batches' : 'statements', attempt: 1 });
    // Mark the version as in progress first: if we die half way, status says "interrupted" and the next run
    // re-runs the file (every statement in such a file is written to be re-run).
    if (dir === 'up') await cat.setState(work, w, 'running');
    else await cat.setStateKeepSha(work, m.version, 'running', `rollback (${base}) started and not finished`);
    await cat.history(work, w, dir, started, 'started');
    // Concurrent builds wait for every older transaction; lock_timeout would turn those waits into INVALID
    // indexes (README, "lock_timeout and 0002"), so they run with lock_timeout 0 and the radar shows the waits.
    await work.query(`SET lock_timeout = ${concurrent ? 0 : Math.round(this.req.lockTimeoutMs)}`);
    await work.query(`SET statement_timeout = ${Math.round(concurrent ? this.req.concurrentTimeoutMs : this.req.statementTimeoutMs)}`);
    let current: { line: number; text: string } | undefined;
    try {
      if (concurrent && dir === 'up') {
        const names = stmts.map((s) => createdIndexName(s.text)).filter((x): x is string => Boolean(x));
        for (const name of await cat.invalidIndexes(work, names)) {
          // An INVALID leftover of an earlier failed build: IF NOT EXISTS would skip it and report success.
          await this.watched(base, () => work.query(`DROP INDEX CONCURRENTLY IF EXISTS ${pg.escapeIdentifier(name)}`), '');
          this.on({ type: 'invalid-index', index: name, action: 'dropped' });
        }
      }
      if (batches) {
        const stmt = stmts[0];
        if (!stmt) throw new Error(`${base} holds no statement`);
        current = stmt;
        await this.batches(base, stmt.text);
      } else {
        for (const [i, s] of stmts.entries()) {
          current = s;
          const ts = Date.now();
          await this.retrying(base, () => this.watched(base, () => work.query(s.text), s.text));
          const index = createdIndexName(s.text);
          if (index && (await cat.indexIsValid(work, index)) === false) {
            throw new DbError(`index ${index} exists but is INVALID after its build`, 'XX000');
          }
          this.on({ type: 'statement', file: base, index: i + 1, total: stmts.length, summary: statementLocks(s.text).summary, ms: Date.now() - ts });
        }
      }
      current = undefined;
      await work.query('RESET lock_timeout');
      await work.query('RESET statement_timeout');
      const problems = await this.verify(m, work);
      const bad = dir === 'up' ? problems : problems.filter((p) => !isAbsenceProblem(p.problem));
      if (bad.length) {
        throw new VerifyFailed(
          `${m.version}_${m.name}.verify.sql found ${bad.length} problem${bad.length === 1 ? '' : 's'} after ${base}: ` +
            bad.slice(0, 5).map((p) => `${p.problem} ${p.object}${p.detail ? ` (${p.detail})` : ''}`).join('; '),
        );
      }
      const ms = Date.now() - t0;
      if (dir === 'up') await cat.setState(work, w, 'applied', { durationMs: ms });
      else await cat.forget(work, m.version);
      await cat.history(work, w, dir, started, 'ok');
      this.on({ type: 'file-done', version: m.version, file: base, ms });
      return { ok: true, summary: `${base} in ${formatMs(ms)}` };
    } catch (e) {
      await work.query('RESET lock_timeout').catch(() => undefined);
      await work.query('RESET statement_timeout').catch(() => undefined);
      const aborted = e instanceof CancelledError || this.signal.aborted;
      const leftovers = concurrent ? await cat.invalidIndexes(work, stmts.map((s) => createdIndexName(s.text)).filter((x): x is string => Boolean(x))).catch(() => []) : [];
      for (const l of leftovers) this.on({ type: 'invalid-index', index: l, action: 'found' });
      const msg = aborted
        ? `${base} was cancelled${current ? ` at line ${current.line}` : ''}`
        : e instanceof VerifyFailed
          ? e.message
          : this.describeFailure(base, current?.text ?? '', e instanceof Error ? e : new Error(String(e)), current?.line) + this.blockedBy(e);
      const state =
        `\n${base} runs statement by statement: the statements before ${current ? `line ${current.line}` : 'the failure'} are done and stay done` +
        (leftovers.length ? `; ${leftovers.join(', ')} ${leftovers.length === 1 ? 'is' : 'are'} INVALID and will be dropped and rebuilt by the next run` : '') +
        `. ${m.version}_${m.name} is marked ${dir === 'up' ? 'failed' : 'half rolled back'}; running the same command again continues it.`;
      try {
        if (dir === 'up') await cat.setState(work, w, 'failed', { error: clip(msg) });
        else await cat.setStateKeepSha(work, m.version, 'failed', clip(`rollback failed: ${msg}`));
        await cat.history(work, w, dir, started, aborted ? 'aborted' : 'failed', clip(msg));
      } catch {
        // never hide the real failure
      }
      return {
        ok: false,
        ...(aborted ? { aborted: true } : {}),
        summary: aborted ? `Aborted during ${base}` : `${base} failed`,
        error: msg + state,
        advice: dir === 'down' ? 'Fix the cause and run the rollback again, or restore from the backup taken before the migration.' : 'Fix the cause, then run the same command again: it re-runs this file (its statements are safe to repeat).',
      };
    }
  }

  /** A statement that may meet lock_timeout (not a concurrent build): jittered retries within the budget. */
  private async retrying<T>(base: string, fn: () => Promise<T>): Promise<T> {
    let attempt = 0;
    let budget = this.req.retries;
    for (;;) {
      attempt++;
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof DbError) || e.code !== LOCK_NOT_AVAILABLE) throw e;
        const next = await this.afterLockTimeout(base, attempt, budget);
        if (next === 'stop') throw e;
        if (next === 'more') budget = attempt + this.req.retries;
      }
    }
  }

  /** repeat-until-zero-rows: each run its own autocommit transaction; abort is checked between batches only. */
  private async batches(base: string, stmt: string): Promise<void> {
    const work = this.need(this.work);
    const limit = this.req.maxBatches ?? 10 + Math.ceil((await cat.largestNamedTable(work, stmt)) / 1000);
    let total = 0;
    for (let batch = 1; ; batch++) {
      if (this.signal.aborted) throw new CancelledError();
      if (batch > limit) {
        throw new DbError(
          `stopped after ${limit} batches (${total} rows) without reaching a batch of 0 rows: the statement does not converge (is something re-creating the rows?)`,
          'P0001',
        );
      }
      const ts = Date.now();
      const r = await this.retrying(base, () => this.watched(base, () => work.query(stmt), stmt));
      const rows = r.rowCount ?? 0;
      total += rows;
      this.on({ type: 'batch', file: base, batch, rows, total, ms: Date.now() - ts });
      if (rows === 0) return;
      if (this.req.batchPauseMs > 0) await clockPort.sleep(this.req.batchPauseMs, this.signal).catch(() => undefined);
    }
  }

  /** File, statement, line and column, the server's message. */
  private describeFailure(base: string, text: string, e: Error, firstLine = 1): string {
    if (!(e instanceof DbError)) return `${base}: ${e.message}`;
    const line = e.line !== undefined ? e.line + firstLine - 1 : undefined;
    const stmt = line !== undefined ? splitStatements(text).find((s, i, all) => s.line + firstLine - 1 <= line && (all[i + 1] === undefined || (all[i + 1]?.line ?? 0) + firstLine - 1 > line)) : undefined;
    const message = e.message.replace(/ at line \d+, column \d+/, '');
    const where = line !== undefined ? ` line ${line}, column ${e.column}` : '';
    const shown = stmt ? `\n  in: ${oneLine(stmt.text)}` : text && firstLine > 1 ? `\n  in: ${oneLine(text)}` : '';
    return `${base}${where}: ${message}${shown}`;
  }

  /** After a lock_timeout, who was in the way (the radar's last picture), for the failure message. */
  private blockedBy(e: unknown): string {
    if (!(e instanceof DbError) || e.code !== LOCK_NOT_AVAILABLE) return '';
    const b = this.lastRadar?.blockers ?? [];
    if (!b.length) return '';
    const q = this.lastRadar?.queued ? `; ${this.lastRadar.queued} session${this.lastRadar.queued === 1 ? '' : 's'} were queued behind the migration` : '';
    return `\n  blocked by ${b.map(describeBlocker).join('; ')}${q}`;
  }
}

type FileResult = { ok: boolean; summary: string; error?: string; advice?: string; aborted?: boolean };

class VerifyFailed extends Error {}

/** `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name` → name. */
export function createdIndexName(statement: string): string | undefined {
  const m = /\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[A-Za-z_][\w$]*)/i.exec(codeOnly(statement));
  const name = m?.[1];
  if (!name) return undefined;
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

/** A long error or message, cut for the tracking tables. */
function clip(s: string): string {
  return s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
}
