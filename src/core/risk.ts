// The preflight risk assessment: the seeds' risk matrix ("Migration Risk Matrix", procedures seed §2 Risk
// Assessment) computed from live numbers — rows, table and database size, the pending migrations' SQL, the planned
// downtime window and the down files — into Low / Medium / High per factor, with the reason for each and the
// mitigations the level calls for.
//
// Pure: it reads numbers and SQL text (through lockinfo's recogniser) and never a database.
//
// Where this differs from the seeds, and why (each is repeated next to the code it concerns):
// - Data volume: the seeds' 1M / 10M rows are kept.
// - Table size: the seeds' 1 GB / 10 GB are kept for the LARGEST table, and the whole database is graded too, by
//   what it costs to restore (32 GiB ≈ 15 min, 128 GiB ≈ 1 h at the measured speed), because the restore is the
//   rollback of last resort.
// - Change type: the seeds' three classes, but decided per statement against what already exists: a table created
//   by an earlier pending file is new, so filling it is additive (our 0003). Adding a column WITH a default is not
//   additive as the seeds say: every existing row gets the value (a volatile default rewrites the table).
// - Downtime window: the seeds grade the window in absolute hours (> 4 h low, < 1 h high). That is backwards for
//   small databases and too kind to big ones: a window is safe or not relative to what must fit into it (backup,
//   migration, a restore if it fails). A window of 0 (hot-migrate) is graded by what the statements lock on live
//   tables instead.
// - Rollback: "simple / moderate / complex" made concrete: a missing down file, a down that deletes data, or a
//   destructive change (a down re-creates a dropped column, never its data) is complex.
// - Overall: the highest factor, except that data volume and table size count at most Medium for an additive change
//   that holds no long lock: such a change costs the same on ten rows as on ten billion.

import { lockConflicts, sqlStatements, statementLocks, type StatementLocks } from './lockinfo.js';
import { codeOnly, parseDirectives } from './migrations.js';

export type Level = 'low' | 'medium' | 'high';
export type ChangeType = 'additive' | 'transformative' | 'destructive';

export interface RiskInputs {
  /** Row estimates of the tables the pending migrations touch or lock (e.g. the five Sim tables the FKs reference, the tables a backfill reads). */
  rows: number;
  /** Bytes of the largest of those tables, and of the whole database. */
  largestTableBytes: number;
  databaseBytes: number;
  /** The SQL text of each pending up file, in order, with its file name (to classify the change and find reasons). */
  pending: { file: string; sql: string; noTransaction: boolean }[];
  /** Planned downtime window in minutes (config or --var downtime_minutes); 0 = zero-downtime (hot-migrate); undefined = not given. */
  downtimeMinutes?: number;
  /** Down files present for each pending version, and whether a down deletes data that the up did not create (true for none of ours). */
  rollback: { versionsWithoutDown: string[]; downDeletesData: boolean };
}

export interface RiskFactor {
  factor: 'data volume' | 'table size' | 'change type' | 'downtime window' | 'rollback';
  level: Level;
  value: string;
  reason: string;
}

export interface RiskAssessment {
  /** The highest factor, with data volume and table size capped at medium for an additive change without long locks. */
  level: Level;
  /** Always all five, in the order of FACTORS. */
  factors: RiskFactor[];
  change: ChangeType;
  /** Rough estimates scaled from measured speeds (DESIGN §11, README 0003), in whole seconds. */
  estimates: { backupSeconds: number; restoreSeconds: number; migrateSeconds: number };
  mitigations: string[];
}

export const FACTORS: readonly RiskFactor['factor'][] = ['data volume', 'table size', 'change type', 'downtime window', 'rollback'];

// ---------------------------------------------------------------------------------------------------------------
// Measured facts and thresholds

const GiB = 1024 ** 3;

/**
 * DESIGN §11: a 1.3 GB Sim-like database (one 4-million-row table dominating), PostgreSQL 15, 2 cores:
 * `pg_dump -Fc` 31.9 s, `pg_restore -d` 38.1 s. sql/migrations/README.md, 0003: 100 000 workspaces backfilled in
 * 101 batches in 4.5 s. Estimates scale these linearly; a faster server only makes them pessimistic.
 */
export const MEASURED = {
  databaseBytes: 1.3 * GiB,
  dumpSeconds: 31.9,
  restoreSeconds: 38.1,
  /** 4.5 s / 100 000 rows: one row of a batched backfill, reading and writing through indexes. */
  backfillSecondsPerRow: 4.5 / 100_000,
} as const;

/** ≈ 44 MB/s: pg_dump -Fc at its default compression. */
export const DUMP_BYTES_PER_SECOND = MEASURED.databaseBytes / MEASURED.dumpSeconds;
/**
 * ≈ 37 MB/s: pg_restore, i.e. writing the data and building every index. Also used for a rewrite or an index
 * build of one table, which is the same work for that table.
 */
export const RESTORE_BYTES_PER_SECOND = MEASURED.databaseBytes / MEASURED.restoreSeconds;
/** A statement that only changes the catalog (CREATE TYPE, CREATE TABLE, COMMENT, …): milliseconds; 50 ms is generous. */
const CATALOG_SECONDS = 0.05;
/**
 * CREATE INDEX CONCURRENTLY of an empty (new) table: two catalog transactions and three waits for older
 * transactions; about 0.1 s on an idle server (not measured here: an assumption, dominated by those waits).
 */
