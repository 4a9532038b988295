import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartialOutcome } from '../../src/core/backup.js';
import { runBackup } from '../../src/backup/dump.js';
import { partialLoad, partialMerge } from '../../src/backup/partial.js';
import { recorder, testBackupEnv, type TestBackupEnv } from '../helpers/backup-env.js';
import { q } from '../helpers/catalog.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

/**
 * Partial recovery (src/backup/partial.ts) against a real cluster, as sim_admin: one archive taken in beforeAll,
 * then rows deleted and changed live, loaded back into side schemas, compared and merged. The tests build on each
 * other in file order. Besides Sim's custom_tools (text key, a json column), two tables with hostile names: a parent
 * "Parent Table" and a child `child "quoted" t` with a GENERATED ALWAYS identity key and a foreign key to the parent.
 */

/** The engine's backup of sim, taken in beforeAll (its file name in the backup directory). */
let ARCHIVE: string;
const PARENT = 'Parent Table';
const CHILD = 'child "quoted" t';
const Q_PARENT = '"Parent Table"';
const Q_CHILD = '"child ""quoted"" t"';

let cluster: TestCluster;
let tb: TestBackupEnv;
const never = new AbortController().signal;
const original: Record<string, number> = {};

const count = async (table: string): Promise<number> => Number((await q<{ n: string }>(cluster.url, `SELECT count(*) AS n FROM ${table}`))[0]!.n);
const schemaExists = async (name: string): Promise<boolean> => (await q(cluster.url, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [name])).length === 1;

beforeAll(async () => {
  cluster = await startTestCluster({ withSimData: true });
  tb = await testBackupEnv(cluster);
  await q(
    cluster.url,
    `CREATE TABLE ${Q_PARENT} (id int PRIMARY KEY, name text NOT NULL, meta json);
     CREATE TABLE ${Q_CHILD} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       parent_id int NOT NULL REFERENCES ${Q_PARENT} (id), note text);
     CREATE TABLE no_pk (x int);
     INSERT INTO ${Q_PARENT} SELECT g, 'parent ' || g, '{"a": 1}' FROM generate_series(1, 10) g;
     INSERT INTO ${Q_CHILD} (parent_id, note) SELECT 1 + g % 10, 'child ' || g FROM generate_series(1, 40) g;
     INSERT INTO no_pk VALUES (1)`,
  );
  for (const t of ['custom_tools', Q_PARENT, Q_CHILD]) original[t] = await count(t);
  const b = await runBackup(tb.env, { kind: 'full', verify: false, runId: 'test', operator: 'test', dryRun: false }, recorder().emit, never);
  if (!b.ok || !b.file) throw new Error(`The backup for the partial-recovery tests failed: ${b.summary} ${b.error ?? ''}`);
  ARCHIVE = path.basename(b.file);
});

afterAll(async () => {
  await tb?.cleanup();
  await cluster?.stop();
});

const ids = (table: string, sql: string): Promise<{ id: string }[]> => q<{ id: string }>(cluster.url, `SELECT id FROM ${table} ${sql}`);

describe('load and merge one table', () => {
  let deleted: string[];
  let changed: string;

  it('shows the deleted rows as missing and the changed row as differing, without touching the live table', async () => {
    deleted = (await ids('custom_tools', 'ORDER BY id LIMIT 7')).map((r) => r.id);
    changed = (await ids('custom_tools', 'ORDER BY id DESC LIMIT 1'))[0]!.id;
    await q(cluster.url, 'DELETE FROM custom_tools WHERE id = ANY($1)', [deleted]);
    await q(cluster.url, "UPDATE custom_tools SET title = 'edited live', schema = '{\"changed\": true}' WHERE id = $1", [changed]);

    const rec = recorder();
    const out = await partialLoad(tb.env, { file: ARCHIVE, tables: ['custom_tools'], schema: 'recovered_1' }, rec.emit, never);
    expect(out.ok).toBe(true);
    expect(out.diffs).toEqual([
      { table: 'public.custom_tools', key: ['id'], live: original.custom_tools! - 7, backup: original.custom_tools, missing: 7, differ: 1 },
    ]);
    expect(rec.rows()[0]).toMatchObject({ columns: ['table', 'key', 'live', 'backup', 'missing', 'differ'], rows: [['public.custom_tools', 'id', String(original.custom_tools! - 7), String(original.custom_tools), '7', '1']] });
    expect(await count('recovered_1.custom_tools')).toBe(original.custom_tools);
    expect(await count('custom_tools')).toBe(original.custom_tools! - 7);
    expect(rec.text()).not.toContain(cluster.password);
    // pg_restore's data file and its rewritten copy are private temporary files, gone once loaded.
    expect((await readdir(tb.env.tmpDir)).filter((n) => n.startsWith('parlant-partial-'))).toEqual([]);
  });

  it('merge re-inserts exactly the deleted rows, as they were, and leaves the changed row as it is live', async () => {
    const rec = recorder();
    const out = await partialMerge(tb.env, { tables: ['custom_tools'], schema: 'recovered_1' }, rec.emit, never);
    expect(out.ok).toBe(true);
    expect(out.merged).toEqual({ 'public.custom_tools': 7 });
    expect(await count('custom_tools')).toBe(original.custom_tools);
    const back = await q(cluster.url, 'SELECT count(*)::int AS n FROM custom_tools l JOIN recovered_1.custom_tools s USING (id) WHERE l.id = ANY($1) AND l::text = s::text', [deleted]);
    expect(back).toEqual([{ n: 7 }]);
    expect(await q(cluster.url, 'SELECT title FROM custom_tools WHERE id = $1', [changed])).toEqual([{ title: 'edited live' }]);
    expect(out.diffs[0]).toMatchObject({ missing: 0, differ: 1 });
    expect(rec.text()).toMatch(/1 row differ from the backup and were left as they are live: rows that exist are never overwritten/);
    expect(rec.text()).toContain('To remove it when done: DROP SCHEMA "recovered_1" CASCADE;');
    expect(await schemaExists('recovered_1')).toBe(true);
  });
});

