import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDirectives } from '../../src/core/migrations.js';
import { packageRoot } from '../../src/core/paths.js';
import {
  assessRisk,
  classifyChange,
  riskLines,
  windowNeedSeconds,
  type RiskAssessment,
  type RiskFactor,
  type RiskInputs,
} from '../../src/core/risk.js';

const MIGRATIONS = path.join(packageRoot(), 'sql', 'migrations');
const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function real(file: string): RiskInputs['pending'][number] {
  const sql = readFileSync(path.join(MIGRATIONS, file), 'utf8');
  return { file, sql, noTransaction: parseDirectives(sql, file).includes('no-transaction') };
}
const M1 = real('0001_parlant_schema.up.sql');
const M2 = real('0002_parlant_indexes.up.sql');
const M3 = real('0003_default_agents.up.sql');
const OURS = [M1, M2, M3];

function sql(text: string, file = '0004_test.up.sql', noTransaction = false): RiskInputs['pending'][number] {
  return { file, sql: text, noTransaction };
}

/** Every factor low: a tiny database, one new table, a whole day of window, down files for everything. */
function base(over: Partial<RiskInputs> = {}): RiskInputs {
  return {
    rows: 1000,
    largestTableBytes: 1 * MiB,
    databaseBytes: 100 * MiB,
    pending: [sql('CREATE TABLE things (id int PRIMARY KEY);')],
    downtimeMinutes: 24 * 60,
    rollback: { versionsWithoutDown: [], downDeletesData: false },
    ...over,
  };
}

function factor(a: RiskAssessment, name: RiskFactor['factor']): RiskFactor {
  const f = a.factors.find((x) => x.factor === name);
  if (!f) throw new Error(`no factor ${name}`);
  return f;
}

const levelOf = (over: Partial<RiskInputs>, name: RiskFactor['factor']): string => factor(assessRisk(base(over)), name).level;

describe('classifyChange on the real migrations', () => {
  it('0001 + 0002 + 0003 are additive, with one honest reason per file', () => {
    const c = classifyChange(OURS);
    expect(c.change).toBe('additive');
    expect(c.reasons).toHaveLength(3);
    expect(c.reasons[0]).toMatch(/^0001_parlant_schema\.up\.sql: new objects only — CREATE TYPE ×6, CREATE TABLE ×18, COMMENT ON TABLE ×18$/);
    expect(c.reasons[1]).toMatch(/^0002_parlant_indexes\.up\.sql: new objects only — CREATE INDEX CONCURRENTLY ×105, CREATE UNIQUE INDEX CONCURRENTLY ×10$/);
    // 0003 inserts into a table that 0001 (pending before it) creates
    expect(c.reasons[2]).toBe('0003_default_agents.up.sql: INSERT INTO parlant_agent — fills parlant_agent, a table 0001_parlant_schema.up.sql creates');
    for (const r of c.reasons) expect(r).not.toMatch(/transformative|destructive|existing|DROP|UPDATE|DELETE|not recognised/);
  });

  it('0003 alone is a backfill of an existing table: transformative', () => {
    const c = classifyChange([M3]);
    expect(c.change).toBe('transformative');
    expect(c.reasons).toEqual([expect.stringMatching(/^0003_default_agents\.up\.sql: INSERT INTO parlant_agent — transformative: adds rows to the existing parlant_agent/)]);
  });

  it('only EARLIER pending files make a table new', () => {
    expect(classifyChange([M1, M3]).change).toBe('additive');
    expect(classifyChange([M3, M1]).change).toBe('transformative');
  });

  it('0002 alone (indexes on tables that exist already) is still additive', () => {
    expect(classifyChange([M2]).change).toBe('additive');
  });
});

