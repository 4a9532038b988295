import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  codeOnly,
  fileProblems,
  isAbsenceProblem,
  loadMigrations,
  migrationStatus,
  MigrationFileError,
  parseDirectives,
  planMigrations,
  sha256,
  short,
  splitStatements,
  type AppliedRecord,
  type Migration,
  type SqlFile,
  type StatusRow,
} from '../../src/core/migrations.js';
import { packageRoot } from '../../src/core/paths.js';

/** A SqlFile as loadMigrations would build it, without touching the disk. */
function sqlFile(name: string, text: string): SqlFile {
  const p = `/m/${name}`;
  return { path: p, text, sha256: sha256(text), directives: parseDirectives(text, p) };
}

function mig(version: string, name: string, opts: { up?: string; down?: string | false } = {}): Migration {
  const m: Migration = { version, name, up: sqlFile(`${version}_${name}.up.sql`, opts.up ?? `create table t${version} (id int);\n`) };
  if (opts.down !== false) m.down = sqlFile(`${version}_${name}.down.sql`, opts.down ?? `drop table if exists t${version};\n`);
  return m;
}

function applied(m: Migration, over: Partial<AppliedRecord> = {}): AppliedRecord {
  return { version: m.version, name: m.name, sha256: m.up.sha256, state: 'applied', appliedAt: '2026-11-20T10:00:00Z', appliedBy: 'op', durationMs: 12, ...over };
}

