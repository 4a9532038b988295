import pg from 'pg';

/** The same server and credentials, another database (`…/sim?host=…` → `…/<db>?host=…`). */
export function inDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Run one query on a fresh connection. */
export async function q<T extends Record<string, unknown> = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/**
 * The Parlant part of the catalog, as text: types with labels, tables with columns (type, nullability,
 * default), constraints (definitions), indexes (definitions, validity). Two equal snapshots = the same schema.
 */
export async function parlantCatalog(url: string): Promise<string> {
  const types = await q(url, `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = 'public'::regnamespace GROUP BY 1 ORDER BY 1`);
  const cols = await q(url, `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
    FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND c.relname LIKE 'parlant\\_%' ORDER BY 1, 2`);
  const cons = await q(url, `SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text LIKE 'parlant\\_%' ORDER BY 1, 2`);
  const idx = await q(url, `SELECT indexname, indexdef, (SELECT indisvalid FROM pg_index WHERE indexrelid = (quote_ident(schemaname) || '.' || quote_ident(indexname))::regclass) AS valid
    FROM pg_indexes WHERE schemaname = 'public' AND tablename LIKE 'parlant\\_%' ORDER BY 1`);
  return JSON.stringify({ types, cols, cons, idx }, null, 1);
}

export async function parlantTableCount(url: string): Promise<number> {
  const r = await q<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'parlant\\_%'");
  return r[0]?.n ?? -1;
}
