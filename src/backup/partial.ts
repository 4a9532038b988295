import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type pg from 'pg';
import type { EmitBackup, PartialOutcome, PartialRequest, TableDiff } from '../core/backup.js';
import { describeFailure } from '../tools/run.js';
import { parseTableName, quoteIdent, serverVersion, tableKey, type TableRef } from './counts.js';
import { connectTo, scrub, type BackupEnv } from './env.js';
import { pgRestoreList } from './pgrestore.js';
import { pgMessage, readSql, resolveSource } from './restore.js';
import { pickFor, runPgTool, showCommand, type ClientTool } from './tools.js';

/**
 * Partial recovery (the seeds' "Partial Data Recovery", done right). load: the chosen tables' rows from a backup go
 * into a side schema of the live database, and each table is compared with its live self by primary key — rows
 * missing live, rows that differ. merge (after the operator agreed to those numbers): the missing rows are
 * inserted in one transaction, parents before children; rows that exist live are never overwritten.
 *
 * Nothing is read from a temporary restore of the whole database: pg_restore writes just those tables' COPY data to
 * a private file, whose COPY header is pointed at the side table, and psql loads it in one transaction.
 */

interface Failure {
  summary: string;
  error?: string;
  advice?: string;
  refused?: boolean;
}

interface LiveTable {
  ref: TableRef;
  key: string;
  oid: number;
  pk: string[];
  /** quote_ident of schema and table, as pg_restore writes them in its COPY header. */
  qSchema: string;
  qTable: string;
}

class Refusal extends Error {
  constructor(readonly failure: Failure) {
    super(failure.error ?? failure.summary);
  }
}

const refuse = (summary: string, error: string, advice?: string): Refusal => new Refusal({ summary, error, ...(advice ? { advice } : {}), refused: true });

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Bare names mean public; "schema.table" and double-quoted parts are accepted (counts.ts parseTableName). */
function parseTables(tables: readonly string[]): TableRef[] {
  if (!tables.length) throw refuse('No tables chosen', 'Partial recovery needs the tables to recover.', 'Name them, e.g. tables=workspace,api_key.');
  const refs: TableRef[] = [];
  for (const t of tables) {
    try {
      refs.push(parseTableName(t));
    } catch (e) {
      throw refuse(`Bad table name ${t}`, (e as Error).message);
    }
  }
  const seen = new Map<string, TableRef>();
  for (const r of refs) {
    const other = seen.get(r.table);
    // Side tables are named like the live ones, in one schema: two tables of the same name would collide there.
    if (other) throw refuse('Two tables of the same name', `${tableKey(other)} and ${tableKey(r)} would share the side table ${r.table}.`, 'Recover them in two runs, with two side schemas.');
    seen.set(r.table, r);
  }
  return refs;
}

function checkSchemaName(schema: string): void {
  if (!schema || Buffer.byteLength(schema, 'utf8') > 63 || schema.includes('\0')) {
    throw refuse('Bad side schema name', `"${schema}" is not a usable schema name (1 to 63 bytes).`);
  }
  if (schema.startsWith('pg_') || schema === 'public' || schema === 'information_schema') {
    throw refuse('Bad side schema name', `${schema} is not a side schema: choose a new name (e.g. recovered_<time>).`);
  }
}

async function sideSchema(client: pg.Client, schema: string): Promise<{ exists: boolean; tables: string[] }> {
  const r = await client.query<{ exists: boolean; tables: string[] }>(await readSql('partial/side-schema.sql'), [schema]);
  return r.rows[0] ?? { exists: false, tables: [] };
}