/** Throws and returns the error, so tests can look at it. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('parseDirectives', () => {
  it('reads the known headers of the leading comment block, in order', () => {
    const text = '-- runbook: no-transaction\n-- runbook: repeat-until-zero-rows\n--\n-- what this does\n\ninsert into t select 1;\n';
    expect(parseDirectives(text, 'x.up.sql')).toEqual(['no-transaction', 'repeat-until-zero-rows']);
  });

  it('finds headers after ordinary comment and blank lines, and none in a file without them', () => {
    expect(parseDirectives('-- 0002 (up): indexes\n\n--\n-- runbook: no-transaction\ncreate index concurrently i on t (a);\n', 'f')).toEqual(['no-transaction']);
    expect(parseDirectives('-- only prose\ncreate table t (id int);\n', 'f')).toEqual([]);
    expect(parseDirectives('', 'f')).toEqual([]);
  });

  it('refuses an unknown "-- runbook:" header, naming the file, the line and the known headers', () => {
    const e = thrown(() => parseDirectives('-- intro\n\n-- runbook: no-transactions\nselect 1;\n', '/dir/0009_x.up.sql'));
    expect(e).toBeInstanceOf(MigrationFileError);
    const err = e as MigrationFileError;
    expect(err.line).toBe(3);
    expect(err.file).toBe('/dir/0009_x.up.sql');
    expect(err.message).toContain('0009_x.up.sql line 3');
    expect(err.message).toContain('"-- runbook: no-transactions"');
    expect(err.message).toContain('Known: -- runbook: no-transaction, -- runbook: repeat-until-zero-rows');
  });

  it('refuses a header that is not of the exact form (fails closed rather than ignoring it)', () => {
    for (const h of ['--runbook: no-transaction', '-- runbook:no-transaction', '-- RUNBOOK: no-transaction', '-- runbook:  no-transaction', '-- runbook: no-transaction now']) {
      expect(() => parseDirectives(`${h}\nselect 1;\n`, 'f.up.sql'), h).toThrow(MigrationFileError);
    }
  });

  it('tolerates trailing blanks after a header', () => {
    expect(parseDirectives('-- runbook: no-transaction  \t\nselect 1;\n', 'f')).toEqual(['no-transaction']);
  });

  it('only counts headers in the leading comment block: after the first statement they are plain comments', () => {
    const text = '-- intro\ncreate table t (id int);\n-- runbook: no-transaction\n-- runbook: bogus\n';
    expect(parseDirectives(text, 'f')).toEqual([]);
  });

  it('reads CRLF files the same as LF files (line numbers included)', () => {
    expect(parseDirectives('-- runbook: no-transaction\r\n-- runbook: repeat-until-zero-rows\r\ndelete from t;\r\n', 'f')).toEqual([
      'no-transaction',
      'repeat-until-zero-rows',
    ]);
    const e = thrown(() => parseDirectives('--\r\n-- runbook: nope\r\nselect 1;\r\n', 'f')) as MigrationFileError;
    expect(e.line).toBe(2);
    expect(e.message).toContain('"-- runbook: nope"');
  });
});

describe('splitStatements', () => {
  it('ends a statement at a line whose last non-blank character is ";", with the line it starts on', () => {
    const text = [
      '-- runbook: no-transaction', // 1
      '', // 2
      'create index concurrently if not exists a_idx', // 3
      '  on t (a);   ', // 4
      '', // 5
      '-- the second one', // 6
      'create index concurrently if not exists b_idx on t (b);', // 7
    ].join('\n');
    const s = splitStatements(text);
    expect(s.map((x) => x.line)).toEqual([3, 7]);
    expect(s[0]?.text).toBe('create index concurrently if not exists a_idx\n  on t (a);   ');
    expect(s[1]?.text).toBe('create index concurrently if not exists b_idx on t (b);');
  });

  it('never ends a statement at a "--" line, even one ending in ";"', () => {
    const text = 'update t\n-- note: no where clause here;\n   set a = 1\n  -- indented comment;\n where b;\n';
    const s = splitStatements(text);
    expect(s).toHaveLength(1);
    expect(s[0]).toEqual({ line: 1, text: 'update t\n-- note: no where clause here;\n   set a = 1\n  -- indented comment;\n where b;' });
  });

  it('does not end a statement at a ";" that is not the last non-blank character of its line', () => {
    const s = splitStatements("select 'a;b' as x,\n  1; select 2\n  ;\n");
    expect(s).toEqual([{ line: 1, text: "select 'a;b' as x,\n  1; select 2\n  ;" }]);
  });

  it('keeps a trailing statement without ";", and ignores trailing comments and blank lines', () => {
    expect(splitStatements('select 1;\n\nselect 2\n')).toEqual([
      { line: 1, text: 'select 1;' },
      { line: 3, text: 'select 2\n' },
    ]);
    expect(splitStatements('select 1;\n\n-- the end\n\n')).toEqual([{ line: 1, text: 'select 1;' }]);
    expect(splitStatements('-- only a comment\n\n')).toEqual([]);
  });

  it('splits CRLF files the same as LF files', () => {
    const lf = '-- c\nselect 1;\n\nselect\n  2;\n';
    expect(splitStatements(lf.replace(/\n/g, '\r\n'))).toEqual(splitStatements(lf));
    expect(splitStatements(lf.replace(/\n/g, '\r\n'))).toEqual([
      { line: 2, text: 'select 1;' },
      { line: 4, text: 'select\n  2;' },
    ]);
  });
});

describe('codeOnly', () => {
  it('removes -- comments and keeps the line breaks', () => {
    expect(codeOnly('select 1; -- CONCURRENTLY\n-- whole line\nselect 2;')).toBe('select 1; \n\nselect 2;');
  });

  it('removes /* */ comments', () => {
    expect(codeOnly('select /* CONCURRENTLY */ 1;')).toBe('select   1;');
    expect(codeOnly('select 1; /* unterminated CONCURRENTLY')).toBe('select 1;  ');
  });

  it("replaces string literals, doubled quotes included, by ''", () => {
    expect(codeOnly("select 'it''s CONCURRENTLY -- not a comment', x;")).toBe("select '', x;");
    expect(codeOnly("select '', 'a';")).toBe("select '', '';");
  });

  it('replaces dollar-quoted bodies, tagged or not, and leaves $1 parameters alone', () => {
    expect(codeOnly('do $$ begin perform 1; commit; end $$;')).toBe("do '';");
    expect(codeOnly('do $body$ select $$x$$; BEGIN; $body$; select $1;')).toBe("do ''; select $1;");
  });

  it('replaces dollar-quoted bodies whose tag holds a digit (PostgreSQL: letters, digits, _; not a digit first)', () => {
    expect(codeOnly('do $fn1$ begin perform 1; commit; end $fn1$;')).toBe("do '';");
    expect(codeOnly("do $q_2$ it's $q_2$;\ncreate index concurrently i on t (a);\n")).toBe("do '';\ncreate index concurrently i on t (a);\n");
  });

  it('leaves code outside comments and literals untouched', () => {
    const code = 'create index concurrently if not exists a_idx on t (a);\n';
    expect(codeOnly(code)).toBe(code);
  });
});

