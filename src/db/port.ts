import type pg from 'pg';
import { CancelledError, DbError, type DbPort, type QueryOptions, type QueryResult } from '../core/ports.js';

/**
 * The DbPort on one pg connection. Abort cancels the running statement on the server from a second
 * connection (pg_cancel_backend, DESIGN §6) so nothing keeps running after the operator said stop.
 */
export class PgDbPort implements DbPort {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private client: pg.Client,
    /** Opens a short-lived second connection for cancelling. */
    private readonly openSide: () => Promise<pg.Client>,
    /** Opens a new main connection for reconnect() (default: openSide). */
    private readonly reopen: () => Promise<pg.Client> = openSide,
  ) {}

  /** The connection in use now (it changes after reconnect()). */
  get current(): pg.Client {
    return this.client;
  }

  /**
   * Replace the connection with a new one: after a restore that replaced this very database, the old session was
   * terminated with the others (DROP DATABASE needs every session gone), and later steps need a live one.
   */
  reconnect(): Promise<void> {
    return this.serial(async () => {
      const fresh = await this.reopen();
      const old = this.client;
      this.client = fresh;
      await old.end().catch(() => undefined);
    });
  }

  get backendPid(): number | undefined {
    return (this.client as unknown as { processID?: number }).processID;
  }

  query(sql: string, params: readonly unknown[] = [], opts: QueryOptions = {}): Promise<QueryResult> {
    return this.serial(async () => {
      const wrap = opts.readOnly || opts.timeoutMs !== undefined;
      if (!wrap) return lastResult(await this.guarded(sql, () => this.client.query(sql, params as unknown[]), opts.signal));
      await this.client.query(opts.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
      try {
        if (opts.timeoutMs !== undefined) await this.client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}`);
        const r = await this.guarded(sql, () => this.client.query(sql, params as unknown[]), opts.signal);
        await this.client.query(opts.readOnly ? 'ROLLBACK' : 'COMMIT');
        // Several statements (no parameters: simple protocol) give several results: the last one is the answer.
        return lastResult(r);
      } catch (e) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  script(sql: string, opts: QueryOptions & { transaction: boolean }): Promise<QueryResult> {
    return this.serial(async () => {
      const timeout = opts.timeoutMs !== undefined ? `SET ${opts.transaction ? 'LOCAL ' : ''}statement_timeout = ${Math.max(1, Math.round(opts.timeoutMs))}` : undefined;
      if (!opts.transaction) {
        if (timeout) await this.client.query(timeout);
        try {
          return lastResult(await this.guarded(sql, () => this.client.query(sql), opts.signal));
        } finally {
          if (timeout) await this.client.query('RESET statement_timeout').catch(() => undefined);
        }
      }
      await this.client.query(opts.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
      try {
        if (timeout) await this.client.query(timeout);
        const r = await this.guarded(sql, () => this.client.query(sql), opts.signal);
        await this.client.query('COMMIT');
        return lastResult(r);
      } catch (e) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** One statement at a time on this connection: pg queues anyway, but we also keep BEGIN…COMMIT together. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async guarded<T>(sql: string, f: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new CancelledError();
    let cancelled = false;
    const onAbort = (): void => {
      cancelled = true;
      void this.cancelOnServer();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await f();
    } catch (e) {
      if (cancelled || (isPgError(e) && e.code === '57014' && signal?.aborted)) throw new CancelledError();
      throw toDbError(e, sql);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async cancelOnServer(): Promise<boolean> {
    const pid = this.backendPid;
    if (!pid) return false;
    let side: pg.Client | undefined;
    try {
      side = await this.openSide();
      const r = await side.query<{ ok: boolean }>('SELECT pg_cancel_backend($1) AS ok', [pid]);
      return Boolean(r.rows[0]?.ok);
    } catch {
      return false;
    } finally {
      await side?.end().catch(() => undefined);
    }
  }
}

interface PgErrorLike {
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
}

function isPgError(e: unknown): e is PgErrorLike {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

/** Turn a server error into a DbError naming SQLSTATE, line and column within the statement text. */
export function toDbError(e: unknown, sql: string): Error {
  if (!isPgError(e)) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Connection terminated|connection error|ECONNRESET|EPIPE|not queryable/i.test(msg)) {
      return new DbError(
        `The connection to the database was lost (${msg}): the server stopped or restarted, or the network dropped. ` +
          'A statement in a transaction was rolled back; anything else may or may not have taken effect. ' +
          'Check the server, then run the same command with --resume latest.',
        '08006',
      );
    }
    return e instanceof Error ? e : new Error(msg);
  }
  let line: number | undefined;
  let column: number | undefined;
  const pos = e.position ? Number(e.position) : NaN;
  if (Number.isFinite(pos) && pos > 0) {
    const before = sql.slice(0, pos - 1);
    const lines = before.split('\n');
    line = lines.length;
    column = (lines[lines.length - 1]?.length ?? 0) + 1;
  }
  const where = line !== undefined ? ` at line ${line}, column ${column}` : '';
  const extra = [e.detail ? `Detail: ${e.detail}` : '', e.hint ? `Hint: ${e.hint}` : ''].filter(Boolean).join(' ');
  return new DbError(`${e.message}${where} (SQLSTATE ${e.code})${extra ? `. ${extra}` : ''}`, e.code, e.detail, e.hint, line, column);
}

function toResult(r: pg.QueryResult): QueryResult {
  return {
    command: r.command ?? '',
    rowCount: r.rowCount ?? null,
    columns: (r.fields ?? []).map((f) => f.name),
    rows: (r.rows ?? []) as Record<string, unknown>[],
  };
}

function lastResult(r: pg.QueryResult | pg.QueryResult[]): QueryResult {
  if (Array.isArray(r)) {
    const last = r[r.length - 1];
    return last ? toResult(last) : { command: '', rowCount: null, columns: [], rows: [] };
  }
  return toResult(r);
}