/** Every chosen table exists live, has a primary key and is readable; refuses naming the first that is not. */
async function liveTables(client: pg.Client, refs: TableRef[]): Promise<LiveTable[]> {
  const r = await client.query<{ schema_name: string; table_name: string; oid: string | null; pk: string[] | null; q_schema: string; q_table: string; readable: boolean }>(
    await readSql('partial/tables.sql'),
    [refs.map((t) => t.schema), refs.map((t) => t.table)],
  );
  return r.rows.map((row, i) => {
    const ref = refs[i]!;
    const key = tableKey(ref);
    if (row.oid === null) throw refuse(`No table ${key}`, `There is no table ${key} in the live database.`, 'Check the name (bare names mean the public schema; names are case-sensitive).');
    if (!row.pk?.length) {
      throw refuse(`${key} has no primary key`, `${key}: no primary key: rows cannot be matched between the backup and the live table.`, 'Recover it by hand, or add a primary key first.');
    }
    if (!row.readable) throw refuse(`${key} is not readable`, `The role may not read ${key}.`, `GRANT SELECT ON ${quoteIdent(ref.schema)}.${quoteIdent(ref.table)} to it.`);
    return { ref, key, oid: Number(row.oid), pk: row.pk, qSchema: row.q_schema, qTable: row.q_table };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Loading one table's rows from the archive into its side table

/**
 * pg_restore's data for one table, rewritten to go into the side table. Anything in the file but settings, the one
 * COPY and its data is refused rather than run: this file is executed against the live database.
 */
async function rewriteCopy(src: string, dest: string, from: string, to: string): Promise<number> {
  // latin1 in and out keeps every byte as it was, whatever the dump's encoding; the header is ASCII-compared.
  const out = createWriteStream(dest, { flags: 'wx', mode: 0o600, encoding: 'latin1' });
  const rl = createInterface({ input: createReadStream(src, { encoding: 'latin1' }), crlfDelay: Infinity });
  let inData = false;
  let copies = 0;
  let rows = 0;
  try {
    for await (const line of rl) {
      let text = line;
      if (inData) {
        if (line === '\\.') inData = false;
        else rows++;
      } else if (line.startsWith('COPY ')) {
        if (!line.startsWith(from) || !line.endsWith(' FROM stdin;')) throw new Error(`unexpected COPY header in pg_restore's output: ${line.slice(0, 120)}`);
        if (++copies > 1) throw new Error('pg_restore wrote more than one COPY for one table');
        text = to + line.slice(from.length);
        inData = true;
      } else if (!isHarmless(line)) {
        throw new Error(`unexpected statement in pg_restore's output (not run): ${line.slice(0, 120)}`);
      }
      if (!out.write(`${text}\n`)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  if (copies !== 1) throw new Error("pg_restore's output holds no COPY for the table: the archive has no data for it");
  return rows;
}

/** Lines of pg_restore's plain output that only set the session up (and psql's \restrict guard of newer releases). */
function isHarmless(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('--') || /^SET [a-z_]+ = .*;$/.test(t) || /^SELECT pg_catalog\.set_config\('search_path', '', false\);$/.test(t) || /^\\(un)?restrict [A-Za-z0-9]+$/.test(t);
}

interface LoadTools {
  pgRestore: ClientTool;
  psql: ClientTool;
  tmp: string;
}

async function loadTable(env: BackupEnv, archive: string, t: LiveTable, schema: string, tools: LoadTools, emit: EmitBackup, signal: AbortSignal): Promise<number> {
  const raw = path.join(tools.tmp, `${t.oid}.raw.sql`);
  const ready = path.join(tools.tmp, `${t.oid}.sql`);
  // Created 0600 before pg_restore opens it (it would create it 0644): table data is as private as the archive.
  await writeFile(raw, '', { mode: 0o600, flag: 'wx' });
  const args = ['--data-only', `--schema=${t.ref.schema}`, `--table=${t.ref.table}`, `--file=${raw}`, archive];
  emit({ type: 'command', text: showCommand(tools.pgRestore.path, args) });
  const extracted = await runPgTool(env, tools.pgRestore.path, args, { signal }).result;
  if (!extracted.ok) throw new Error(describeFailure(extracted));

  const from = `COPY ${t.qSchema}.${t.qTable} (`;
  const to = `COPY ${quoteIdent(schema)}.${quoteIdent(t.ref.table)} (`;
  const rows = await rewriteCopy(raw, ready, Buffer.from(from, 'utf8').toString('latin1'), Buffer.from(to, 'utf8').toString('latin1'));
  await rm(raw, { force: true });

  const psqlArgs = ['-X', '-q', '-w', '-v', 'ON_ERROR_STOP=1', '--single-transaction', '-f', ready];
  emit({ type: 'command', text: `psql ${psqlArgs.slice(0, -1).join(' ')} <${t.key} rewritten to ${schema}.${t.ref.table}>` });
  const loaded = await runPgTool(env, tools.psql.path, psqlArgs, { signal, database: env.target.database }).result;
  await rm(ready, { force: true });
  if (!loaded.ok) throw new Error(describeFailure(loaded));
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing

async function built(client: pg.Client, file: string, t: LiveTable, schema: string): Promise<string> {
  const r = await client.query<{ statement: string }>(await readSql(file), [t.ref.schema, t.ref.table, schema, t.ref.table]);
  const statement = r.rows[0]?.statement;
  if (!statement) throw new Error(`${t.key} has no primary key any more`);
  return statement;
}

async function diffTable(client: pg.Client, t: LiveTable, schema: string): Promise<TableDiff> {
  const r = await client.query<{ live: string; backup: string; missing: string; differ: string }>(await built(client, 'partial/diff-statement.sql', t, schema));
  const row = r.rows[0]!;
  return { table: t.key, key: t.pk, live: Number(row.live), backup: Number(row.backup), missing: Number(row.missing), differ: Number(row.differ) };
}

function emitDiffs(emit: EmitBackup, diffs: TableDiff[]): void {
  emit({
    type: 'rows',
    columns: ['table', 'key', 'live', 'backup', 'missing', 'differ'],
    rows: diffs.map((d) => [d.table, d.key.join(', '), String(d.live), String(d.backup), String(d.missing), String(d.differ)]),
    total: diffs.length,
  });
}

/** Cancel the running statement from a second connection when the operator aborts (DESIGN §6). */
function cancelOnAbort(env: BackupEnv, client: pg.Client, signal: AbortSignal): () => void {
  const pid = (client as unknown as { processID?: number }).processID;
  const onAbort = (): void => {
    if (!pid) return;
    void (async () => {
      const c = await connectTo(env, env.target.database, 'cancel').catch(() => null);
      if (!c) return;
      await c.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
      await c.end().catch(() => {});
    })();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

function failed(f: Failure, diffs: TableDiff[] = []): PartialOutcome {
  return { ok: false, diffs, ...f };
}

/** The tables and the side schema of a load or merge request, or the refusal that says what is wrong with them. */
function checkRequest(req: { tables: readonly string[]; schema: string }): TableRef[] | PartialOutcome {
  try {
    const refs = parseTables(req.tables);
    checkSchemaName(req.schema);
    return refs;
  } catch (e) {
    if (e instanceof Refusal) return failed(e.failure);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// load

export async function partialLoad(env: BackupEnv, req: PartialRequest, emit: EmitBackup, signal: AbortSignal): Promise<PartialOutcome> {
  const refs = checkRequest(req);
  if (!Array.isArray(refs)) return refs;
  const src = await resolveSource(env, req.file, emit);
  if ('failure' in src) return failed(src.failure);
  const archive = src.ref.archive;

  let client: pg.Client;
  try {
    client = await connectTo(env, env.target.database, 'partial recovery');
  } catch (e) {
    return failed({ summary: 'Cannot connect to the live database', error: pgMessage(env, e) });
  }
  const stopCancel = cancelOnAbort(env, client, signal);
  let created = false;
  let tmp: string | undefined;
  try {
    if ((await sideSchema(client, req.schema)).exists) {
      throw refuse(`Schema ${req.schema} exists`, `The side schema ${req.schema} already exists: a load never writes into an existing schema.`, `Choose another name, or drop it if it is a leftover: DROP SCHEMA ${quoteIdent(req.schema)} CASCADE;`);
    }
    const tables = await liveTables(client, refs);
    await inArchive(env, archive, tables, signal);
    const major = (await serverVersion(client)).major;
    const tools: LoadTools = {
      pgRestore: await pickFor(env, 'pg_restore', major),
      psql: await pickFor(env, 'psql', major),
      tmp: (tmp = await mkdtemp(path.join(env.tmpDir, 'parlant-partial-'))),
    };

    await client.query("SET lock_timeout = '5s'");
    const createSchema = `CREATE SCHEMA ${quoteIdent(req.schema)}`;
    emit({ type: 'command', text: createSchema });
    await client.query(createSchema);
    created = true;
    for (const t of tables) await loadOne(env, client, archive, t, req.schema, tools, emit, signal);

    const diffs: TableDiff[] = [];
    for (const t of tables) diffs.push(await diffTable(client, t, req.schema));
    emitDiffs(emit, diffs);
    const missing = diffs.reduce((n, d) => n + d.missing, 0);
    const differ = diffs.reduce((n, d) => n + d.differ, 0);
    emit({ type: 'info', text: `The backup's rows are in the schema ${req.schema}; the live tables were not changed.` });
    return { ok: true, diffs, summary: `${plural(missing, 'row')} missing live, ${differ} differ (${tables.map((t) => t.key).join(', ')})` };
  } catch (e) {
    const f = e instanceof Refusal ? e.failure : { summary: `Loading the backup's rows into ${req.schema} failed`, error: pgMessage(env, e) };
    if (created) {
      // The schema is ours and incomplete: drop it, so that a retry can use the same name.
      const gone = await client.query(`DROP SCHEMA ${quoteIdent(req.schema)} CASCADE`).then(() => true, () => false);
      emit({ type: 'info', text: gone ? `Dropped the incomplete side schema ${req.schema}.` : `Could not drop the incomplete ${req.schema}: DROP SCHEMA ${quoteIdent(req.schema)} CASCADE;`, stream: 'stderr' });
    }
    if (signal.aborted) return { ...failed({ ...f, summary: 'Stopped; nothing was changed in the live tables' }), aborted: true };
    return failed(f);
  } finally {
    stopCancel();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    await client.end().catch(() => {});
  }
}

async function inArchive(env: BackupEnv, archive: string, tables: LiveTable[], signal: AbortSignal): Promise<void> {
  const list = await pgRestoreList(env, archive, signal);
  if (!list.ok) throw new Error(scrub(env, list.failure ?? `pg_restore --list could not read ${archive}`));
  const have = new Set(list.tableData);
  const absent = tables.filter((t) => !have.has(t.key));
  if (absent.length) {
    throw refuse(
      `Not in the archive: ${absent.map((t) => t.key).join(', ')}`,
      `${path.basename(archive)} holds no data for ${absent.map((t) => t.key).join(', ')} (it has ${plural(list.tableData.length, 'table')} with data).`,
      'Choose a backup that has them (a full backup, or a tables backup that names them).',
    );
  }
}

async function loadOne(env: BackupEnv, client: pg.Client, archive: string, t: LiveTable, schema: string, tools: LoadTools, emit: EmitBackup, signal: AbortSignal): Promise<void> {
  const side = `${quoteIdent(schema)}.${quoteIdent(t.ref.table)}`;
  // Defaults and generated expressions only: no constraints or indexes to slow the load or refuse a row; the
  // primary key is added after the load, for the comparison.
  const create = `CREATE TABLE ${side} (LIKE ${quoteIdent(t.ref.schema)}.${quoteIdent(t.ref.table)} INCLUDING DEFAULTS INCLUDING GENERATED)`;
  emit({ type: 'command', text: create });
  await client.query(create);
  const rows = await loadTable(env, archive, t, schema, tools, emit, signal);
  await client.query(`ALTER TABLE ${side} ADD PRIMARY KEY (${t.pk.map(quoteIdent).join(', ')})`);
  emit({ type: 'info', text: `Loaded ${plural(rows, 'row')} of ${t.key} from the backup into ${schema}.${t.ref.table}.` });
}

// ---------------------------------------------------------------------------------------------------------------
// merge

/** Parents before children among the chosen tables (a cycle keeps the operator's order for its members). */
export function fkOrder<T extends { oid: number }>(tables: readonly T[], edges: readonly { child: number; parent: number }[]): T[] {
  const done = new Set<number>();
  const visiting = new Set<number>();
  const out: T[] = [];
  const byOid = new Map(tables.map((t) => [t.oid, t]));
  const visit = (t: T): void => {
    if (done.has(t.oid) || visiting.has(t.oid)) return;
    visiting.add(t.oid);
    for (const e of edges) if (e.child === t.oid && byOid.has(e.parent)) visit(byOid.get(e.parent)!);
    visiting.delete(t.oid);
    done.add(t.oid);
    out.push(t);
  };
  for (const t of tables) visit(t);
  return out;
}

async function fkEdges(client: pg.Client, tables: LiveTable[]): Promise<{ child: number; parent: number }[]> {
  const r = await client.query<{ child: string; parent: string }>(await readSql('partial/fk-edges.sql'), [tables.map((t) => t.oid)]);
  return r.rows.map((x) => ({ child: Number(x.child), parent: Number(x.parent) }));
}

export async function partialMerge(env: BackupEnv, req: Omit<PartialRequest, 'file'>, emit: EmitBackup, signal: AbortSignal): Promise<PartialOutcome> {
  const refs = checkRequest(req);
  if (!Array.isArray(refs)) return refs;
  let client: pg.Client;
  try {
    client = await connectTo(env, env.target.database, 'partial merge');
  } catch (e) {
    return failed({ summary: 'Cannot connect to the live database', error: pgMessage(env, e) });
  }
  const stopCancel = cancelOnAbort(env, client, signal);
  try {
    const side = await sideSchema(client, req.schema);
    const tables = await liveTables(client, refs);
    const notLoaded = tables.filter((t) => !side.tables.includes(t.ref.table));
    if (!side.exists || notLoaded.length) {
      const what = side.exists ? `${req.schema} has no ${notLoaded.map((t) => t.ref.table).join(', ')}` : `There is no schema ${req.schema}`;
      throw refuse('Nothing loaded to merge from', `${what}: load the backup's rows first.`, 'Run the load step (partial-recovery, action load) with these tables.');
    }
    const order = fkOrder(tables, await fkEdges(client, tables));
    emit({ type: 'info', text: `Merging in one transaction, parents first: ${order.map((t) => t.key).join(', ')}.` });
    const merged = await mergeAll(env, client, order, req.schema, emit, signal);
    const diffs: TableDiff[] = [];
    for (const t of tables) diffs.push(await diffTable(client, t, req.schema));
    return finish(emit, req.schema, merged, diffs);
  } catch (e) {
    if (e instanceof Refusal) return failed(e.failure);
    if (e instanceof MergeError) return { ...failed({ summary: e.message, error: e.message, advice: e.advice }), ...(signal.aborted ? { aborted: true } : {}) };
    if (signal.aborted) return { ...failed({ summary: 'Stopped; the merge was rolled back, nothing inserted', error: pgMessage(env, e) }), aborted: true };
    return failed({ summary: 'The merge failed', error: pgMessage(env, e) });
  } finally {
    stopCancel();
    await client.end().catch(() => {});
  }
}

class MergeError extends Error {
  constructor(
    message: string,
    readonly advice: string,
  ) {
    super(message);
  }
}

/** One transaction: every table's missing rows, or none at all. */
async function mergeAll(env: BackupEnv, client: pg.Client, order: LiveTable[], schema: string, emit: EmitBackup, signal: AbortSignal): Promise<Record<string, number>> {
  const merged: Record<string, number> = {};
  let current: LiveTable | undefined;
  await client.query('BEGIN');
  try {
    // A merge that waits on a lock queues the application behind it (DESIGN §6): give up instead.
    await client.query("SET LOCAL lock_timeout = '5s'");
    for (const t of order) {
      current = t;
      if (signal.aborted) throw new Error('stopped by the operator');
      const statement = await built(client, 'partial/merge-statement.sql', t, schema);
      const r = await client.query<{ candidates: string; inserted: string }>(statement);
      const candidates = Number(r.rows[0]?.candidates ?? 0);
      const inserted = Number(r.rows[0]?.inserted ?? 0);
      merged[t.key] = inserted;
      if (candidates > inserted) {
        emit({ type: 'info', text: `${t.key}: ${plural(candidates - inserted, 'row')} not inserted: they collide with live rows on another unique key.`, stream: 'stderr' });
      }
    }
    current = undefined;
    await client.query('COMMIT');
    return merged;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    const where = current ? `while inserting into ${current.key}` : 'at COMMIT (a deferred constraint)';
    const msg = pgMessage(env, e);
    const parent = /is not present in table "([^"]+)"/.exec(msg)?.[1];
    const advice =
      (e as { code?: string }).code === '23503'
        ? `A recovered row needs a parent row that is missing live${parent ? ` (in ${parent})` : ''} and was not among the chosen tables: add ${parent ?? 'the parent table'} to the tables, load again into a new side schema, and merge.`
        : 'Fix the cause and merge again: nothing was inserted.';
    throw new MergeError(`Merge rolled back, nothing inserted: ${where}: ${msg}`, advice);
  }
}

function finish(emit: EmitBackup, schema: string, merged: Record<string, number>, diffs: TableDiff[]): PartialOutcome {
  emit({ type: 'rows', columns: ['table', 'inserted'], rows: Object.entries(merged).map(([t, n]) => [t, String(n)]), total: Object.keys(merged).length });
  const differ = diffs.reduce((n, d) => n + d.differ, 0);
  emit({
    type: 'info',
    text: differ
      ? `${plural(differ, 'row')} differ from the backup and were left as they are live: rows that exist are never overwritten. Compare them with the copies in ${schema}.`
      : 'Rows that exist live are never overwritten; none differ from the backup.',
  });
  const drop = `DROP SCHEMA ${quoteIdent(schema)} CASCADE;`;
  emit({ type: 'info', text: `${schema} is kept for inspection. To remove it when done: ${drop}` });
  const total = Object.values(merged).reduce((n, x) => n + x, 0);
  return { ok: true, diffs, merged, summary: `Inserted ${plural(total, 'row')} in one transaction; ${schema} kept (${drop})` };
}