describe('fileProblems', () => {
  it('accepts a plain transactional file', () => {
    expect(fileProblems(sqlFile('0001_a.up.sql', '-- creates t\ncreate table t (id int);\ncomment on table t is $$x$$;\n'), 'up')).toEqual([]);
  });

  it('refuses CONCURRENTLY in a transactional file, naming the file and the fix', () => {
    const p = fileProblems(sqlFile('0002_i.up.sql', 'create index concurrently a_idx on t (a);\n'), 'up');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^0002_i\.up\.sql: uses CONCURRENTLY but runs in one transaction/);
    expect(p[0]).toContain('-- runbook: no-transaction');
    // Down files are checked the same way.
    expect(fileProblems(sqlFile('0002_i.down.sql', 'drop index Concurrently if exists a_idx;\n'), 'down')).toHaveLength(1);
  });

  it('does not mind CONCURRENTLY in a comment or a string literal of a transactional file', () => {
    const text = "-- no CONCURRENTLY here: one transaction\ncreate table t (id int); /* CONCURRENTLY */\ncomment on table t is 'built CONCURRENTLY later';\n";
    expect(fileProblems(sqlFile('0001_a.up.sql', text), 'up')).toEqual([]);
  });

  it('refuses CONCURRENTLY in a transactional file after a dollar-quoted literal whose tag holds a digit', () => {
    // The apostrophe inside $q1$ … $q1$ must not open a string literal that hides the index statement.
    const text = "comment on table t is $q1$ it's fine $q1$;\ncreate index concurrently i on t (a);\n";
    expect(fileProblems(sqlFile('0001_a.up.sql', text), 'up').some((p) => p.includes('uses CONCURRENTLY'))).toBe(true);
  });

  it('accepts a no-transaction file of concurrent index statements only', () => {
    const text = '-- runbook: no-transaction\n\ncreate index concurrently if not exists a on t (a);\n-- b\ncreate unique index concurrently if not exists b\n  on t (b);\n';
    expect(fileProblems(sqlFile('0002_i.up.sql', text), 'up')).toEqual([]);
  });

  it('refuses a no-transaction file that mixes concurrent index statements with others, naming the line', () => {
    const text = '-- runbook: no-transaction\n\ncreate index concurrently a on t (a);\n\nanalyze t;\ncreate index concurrently b on t (b);\n';
    const p = fileProblems(sqlFile('0002_i.up.sql', text), 'up');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^0002_i\.up\.sql: mixes CONCURRENTLY index statements with other statements \(line 5\)/);
  });

  it('refuses a no-transaction file with no statement', () => {
    expect(fileProblems(sqlFile('0002_i.up.sql', '-- runbook: no-transaction\n-- nothing\n'), 'up')).toEqual(['0002_i.up.sql: holds no statement.']);
  });

  it('accepts repeat-until-zero-rows with no-transaction and exactly one DML statement', () => {
    const text = '-- runbook: no-transaction\n-- runbook: repeat-until-zero-rows\ndelete from t\n where id in (select id from t limit 1000);\n';
    expect(fileProblems(sqlFile('0003_d.up.sql', text), 'up')).toEqual([]);
  });

  it('refuses repeat-until-zero-rows without no-transaction', () => {
    const p = fileProblems(sqlFile('0003_d.up.sql', '-- runbook: repeat-until-zero-rows\ndelete from t where false;\n'), 'up');
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^0003_d\.up\.sql: "repeat-until-zero-rows" needs "-- runbook: no-transaction" too/);
  });

  it('refuses repeat-until-zero-rows with two statements, or with no INSERT/UPDATE/DELETE', () => {
    const two = '-- runbook: no-transaction\n-- runbook: repeat-until-zero-rows\ndelete from t where a;\ndelete from u where a;\n';
    expect(fileProblems(sqlFile('0003_d.up.sql', two), 'up')).toEqual([
      '0003_d.up.sql: "repeat-until-zero-rows" needs exactly one INSERT, UPDATE or DELETE statement (found 2 statements).',
    ]);
    const select = "-- runbook: no-transaction\n-- runbook: repeat-until-zero-rows\nselect 'delete';\n";
    expect(fileProblems(sqlFile('0003_d.up.sql', select), 'up')).toEqual([
      '0003_d.up.sql: "repeat-until-zero-rows" needs exactly one INSERT, UPDATE or DELETE statement (found 1 statements).',
    ]);
  });

  it('refuses BEGIN / COMMIT / ROLLBACK / START TRANSACTION outside literals and comments', () => {
    for (const stmt of ['BEGIN;', 'commit;', 'rollback ;', 'start transaction;']) {
      const p = fileProblems(sqlFile('0001_a.up.sql', `${stmt}\ncreate table t (id int);\n`), 'up');
      expect(p, stmt).toHaveLength(1);
      expect(p[0], stmt).toMatch(/^0001_a\.up\.sql: contains transaction control/);
    }
    // In a DO body, a comment or a literal it is not transaction control.
    const ok = "do $$ begin perform 1; end $$;\n-- COMMIT;\ncomment on table t is 'BEGIN;';\n";
    expect(fileProblems(sqlFile('0001_a.up.sql', ok), 'up')).toEqual([]);
    // Nor is a SQL-standard function body (PostgreSQL 14+).
    const atomic = 'create function f() returns int language sql\nbegin atomic\n  select 1;\nend;\n';
    expect(fileProblems(sqlFile('0001_a.up.sql', atomic), 'up')).toEqual([]);
  });

  it('refuses BEGIN / COMMIT written with their optional words', () => {
    // README "File conventions": the files never contain BEGIN or COMMIT; the engine owns transactions.
    // A COMMIT inside the engine's transaction would commit half the file and run the rest outside it.
    const stmts = [
      'begin transaction;',
      'BEGIN WORK;',
      'begin isolation level serializable;',
      'commit work;',
      'commit and chain;',
      'rollback work;',
      'start transaction isolation level serializable;',
    ];
    const refused = Object.fromEntries(
      stmts.map((stmt) => [stmt, fileProblems(sqlFile('0001_a.up.sql', `${stmt}\ncreate table t (id int);\n`), 'up').some((p) => p.includes('transaction control'))]),
    );
    expect(refused).toEqual(Object.fromEntries(stmts.map((stmt) => [stmt, true])));
  });

  it('refuses psql meta-commands, but not a backslash inside a literal', () => {
    const p = fileProblems(sqlFile('0001_a.up.sql', 'create table t (id int);\n  \\set ON_ERROR_STOP on\n'), 'up');
    expect(p).toEqual(['0001_a.up.sql: contains a psql meta-command (a line starting with \\); the engine does not run psql.']);
    expect(fileProblems(sqlFile('0001_a.up.sql', "select '\n\\x';\n"), 'up')).toEqual([]);
  });

  it('refuses headers in a verify file, and checks verify files for meta-commands too', () => {
    expect(fileProblems(sqlFile('0001_a.verify.sql', '-- runbook: no-transaction\nselect 1;\n'), 'verify')).toEqual([
      '0001_a.verify.sql: a verify file takes no "-- runbook:" headers.',
    ]);
    expect(fileProblems(sqlFile('0001_a.verify.sql', "select 'missing table', 't', '';\n"), 'verify')).toEqual([]);
    expect(fileProblems(sqlFile('0001_a.verify.sql', '\\timing\nselect 1;\n'), 'verify')).toHaveLength(1);
  });

  it('reports every problem of a file at once', () => {
    const p = fileProblems(sqlFile('0001_a.up.sql', 'begin;\ncreate index concurrently a on t (a);\n\\q\n'), 'up');
    expect(p).toHaveLength(3);
  });
});

