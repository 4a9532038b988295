import { describe, expect, it } from 'vitest';
import {
  dumpDone,
  initialDumpProgress,
  initialRestoreProgress,
  parseCopyCount,
  parseToolLine,
  reduceDump,
  reduceRestore,
  restoreDone,
  type DumpProgress,
  type RestoreProgress,
} from '../../src/backup/progress.js';
import { chooseClientTool, noClientToolMessage, shortVersion, type ToolCandidate } from '../../src/backup/tools.js';
import { estimateArchive, spaceVerdict, csvFileNames, pgDumpArgs, csvScript } from '../../src/backup/dump.js';
import { dbnameArg, pgRestoreArgs, restorePgOptions } from '../../src/backup/pgrestore.js';
import { parseTableName, tableKey } from '../../src/backup/counts.js';

/**
 * The verbose-output parsers of the backup engine, fed with lines captured from PostgreSQL 15.18's pg_dump and
 * pg_restore on a Sim-like database (8 tables), plus the pure policy pieces of dump, restore and tool choice.
 */

// pg_dump --verbose -Fc (serial): the tail of the real output, from the first data line on.
const SERIAL_DUMP = `pg_dump: last built-in OID is 16383
pg_dump: reading extensions
pg_dump: identifying extension members
pg_dump: reading schemas
pg_dump: reading user-defined tables
pg_dump: reading dependency data
pg_dump: saving encoding = UTF8
pg_dump: saving standard_conforming_strings = on
pg_dump: saving search_path = 
pg_dump: saving database definition
pg_dump: dumping contents of table "public.api_key"
pg_dump: dumping contents of table "public.custom_tools"
pg_dump: dumping contents of table "public.knowledge_base"
pg_dump: dumping contents of table "public.mcp_servers"
pg_dump: dumping contents of table "public.user"
pg_dump: dumping contents of table "public.workflow"
pg_dump: dumping contents of table "public.workflow_blocks"
pg_dump: dumping contents of table "public.workspace"`.split('\n');

// pg_dump --verbose -Fd -j2: workers report starts, the leader reports finished items.
const PARALLEL_DUMP = `pg_dump: last built-in OID is 16383
pg_dump: saving database definition
pg_dump: dumping contents of table "public.workflow_blocks"
pg_dump: dumping contents of table "public.workflow"
pg_dump: finished item 3446 TABLE DATA workflow_blocks
pg_dump: dumping contents of table "public.api_key"
pg_dump: finished item 3441 TABLE DATA api_key
pg_dump: dumping contents of table "public.custom_tools"
pg_dump: finished item 3444 TABLE DATA custom_tools
pg_dump: dumping contents of table "public.knowledge_base"
pg_dump: finished item 3443 TABLE DATA knowledge_base
pg_dump: dumping contents of table "public.user"
pg_dump: finished item 3439 TABLE DATA user
pg_dump: dumping contents of table "public.mcp_servers"
pg_dump: finished item 3445 TABLE DATA mcp_servers
pg_dump: dumping contents of table "public.workspace"
pg_dump: finished item 3440 TABLE DATA workspace
pg_dump: finished item 3442 TABLE DATA workflow`.split('\n');

const SERIAL_RESTORE = `pg_restore: connecting to database for restore
pg_restore: creating TABLE "public.api_key"
pg_restore: creating TABLE "public.custom_tools"
pg_restore: processing data for table "public.api_key"
pg_restore: processing data for table "public.custom_tools"
pg_restore: creating CONSTRAINT "public.api_key api_key_pkey"
pg_restore: creating INDEX "public.api_key_user_id_idx"
pg_restore: creating FK CONSTRAINT "public.api_key api_key_user_id_user_id_fk"`.split('\n');