describe('refusals', () => {
  it('refuses a table without a primary key, naming it, and creates nothing', async () => {
    const out = await partialLoad(tb.env, { file: ARCHIVE, tables: ['custom_tools', 'no_pk'], schema: 'recovered_x' }, recorder().emit, never);
    expect(out).toMatchObject({ ok: false, refused: true, summary: 'public.no_pk has no primary key' });
    expect(out.error).toContain('public.no_pk: no primary key: rows cannot be matched');
    expect(await schemaExists('recovered_x')).toBe(false);
  });

  it('refuses a side schema that exists, and leaves it as it was', async () => {
    const before = await count('recovered_1.custom_tools');
    const out = await partialLoad(tb.env, { file: ARCHIVE, tables: ['custom_tools'], schema: 'recovered_1' }, recorder().emit, never);
    expect(out).toMatchObject({ ok: false, refused: true, summary: 'Schema recovered_1 exists' });
    expect(out.advice).toContain('DROP SCHEMA "recovered_1" CASCADE;');
    expect(await count('recovered_1.custom_tools')).toBe(before);
  });
});

describe('merging several tables', () => {
  let failedMerge: PartialOutcome;
  let deletedTools: number;

  beforeAll(async () => {
    deletedTools = (await q(cluster.url, 'DELETE FROM custom_tools WHERE id IN (SELECT id FROM custom_tools ORDER BY id LIMIT 3) RETURNING id')).length;
    await q(cluster.url, `DELETE FROM ${Q_CHILD} WHERE parent_id IN (1, 2); DELETE FROM ${Q_PARENT} WHERE id IN (1, 2)`);
  });

  it('rolls back every table when a recovered child row needs a parent that is missing live and was not chosen', async () => {
    const load = await partialLoad(tb.env, { file: ARCHIVE, tables: ['custom_tools', CHILD], schema: 'recovered_2' }, recorder().emit, never);
    expect(load.ok).toBe(true);
    expect(load.diffs.map((d) => [d.table, d.missing])).toEqual([
      ['public.custom_tools', deletedTools],
      [`public.${CHILD}`, 8],
    ]);
    const before = { tools: await count('custom_tools'), child: await count(Q_CHILD) };
    failedMerge = await partialMerge(tb.env, { tables: ['custom_tools', CHILD], schema: 'recovered_2' }, recorder().emit, never);
    expect(failedMerge.ok).toBe(false);
    expect(failedMerge.summary).toMatch(/^Merge rolled back, nothing inserted: while inserting into public\.child "quoted" t: .*violates foreign key constraint/);
    expect(failedMerge.advice).toContain('add Parent Table to the tables');
    expect({ tools: await count('custom_tools'), child: await count(Q_CHILD) }).toEqual(before);
  });

  it('merges parents before children when both are chosen (whatever order they were named in), identity keys included', async () => {
    const rec = recorder();
    const load = await partialLoad(tb.env, { file: ARCHIVE, tables: [CHILD, PARENT], schema: 'recovered 3' }, rec.emit, never);
    expect(load.ok).toBe(true);
    const out = await partialMerge(tb.env, { tables: [CHILD, PARENT], schema: 'recovered 3' }, rec.emit, never);
    expect(out.ok).toBe(true);
    expect(rec.text()).toContain(`parents first: public.${PARENT}, public.${CHILD}.`);
    expect(out.merged).toEqual({ [`public.${PARENT}`]: 2, [`public.${CHILD}`]: 8 });
    expect(await count(Q_PARENT)).toBe(original[Q_PARENT]);
    expect(await count(Q_CHILD)).toBe(original[Q_CHILD]);
    expect(rec.text()).toContain('DROP SCHEMA "recovered 3" CASCADE;');
  });
});