describe('loadMigrations', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function dirWith(files: Record<string, string>): Promise<string> {
    const d = await mkdtemp(path.join(os.tmpdir(), 'prb-mig-'));
    dirs.push(d);
    for (const [n, t] of Object.entries(files)) await writeFile(path.join(d, n), t);
    return d;
  }

  it('loads migrations in numeric version order with their files, ignoring non-SQL files', async () => {
    const d = await dirWith({
      '10000_last.up.sql': 'select 3;\n',
      '9999_middle.up.sql': '-- runbook: no-transaction\ncreate index concurrently i on t (a);\n',
      '9999_middle.down.sql': '-- runbook: no-transaction\ndrop index concurrently if exists i;\n',
      '0001_first.up.sql': 'create table t (a int);\n',
      '0001_first.down.sql': 'drop table t;\n',
      '0001_first.verify.sql': 'select 1 where false;\n',
      'README.md': '# not a migration\n',
    });
    const ms = await loadMigrations(d);
    expect(ms.map((m) => `${m.version}_${m.name}`)).toEqual(['0001_first', '9999_middle', '10000_last']);
    const [first, middle, last] = ms;
    expect(first?.up.path).toBe(path.join(d, '0001_first.up.sql'));
    expect(first?.down?.path).toBe(path.join(d, '0001_first.down.sql'));
    expect(first?.verify?.path).toBe(path.join(d, '0001_first.verify.sql'));
    expect(first?.up.sha256).toBe(sha256('create table t (a int);\n'));
    expect(middle?.up.directives).toEqual(['no-transaction']);
    expect(middle?.verify).toBeUndefined();
    expect(last?.down).toBeUndefined();
  });

  it('refuses a file name that is not a migration name', async () => {
    const d = await dirWith({ '0001_a.up.sql': 'select 1;\n', '1_b.up.sql': 'select 1;\n' });
    const e = await rejected(loadMigrations(d));
    expect(e).toBeInstanceOf(MigrationFileError);
    expect(e.message).toContain('1_b.up.sql: not a migration file name');
  });

  it('refuses a version used twice with different names', async () => {
    const d = await dirWith({ '0001_a.up.sql': 'select 1;\n', '0001_b.up.sql': 'select 2;\n' });
    const e = await rejected(loadMigrations(d));
    expect(e).toBeInstanceOf(MigrationFileError);
    expect(e.message).toContain('0001_b.up.sql: version 0001 is already used by "a"');
  });

  it('refuses a migration without an up file', async () => {
    const d = await dirWith({ '0001_a.up.sql': 'select 1;\n', '0002_b.down.sql': 'select 1;\n' });
    const e = await rejected(loadMigrations(d));
    expect(e.message).toContain('0002_b: has no .up.sql file.');
  });

  it('reports every problem of every file at once, in one MigrationFileError', async () => {
    const d = await dirWith({
      'oops.sql': 'select 1;\n',
      '0001_a.up.sql': 'create index concurrently i on t (a);\n',
      '0002_b.up.sql': '-- runbook: sometimes\nselect 1;\n',
      '0003_c.down.sql': 'select 1;\n',
      '0004_d.up.sql': 'select 1;\n',
      '0004_d.down.sql': 'begin;\ndrop table t;\n',
      '0004_d.verify.sql': '-- runbook: no-transaction\nselect 1;\n',
    });
    const e = await rejected(loadMigrations(d));
    expect(e).toBeInstanceOf(MigrationFileError);
    expect((e as MigrationFileError).file).toBe(d);
    expect(e.message).toContain(`The migration files in ${d} are not safe to run:`);
    expect(e.message).toContain('oops.sql: not a migration file name');
    expect(e.message).toContain('0001_a.up.sql: uses CONCURRENTLY');
    expect(e.message).toContain('0002_b.up.sql line 1: unknown header "-- runbook: sometimes"');
    expect(e.message).toContain('0003_c: has no .up.sql file.');
    expect(e.message).toContain('0004_d.down.sql: contains transaction control');
    expect(e.message).toContain('0004_d.verify.sql: a verify file takes no "-- runbook:" headers.');
    expect(e.message.split('\n  - ')).toHaveLength(7);
  });

  it('refuses a directory it cannot read', async () => {
    const d = await dirWith({});
    const e = await rejected(loadMigrations(path.join(d, 'nope')));
    expect(e).toBeInstanceOf(MigrationFileError);
    expect(e.message).toContain('Cannot read the migrations directory');
  });

  it('loads the real sql/migrations: 3 migrations with the expected directives', async () => {
    const ms = await loadMigrations(path.join(packageRoot(), 'sql', 'migrations'));
    expect(ms.map((m) => [m.version, m.name, m.up.directives, m.down?.directives, m.verify?.directives])).toEqual([
      ['0001', 'parlant_schema', [], [], []],
      ['0002', 'parlant_indexes', ['no-transaction'], ['no-transaction'], []],
      ['0003', 'default_agents', ['no-transaction', 'repeat-until-zero-rows'], ['no-transaction', 'repeat-until-zero-rows'], []],
    ]);
    // 0003 is one statement, run in batches.
    expect(splitStatements(ms[2]?.up.text ?? '')).toHaveLength(1);
    expect(splitStatements(ms[2]?.down?.text ?? '')).toHaveLength(1);
  });
});