const PARALLEL_RESTORE = `pg_restore: connecting to database for restore
pg_restore: processing item 3449 ENCODING ENCODING
pg_restore: processing item 3450 STDSTRINGS STDSTRINGS
pg_restore: processing item 218 TABLE api_key
pg_restore: creating TABLE "public.api_key"
pg_restore: processing item 221 TABLE custom_tools
pg_restore: creating TABLE "public.custom_tools"
pg_restore: entering main parallel loop
pg_restore: launching item 3442 TABLE DATA workflow
pg_restore: launching item 3446 TABLE DATA workflow_blocks
pg_restore: processing data for table "public.workflow_blocks"
pg_restore: processing data for table "public.workflow"
pg_restore: finished item 3446 TABLE DATA workflow_blocks
pg_restore: launching item 3283 CONSTRAINT workflow_blocks workflow_blocks_pkey
pg_restore: creating CONSTRAINT "public.workflow_blocks workflow_blocks_pkey"
pg_restore: finished item 3283 CONSTRAINT workflow_blocks workflow_blocks_pkey
pg_restore: finished item 3442 TABLE DATA workflow
pg_restore: finished main parallel loop`.split('\n');

const foldDump = (lines: string[]): DumpProgress => lines.map(parseToolLine).reduce(reduceDump, initialDumpProgress());
const foldRestore = (lines: string[]): RestoreProgress => lines.map(parseToolLine).reduce(reduceRestore, initialRestoreProgress());

describe('parseToolLine', () => {
  it('reads the table of a "dumping contents" line, schema-qualified as pg_dump prints it', () => {
    expect(parseToolLine('pg_dump: dumping contents of table "public.workspace"')).toEqual({ kind: 'table', table: 'public.workspace' });
  });

  it('reads a parallel "finished item" line with its TABLE DATA table', () => {
    expect(parseToolLine('pg_dump: finished item 3446 TABLE DATA workflow_blocks')).toEqual({ kind: 'finished', id: 3446, desc: 'TABLE DATA workflow_blocks', table: 'workflow_blocks' });
    expect(parseToolLine('pg_restore: finished item 3283 CONSTRAINT workflow_blocks workflow_blocks_pkey')).toMatchObject({ kind: 'finished', id: 3283 });
    expect(parseToolLine('pg_restore: finished item 3283 CONSTRAINT workflow_blocks workflow_blocks_pkey')).not.toHaveProperty('table');
  });

  it('treats the catalogue-reading chatter as chatter, not as output to show', () => {
    for (const l of ['pg_dump: reading user-defined tables', 'pg_dump: saving search_path = ', 'pg_dump: last built-in OID is 16383', 'pg_restore: entering main parallel loop']) {
      expect(parseToolLine(l).kind).toBe('chatter');
    }
  });

  it('keeps errors, their details and warnings as messages (PostgreSQL 12–17 wording)', () => {
    expect(parseToolLine('pg_dump: error: query failed: ERROR:  invalid snapshot identifier: "0000-bad"')).toMatchObject({ kind: 'message', level: 'error' });
    expect(parseToolLine('pg_dump: detail: Query was: SET TRANSACTION SNAPSHOT \'0000-bad\'')).toMatchObject({ kind: 'message', level: 'other' });
    expect(parseToolLine('pg_restore: warning: errors ignored on restore: 3')).toMatchObject({ kind: 'message', level: 'warning' });
    expect(parseToolLine('Command was: CREATE TABLE public.api_key (')).toMatchObject({ kind: 'message', level: 'other' });
  });

  it('keeps the bracketed pre-12 errors as errors', () => {
    expect(parseToolLine('pg_dump: [archiver (db)] query failed: ERROR:  permission denied for relation x')).toMatchObject({ kind: 'message', level: 'error' });
  });

  it('reads pg_restore -j item lines, including "processing missed item"', () => {
    expect(parseToolLine('pg_restore: launching item 3442 TABLE DATA workflow')).toEqual({ kind: 'started', id: 3442, desc: 'TABLE DATA workflow', how: 'launching' });
    expect(parseToolLine('pg_restore: processing item 218 TABLE api_key')).toMatchObject({ kind: 'started', how: 'processing' });
    expect(parseToolLine('pg_restore: processing missed item 3300 INDEX x')).toMatchObject({ kind: 'started', how: 'processing', id: 3300 });
  });
});

