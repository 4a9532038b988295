import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/core/migrations.js';
import { packageRoot } from '../../src/core/paths.js';
import {
  LintFailedError,
  lintMigrations,
  LintUnavailableError,
  SQUAWK_ENV,
  squawkPgVersion,
  type LintFinding,
  type LintResult,
} from '../../src/tools/lint.js';

/**
 * Preflight check 13 against the real squawk binary (the squawk-cli dependency): the project's own pending migrations,
 * and synthetic files with real lock hazards, once on existing tables (kept) and once on a table created earlier in
 * the same set of pending files (filtered, with a reason).
 */

const MIGRATIONS = path.join(packageRoot(), 'sql', 'migrations');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'parlant-lint-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env[SQUAWK_ENV];
});

function sqlFile(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const kept = (r: LintResult): LintFinding[] => r.findings.filter((f) => f.verdict === 'kept');
const filtered = (r: LintResult): LintFinding[] => r.findings.filter((f) => f.verdict === 'filtered');
const brief = (f: LintFinding): string => `${path.basename(f.file)}:${f.line} ${f.rule}`;
const at = (r: LintResult, file: string, line: number): LintFinding[] =>
  r.findings.filter((f) => f.file === file && f.line === line);

describe('the project migrations 0001-0003', () => {
  let result: LintResult;
  let files: { path: string; noTransaction: boolean }[];

  beforeAll(async () => {
    const migrations = await loadMigrations(MIGRATIONS);
    files = migrations
      .filter((m) => ['0001', '0002', '0003'].includes(m.version))
      .map((m) => ({ path: m.up.path, noTransaction: m.up.directives.includes('no-transaction') }));
    result = await lintMigrations(files, { pgVersion: '15' });
    // What squawk says, for the record.
    const counts = new Map<string, number>();
    for (const f of result.findings) counts.set(`${f.verdict} ${path.basename(f.file)} ${f.rule}`, (counts.get(`${f.verdict} ${path.basename(f.file)} ${f.rule}`) ?? 0) + 1);
    console.log(`${result.tool} ${result.version}:\n  ${[...counts].map(([k, n]) => `${n} × ${k}`).join('\n  ')}`);
  });

  it('reads the headers: 0001 is transactional, 0002 and 0003 are not', () => {
    expect(files.map((f) => [path.basename(f.path), f.noTransaction])).toEqual([
      ['0001_parlant_schema.up.sql', false],
      ['0002_parlant_indexes.up.sql', true],
      ['0003_default_agents.up.sql', true],
    ]);
    expect(result.tool).toBe('squawk');
    expect(result.version).toMatch(/^2\.\d+\.\d+$/);
    expect(result.files).toEqual(files.map((f) => f.path));
  });

  it('keeps nothing: every finding squawk has is irrelevant here, and each says why', () => {
    expect(kept(result).map(brief)).toEqual([]);
    expect(new Set(filtered(result).map((f) => f.rule))).toEqual(
      new Set(['prefer-bigint-over-int', 'prefer-timestamp-tz', 'require-lock-timeout', 'require-statement-timeout']),
    );
    for (const f of result.findings) expect(f.why, brief(f)).toMatch(/\w{10,}/);
  });

  it('filters the timeout rules once per file that has a slow statement (0001, 0002), because the engine sets the timeouts', () => {
    const timeouts = result.findings.filter((f) => f.rule.startsWith('require-') && f.rule.endsWith('-timeout'));
    expect(timeouts.map((f) => `${path.basename(f.file)} ${f.rule}`).sort()).toEqual([
      '0001_parlant_schema.up.sql require-lock-timeout',
      '0001_parlant_schema.up.sql require-statement-timeout',
      '0002_parlant_indexes.up.sql require-lock-timeout',
      '0002_parlant_indexes.up.sql require-statement-timeout',
    ]);
    for (const f of timeouts) expect(f.why).toMatch(/engine sets lock_timeout and statement_timeout/);
  });

  it('filters the type preferences, one per integer / timestamp column of 0001, with positions that point at the type', () => {
    const file0001 = files[0]?.path ?? '';
    const lines = readFileSync(file0001, 'utf8').split('\n');
    const columnsOf = (type: string): number => lines.filter((l) => new RegExp(`^\\s+(?:\\w+|"[^"]+")\\s+${type}\\b`).test(l)).length;
    const ints = result.findings.filter((f) => f.rule === 'prefer-bigint-over-int');
    const stamps = result.findings.filter((f) => f.rule === 'prefer-timestamp-tz');
    expect(ints.length).toBe(columnsOf('integer'));
    expect(stamps.length).toBe(columnsOf('timestamp'));
    expect(ints.length).toBeGreaterThan(0);
    expect(stamps.length).toBeGreaterThan(0);
    for (const f of [...ints, ...stamps]) {
      expect(f.file).toBe(file0001);
      expect(lines[f.line - 1]?.slice(f.column - 1), brief(f)).toMatch(f.rule === 'prefer-timestamp-tz' ? /^timestamp\b/ : /^integer\b/);
      expect(f.why).toMatch(/drizzle/);
    }
  });

  it('has nothing at all on 0003 (one INSERT … SELECT)', () => {
    expect(result.findings.filter((f) => f.file === files[2]?.path)).toEqual([]);
  });

  it('lints no-transaction files as autocommit: 0002 taken as transactional would break the CONCURRENTLY rule', async () => {
    const wrong = await lintMigrations([{ path: files[1]?.path ?? '', noTransaction: false }], { pgVersion: '15' });
    const bans = kept(wrong).filter((f) => f.rule === 'ban-concurrent-index-creation-in-transaction');
    const creates = readFileSync(files[1]?.path ?? '', 'utf8').split('\n').filter((l) => /^CREATE (UNIQUE )?INDEX CONCURRENTLY/.test(l));
    expect(bans.length).toBe(creates.length);
    expect(bans.length).toBeGreaterThan(100);
  });
});

describe('synthetic hazards', () => {
  const HAZARDS = (t: string): string =>
    [
      `CREATE INDEX ${t}_name_idx ON ${t} (name);`, // 1
      `ALTER TABLE ${t} ADD COLUMN y uuid DEFAULT gen_random_uuid();`, // 2: volatile default: rewrite
      `ALTER TABLE ${t} ALTER COLUMN name TYPE varchar(10);`, // 3
      `ALTER TABLE ${t} ADD CONSTRAINT ${t}_owner_fk FOREIGN KEY (owner_id) REFERENCES "user" (id);`, // 4
      `ALTER TABLE ${t} ADD CONSTRAINT ${t}_name_key UNIQUE (name);`, // 5
      `DROP INDEX ${t}_name_idx;`, // 6
      '',
    ].join('\n');

  let existing: LintResult;
  let fresh: LintResult;
  let createFile: string;
  let onExisting: string;
  let onNew: string;

  beforeAll(async () => {
    onExisting = sqlFile('0101_on_existing.up.sql', HAZARDS('workspace'));
    createFile = sqlFile(
      '0201_create.up.sql',
      '-- A new table; its key to "user" is in the next file.\nCREATE TABLE parlant_new (\n  id text PRIMARY KEY,\n  name text,\n  owner_id text,\n  parent_id text\n);\n',
    );
    onNew = sqlFile(
      '0202_on_new.up.sql',
      HAZARDS('parlant_new') + 'ALTER TABLE parlant_new ADD CONSTRAINT parlant_new_parent_fk FOREIGN KEY (parent_id) REFERENCES parlant_new (id);\n',
    );
    existing = await lintMigrations([{ path: onExisting, noTransaction: false }], { pgVersion: '15' });
    fresh = await lintMigrations(
      [
        { path: createFile, noTransaction: false },
        { path: onNew, noTransaction: false },
      ],
      { pgVersion: '15' },
    );
    for (const [name, r] of [['existing', existing], ['new', fresh]] as const) {
      console.log(`${name}:\n  ${r.findings.map((f) => `${f.verdict.padEnd(8)} ${brief(f)}${f.why ? ` — ${f.why.slice(0, 90)}…` : ''}`).join('\n  ')}`);
    }
  });

  it('keeps every lock hazard on an existing table', () => {
    expect(kept(existing).map(brief)).toEqual([
      '0101_on_existing.up.sql:1 require-concurrent-index-creation',
      '0101_on_existing.up.sql:2 adding-field-with-default',
      '0101_on_existing.up.sql:3 changing-column-type',
      '0101_on_existing.up.sql:4 constraint-missing-not-valid',
      '0101_on_existing.up.sql:4 adding-foreign-key-constraint',
      '0101_on_existing.up.sql:5 constraint-missing-not-valid',
      '0101_on_existing.up.sql:5 disallowed-unique-constraint',
      '0101_on_existing.up.sql:6 require-concurrent-index-deletion',
    ]);
    // Only the engine's own concerns and the type preference are filtered there.
    expect(filtered(existing).map((f) => f.rule).sort()).toEqual(['prefer-text-field', 'require-lock-timeout', 'require-statement-timeout']);
  });

  it('filters the same statements on a table created by an earlier pending file, saying so', () => {
    const lock = ['require-concurrent-index-creation', 'adding-field-with-default', 'changing-column-type', 'disallowed-unique-constraint', 'require-concurrent-index-deletion'];
    for (const rule of lock) {
      const f = fresh.findings.filter((x) => x.file === onNew && x.rule === rule);
      expect(f.length, rule).toBe(1);
      expect(f[0]?.verdict, rule).toBe('filtered');
      expect(f[0]?.why, rule).toMatch(/parlant_new is created by 0201_create\.up\.sql in this same set of pending migrations: nobody else/);
    }
    // The self-referencing key (line 7): both tables are new.
    expect(at(fresh, onNew, 7).map((f) => [f.rule, f.verdict])).toEqual([
      ['constraint-missing-not-valid', 'filtered'],
      ['adding-foreign-key-constraint', 'filtered'],
    ]);
    expect(at(fresh, onNew, 7)[1]?.why).toMatch(/referenced parlant_new is new as well/);
  });

  it('keeps the key from the new table to the existing "user": it locks "user"', () => {
    const line4 = at(fresh, onNew, 4);
    expect(line4.map((f) => [f.rule, f.verdict])).toEqual([
      ['constraint-missing-not-valid', 'filtered'],
      ['adding-foreign-key-constraint', 'kept'],
    ]);
    expect(line4[1]?.why).toMatch(/references "user", which already exists: adding the key takes SHARE ROW EXCLUSIVE on "user"/);
    expect(line4[1]?.why).toMatch(/lock_timeout/);
    expect(line4[0]?.why).toMatch(/squawk reports it as adding-foreign-key-constraint/);
    expect(kept(fresh).map(brief)).toEqual(['0202_on_new.up.sql:4 adding-foreign-key-constraint']);
  });

  it('does not treat a table as new when it is created only by a LATER file', async () => {
    const r = await lintMigrations(
      [
        { path: onNew, noTransaction: false },
        { path: createFile, noTransaction: false },
      ],
      { pgVersion: '15' },
    );
    expect(kept(r).map((f) => f.rule)).toContain('require-concurrent-index-creation');
    expect(kept(r).map((f) => f.rule)).toContain('changing-column-type');
  });

  it('squawk alone knows a table created earlier in the SAME file; the filter agrees', async () => {
    const same = sqlFile('0301_same.up.sql', readFileSync(createFile, 'utf8') + HAZARDS('parlant_new'));
    const r = await lintMigrations([{ path: same, noTransaction: false }], { pgVersion: '15' });
    // The key to the existing "user" is not reported by squawk 2.x inside the creating file; everything else is filtered.
    expect(kept(r).map(brief)).toEqual([]);
    expect(r.findings.length).toBeGreaterThan(0);
  });

  it('passes the server version: a constant default rewrites the table before PostgreSQL 11 only', async () => {
    const p = sqlFile('0401_default.up.sql', "ALTER TABLE workspace ADD COLUMN x text NOT NULL DEFAULT 'a';\n");
    const pg15 = await lintMigrations([{ path: p, noTransaction: false }], { pgVersion: '15.4 (Debian 15.4-1.pgdg120+1)' });
    const pg10 = await lintMigrations([{ path: p, noTransaction: false }], { pgVersion: '100023' });
    expect(pg15.findings.map((f) => f.rule)).not.toContain('adding-field-with-default');
    expect(kept(pg10).map((f) => f.rule)).toEqual(['adding-field-with-default']);
    const onNewPg10 = await lintMigrations(
      [
        { path: createFile, noTransaction: false },
        { path: sqlFile('0402_default.up.sql', "ALTER TABLE parlant_new ADD COLUMN x text NOT NULL DEFAULT 'a';\n"), noTransaction: false },
      ],
      { pgVersion: '10' },
    );
    expect(onNewPg10.findings.filter((f) => f.rule === 'adding-field-with-default').map((f) => f.verdict)).toEqual(['filtered']);
  });

  it('keeps prefer-robust-stmts in a no-transaction file (re-run is its recovery) and not in a transactional one', async () => {
    const text = '-- runbook: no-transaction\nCREATE TABLE parlant_other (id text PRIMARY KEY);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS parlant_other_idx ON parlant_other (id);\n';
    const p = sqlFile('0501_robust.up.sql', text);
    const noTx = await lintMigrations([{ path: p, noTransaction: true }], { pgVersion: '15' });
    expect(kept(noTx).map(brief)).toEqual(['0501_robust.up.sql:2 prefer-robust-stmts']);
    expect(kept(noTx)[0]?.why).toMatch(/run the file again/);
    const q = sqlFile('0502_robust.up.sql', 'CREATE TABLE parlant_other (id text PRIMARY KEY);\nBEGIN;\nCOMMIT;\n');
    const tx = await lintMigrations([{ path: q, noTransaction: false }], { pgVersion: '15' });
    expect(kept(tx).map(brief)).toEqual(['0502_robust.up.sql:2 transaction-nesting', '0502_robust.up.sql:3 transaction-nesting']);
  });

  it('maps positions after non-ASCII text and several statements on a line', async () => {
    const p = sqlFile('0601_pos.up.sql', "COMMENT ON TABLE workspace IS 'Größe';   CREATE INDEX ws_i ON workspace (name);\n");
    const r = await lintMigrations([{ path: p, noTransaction: false }], { pgVersion: '15' });
    const f = r.findings.find((x) => x.rule === 'require-concurrent-index-creation');
    expect(f?.verdict).toBe('kept');
    expect(f?.column).toBe("COMMENT ON TABLE workspace IS 'Größe';   ".length + 1);
  });
});

describe('squawk unavailable or broken', () => {
  it('a missing binary is LintUnavailableError naming npm ci', async () => {
    process.env[SQUAWK_ENV] = path.join(dir, 'no-such-squawk');
    const p = lintMigrations([{ path: path.join(MIGRATIONS, '0003_default_agents.up.sql'), noTransaction: true }], {});
    await expect(p).rejects.toBeInstanceOf(LintUnavailableError);
    await expect(p).rejects.toThrow(/npm ci/);
  });

  it('a file that is not a program is LintUnavailableError naming npm ci', async () => {
    const fake = sqlFile('not-a-program', 'just text\n');
    chmodSync(fake, 0o644);
    process.env[SQUAWK_ENV] = fake;
    const p = lintMigrations([{ path: path.join(MIGRATIONS, '0003_default_agents.up.sql'), noTransaction: true }], {});
    await expect(p).rejects.toBeInstanceOf(LintUnavailableError);
    await expect(p).rejects.toThrow(/npm ci/);
  });

  it('a squawk that prints no JSON report is LintFailedError', async () => {
    const fake = sqlFile('fake-squawk', '#!/bin/sh\nif [ "$1" = --version ]; then echo "squawk 2.0.0"; exit 0; fi\necho "panicked" >&2\nexit 101\n');
    chmodSync(fake, 0o755);
    process.env[SQUAWK_ENV] = fake;
    const p = lintMigrations([{ path: path.join(MIGRATIONS, '0003_default_agents.up.sql'), noTransaction: true }], {});
    await expect(p).rejects.toBeInstanceOf(LintFailedError);
    await expect(p).rejects.toThrow(/exited with code 101:\n {2}panicked/);
  });

  it('an aborted signal stops it', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(lintMigrations([{ path: path.join(MIGRATIONS, '0003_default_agents.up.sql'), noTransaction: true }], { signal: ac.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('reads PostgreSQL versions the way callers have them', () => {
    expect(squawkPgVersion('15')).toBe('15');
    expect(squawkPgVersion('15.4 (Debian 15.4-1)')).toBe('15.4');
    expect(squawkPgVersion('16beta1')).toBe('16');
    expect(squawkPgVersion('150004')).toBe('15.4');
    expect(squawkPgVersion('90624')).toBe('9.6');
    expect(() => squawkPgVersion('latest')).toThrow(/Not a PostgreSQL version/);
  });
});