describe('sha256', () => {
  it('is the hex sha256 of the text, with CRLF read as LF', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256('select 1;\r\nselect 2;\r\n')).toBe(sha256('select 1;\nselect 2;\n'));
    expect(sha256('select 1;\nselect 2;\n')).not.toBe(sha256('select 1;\nselect 3;\n'));
  });
});

describe('migrationStatus', () => {
  const a = mig('0001', 'a');
  const b = mig('0002', 'b');
  const c = mig('0003', 'c');

  it('marks versions without a record pending, and applied ones applied with who and when', () => {
    const rows = migrationStatus([a, b], [applied(a)]);
    expect(rows).toEqual([
      { version: '0001', name: 'a', state: 'applied', appliedAt: '2026-11-20T10:00:00Z', appliedBy: 'op', durationMs: 12 },
      { version: '0002', name: 'b', state: 'pending' },
    ]);
  });

  it('reports drift with both short checksums', () => {
    const old = 'f'.repeat(64);
    const [row] = migrationStatus([a], [applied(a, { sha256: old })]);
    expect(row?.state).toBe('drift');
    expect(row?.detail).toBe(`applied ${old.slice(0, 12)}, on disk ${a.up.sha256.slice(0, 12)}`);
    expect(short(old)).toBe('ffffffffffff');
  });

  it('reports a failed record with its error, and a running one as interrupted', () => {
    const rows = migrationStatus([a, b], [applied(a, { state: 'failed', error: 'relation "t" already exists' }), applied(b, { state: 'running' })]);
    expect(rows.map((r) => [r.state, r.detail])).toEqual([
      ['failed', 'relation "t" already exists'],
      ['interrupted', 'started and never finished (the process was killed or lost its connection)'],
    ]);
  });

  it('reports a failed or running record with another checksum as failed / interrupted, not drift', () => {
    const rows = migrationStatus([a, b], [applied(a, { state: 'failed', sha256: '0'.repeat(64) }), applied(b, { state: 'running', sha256: '0'.repeat(64) })]);
    expect(rows.map((r) => r.state)).toEqual(['failed', 'interrupted']);
  });

  it('reports a record whose file is gone as missing-file, everything in version order', () => {
    const rows = migrationStatus([c, a], [applied(b), applied(c), applied(a)]);
    expect(rows.map((r) => [r.version, r.state])).toEqual([
      ['0001', 'applied'],
      ['0002', 'missing-file'],
      ['0003', 'applied'],
    ]);
    expect(rows[1]).toMatchObject({ name: 'b', appliedBy: 'op', detail: 'applied, but its file is gone from disk' });
  });

  it('orders by number, not by string', () => {
    const rows = migrationStatus([mig('10000', 'z'), mig('9999', 'y')], []);
    expect(rows.map((r) => r.version)).toEqual(['9999', '10000']);
  });
});