describe('dump progress', () => {
  it('counts a serial dump: every started table but the current one is done', () => {
    const p = foldDump(SERIAL_DUMP);
    expect(p.started).toHaveLength(8);
    expect(p.current).toBe('public.workspace');
    expect(dumpDone(p)).toBe(7);
    expect(dumpDone(p, true)).toBe(8);
  });

  it('counts a parallel dump by finished items, whatever order the workers report in', () => {
    const half = foldDump(PARALLEL_DUMP.slice(0, 9));
    expect(dumpDone(half)).toBe(3);
    // custom_tools has just finished; workflow (started second) is still being dumped by the other worker.
    expect(half.current).toBe('public.workflow');
    expect(dumpDone(foldDump(PARALLEL_DUMP))).toBe(8);
  });

  it('does not count before the first table', () => {
    expect(dumpDone(foldDump(SERIAL_DUMP.slice(0, 10)))).toBe(0);
  });
});

describe('restore progress', () => {
  it('counts a serial restore by its item lines', () => {
    const p = foldRestore(SERIAL_RESTORE);
    expect(restoreDone(p)).toBe(6);
    expect(restoreDone(p, true)).toBe(7);
    expect(p.current).toBe('creating FK CONSTRAINT "public.api_key api_key_user_id_user_id_fk"');
  });

  it('counts a -j restore by processed and finished items, not twice for the "creating" line that follows', () => {
    expect(restoreDone(foldRestore(PARALLEL_RESTORE.slice(0, 7)))).toBe(3);
    expect(restoreDone(foldRestore(PARALLEL_RESTORE))).toBe(4 + 3);
  });
});

describe('parseCopyCount', () => {
  it("reads psql's COPY line and nothing else", () => {
    expect(parseCopyCount('COPY 20000')).toBe(20000);
    expect(parseCopyCount('COPY 0')).toBe(0);
    expect(parseCopyCount('COMMIT')).toBeNull();
  });
});

