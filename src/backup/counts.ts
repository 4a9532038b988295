import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { packageRoot } from '../core/paths.js';

/**
 * Row counts for manifests (DESIGN §7): exact `count(*)` of the key tables, run inside the dump's own snapshot so
 * that the numbers describe the archive, not the live database a second later.
 */

export interface TableRef {
  schema: string;
  table: string;
}

/**
 * `schema.table`, `table` (= public), or either part in double quotes (needed only for a dot inside a name; `""`
 * is a quote). Names are taken literally — no case folding — so a key read back from a manifest names the same table.
 */
export function parseTableName(name: string): TableRef {
  const parts: string[] = [];
  let i = 0;
  const s = name.trim();
  while (i <= s.length) {
    let part = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new Error(`Table name ${name} has an unclosed double quote.`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += s[i];
        i++;
      }
      if (i < s.length && s[i] !== '.') throw new Error(`Table name ${name}: expected "." after a quoted part.`);
    } else {
      const dot = s.indexOf('.', i);
      const end = dot < 0 ? s.length : dot;
      part = s.slice(i, end);
      i = end;
    }
    parts.push(part);
    if (i >= s.length) break;
    i++; // the dot
  }
  if (parts.length > 2 || parts.some((p) => p === '') || parts.some((p) => p.includes('\0'))) {
    throw new Error(`${name} is not a table name: write table or schema.table (double-quote a part that contains a dot).`);
  }
  return parts.length === 2 ? { schema: parts[0] as string, table: parts[1] as string } : { schema: 'public', table: parts[0] as string };
}

/** The manifest key: `public.workspace`. */
export function tableKey(t: TableRef): string {
  return `${t.schema}.${t.table}`;
}

/** A safely quoted identifier (as quote_ident, always quoted). */
export function quoteIdent(s: string): string {
  if (s.includes('\0')) throw new Error('An identifier cannot contain a NUL character.');
  return `"${s.replace(/"/g, '""')}"`;
}

export function qualified(t: TableRef): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

async function sqlFile(name: string): Promise<string> {
  return readFile(path.join(packageRoot(), 'sql', 'backup', name), 'utf8');
}

/** The tables whose exact counts go into manifests, as `public.<name>` (sql/backup/key-tables.sql). */
export async function keyTables(client: pg.Client): Promise<string[]> {
  const r = await client.query<{ schema_name: string; table_name: string }>(await sqlFile('key-tables.sql'));
  return r.rows.map((row) => tableKey({ schema: row.schema_name, table: row.table_name }));
}

/** How many tables a full dump writes data for (the progress total). */
export async function dataTableCount(client: pg.Client): Promise<number> {
  const r = await client.query<{ tables: number }>(await sqlFile('data-tables.sql'));
  return r.rows[0]?.tables ?? 0;
}

/** Exact row counts, keyed `schema.table`; one statement so that every count sees the same snapshot. */
export async function countRows(client: pg.Client, tables: readonly string[]): Promise<Record<string, number>> {
  if (tables.length === 0) return {};
  const refs = tables.map(parseTableName);
  const cols = refs.map((t, i) => `(SELECT count(*) FROM ${qualified(t)}) AS c${i}`);
  const r = await client.query<Record<string, string>>(`SELECT ${cols.join(', ')}`);
  const row = r.rows[0] ?? {};
  const out: Record<string, number> = {};
  refs.forEach((t, i) => {
    out[tableKey(t)] = Number(row[`c${i}`] ?? NaN);
  });
  return out;
}

/** The named tables (or views) that do not exist, as the operator wrote them. */
export async function missingTables(client: pg.Client, tables: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of tables) {
    const t = parseTableName(name);
    const r = await client.query(
      `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
      [t.schema, t.table],
    );
    if (r.rowCount === 0) missing.push(name);
  }
  return missing;
}

/** Server version: the short text ("15.18") and the major (15). */
export async function serverVersion(client: pg.Client): Promise<{ text: string; major: number }> {
  const r = await client.query<{ v: string; n: string }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n");
  const row = r.rows[0];
  const num = Number(row?.n ?? 0);
  return { text: (row?.v ?? '').split(' ')[0] ?? '', major: Math.floor(num / 10000) };
}

/** Bytes on disk: the whole database, or the chosen tables' heap and TOAST (indexes are not dumped). */
export async function databaseSize(client: pg.Client): Promise<number> {
  const r = await client.query<{ b: string }>('SELECT pg_database_size(current_database()) AS b');
  return Number(r.rows[0]?.b ?? 0);
}

export async function tablesSize(client: pg.Client, tables: readonly string[]): Promise<number> {
  let total = 0;
  for (const name of tables) {
    const t = parseTableName(name);
    const r = await client.query<{ b: string | null }>('SELECT pg_table_size(to_regclass($1)) AS b', [qualified(t)]);
    total += Number(r.rows[0]?.b ?? 0);
  }
  return total;
}