const CONCURRENT_NEW_SECONDS = 0.1;

export const THRESHOLDS = {
  /**
   * The seeds' < 1M low, 1M–10M medium, > 10M high, kept: at the measured 45 µs a row a backfill of 1M rows takes
   * ≈ 45 s and of 10M ≈ 7.5 min, and a scan under lock lasts as long. At 10M a backfill needs pacing (replicas,
   * autovacuum); below 1M it is over before anyone notices.
   */
  rows: { medium: 1_000_000, high: 10_000_000 },
  /**
   * The seeds' < 1 GB low, 1–10 GB medium, > 10 GB high, kept for the largest table (GiB, as pg_size_pretty
   * counts): an index build or rewrite of it under lock runs at about the restore speed, ≈ 30 s for 1 GiB and
   * ≈ 5 min for 10 GiB — far beyond what writers queued behind a lock tolerate.
   */
  largestTableBytes: { medium: 1 * GiB, high: 10 * GiB },
  /**
   * Not in the seeds: the whole database, graded by its restore (the rollback of last resort) at the measured
   * ≈ 37 MB/s: 32 GiB ≈ 15 min (a restore fits a routine window), 128 GiB ≈ 1 h (it dominates any window).
   */
  databaseBytes: { medium: 32 * GiB, high: 128 * GiB },
  /**
   * Replaces the seeds' absolute > 4 h / 1–4 h / < 1 h. A window must hold the estimated backup + migration +
   * restore plus a fixed 15 minutes for the people (verify, smoke test, the go/no-go call): shorter is high,
   * less than twice that is medium (no slack for a retry or a slow restore), twice or more is low.
   */
  window: { operatorSeconds: 15 * 60, lowFactor: 2 },
} as const;

const ORDER: readonly Level[] = ['low', 'medium', 'high'];

function maxLevel(...levels: Level[]): Level {
  return levels.reduce<Level>((a, b) => (ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a), 'low');
}

function minLevel(a: Level, b: Level): Level {
  return ORDER.indexOf(a) <= ORDER.indexOf(b) ? a : b;
}