describe('classifyChange on synthetic SQL', () => {
  const destructive: [string, RegExp][] = [
    ['DROP TABLE workflow;', /DROP TABLE workflow — destructive: drops workflow/],
    ['ALTER TABLE workflow DROP COLUMN color;', /ALTER TABLE workflow DROP COLUMN color — destructive: drops a column/],
    ['DELETE FROM workflow WHERE archived;', /DELETE FROM workflow — destructive: deletes rows of the existing workflow/],
    ['TRUNCATE workflow;', /TRUNCATE workflow — destructive: empties workflow/],
    ['ALTER TABLE workflow ALTER COLUMN name TYPE varchar(20);', /ALTER TABLE workflow ALTER COLUMN name TYPE — destructive: .*varchar\(20\), which may narrow/],
    ['ALTER TABLE workflow DROP CONSTRAINT workflow_user_fk;', /destructive: removes a constraint/],
    ['WITH gone AS (DELETE FROM workflow RETURNING *) INSERT INTO workflow_archive SELECT * FROM gone;', /destructive: deletes rows/],
    ['DROP TYPE agent_status;', /DROP TYPE agent_status — destructive/],
  ];
  for (const [text, reason] of destructive) {
    it(`destructive: ${text}`, () => {
      const c = classifyChange([sql(text)]);
      expect(c.change).toBe('destructive');
      expect(c.reasons).toHaveLength(1);
      expect(c.reasons[0]).toMatch(/^0004_test\.up\.sql: /);
      expect(c.reasons[0]).toMatch(reason);
    });
  }

  const transformative: [string, RegExp][] = [
    ['ALTER TABLE workflow ADD COLUMN color text NOT NULL DEFAULT \'blue\';', /ADD COLUMN color — transformative: adds a column with a default/],
    ['UPDATE workflow SET color = \'red\' WHERE id < 100;', /UPDATE workflow — transformative: changes existing rows of workflow/],
    ['ALTER TABLE workflow ALTER COLUMN name TYPE text;', /transformative: changes a column type/],
    ['ALTER TABLE workflow ALTER COLUMN n TYPE bigint;', /transformative: changes a column type/],
    ['ALTER TABLE workflow RENAME COLUMN name TO title;', /transformative: renames/],
    ['ALTER TABLE workflow ADD CONSTRAINT wf_user_fk FOREIGN KEY (user_id) REFERENCES "user" (id);', /transformative: adds a constraint/],
    ['INSERT INTO workflow (id) SELECT id FROM "user";', /transformative: adds rows to the existing workflow/],
    ['DROP INDEX CONCURRENTLY IF EXISTS workflow_color_idx;', /transformative: drops workflow_color_idx \(no data lost/],
    ['DO $$ BEGIN PERFORM 1; END $$;', /not recognised/],
  ];
  for (const [text, reason] of transformative) {
    it(`transformative: ${text}`, () => {
      const c = classifyChange([sql(text)]);
      expect(c.change).toBe('transformative');
      expect(c.reasons[0]).toMatch(/^0004_test\.up\.sql: /);
      expect(c.reasons[0]).toMatch(reason);
    });
  }

  it('additive: creations, a nullable column, an enum label, comments, and anything done to tables created just before', () => {
    const c = classifyChange([
      sql(`CREATE TYPE mood AS ENUM ('happy');
CREATE TABLE scratch (id int, note text);
COMMENT ON TABLE scratch IS 'DROP TABLE "user"; DELETE FROM workflow';
INSERT INTO scratch (id) SELECT 1;
UPDATE scratch SET note = 'x';
DELETE FROM scratch WHERE id = 2;
CREATE INDEX scratch_id_idx ON scratch (id);
DROP INDEX scratch_id_idx;
ALTER TABLE scratch DROP COLUMN note;
DROP TABLE scratch;
-- DROP TABLE workflow;  (a comment, not a statement)
ALTER TABLE workflow ADD COLUMN nickname text;
ALTER TYPE agent_status ADD VALUE 'paused';
CREATE INDEX CONCURRENTLY workflow_nickname_idx ON workflow (nickname);`),
    ]);
    expect(c.reasons.join('\n')).not.toMatch(/transformative|destructive/);
    expect(c.change).toBe('additive');
  });

  it('the worst statement decides, and its reason comes first', () => {
    const c = classifyChange([
      sql('UPDATE workflow SET color = 1;', '0004_a.up.sql'),
      sql('CREATE TABLE t (id int);\nDROP TABLE workflow_log;', '0005_b.up.sql'),
    ]);
    expect(c.change).toBe('destructive');
    expect(c.reasons).toEqual([
      expect.stringMatching(/^0005_b\.up\.sql: DROP TABLE workflow_log — destructive/),
      expect.stringMatching(/^0004_a\.up\.sql: UPDATE workflow — transformative/),
    ]);
  });

  it('splits statements on one line and ignores semicolons inside literals and dollar quotes', () => {
    const c = classifyChange([sql("CREATE TABLE t (v text); INSERT INTO t VALUES ('a; DROP TABLE workflow'), ($$b; TRUNCATE workflow$$); DROP TABLE workflow_log;")]);
    expect(c.change).toBe('destructive');
    expect(c.reasons).toEqual([expect.stringMatching(/DROP TABLE workflow_log — destructive/)]);
  });

  it('nothing pending is additive', () => {
    expect(classifyChange([])).toEqual({ change: 'additive', reasons: ['nothing pending'] });
  });
});

describe('data volume', () => {
  it.each([
    [0, 'low'],
    [999_999, 'low'],
    [1_000_000, 'medium'],
    [5_000_000, 'medium'],
    [10_000_000, 'medium'],
    [10_000_001, 'high'],
  ])('%d rows → %s', (rows, level) => {
    expect(levelOf({ rows }, 'data volume')).toBe(level);
  });

  it('shows the count and the backfill time at 45 µs a row', () => {
    const f = factor(assessRisk(base({ rows: 1_500_000 })), 'data volume');
    expect(f.value).toBe('1,500,000 rows');
    expect(f.reason).toContain('≈ 68 s'); // 1.5M × 45 µs = 67.5 s
  });
});

describe('table size', () => {
  it.each([
    [GiB - 1, 'low'],
    [GiB, 'medium'],
    [10 * GiB, 'medium'],
    [10 * GiB + 1, 'high'],
  ])('largest table %d bytes → %s', (largestTableBytes, level) => {
    expect(levelOf({ largestTableBytes, databaseBytes: Math.max(largestTableBytes, 100 * MiB) }, 'table size')).toBe(level);
  });

  it.each([
    [32 * GiB - 1, 'low'],
    [32 * GiB, 'medium'],
    [128 * GiB, 'medium'],
    [128 * GiB + 1, 'high'],
  ])('database %d bytes (largest table small) → %s', (databaseBytes, level) => {
    expect(levelOf({ databaseBytes }, 'table size')).toBe(level);
  });

  it('takes the worse of the two and names both sizes', () => {
    const f = factor(assessRisk(base({ largestTableBytes: 20 * GiB, databaseBytes: 40 * GiB })), 'table size');
    expect(f.level).toBe('high');
    expect(f.value).toBe('largest 20 GB, database 40 GB');
    expect(f.reason).toMatch(/over 10 GB/);
  });
});

describe('change type factor', () => {
  it.each([
    ['CREATE TABLE t (id int);', 'low', 'additive'],
    ['UPDATE workflow SET a = 1;', 'medium', 'transformative'],
    ['DROP TABLE workflow;', 'high', 'destructive'],
  ])('%s → %s', (text, level, change) => {
    const a = assessRisk(base({ pending: [sql(text)] }));
    expect(a.change).toBe(change);
    expect(factor(a, 'change type').level).toBe(level);
    expect(factor(a, 'change type').value).toBe(`${change} (1 file, 1 statement)`);
  });

  it('carries the classification reasons, three at most', () => {
    const a = assessRisk(base({ pending: [sql('DROP TABLE a;\nDROP TABLE b;\nDROP TABLE c;\nDROP TABLE d;\nDROP TABLE e;')] }));
    expect(factor(a, 'change type').reason).toMatch(/DROP TABLE a .*DROP TABLE b .*DROP TABLE c .*; and 2 more$/);
  });
});

describe('estimates', () => {
  it('backup and restore follow the measured 1.3 GB: 31.9 s dump, 38.1 s restore', () => {
    const e = assessRisk(base({ databaseBytes: 1.3 * GiB })).estimates;
    expect(e.backupSeconds).toBe(32);
    expect(e.restoreSeconds).toBe(39);
  });

  it('scale linearly with the database bytes', () => {
    const small = assessRisk(base({ databaseBytes: 10 * GiB })).estimates;
    const big = assessRisk(base({ databaseBytes: 100 * GiB })).estimates;
    expect(big.backupSeconds / small.backupSeconds).toBeCloseTo(10, 1);
    expect(big.restoreSeconds / small.restoreSeconds).toBeCloseTo(10, 1);
    expect(assessRisk(base({ databaseBytes: 0 })).estimates).toMatchObject({ backupSeconds: 0, restoreSeconds: 0 });
  });

  it('a non-concurrent index build on an existing table scales with its bytes; on a new table it does not', () => {
    const onExisting = [sql('CREATE INDEX workflow_color_idx ON workflow (color);')];
    const small = assessRisk(base({ pending: onExisting, largestTableBytes: 1 * GiB })).estimates.migrateSeconds;
    const big = assessRisk(base({ pending: onExisting, largestTableBytes: 10 * GiB })).estimates.migrateSeconds;
    expect(small).toBeGreaterThanOrEqual(25);
    expect(big / small).toBeCloseTo(10, 0);
    const onNew = [sql('CREATE TABLE t (id int);\nCREATE INDEX t_idx ON t (id);')];
    expect(assessRisk(base({ pending: onNew, largestTableBytes: 10 * GiB })).estimates.migrateSeconds).toBe(1);
  });

  it('our backfill scales with the rows read (45 µs a row), the catalog work does not', () => {
    const at = (rows: number): number => assessRisk(base({ pending: OURS, rows, largestTableBytes: 50 * GiB })).estimates.migrateSeconds;
    expect(at(2_000_000) - at(1_000_000)).toBeGreaterThanOrEqual(44);
    expect(at(2_000_000) - at(1_000_000)).toBeLessThanOrEqual(46);
    expect(at(0)).toBeLessThan(30); // 42 catalog statements and 115 concurrent builds of empty tables
  });
});

describe('downtime window', () => {
  it('0 with our migrations: medium, for the brief foreign-key locks on the Sim tables', () => {
    const f = factor(assessRisk(base({ pending: OURS, downtimeMinutes: 0 })), 'downtime window');
    expect(f.level).toBe('medium');
    expect(f.value).toBe('0 min (hot-migrate)');
    expect(f.reason).toMatch(/7 statements briefly block writes to .*user/);
    expect(f.reason).toContain('lock_timeout');
  });

  it('0 with nothing that blocks an existing table: low', () => {
    expect(levelOf({ downtimeMinutes: 0 }, 'downtime window')).toBe('low');
    expect(levelOf({ downtimeMinutes: 0, pending: [sql('CREATE INDEX CONCURRENTLY w_idx ON workflow (color);', '0004_i.up.sql', true)] }, 'downtime window')).toBe('low');
  });

  it('0 with a long lock on a live table: high', () => {
    const cases = [
      sql('CREATE INDEX w_idx ON workflow (color);'),
      sql('ALTER TABLE workflow ALTER COLUMN n TYPE bigint;'),
      sql('ALTER TABLE workflow ADD CONSTRAINT wf_fk FOREIGN KEY (user_id) REFERENCES "user" (id);'),
      sql('ALTER TABLE workflow ADD COLUMN token uuid DEFAULT gen_random_uuid();'),
      sql('UPDATE workflow SET color = 1;'),
      // a brief ACCESS EXCLUSIVE held until COMMIT while a backfill runs in the same transaction
      sql('ALTER TABLE workflow ADD COLUMN color int;\nINSERT INTO workflow_log (id) SELECT id FROM workflow;'),
    ];
    for (const p of cases) {
      const f = factor(assessRisk(base({ downtimeMinutes: 0, pending: [p] })), 'downtime window');
      expect(f.level, p.sql).toBe('high');
      expect(f.reason, p.sql).toMatch(/for as long as it runs/);
    }
    const held = factor(assessRisk(base({ downtimeMinutes: 0, pending: [cases[5] as RiskInputs['pending'][number]] })), 'downtime window');
    expect(held.reason).toMatch(/held until COMMIT while INSERT INTO workflow_log/);
  });

  it('0 is not high when the same work is brief or batched', () => {
    // a constant default is catalog-only; the same ALTER without a later backfill is brief
    expect(levelOf({ downtimeMinutes: 0, pending: [sql('ALTER TABLE workflow ADD COLUMN color int DEFAULT 0;')] }, 'downtime window')).toBe('medium');
    // one statement per run in autocommit, repeated: no long transaction
    const batched = sql('-- runbook: no-transaction\n-- runbook: repeat-until-zero-rows\nUPDATE workflow SET color = 1 WHERE id IN (SELECT id FROM workflow WHERE color IS NULL LIMIT 1000);', '0004_b.up.sql', true);
    expect(levelOf({ downtimeMinutes: 0, pending: [batched] }, 'downtime window')).toBe('low');
    // the same statements in a file without a transaction: the ALTER's lock ends with the ALTER
    const split = sql('ALTER TABLE workflow ADD COLUMN color int;\nINSERT INTO workflow_log (id) SELECT id FROM workflow;', '0004_s.up.sql', true);
    expect(levelOf({ downtimeMinutes: 0, pending: [split] }, 'downtime window')).toBe('medium');
  });

  it('not given: at least medium, judged as if the application stays up', () => {
    const f = factor(assessRisk(base({ downtimeMinutes: undefined })), 'downtime window');
    expect(f.level).toBe('medium');
    expect(f.value).toBe('not given');
    expect(f.reason).toContain('--var downtime_minutes');
    expect(levelOf({ downtimeMinutes: undefined, pending: [sql('CREATE INDEX w_idx ON workflow (color);')] }, 'downtime window')).toBe('high');
  });

  it('a window is graded against backup + migration + restore + 15 min, at and around the boundaries', () => {
    const inputs = { pending: OURS, rows: 100_000, databaseBytes: 20 * GiB, largestTableBytes: 2 * GiB };
    const need = windowNeedSeconds(assessRisk(base({ ...inputs, downtimeMinutes: 60 })).estimates);
    const e = assessRisk(base({ ...inputs, downtimeMinutes: 60 })).estimates;
    expect(need).toBe(e.backupSeconds + e.migrateSeconds + e.restoreSeconds + 900);
    const at = (seconds: number): string => levelOf({ ...inputs, downtimeMinutes: seconds / 60 }, 'downtime window');
    expect(at(need - 1)).toBe('high');
    expect(at(need)).toBe('medium');
    expect(at(2 * need - 1)).toBe('medium');
    expect(at(2 * need)).toBe('low');
  });

  it('an estimated duration longer than the window is high, where hot-migrating the same change is medium', () => {
    const big = { pending: OURS, databaseBytes: 200 * GiB };
    const window = factor(assessRisk(base({ ...big, downtimeMinutes: 60 })), 'downtime window');
    expect(window.level).toBe('high');
    expect(window.value).toMatch(/^60 min, needs ≈ \d\.\d h$/);
    expect(window.reason).toMatch(/^shorter than/);
    expect(levelOf({ ...big, downtimeMinutes: 0 }, 'downtime window')).toBe('medium');
    // the seeds would call any window under an hour high: 30 minutes is plenty for 100 MB
    expect(levelOf({ downtimeMinutes: 40 }, 'downtime window')).toBe('low');
  });
});

describe('rollback', () => {
  it('down files for every one-transaction version: low', () => {
    const f = factor(assessRisk(base()), 'rollback');
    expect(f.level).toBe('low');
    expect(f.value).toBe('down files for the version');
    expect(f.reason).toBe('each up is one transaction (a failure undoes itself) and each has a down file');
  });

  it('no-transaction ups (ours): medium, naming them', () => {
    const f = factor(assessRisk(base({ pending: OURS })), 'rollback');
    expect(f.level).toBe('medium');
    expect(f.value).toBe('down files for all 3 versions');
    expect(f.reason).toMatch(/^0002_parlant_indexes\.up\.sql, 0003_default_agents\.up\.sql run without a transaction/);
  });

  it('missing down files: high, and a mitigation to write them', () => {
    const a = assessRisk(base({ pending: OURS, rollback: { versionsWithoutDown: ['0002', '0003'], downDeletesData: false } }));
    const f = factor(a, 'rollback');
    expect(f.level).toBe('high');
    expect(f.value).toBe('no down file for 0002, 0003');
    expect(f.reason).toMatch(/only a restore/);
    expect(a.mitigations).toContain('Write and test down files for 0002, 0003, or accept the restore as their only rollback');
  });

  it('a down that deletes data, or a destructive change: high', () => {
    expect(levelOf({ rollback: { versionsWithoutDown: [], downDeletesData: true } }, 'rollback')).toBe('high');
    expect(levelOf({ pending: [sql('ALTER TABLE workflow DROP COLUMN color;')] }, 'rollback')).toBe('high');
    expect(levelOf({ pending: [sql('UPDATE workflow SET color = 1;')] }, 'rollback')).toBe('low');
  });
});

describe('overall level and mitigations', () => {
  it('all low → low, with the low mitigations only', () => {
    const a = assessRisk(base());
    expect(a.factors.map((f) => f.level)).toEqual(['low', 'low', 'low', 'low', 'low']);
    expect(a.level).toBe('low');
    expect(a.mitigations[0]).toMatch(/verified backup/);
    expect(a.mitigations.join('\n')).not.toMatch(/second operator|trial restore/);
  });

  it('our migrations hot on a small database → medium', () => {
    const a = assessRisk(base({ pending: OURS, downtimeMinutes: 0, rows: 100_000 }));
    expect(a.level).toBe('medium');
    expect(a.change).toBe('additive');
  });

  it('the highest factor decides: one high factor makes it high, with the high mitigations', () => {
    const a = assessRisk(base({ rollback: { versionsWithoutDown: ['0004'], downDeletesData: false } }));
    expect(a.level).toBe('high');
    expect(a.mitigations.join('\n')).toMatch(/second operator/);
    expect(a.mitigations.join('\n')).toMatch(/trial restore/);
    expect(a.mitigations.join('\n')).toMatch(/Stage the rollout/);
  });

  it('volume and size count at most medium for an additive change without long locks', () => {
    const huge = { rows: 50_000_000, largestTableBytes: 50 * GiB, databaseBytes: 500 * GiB, downtimeMinutes: 0 };
    const additive = assessRisk(base({ ...huge, pending: [M1] }));
    expect(factor(additive, 'data volume').level).toBe('high');
    expect(factor(additive, 'table size').level).toBe('high');
    expect(additive.level).toBe('medium');
    // a long lock or a transformative change lifts the cap
    expect(assessRisk(base({ ...huge, downtimeMinutes: 24 * 60 * 7, pending: [sql('CREATE INDEX w_idx ON workflow (color);')] })).level).toBe('high');
    expect(assessRisk(base({ ...huge, downtimeMinutes: 24 * 60 * 7, pending: [sql('UPDATE workflow SET color = 1;', '0004_u.up.sql', true)] })).level).toBe('high');
  });

  it('factors are always the five, in order', () => {
    for (const a of [assessRisk(base()), assessRisk(base({ pending: [] , downtimeMinutes: undefined }))]) {
      expect(a.factors.map((f) => f.factor)).toEqual(['data volume', 'table size', 'change type', 'downtime window', 'rollback']);
    }
  });
});

describe('riskLines', () => {
  it('one line per factor, then overall, estimates and the mitigations as bullets', () => {
    const a = assessRisk(base({ pending: OURS, downtimeMinutes: 0, rows: 12_000_000, databaseBytes: 1.3 * GiB }));
    const lines = riskLines(a);
    const names = ['data volume', 'table size', 'change type', 'downtime window', 'rollback'];
    names.forEach((n, k) => {
      const f = a.factors[k] as RiskFactor;
      expect(lines[k]).toBe(`${n.padEnd(15)}  ${f.level.toUpperCase().padEnd(6)}  ${f.value} — ${f.reason}`);
    });
    expect(a.level).toBe('medium'); // data volume is high (12M rows), capped: additive, no long lock
    expect(lines[5]).toBe(`${'overall'.padEnd(15)}  MEDIUM  the highest factor, with data volume and table size counted at most MEDIUM (an additive change that holds no long lock)`);
    expect(lines[6]).toMatch(/^estimates \(rough, scaled from pg_dump\/pg_restore measured on 2 cores\): backup ≈ 32 s, restore ≈ 39 s, migration ≈ \d+ (s|min)$/);
    expect(lines[7]).toBe('mitigations (MEDIUM):');
    expect(lines.slice(8)).toEqual(a.mitigations.map((m) => `  - ${m}`));
    for (const l of lines) expect(l).not.toMatch(/\x1b|\n/);
  });

  it('says "the highest factor" when no cap applied', () => {
    const lines = riskLines(assessRisk(base({ pending: [sql('DROP TABLE workflow;')] })));
    expect(lines[5]).toBe(`${'overall'.padEnd(15)}  HIGH    the highest factor`);
  });

  it('sizes print like pg_size_pretty', () => {
    const f = factor(assessRisk(base({ largestTableBytes: 512 * KiB, databaseBytes: 1.3 * GiB })), 'table size');
    expect(f.value).toBe('largest 512 kB, database 1.3 GB');
  });
});