describe('chooseClientTool', () => {
  const c = (from: 'PATH' | 'lib', major: number, p = `/x/${from}/${major}/pg_dump`): ToolCandidate => ({ from, major, path: p, version: `pg_dump (PostgreSQL) ${major}.2` });

  it("takes PATH's tool when it is at least the server's major", () => {
    expect(chooseClientTool([c('PATH', 15), c('lib', 17)], 15)?.path).toBe('/x/PATH/15/pg_dump');
    expect(chooseClientTool([c('PATH', 17)], 15)?.major).toBe(17);
  });

  it("falls back to the newest library tool when PATH's is too old", () => {
    expect(chooseClientTool([c('PATH', 14), c('lib', 16), c('lib', 17), c('lib', 13)], 16)?.major).toBe(17);
  });

  it('finds nothing when every tool is older than the server', () => {
    expect(chooseClientTool([c('PATH', 14), c('lib', 15)], 16)).toBeUndefined();
  });

  it('names what it found, the server version and the package to install', () => {
    const msg = noClientToolMessage('pg_dump', 16, [c('PATH', 14, '/usr/bin/pg_dump')], '16.4');
    expect(msg).toContain('/usr/bin/pg_dump (14.2)');
    expect(msg).toContain('PostgreSQL 16.4');
    expect(msg).toContain('postgresql-client-16');
  });

  it('shortens a version line', () => {
    expect(shortVersion('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toBe('15.18');
  });
});

describe('backup policies', () => {
  it('refuses below the estimate and warns below twice the estimate', () => {
    expect(spaceVerdict(100, 99)).toBe('refuse');
    expect(spaceVerdict(100, 150)).toBe('warn');
    expect(spaceVerdict(100, 200)).toBe('ok');
  });

  it('estimates a compressed archive at 0.35 × the database, csv at 1 ×, uncompressed at 1 ×', () => {
    expect(estimateArchive('full', 1_000_000).bytes).toBe(350_000);
    expect(estimateArchive('csv', 1_000_000).bytes).toBe(1_000_000);
    expect(estimateArchive('full', 1_000_000, 0).bytes).toBe(1_000_000);
    expect(estimateArchive('schema', 5e9).bytes).toBeLessThan(2_000_000);
  });

  it('builds pg_dump arguments without gzip, with -Z only when asked, and literal table patterns', () => {
    const full = pgDumpArgs('full', {});
    expect(full).toEqual(['--verbose', '--no-password', '--format=custom']);
    expect(pgDumpArgs('full', { compress: 1 })).toContain('--compress=1');
    expect(pgDumpArgs('directory', { jobs: 2 })).toEqual(expect.arrayContaining(['--format=directory', '--jobs=2']));
    expect(pgDumpArgs('schema', {})).toContain('--schema-only');
    expect(pgDumpArgs('tables', { tables: [{ schema: 'public', table: 'user' }, { schema: 'My "S"', table: 'a*b' }] })).toEqual(
      expect.arrayContaining(['--table="public"."user"', '--table="My ""S"""."a*b"', '--strict-names']),
    );
  });

  it('names CSV files portably and uniquely', () => {
    expect(csvFileNames([{ schema: 'public', table: 'user' }, { schema: 'public', table: 'a/b' }, { schema: 'public', table: 'a_b' }])).toEqual([
      'public.user.csv',
      'public.a_b.csv',
      'public.a_b~2.csv',
    ]);
  });

  it('exports CSV in one snapshot with ON_ERROR_STOP semantics left to psql', () => {
    const s = csvScript('00000003-0000001B-1', [{ schema: 'public', table: 'user' }], ['/b/x/public.user.csv']);
    expect(s).toContain("SET TRANSACTION SNAPSHOT '00000003-0000001B-1';");
    expect(s).toContain(`\\copy (SELECT * FROM "public"."user") TO '/b/x/public.user.csv' WITH (FORMAT csv, HEADER)`);
  });
});

describe('pg_restore arguments', () => {
  it('always stops at the first error and never takes a URL', () => {
    const args = pgRestoreArgs('/b/a.dump', 'sim_copy', { jobs: 2, noOwner: true });
    expect(args).toEqual(expect.arrayContaining(['--exit-on-error', '--verbose', '--no-password', '--dbname=sim_copy', '--jobs=2', '--no-owner', '--no-privileges']));
    expect(args.at(-1)).toBe('/b/a.dump');
    expect(pgRestoreArgs('/b/a.dump', 'x', { jobs: 1 })).not.toContain('--jobs=1');
  });

  it('passes a database name that libpq would read as a connection string as a quoted dbname', () => {
    expect(dbnameArg('host=evil')).toBe("--dbname=dbname='host=evil'");
    expect(dbnameArg("a'b=c")).toBe("--dbname=dbname='a\\'b=c'");
  });

  it("appends the restore settings to the operator's PGOPTIONS", () => {
    expect(restorePgOptions(undefined)).toBe('-c synchronous_commit=off -c maintenance_work_mem=256MB');
    expect(restorePgOptions('-c work_mem=64MB')).toBe('-c work_mem=64MB -c synchronous_commit=off -c maintenance_work_mem=256MB');
  });
});

describe('parseTableName', () => {
  it('reads bare names as public, keeps case, and honours double quotes', () => {
    expect(parseTableName('workspace')).toEqual({ schema: 'public', table: 'workspace' });
    expect(parseTableName('sales.Orders')).toEqual({ schema: 'sales', table: 'Orders' });
    expect(parseTableName('"a.b"."c""d"')).toEqual({ schema: 'a.b', table: 'c"d' });
    expect(tableKey(parseTableName('user'))).toBe('public.user');
  });

  it('rejects what is not a table name', () => {
    for (const bad of ['', 'a.b.c', 'a.', '"open']) expect(() => parseTableName(bad)).toThrow();
  });
});