/** below medium: low; medium up to and including high: medium; above high: high (the seeds' "<", "–", ">"). */
function grade(x: number, t: { medium: number; high: number }): Level {
  return x > t.high ? 'high' : x >= t.medium ? 'medium' : 'low';
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let v = Math.max(0, bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${Math.round(v)} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function formatRows(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Statements

type Effect = ChangeType | 'none';

/** How a statement's run time grows: not at all, with one table's bytes, or with rows. */
type Work = 'catalog' | 'concurrent-new' | 'concurrent-existing' | 'table' | 'rows';

interface Analysed {
  file: string;
  summary: string;
  effect: Effect;
  /** For transformative and destructive statements: what makes them so. For additive DML: the table's creator. */
  why: string;
  /** Existing tables whose writes (or reads) wait while the statement's locks are held. */
  blocks: string[];
  /** Why its blocking locks last as long as a scan, a rewrite or a backfill (undefined: they are brief). */
  long?: string;
  work: Work;
}

/** The pending files' statements, classified in order against the objects earlier statements created. */
interface Analysis {
  statements: Analysed[];
}

/** The unquoted, unqualified name: `public."User"` → `User`, `parlant_agent` → `parlant_agent`. */
function bare(name: string): string {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return last.startsWith('"') && last.endsWith('"') && last.length >= 2 ? last.slice(1, -1).replaceAll('""', '"') : last;
}

/** The summary's leading key words: 'CREATE UNIQUE INDEX CONCURRENTLY x' → 'CREATE UNIQUE INDEX CONCURRENTLY'. */
function summaryKind(summary: string): string {
  const words: string[] = [];
  for (const w of summary.split(' ')) {
    if (!/^[A-Z]+$/.test(w)) break;
    words.push(w);
  }
  return words.join(' ');
}

/** The names after the summary's key words ('DROP TABLE a, "user"' → ['a', 'user']). */
function summaryNames(summary: string): string[] {
  const rest = summary.slice(summaryKind(summary).length).trim();
  return rest === '' ? [] : rest.split(', ').map(bare);
}

const WHY_CREATED = 'the table being created';
const WHY_WRITTEN = 'the table written';
const WHY_READ = 'read by the statement';
const WHY_ALTERED = 'the table altered';
const WHY_DROPPED = 'the table being dropped';

/** Notes of lockinfo meaning "the lock is held while the whole table is read or rewritten". */
const LONG_NOTE =
  /scans the whole table|rewrites the table and its indexes|rewrites \(copies\)|scans every existing row|checks every existing row|scans the table for NULLs|builds an index while holding|generated column rewrites|^rewrites the table$/;
/** Defaults that PostgreSQL must compute per row, so ADD COLUMN … DEFAULT rewrites the table (a constant does not). */
const VOLATILE_DEFAULT = /\b(random|clock_timestamp|timeofday|gen_random_uuid|uuid_generate_v\w*|nextval)\s*\(|\b(small|big)?serial[248]?\b/i;
/** Target types that hold less than many types they are converted from: values may be rejected, cut or rounded. */
const NARROW_TYPE =
  /^(varchar|character varying|char|character|bpchar|numeric|decimal)\s*\(|^(smallint|int2|integer|int|int4|real|float4|date|boolean|bool)\b|^(timestamp|time)\s*\(/i;

/** A lock's table as the analysis compares it: '(table of x_idx)' stands for the index's table. */
function lockSubject(table: string): { name: string; viaIndex: boolean } {
  const m = /^\((?:table|indexes) of (.+)\)$/.exec(table);
  if (!m) return { name: bare(table), viaIndex: false };
  return { name: bare(m[1] ?? ''), viaIndex: table.startsWith('(table of') };
}

class Registry {
  /** bare name → the file that created it (tables, views, indexes, types, functions: one namespace is enough here). */
  private readonly created = new Map<string, string>();

  add(name: string, file: string): void {
    if (!this.created.has(name)) this.created.set(name, file);
  }

  creator(name: string): string | undefined {
    return this.created.get(bare(name));
  }

  isNew(name: string): boolean {
    return this.created.has(bare(name));
  }

  /** A lock's table is new: created earlier, or the table of an index created earlier (CREATE INDEX … ON new). */
  lockIsNew(table: string): boolean {
    return this.isNew(lockSubject(table).name);
  }
}

function repeats(sql: string, file: string): boolean {
  try {
    return parseDirectives(sql, file).includes('repeat-until-zero-rows');
  } catch {
    return false;
  }
}

/** ALTER TABLE on an existing table: the worst of its subcommands. */
function alterTableEffect(summary: string, code: string): { effect: Effect; why: string } {
  const labels = summary.replace(/^ALTER TABLE \S+ ?/, '');
  const found: { effect: Effect; why: string }[] = [];
  if (/\bDROP COLUMN\b/.test(labels)) found.push({ effect: 'destructive', why: 'drops a column: its data is gone' });
  if (/\bDROP CONSTRAINT\b/.test(labels)) {
    found.push({ effect: 'destructive', why: 'removes a constraint: data it kept out can come in, and re-adding it may fail' });
  }
  for (const m of code.matchAll(/\balter\s+(?:column\s+)?(?:"(?:[^"]|"")+"|[\w$]+)\s+(?:set\s+data\s+)?type\s+([^,]+)/gi)) {
    const type = (m[1] ?? '').trim();
    if (NARROW_TYPE.test(type)) {
      // the old type is not in the text: a bounded target type is treated as a narrowing (confirm it)
      found.push({ effect: 'destructive', why: `changes a column's type to ${type.split(/\s+using\s+/i)[0]}, which may narrow it: values that do not fit are rejected, or cut/rounded by a USING cast` });
    } else found.push({ effect: 'transformative', why: 'changes a column type: existing values are converted' });
  }
  if (/\bADD COLUMN\b/.test(labels)) {
    if (/\b(default|generated)\b|\bnot\s+null\b|serial[248]?\b/i.test(code)) {
      found.push({ effect: 'transformative', why: 'adds a column with a default or NOT NULL: every existing row gets a value' });
    }
    // a nullable column without a default is catalog-only: existing rows read NULL (additive, no entry here)
  }
  if (/\bADD\b(?! COLUMN)/.test(labels)) found.push({ effect: 'transformative', why: 'adds a constraint: every existing row must satisfy it, or the statement fails' });
  if (/\bRENAME\b/.test(labels)) found.push({ effect: 'transformative', why: 'renames: the running application still uses the old name' });
  if (/\bALTER COLUMN \S+ (SET NOT NULL|DROP|SET DEFAULT|SET EXPRESSION|ADD|SET GENERATED)/.test(labels)) {
    found.push({ effect: 'transformative', why: 'alters existing columns' });
  }
  if (/\b(SET (LOGGED|UNLOGGED|TABLESPACE|ACCESS METHOD|SCHEMA|WITHOUT OIDS)|ENABLE|DISABLE|INHERIT|NO INHERIT|OF|NOT OF|OWNER|REPLICA IDENTITY|ATTACH|DETACH|ALTER CONSTRAINT)\b/.test(labels)) {
    found.push({ effect: 'transformative', why: 'changes how an existing table is stored or behaves' });
  }
  const order: Effect[] = ['destructive', 'transformative'];
  for (const e of order) {
    const hit = found.find((f) => f.effect === e);
    if (hit) return hit;
  }
  // VALIDATE CONSTRAINT, a nullable ADD COLUMN, SET STATISTICS, …: nothing existing changes
  return { effect: /\bVALIDATE CONSTRAINT\b|\bADD COLUMN\b/.test(labels) ? 'additive' : 'transformative', why: 'alters an existing table' };
}

/** What one statement does to existing data (before its own creations are registered). */
function effectOf(stmt: string, code: string, sl: StatementLocks, reg: Registry): { effect: Effect; why: string } {
  const kind = summaryKind(sl.summary);
  const word = (/^\s*([A-Za-z]+)/.exec(code)?.[1] ?? '').toLowerCase();
  const existingWritten = sl.locks.filter((l) => l.why === WHY_WRITTEN && !reg.lockIsNew(l.table)).map((l) => bare(l.table));

  // DML, including WITH … INSERT and data-modifying CTEs: judged by the tables written
  if (/^(INSERT INTO|UPDATE|DELETE FROM|MERGE INTO)$/.test(kind) || (word === 'with' && sl.locks.some((l) => l.why === WHY_WRITTEN))) {
    const target = sl.locks.find((l) => l.why === WHY_WRITTEN);
    if (existingWritten.length === 0) {
      const creator = target ? reg.creator(target.table) : undefined;
      return { effect: 'additive', why: creator ? `fills ${bare(target?.table ?? '')}, a table ${creator} creates` : 'writes only tables created by the pending migrations' };
    }
    const list = existingWritten.join(', ');
    if (kind === 'DELETE FROM' || /\bdelete\s+from\b/i.test(code) || /\bthen\s+delete\b/i.test(code)) {
      return { effect: 'destructive', why: `deletes rows of the existing ${list}` };
    }
    if (kind === 'INSERT INTO' && !/\bupdate\b/i.test(code)) {
      return { effect: 'transformative', why: `adds rows to the existing ${list}, which the application sees (a backfill)` };
    }
    return { effect: 'transformative', why: `changes existing rows of ${list}` };
  }

  switch (word) {
    case 'create': {
      if (/^\s*create\s+or\s+replace\b/i.test(code)) {
        const name = summaryNames(sl.summary)[0] ?? '';
        if (reg.isNew(name)) return { effect: 'additive', why: '' };
        return { effect: 'transformative', why: 'may replace an existing definition' };
      }
      if (kind === 'CREATE TRIGGER') {
        const table = sl.locks[0]?.table;
        if (table && !reg.lockIsNew(table)) return { effect: 'transformative', why: `changes what every write to the existing ${bare(table)} does` };
      }
      // tables, types, indexes, sequences, roles…: new objects (an index on an existing table included; its lock is
      // judged by the downtime factor)
      return { effect: 'additive', why: '' };
    }
    case 'comment':
      return { effect: 'additive', why: '' };
    case 'drop': {
      const dropped = kind === 'DROP INDEX' || kind === 'DROP INDEX CONCURRENTLY'
        ? summaryNames(sl.summary)
        : sl.locks.some((l) => l.why === WHY_DROPPED)
          ? sl.locks.filter((l) => l.why === WHY_DROPPED).map((l) => bare(l.table))
          : summaryNames(sl.summary);
      if (dropped.length > 0 && dropped.every((n) => reg.isNew(n))) return { effect: 'none', why: '' };
      const names = dropped.join(', ');
      // Index, view, function, trigger, rule, policy: definitions only, no data; re-creating them is the rollback.
      // The seeds count every DROP as destructive; these lose nothing a down file cannot put back.
      if (/^DROP (INDEX|VIEW|FUNCTION|PROCEDURE|ROUTINE|TRIGGER|RULE|POLICY)\b/.test(kind) && !/\bcascade\s*$/i.test(code)) {
        return { effect: 'transformative', why: `drops ${names || 'a definition'} (no data lost; queries relying on it change)` };
      }
      return { effect: 'destructive', why: `drops ${names || kind.slice(5).toLowerCase()}: what it holds is gone` };
    }
    case 'truncate': {
      const tables = sl.locks.map((l) => l.table).filter((t) => !reg.lockIsNew(t)).map(bare);
      if (tables.length === 0) return { effect: 'none', why: '' };
      return { effect: 'destructive', why: `empties ${tables.join(', ')}` };
    }
    case 'alter': {
      if (kind === 'ALTER TABLE') {
        const table = sl.locks.find((l) => l.why === WHY_ALTERED)?.table ?? '';
        if (reg.lockIsNew(table)) return { effect: 'additive', why: '' };
        return alterTableEffect(sl.summary, code);
      }
      const name = summaryNames(sl.summary)[0] ?? /^\s*alter\s+\w+\s+(?:if\s+exists\s+)?("(?:[^"]|"")+"|[\w$.]+)/i.exec(code)?.[1] ?? '';
      if (name !== '' && reg.isNew(name)) return { effect: 'additive', why: '' };
      // ALTER TYPE … ADD VALUE adds a label: no stored value changes
      if (/^ALTER TYPE \S+ ADD VALUE$/.test(sl.summary)) return { effect: 'additive', why: '' };
      return { effect: 'transformative', why: `alters the existing ${name || 'object'}` };
    }
    case 'select':
    case 'with':
    case 'values':
    case 'table':
    case 'vacuum':
    case 'analyze':
    case 'analyse':
    case 'reindex':
    case 'cluster':
    case 'refresh':
    case 'lock':
    case 'set':
    case 'reset':
    case 'show':
    case 'begin':
    case 'start':
    case 'commit':
    case 'end':
    case 'rollback':
    case 'abort':
    case 'savepoint':
    case 'release':
      // change no data (their locks still count below)
      return { effect: 'none', why: '' };
    case 'grant':
    case 'revoke':
      return { effect: 'transformative', why: 'changes privileges the application relies on' };
    default:
      return { effect: 'transformative', why: `not recognised (${stmt.split(' ').slice(0, 3).join(' ')}…): counted as transformative until a person checks it` };
  }
}

function analyse(pending: RiskInputs['pending']): Analysis {
  const reg = new Registry();
  const statements: Analysed[] = [];
  for (const p of pending) {
    const batched = repeats(p.sql, p.file);
    const first = statements.length;
    for (const stmt of sqlStatements(p.sql)) {
      const sl = statementLocks(stmt);
      const code = codeOnly(stmt);
      const { effect, why } = effectOf(stmt, code, sl, reg);
      const kind = summaryKind(sl.summary);
      // existing tables whose writes wait (ROW EXCLUSIVE conflicts), judged against everything created so far
      const blocks = [
        ...new Set(
          sl.locks
            .filter((l) => l.why !== WHY_CREATED && !reg.lockIsNew(l.table) && lockConflicts(l.mode, 'ROW EXCLUSIVE'))
            .map((l) => (l.table.startsWith('(') ? `${lockSubject(l.table).name}'s table` : bare(l.table))),
        ),
      ];
      const touchesExisting = sl.locks.some((l) => l.why !== WHY_CREATED && !reg.lockIsNew(l.table) && (l.why === WHY_WRITTEN || l.why === WHY_READ));
      const concurrent = /\bCONCURRENTLY\b/.test(kind);
      let long: string | undefined;
      let work: Work = 'catalog';
      if (blocks.length > 0) {
        const noteHit = sl.notes.find((n) => LONG_NOTE.test(n));
        if (noteHit) long = noteHit;
        else if (sl.notes.some((n) => n.startsWith('rewrites the table if the default is volatile')) && VOLATILE_DEFAULT.test(code)) {
          long = 'rewrites the table: the default is volatile';
        } else if (/^REINDEX (TABLE|INDEX)$/.test(kind)) long = 'rebuilds the indexes while writes wait';
      }
      if (long !== undefined) work = 'table';
      if (/^(UPDATE|DELETE FROM|MERGE INTO)$/.test(kind) && effect !== 'additive' && effect !== 'none') {
        work = 'rows';
        if (!batched) long = 'one transaction over every row it changes: concurrent writes to those rows wait until it commits (batch it by key ranges)';
      } else if (touchesExisting && long === undefined) work = 'rows'; // a backfill or a query reading live tables
      if (concurrent && kind.startsWith('CREATE')) {
        const table = sl.locks[0]?.table ?? '';
        work = reg.lockIsNew(table) ? 'concurrent-new' : 'concurrent-existing';
      }
      statements.push({ file: p.file, summary: sl.summary, effect, why, blocks, ...(long !== undefined ? { long } : {}), work });
      // register what this statement created
      for (const l of sl.locks) if (l.why === WHY_CREATED) reg.add(bare(l.table), p.file);
      if (/^CREATE (UNIQUE )?INDEX( CONCURRENTLY)?$/.test(kind) || /^CREATE (TYPE|DOMAIN|FUNCTION|PROCEDURE|SCHEMA|EXTENSION|VIEW|MATERIALIZED VIEW|TRIGGER)$/.test(kind)) {
        for (const n of summaryNames(sl.summary)) reg.add(n, p.file);
      }
      for (const m of code.matchAll(/^\s*create\s+(?:temp(?:orary)?\s+|unlogged\s+)?sequence\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[\w$.]+)/gi)) reg.add(bare(m[1] ?? ''), p.file);
    }
    // A transactional file holds every lock until COMMIT: a brief lock taken before a statement that scans, rewrites
    // or backfills is held as long as that statement runs.
    if (!p.noTransaction) {
      const inFile = statements.slice(first);
      inFile.forEach((s, k) => {
        if (s.blocks.length === 0 || s.long !== undefined) return;
        const later = inFile.slice(k + 1).find((t) => t.work === 'table' || t.work === 'rows');
        if (later) s.long = `held until COMMIT while ${later.summary} runs in the same transaction`;
      });
    }
  }
  return { statements };
}

// ---------------------------------------------------------------------------------------------------------------
// classifyChange

/**
 * additive: only CREATE (tables, types, indexes, CONCURRENTLY or not), COMMENT, and writes into tables created by
 * the pending files themselves (earlier statements or files count as new); transformative: ALTER of existing objects,
 * a column with a default, type changes, UPDATE of existing rows, backfills into existing tables, renames;
 * destructive: DROP of tables/columns/types, DELETE, TRUNCATE, removed constraints, possible type narrowing.
 * Reasons: for a non-additive change, the statements that make it so (worst first); for an additive one, what
 * each file creates or fills.
 */
export function classifyChange(pending: RiskInputs['pending']): { change: ChangeType; reasons: string[] } {
  return classifyAnalysed(analyse(pending));
}

function classifyAnalysed(a: Analysis): { change: ChangeType; reasons: string[] } {
  const destructive = a.statements.filter((s) => s.effect === 'destructive');
  const transformative = a.statements.filter((s) => s.effect === 'transformative');
  if (destructive.length + transformative.length > 0) {
    return {
      change: destructive.length > 0 ? 'destructive' : 'transformative',
      reasons: [...destructive, ...transformative].map((s) => `${s.file}: ${s.summary} — ${s.effect}: ${s.why}`),
    };
  }
  const reasons: string[] = [];
  const files = [...new Set(a.statements.map((s) => s.file))];
  for (const file of files) {
    const mine = a.statements.filter((s) => s.file === file && s.effect === 'additive');
    const counts = new Map<string, number>();
    const fills: string[] = [];
    for (const s of mine) {
      if (s.why !== '') fills.push(`${file}: ${s.summary} — ${s.why}`);
      else {
        const k = summaryKind(s.summary) || s.summary;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    }
    if (counts.size > 0) reasons.push(`${file}: new objects only — ${[...counts].map(([k, n]) => `${k} ×${n}`).join(', ')}`);
    reasons.push(...fills);
  }
  if (reasons.length === 0) reasons.push(a.statements.length === 0 ? 'nothing pending' : 'no statement changes data or schema');
  return { change: 'additive', reasons };
}

// ---------------------------------------------------------------------------------------------------------------
// assessRisk

function estimate(i: RiskInputs, a: Analysis): RiskAssessment['estimates'] {
  const db = Math.max(0, i.databaseBytes);
  const tableSeconds = Math.max(0, i.largestTableBytes) / RESTORE_BYTES_PER_SECOND;
  const rowSeconds = Math.max(0, i.rows) * MEASURED.backfillSecondsPerRow;
  let migrate = 0;
  for (const s of a.statements) {
    if (s.work === 'catalog') migrate += CATALOG_SECONDS;
    else if (s.work === 'concurrent-new') migrate += CONCURRENT_NEW_SECONDS;
    else if (s.work === 'concurrent-existing') migrate += 2 * tableSeconds; // a concurrent build scans the table twice
    else if (s.work === 'table') migrate += tableSeconds;
    else migrate += rowSeconds;
  }
  const whole = (s: number): number => (s <= 0 ? 0 : Math.max(1, Math.ceil(s)));
  return {
    backupSeconds: whole(db / DUMP_BYTES_PER_SECOND),
    restoreSeconds: whole(db / RESTORE_BYTES_PER_SECOND),
    migrateSeconds: whole(migrate),
  };
}

function volumeFactor(i: RiskInputs): RiskFactor {
  const level = grade(i.rows, THRESHOLDS.rows);
  const backfill = formatSeconds(i.rows * MEASURED.backfillSecondsPerRow);
  const reason = {
    low: `under 1M rows in the tables the migrations lock or read: lock waits and backfills stay short (≈ ${backfill} at the measured 45 µs a row)`,
    medium: `1M–10M rows: a backfill over them takes ≈ ${backfill}, and any scan under lock lasts about as long`,
    high: `over 10M rows: a backfill takes ≈ ${backfill}; pace it, and nothing may scan these tables under lock`,
  }[level];
  return { factor: 'data volume', level, value: `${formatRows(i.rows)} rows`, reason };
}

function sizeFactor(i: RiskInputs, est: RiskAssessment['estimates']): RiskFactor {
  const table = grade(i.largestTableBytes, THRESHOLDS.largestTableBytes);
  const db = grade(i.databaseBytes, THRESHOLDS.databaseBytes);
  const level = maxLevel(table, db);
  const tableWhy = {
    low: 'the largest table is under 1 GB',
    medium: 'the largest table is 1–10 GB: an index build or rewrite of it under lock would take ≈ ' +
      formatSeconds(i.largestTableBytes / RESTORE_BYTES_PER_SECOND),
    high: 'the largest table is over 10 GB: an index build or rewrite of it under lock would take ≈ ' +
      formatSeconds(i.largestTableBytes / RESTORE_BYTES_PER_SECOND),
  }[table];
  const dbWhy = `the database restores in ≈ ${formatSeconds(est.restoreSeconds)}${db === 'low' ? '' : db === 'medium' ? ' (32–128 GB): a restore dominates the window' : ' (over 128 GB): a restore takes hours'}`;
  return {
    factor: 'table size',
    level,
    value: `largest ${formatBytes(i.largestTableBytes)}, database ${formatBytes(i.databaseBytes)}`,
    reason: `${tableWhy}; ${dbWhy}`,
  };
}

function changeFactor(c: { change: ChangeType; reasons: string[] }, a: Analysis): RiskFactor {
  const level: Level = c.change === 'additive' ? 'low' : c.change === 'transformative' ? 'medium' : 'high';
  const files = new Set(a.statements.map((s) => s.file)).size;
  const shown = c.reasons.slice(0, 3).join('; ');
  const more = c.reasons.length > 3 ? `; and ${c.reasons.length - 3} more` : '';
  return {
    factor: 'change type',
    level,
    value: `${c.change} (${plural(files, 'file')}, ${plural(a.statements.length, 'statement')})`,
    reason: `${shown}${more}`,
  };
}

/** What hot-migrating these statements means for the live application. */
function hotLevel(a: Analysis): { level: Level; reason: string } {
  const long = a.statements.filter((s) => s.long !== undefined);
  const first = long[0];
  if (first) {
    return {
      level: 'high',
      reason: `${first.file}: ${first.summary} blocks writes to ${first.blocks.join(', ') || 'existing rows'} for as long as it runs (${first.long})` +
        (long.length > 1 ? `, and ${plural(long.length - 1, 'more statement')} like it` : ''),
    };
  }
  const brief = a.statements.filter((s) => s.blocks.length > 0);
  if (brief.length > 0) {
    const tables = [...new Set(brief.flatMap((s) => s.blocks))];
    return {
      level: 'medium',
      reason: `${plural(brief.length, 'statement')} briefly block writes to ${tables.join(', ')} (catalog work only): safe under lock_timeout with retries, but a long transaction on those tables makes the migration wait and the application queue behind it`,
    };
  }
  return { level: 'low', reason: 'no statement blocks reads or writes of an existing table' };
}

/** Seconds a maintenance window must hold: backup at its start, the migration, a restore if it fails, the people. */
export function windowNeedSeconds(est: RiskAssessment['estimates']): number {
  return est.backupSeconds + est.migrateSeconds + est.restoreSeconds + THRESHOLDS.window.operatorSeconds;
}

function downtimeFactor(i: RiskInputs, a: Analysis, est: RiskAssessment['estimates']): RiskFactor {
  const factor = 'downtime window';
  const hot = hotLevel(a);
  if (i.downtimeMinutes === undefined) {
    return {
      factor,
      level: maxLevel('medium', hot.level),
      value: 'not given',
      reason: `no window planned (config or --var downtime_minutes; 0 = hot-migrate), so the application is assumed live: ${hot.reason}`,
    };
  }
  if (i.downtimeMinutes <= 0) {
    return {
      factor,
      level: hot.level,
      value: '0 min (hot-migrate)',
      reason: `${hot.reason}; a restore, if needed, is an outage of ≈ ${formatSeconds(est.restoreSeconds)}`,
    };
  }
  const need = windowNeedSeconds(est);
  const have = i.downtimeMinutes * 60;
  const parts = `backup ${formatSeconds(est.backupSeconds)} + migration ${formatSeconds(est.migrateSeconds)} + restore ${formatSeconds(est.restoreSeconds)} + 15 min for checks`;
  const level: Level = have < need ? 'high' : have < need * THRESHOLDS.window.lowFactor ? 'medium' : 'low';
  const reason = {
    high: `shorter than the ≈ ${formatSeconds(need)} it must hold (${parts}): a failure late in the run cannot be undone inside it`,
    medium: `holds the ≈ ${formatSeconds(need)} needed (${parts}) with less than that again to spare`,
    low: `at least twice the ≈ ${formatSeconds(need)} needed (${parts})`,
  }[level];
  return { factor, level, value: `${i.downtimeMinutes} min, needs ≈ ${formatSeconds(need)}`, reason };
}

function rollbackFactor(i: RiskInputs, change: ChangeType, est: RiskAssessment['estimates']): RiskFactor {
  const factor = 'rollback';
  const missing = i.rollback.versionsWithoutDown;
  const versions = i.pending.length;
  const restore = formatSeconds(est.restoreSeconds);
  if (missing.length > 0) {
    return {
      factor,
      level: 'high',
      value: `no down file for ${missing.join(', ')}`,
      reason: `only a restore (≈ ${restore}, losing every write since the backup) undoes ${missing.length === 1 ? 'it' : 'them'}`,
    };
  }
  const value = versions === 0 ? 'nothing pending' : `down files for ${versions === 1 ? 'the' : `all ${versions}`} ${versions === 1 ? 'version' : 'versions'}`;
  if (i.rollback.downDeletesData) {
    return { factor, level: 'high', value, reason: 'a down file deletes data its up did not create: rolling back loses it' };
  }
  if (change === 'destructive') {
    return { factor, level: 'high', value, reason: `the change is destructive: a down file can re-create what was dropped, not its data; only the backup (restore ≈ ${restore}) can` };
  }
  const partial = i.pending.filter((p) => p.noTransaction).map((p) => p.file);
  if (partial.length > 0) {
    return {
      factor,
      level: 'medium',
      value,
      reason: `${partial.join(', ')} run${partial.length === 1 ? 's' : ''} without a transaction: a failure leaves ${partial.length === 1 ? 'it' : 'them'} half done, to be re-run or rolled back by the down files in reverse order`,
    };
  }
  return { factor, level: 'low', value, reason: versions === 0 ? 'nothing to roll back' : 'each up is one transaction (a failure undoes itself) and each has a down file' };
}

function mitigationsFor(level: Level, factors: RiskFactor[], i: RiskInputs, est: RiskAssessment['estimates']): string[] {
  const restore = formatSeconds(est.restoreSeconds);
  const need = formatSeconds(windowNeedSeconds(est));
  const base: Record<Level, string[]> = {
    // The seeds' High list asks for both "maintenance windows" and "zero-downtime strategies" and for
    // "point-in-time backups"; a pg_dump is not point-in-time, and which strategy fits depends on the locks.
    high: [
      `Take a fresh backup right before and verify it: checksum, then a trial restore into a scratch database with --exit-on-error (≈ ${restore})`,
      'Rehearse the whole run on a restored copy with production-size data, timing every step',
      `Hot-migrate what allows it (lock_timeout with retries, CONCURRENTLY, batches); what does not needs a window holding backup, migration and a restore (≈ ${need})`,
      'Stage the rollout: one version at a time, its verify clean before the next',
      'A second operator watches locks, replication lag and the application; agree the go/no-go and rollback point beforehand',
      'Write the rollback down: the down files in reverse order, or the restore, and when to choose which',
    ],
    medium: [
      `A verified backup of this database (checksum; a trial restore if time allows, ≈ ${restore})`,
      'Dry run first, then a run on staging with a copy of production',
      "Run each migration's verify after it; watch lock waits (lock_timeout with retries)",
      'Test the down files on staging',
    ],
    low: [
      'A verified backup (the production gate requires one anyway)',
      'Run the verify files afterwards',
      'Keep the down files at hand',
    ],
  };
  const out = [...base[level]];
  const at = (f: RiskFactor['factor']): RiskFactor | undefined => factors.find((x) => x.factor === f && x.level !== 'low');
  if (at('data volume')) out.push('Batch backfills by key ranges, and pause between batches when replicas lag or autovacuum falls behind');
  if (at('table size')) {
    out.push('On the big tables: CREATE INDEX CONCURRENTLY, constraints NOT VALID then VALIDATE, no rewrite under lock; raise maintenance_work_mem for index builds');
  }
  const change = at('change type');
  if (change?.level === 'high') out.push('Destructive: export what is dropped or deleted (a table-level dump or CSV) before the run, and keep it until the change is accepted');
  else if (change) out.push('Transformative: make sure the running application works with both the old and the new shape (expand, migrate, contract)');
  const window = at('downtime window');
  if (window) {
    if (i.downtimeMinutes === undefined) out.push('Plan the window: set downtime_minutes (0 = hot-migrate)');
    else if (i.downtimeMinutes > 0) out.push(`Book a window of at least ≈ ${need}, or plan a hot migration`);
    else if (window.level === 'high') out.push('Statements hold long locks on live tables: rewrite them (CONCURRENTLY, NOT VALID, batches) or run them in a maintenance window');
    else out.push('Hot-migrate under lock_timeout with retries; end long or idle-in-transaction sessions on the locked tables first');
  }
  if (i.rollback.versionsWithoutDown.length > 0) {
    out.push(`Write and test down files for ${i.rollback.versionsWithoutDown.join(', ')}, or accept the restore as their only rollback`);
  }
  return [...new Set(out)];
}

/**
 * The risk matrix. Overall: the highest factor, because each factor alone can turn into an outage or data loss —
 * except that data volume and table size count at most medium when the change is additive and no statement holds a
 * long lock: then volume only lengthens the backup, restore and backfill, which the estimates and the other factors
 * already show.
 */
export function assessRisk(i: RiskInputs): RiskAssessment {
  const a = analyse(i.pending);
  const c = classifyAnalysed(a);
  const estimates = estimate(i, a);
  const factors: RiskFactor[] = [
    volumeFactor(i),
    sizeFactor(i, estimates),
    changeFactor(c, a),
    downtimeFactor(i, a, estimates),
    rollbackFactor(i, c.change, estimates),
  ];
  const capped = c.change === 'additive' && !a.statements.some((s) => s.long !== undefined);
  const level = maxLevel(
    ...factors.map((f) => (capped && (f.factor === 'data volume' || f.factor === 'table size') ? minLevel(f.level, 'medium') : f.level)),
  );
  return { level, factors, change: c.change, estimates, mitigations: mitigationsFor(level, factors, i, estimates) };
}

// ---------------------------------------------------------------------------------------------------------------
// riskLines

/** One line per factor, the overall level, the estimates, then the mitigations as bullets. Plain text, no width. */
export function riskLines(a: RiskAssessment): string[] {
  const nameWidth = Math.max(...FACTORS.map((f) => f.length));
  const levelWidth = 'MEDIUM'.length;
  const lines = a.factors.map((f) => `${f.factor.padEnd(nameWidth)}  ${f.level.toUpperCase().padEnd(levelWidth)}  ${f.value} — ${f.reason}`);
  const highest = maxLevel(...a.factors.map((f) => f.level));
  const rule = highest === a.level
    ? 'the highest factor'
    : 'the highest factor, with data volume and table size counted at most MEDIUM (an additive change that holds no long lock)';
  lines.push(`${'overall'.padEnd(nameWidth)}  ${a.level.toUpperCase().padEnd(levelWidth)}  ${rule}`);
  const e = a.estimates;
  lines.push(
    `estimates (rough, scaled from pg_dump/pg_restore measured on 2 cores): backup ≈ ${formatSeconds(e.backupSeconds)}, ` +
      `restore ≈ ${formatSeconds(e.restoreSeconds)}, migration ≈ ${formatSeconds(e.migrateSeconds)}`,
  );
  lines.push(`mitigations (${a.level.toUpperCase()}):`);
  for (const m of a.mitigations) lines.push(`  - ${m}`);
  return lines;
}