describe('planMigrations', () => {
  const a = mig('0001', 'a');
  const b = mig('0002', 'b');
  const c = mig('0003', 'c');
  const d = mig('0004', 'd');
  const files = [a, b, c, d];
  const plan = (status: StatusRow[], req: Parameters<typeof planMigrations>[2], fs: Migration[] = files) => planMigrations(fs, status, req);
  const names = (r: ReturnType<typeof planMigrations>): string[] => {
    if (!r.ok) throw new Error(`refused: ${r.error}`);
    return r.steps.map((s) => `${path.basename(s.file.path)}${s.rerun ? ' (rerun)' : ''}`);
  };
  const errorOf = (r: ReturnType<typeof planMigrations>): string => {
    if (r.ok) throw new Error('expected a refusal');
    return r.error;
  };

  describe('up', () => {
    it('plans the pending versions in order', () => {
      const st = migrationStatus(files, [applied(a)]);
      expect(names(plan(st, { direction: 'up' }))).toEqual(['0002_b.up.sql', '0003_c.up.sql', '0004_d.up.sql']);
      expect(names(plan(migrationStatus(files, files.map((m) => applied(m))), { direction: 'up' }))).toEqual([]);
    });

    it('re-runs failed and interrupted versions, flagged rerun', () => {
      const st = migrationStatus(files, [applied(a), applied(b, { state: 'failed', error: 'x' }), applied(c, { state: 'running' })]);
      const r = plan(st, { direction: 'up' });
      expect(names(r)).toEqual(['0002_b.up.sql (rerun)', '0003_c.up.sql (rerun)', '0004_d.up.sql']);
      if (r.ok) expect(r.steps[0]?.migration).toBe(b);
    });

    it('stops at "to", inclusive', () => {
      const st = migrationStatus(files, []);
      expect(names(plan(st, { direction: 'up', to: '0002' }))).toEqual(['0001_a.up.sql', '0002_b.up.sql']);
      expect(names(plan(st, { direction: 'up', to: '0001' }))).toEqual(['0001_a.up.sql']);
    });

    it('applies only the versions asked for', () => {
      const st = migrationStatus(files, [applied(a)]);
      expect(names(plan(st, { direction: 'up', only: ['0002'] }))).toEqual(['0002_b.up.sql']);
      expect(names(plan(st, { direction: 'up', only: ['0003', '0002'] }))).toEqual(['0002_b.up.sql', '0003_c.up.sql']);
    });

    it('refuses an "only" that would skip an earlier pending (or failed) version', () => {
      const st = migrationStatus(files, [applied(a)]);
      expect(errorOf(plan(st, { direction: 'up', only: ['0003'] }))).toBe('Refused: 0002_b is pending; apply it before 0003.');
      const failed = migrationStatus(files, [applied(a), applied(b, { state: 'failed' })]);
      expect(errorOf(plan(failed, { direction: 'up', only: ['0003'] }))).toBe('Refused: 0002_b is failed; apply it before 0003.');
    });

    it('lets a dry run of a later phase plan past the gap its earlier phases would fill', () => {
      const st = migrationStatus(files, [applied(a)]);
      expect(names(planMigrations(files, st, { direction: 'up', only: ['0003'] }, { allowGap: true }))).toEqual(['0003_c.up.sql']);
    });

    it('refuses unknown versions in "only" and "to", listing the known ones', () => {
      const st = migrationStatus(files, []);
      expect(errorOf(plan(st, { direction: 'up', only: ['0002', '0042'] }))).toBe('Unknown migration version 0042; known: 0001, 0002, 0003, 0004.');
      expect(errorOf(plan(st, { direction: 'up', to: '0042' }))).toBe('Unknown migration version 0042; known: 0001, 0002, 0003, 0004.');
    });

    it('refuses while an applied version has no file on disk (the files are not what this database was migrated with)', () => {
      const st = migrationStatus([a, c], [applied(a), applied(b)]);
      const r = plan(st, { direction: 'up' }, [a, c]);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/0002_b is applied to this database but not on disk/);
    });
  });

  describe('down', () => {
    it('rolls back applied versions in reverse order, with their down files', () => {
      const st = migrationStatus(files, [applied(a), applied(b), applied(c)]);
      const r = plan(st, { direction: 'down' });
      expect(names(r)).toEqual(['0003_c.down.sql', '0002_b.down.sql', '0001_a.down.sql']);
      if (r.ok) expect(r.steps.every((s) => !s.rerun && s.file === s.migration.down)).toBe(true);
    });

    it('keeps "to" itself: rolls back only the versions above it (0 = all)', () => {
      const st = migrationStatus(files, files.map((m) => applied(m)));
      expect(names(plan(st, { direction: 'down', to: '0002' }))).toEqual(['0004_d.down.sql', '0003_c.down.sql']);
      expect(names(plan(st, { direction: 'down', to: '0' }))).toHaveLength(4);
    });

    it('leaves out a failed transactional version (rolled back whole), but undoes a failed no-transaction one', () => {
      const nt = mig('0003', 'c', { up: '-- runbook: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (id);\n' });
      const fs = [a, b, nt];
      const st = migrationStatus(fs, [applied(a), applied(b, { state: 'failed' }), applied(nt, { state: 'failed' })]);
      expect(names(plan(st, { direction: 'down' }, fs))).toEqual(['0003_c.down.sql', '0001_a.down.sql']);
    });

    it('rolls back only the versions asked for', () => {
      const st = migrationStatus(files, files.map((m) => applied(m)));
      expect(names(plan(st, { direction: 'down', only: ['0003'] }))).toEqual(['0003_c.down.sql']);
    });

    it('refuses a version in range without a down file, and goes on when it is out of range', () => {
      const noDown = mig('0003', 'c', { down: false });
      const fs = [a, b, noDown, d];
      const st = migrationStatus(fs, fs.map((m) => applied(m)));
      expect(errorOf(plan(st, { direction: 'down' }, fs))).toBe(
        'Refused: 0003_c has no down file; it cannot be rolled back by script — restore from a backup instead.',
      );
      expect(names(plan(st, { direction: 'down', to: '0003' }, fs))).toEqual(['0004_d.down.sql']);
    });

    it('refuses a down when an applied version has no file any more', () => {
      const st = migrationStatus([a, c], [applied(a), applied(b), applied(c)]);
      expect(errorOf(plan(st, { direction: 'down' }, [a, c]))).toMatch(/^Refused: 0002_b is applied to this database but not on disk\. Check out the migration files/);
    });
  });

  it('refuses everything when an applied file drifted, naming the file and both checksums', () => {
    const st = migrationStatus(files, [applied(a), applied(b, { sha256: 'e'.repeat(64) })]);
    for (const req of [{ direction: 'up' as const }, { direction: 'down' as const }, { direction: 'up' as const, only: ['0003'] }]) {
      const err = errorOf(plan(st, req));
      expect(err).toMatch(/^Refused: an applied migration file has changed on disk since it was applied \(drift\)/);
      expect(err).toContain(`0002_b.up.sql: applied eeeeeeeeeeee, on disk ${short(b.up.sha256)}`);
      expect(err).toContain('Never edit an applied migration.');
    }
    const two = migrationStatus(files, [applied(a, { sha256: '1'.repeat(64) }), applied(b, { sha256: 'e'.repeat(64) })]);
    expect(errorOf(plan(two, { direction: 'up' }))).toMatch(/^Refused: 2 applied migration files have changed/);
  });
});

describe('isAbsenceProblem', () => {
  it('accepts what only says something is missing, and a workspace without an agent', () => {
    for (const p of ['missing table', 'missing index', 'missing enum', 'missing', 'workspaces without an agent']) expect(isAbsenceProblem(p), p).toBe(true);
  });

  it('refuses anything else', () => {
    for (const p of ['invalid index', 'wrong column type', 'unexpected column', 'missingness', 'not missing', 'workspaces without an agent (3)', 'Missing table', '']) {
      expect(isAbsenceProblem(p), p).toBe(false);
    }
  });
});
