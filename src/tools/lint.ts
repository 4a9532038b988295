import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../core/paths.js';
import { describeFailure, runToEnd, ToolNotFoundError } from './run.js';
import type { LintFindingView } from '../core/ports.js';

/**
 * Preflight check 13: lint the pending migration files for lock hazards with squawk (the `squawk-cli` npm package,
 * whose native binary comes in the optional dependency `@squawk-cli/<platform>-<arch>`), then sort its findings into
 * the ones that matter here (kept) and the ones that do not (filtered, each with the reason in plain words).
 *
 * How squawk is run (squawk 2.x):
 * - One process per file, the file's text on stdin with `--stdin-filepath` naming it: squawk lints exactly the text
 *   this module maps findings back onto, and a path is never taken for a glob pattern.
 * - `--reporter json`: one JSON array on stdout; `line`/`column` are 0-based, `column` counts UTF-8 bytes.
 *   Exit code 0 = no findings, 1 = findings (or a fatal error, with nothing on stdout), 2 = bad arguments.
 * - `--assume-in-transaction` for transactional files (the engine wraps them in BEGIN/COMMIT: squawk then reports
 *   BEGIN/COMMIT in the file as `transaction-nesting` and CONCURRENTLY as
 *   `ban-concurrent-index-creation-in-transaction`), `--no-assume-in-transaction` for `-- runbook: no-transaction`
 *   files (each statement autocommits: squawk then asks for IF [NOT] EXISTS, `prefer-robust-stmts`).
 * - `--pg-version` when the server's version is known: e.g. a constant `ADD COLUMN … DEFAULT` rewrites the table
 *   before PostgreSQL 11 only.
 * - `--config <null device>`: squawk otherwise picks up the first `.squawk.toml` in the working directory or any
 *   parent (the operator's own repository, say), which could exclude rules or paths behind our back.
 * - GITHUB_ACTIONS is removed from its environment: with it squawk adds annotation lines to stdout.
 *
 * Squawk lints each file on its own: it knows that a table created earlier in the SAME file is new (and is quiet
 * about some statements on it), but not a table created by an earlier pending file. The filter below works across
 * the whole ordered set.
 */

/** A finding as the preflight shows it (core's LintFindingView), plus the column. */
export interface LintFinding extends LintFindingView {
  /** 1-based, in characters. */
  column: number;
  level: 'error' | 'warning';
}

export interface LintResult {
  tool: string;
  version: string;
  findings: LintFinding[];
  files: string[];
}

/** The squawk binary is missing or does not run. The message says how to get it back. */
export class LintUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LintUnavailableError';
  }
}

/** Squawk ran but did not produce a report (crashed, timed out, printed something that is not its JSON). */
export class LintFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LintFailedError';
  }
}

/** Points the linter at another squawk binary (tests use it to simulate a missing one). */
export const SQUAWK_ENV = 'PARLANT_RUNBOOK_SQUAWK';

const RUN_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------
// Rule decisions

const TIMEOUTS_WHY =
  'The engine sets lock_timeout and statement_timeout itself for every migration file (a short lock_timeout with ' +
  'retries for DDL, lock_timeout 0 and a long statement_timeout for concurrent index builds); the files never ' +
  'contain SET (sql/migrations/README.md).';

const SCHEMA_TYPES_WHY =
  'A column-type preference, not a lock this statement takes. The Parlant column types are the application\'s ' +
  '(drizzle\'s packages/db/parlant-schema.ts, which 0001 follows and 0001 verify checks): another type here would ' +
  'diverge from what the application was written against.';

/**
 * What to do with each squawk rule:
 * - `filter`: never relevant for this project's migration files (the why says which of the project's rules or
 *   which engine behaviour makes it so).
 * - `new-table`: a lock/rewrite/scan/compatibility hazard on the statement's table. Filtered when that table is
 *   brand new, i.e. created earlier in the same ordered set of pending files (or by this very statement): nobody
 *   else reads or writes it yet, so its locks block no one, and it holds no (or only the migration's own) rows.
 *   Kept when the table already exists, or when the statement's table cannot be told.
 * - `keep`: relevant wherever it appears (the file breaks the engine's contract, or a silent misbehaviour).
 * Rules not listed (a newer squawk) are kept: an unknown finding is shown rather than hidden.
 */
type Policy = { kind: 'filter'; why: string } | { kind: 'new-table' } | { kind: 'keep' };

const RULES: Record<string, Policy> = {
  // Timeouts: the engine's job.
  'require-lock-timeout': { kind: 'filter', why: TIMEOUTS_WHY },
  'require-statement-timeout': { kind: 'filter', why: TIMEOUTS_WHY },
  'require-timeout-settings': { kind: 'filter', why: TIMEOUTS_WHY },

  // Locks, rewrites and scans of the statement's table: harmless on a table nobody uses yet.
  'require-concurrent-index-creation': { kind: 'new-table' }, // SHARE lock blocks writes for the build
  'require-concurrent-index-deletion': { kind: 'new-table' }, // ACCESS EXCLUSIVE for DROP INDEX
  'require-concurrent-reindex': { kind: 'new-table' },
  'require-concurrent-partition-detach': { kind: 'new-table' },
  'prefer-repack': { kind: 'new-table' }, // VACUUM FULL / CLUSTER: ACCESS EXCLUSIVE for the rewrite
  'constraint-missing-not-valid': { kind: 'new-table' }, // the validating scan is of the statement's table
  'adding-field-with-default': { kind: 'new-table' }, // table rewrite under ACCESS EXCLUSIVE
  'adding-not-nullable-field': { kind: 'new-table' }, // SET NOT NULL scans under ACCESS EXCLUSIVE
  'adding-not-null-field': { kind: 'new-table' }, // the older name
  'adding-required-field': { kind: 'new-table' }, // NOT NULL without default fails on existing rows
  'adding-serial-primary-key-field': { kind: 'new-table' },
  'adding-primary-key-constraint': { kind: 'new-table' },
  'changing-column-type': { kind: 'new-table' }, // rewrite under ACCESS EXCLUSIVE, and clients may break
  'disallowed-unique-constraint': { kind: 'new-table' }, // index build under ACCESS EXCLUSIVE
  'renaming-column': { kind: 'new-table' }, // breaks running clients: there are none for a new table
  'renaming-table': { kind: 'new-table' },
  'ban-drop-column': { kind: 'new-table' },
  'ban-drop-table': { kind: 'new-table' },
  'ban-drop-not-null': { kind: 'new-table' },
  // adding-foreign-key-constraint: special, see verdictFor (a new table's key can still lock an existing table).

  // Re-runnability: depends on whether the file is one transaction, see verdictFor.
  // 'prefer-robust-stmts'

  // Type preferences: not lock hazards of this migration.
  'prefer-bigint-over-int': { kind: 'filter', why: SCHEMA_TYPES_WHY },
  'prefer-bigint-over-smallint': { kind: 'filter', why: SCHEMA_TYPES_WHY },
  'prefer-big-int': { kind: 'filter', why: SCHEMA_TYPES_WHY },
  'prefer-identity': { kind: 'filter', why: SCHEMA_TYPES_WHY },
  'ban-char-field': { kind: 'filter', why: SCHEMA_TYPES_WHY },
  'prefer-text-field': {
    kind: 'filter',
    why:
      'A varchar(n) limit makes a LATER change of the limit take ACCESS EXCLUSIVE; it is a type preference, not a ' +
      'lock this statement takes (when the statement alters an existing column, changing-column-type reports ' +
      'that lock). ' + SCHEMA_TYPES_WHY.slice(SCHEMA_TYPES_WHY.indexOf('The Parlant')),
  },
  'prefer-timestamp-tz': {
    kind: 'filter',
    why:
      'drizzle declares every Parlant timestamp as `timestamp` without time zone, and 0001 follows it on purpose ' +
      '(sql/migrations/README.md); a type preference, not a lock this statement takes.',
  },
  'prefer-timestamptz': { kind: 'filter', why: 'Same as prefer-timestamp-tz (older name).' },
  'require-table-schema': {
    kind: 'filter',
    why: 'The migrations create everything in the current schema (the first on search_path) by design (sql/migrations/README.md).',
  },

  // Always relevant.
  'ban-concurrent-index-creation-in-transaction': { kind: 'keep' }, // the engine refuses such a file anyway
  'transaction-nesting': { kind: 'keep' }, // BEGIN/COMMIT in a file: transaction control is the engine's
  'ban-uncommitted-transaction': { kind: 'keep' },
  'identifier-too-long': { kind: 'keep' }, // PostgreSQL silently cuts names to 63 bytes: verify would miss them
  'ban-drop-database': { kind: 'keep' },
  'ban-truncate-cascade': { kind: 'keep' },
  'ban-create-domain-with-constraint': { kind: 'keep' },
  'ban-alter-domain-with-add-constraint': { kind: 'keep' },
  'require-enum-value-ordering': { kind: 'keep' },
  'unused-ignore': { kind: 'keep' },
  'syntax-error': { kind: 'keep' },
};

// ---------------------------------------------------------------------------------------------------------
// A small SQL reader: statements with their offsets, and the tables they create, act on and reference.

interface Name {
  schema?: string;
  name: string;
}

interface Stmt {
  /** Character offsets in the file text: [start, end). */
  start: number;
  end: number;
  /** The statement's text with comments and string literals blanked (same length, quoted identifiers kept). */
  code: string;
  /** The table the statement acts on, when it can be told. */
  target?: Name;
  /** A table this statement creates. */
  creates?: Name;
  /** An index this statement creates, and its table. */
  createsIndex?: { index: Name; table: Name };
  /** A table this statement renames a new table to. */
  renamesTo?: Name;
  /** Tables named after REFERENCES. */
  references: Name[];
  /** For DROP INDEX / REINDEX INDEX: the index, whose table is looked up among the indexes created in the set. */
  index?: Name;
}

/** Comments and string literals replaced by spaces (newlines kept), so offsets stay those of the original. */
function blank(text: string): string {
  const out = text.split('');
  const fill = (from: number, to: number): void => {
    for (let k = from; k < to && k < out.length; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      fill(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text[j] === '/' && text[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (text[j] === '*' && text[j + 1] === '/') {
          depth--;
          j += 2;
        } else j++;
      }
      fill(i, j);
      i = j;
    } else if (c === "'") {
      const escapes = i > 0 && /[eE]/.test(text[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(text[i - 2] ?? '');
      let j = i + 1;
      while (j < text.length) {
        if (escapes && text[j] === '\\') j += 2;
        else if (text[j] === "'" && text[j + 1] === "'") j += 2;
        else if (text[j] === "'") break;
        else j++;
      }
      fill(i + 1, j);
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length) {
        if (text[j] === '"' && text[j + 1] === '"') j += 2;
        else if (text[j] === '"') break;
        else j++;
      }
      i = j + 1;
    } else if (c === '$' && !/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) {
      const m = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const close = text.indexOf(m[0], i + m[0].length);
        const stop = close < 0 ? text.length : close + m[0].length;
        fill(i + m[0].length, close < 0 ? text.length : close);
        i = stop;
      } else i++;
    } else i++;
  }
  return out.join('');
}

/** Statements split at `;` outside quoted identifiers (comments and literals are already blanked). */
function statements(text: string): Stmt[] {
  const code = blank(text);
  const out: Stmt[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i <= code.length; i++) {
    const c = code[i];
    if (c === '"') quoted = !quoted;
    if (i === code.length || (c === ';' && !quoted)) {
      const end = i === code.length ? i : i + 1;
      const piece = code.slice(start, end);
      if (piece.trim() !== '' && piece.trim() !== ';') {
        const lead = piece.length - piece.trimStart().length;
        out.push(describe(code.slice(start + lead, end), start + lead, end));
      }
      start = end;
    }
  }
  return out;
}

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const QNAME = String.raw`(${IDENT}(?:\s*\.\s*${IDENT})?)`;

function ident(raw: string): string {
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
}

function parseName(raw: string): Name {
  const parts = raw.match(new RegExp(IDENT, 'g')) ?? [raw];
  const last = parts[parts.length - 1] ?? raw;
  return parts.length > 1 ? { schema: ident(parts[0] ?? ''), name: ident(last) } : { name: ident(last) };
}

function sameName(a: Name, b: Name): boolean {
  return a.name === b.name && (a.schema === undefined || b.schema === undefined || a.schema === b.schema);
}

/** Reserved words that are also plausible table names: shown quoted, as SQL needs them. */
const RESERVED = new Set(['user', 'order', 'group', 'table', 'offset', 'limit', 'end', 'default', 'check', 'column', 'select', 'where', 'from', 'to', 'references', 'primary', 'unique']);

function show(n: Name): string {
  const q = (s: string): string => (/^[a-z_][a-z0-9_$]*$/.test(s) && !RESERVED.has(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return n.schema ? `${q(n.schema)}.${q(n.name)}` : q(n.name);
}

function describe(code: string, start: number, end: number): Stmt {
  const s: Stmt = { start, end, code, references: [] };
  const flat = code.replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  const re = (src: string): RegExp => new RegExp(src, 'i');
  if ((m = re(String.raw`^CREATE (?:(?:GLOBAL|LOCAL) )?(?:(?:TEMP|TEMPORARY|UNLOGGED) )?TABLE (?:IF NOT EXISTS )?${QNAME}`).exec(flat))) {
    s.creates = parseName(m[1] ?? '');
    s.target = s.creates;
  } else if ((m = re(String.raw`^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?:(?:IF NOT EXISTS )?(?!ON\b)${QNAME} )?ON (?:ONLY )?${QNAME}`).exec(flat))) {
    s.target = parseName(m[2] ?? '');
    if (m[1]) s.createsIndex = { index: parseName(m[1]), table: s.target };
  } else if ((m = re(String.raw`^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?${QNAME}`).exec(flat))) {
    s.target = parseName(m[1] ?? '');
    const to = re(String.raw`\bRENAME TO ${QNAME}`).exec(flat);
    if (to) s.renamesTo = parseName(to[1] ?? '');
  } else if ((m = re(String.raw`^DROP INDEX (?:CONCURRENTLY )?(?:IF EXISTS )?${QNAME}`).exec(flat))) {
    s.index = parseName(m[1] ?? '');
  } else if ((m = re(String.raw`^REINDEX (?:\([^)]*\) )?INDEX (?:CONCURRENTLY )?${QNAME}`).exec(flat))) {
    s.index = parseName(m[1] ?? '');
  } else if (
    (m = re(String.raw`^(?:DROP TABLE (?:IF EXISTS )?|TRUNCATE (?:TABLE )?(?:ONLY )?|REINDEX (?:\([^)]*\) )?TABLE (?:CONCURRENTLY )?|CLUSTER (?:VERBOSE )?|VACUUM (?:\([^)]*\) |FULL |FREEZE |VERBOSE |ANALYZE )*|COMMENT ON TABLE )${QNAME}`).exec(flat))
  ) {
    s.target = parseName(m[1] ?? '');
  }
  const refs = new RegExp(String.raw`\bREFERENCES\s+${QNAME}`, 'gi');
  while ((m = refs.exec(code))) s.references.push(parseName(m[1] ?? ''));
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Squawk

interface SquawkViolation {
  file: string;
  line: number;
  column: number;
  level: string;
  message: string;
  help: string | null;
  rule_name: string;
}

function isViolation(v: unknown): v is SquawkViolation {
  const o = v as Record<string, unknown>;
  return (
    typeof o === 'object' && o !== null &&
    typeof o.line === 'number' && typeof o.column === 'number' &&
    typeof o.rule_name === 'string' && typeof o.message === 'string'
  );
}

const HOW_TO_FIX =
  `Reinstall the dependencies with optional ones included: \`npm ci\` in ${packageRoot()} ` +
  '(not with --omit=optional or --no-optional; squawk\'s binary comes in the optional package @squawk-cli/<platform>-<arch>).';

/** The squawk binary: $PARLANT_RUNBOOK_SQUAWK, else the one squawk-cli's own launcher would run. */
export function squawkBinary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[SQUAWK_ENV];
  if (override) {
    if (!existsSync(override)) {
      throw new LintUnavailableError(`The squawk binary ${override} (from $${SQUAWK_ENV}) does not exist. Unset $${SQUAWK_ENV}, or ${HOW_TO_FIX}`);
    }
    return override;
  }
  const require = createRequire(import.meta.url);
  let launcher: { getBinaryPath: () => string };
  try {
    launcher = require('squawk-cli/js/index.js') as { getBinaryPath: () => string };
  } catch (e) {
    throw new LintUnavailableError(`The squawk-cli package is not installed (${(e as Error).message.split('\n')[0]}). ${HOW_TO_FIX}`);
  }
  try {
    return launcher.getBinaryPath();
  } catch (e) {
    throw new LintUnavailableError(`${(e as Error).message.split('\n')[0]} ${HOW_TO_FIX}`);
  }
}

const versions = new Map<string, Promise<string>>();

async function squawkVersion(bin: string, signal?: AbortSignal): Promise<string> {
  const known = versions.get(bin);
  if (known) return known;
  const p = (async () => {
    let r;
    try {
      r = await runToEnd(bin, ['--version'], { signal, timeoutMs: RUN_TIMEOUT_MS, env: { GITHUB_ACTIONS: undefined } });
    } catch (e) {
      if (e instanceof ToolNotFoundError) throw new LintUnavailableError(`The squawk binary ${bin} was not found. ${HOW_TO_FIX}`);
      throw e;
    }
    if (r.aborted) throw abortError();
    const m = /^squawk (\S+)/.exec(r.stdoutTail.join('\n').trim());
    if (!r.ok || !m?.[1]) {
      throw new LintUnavailableError(`The squawk binary ${bin} does not run: ${describeFailure(r)}. ${HOW_TO_FIX}`);
    }
    return m[1];
  })();
  versions.set(bin, p);
  p.catch(() => versions.delete(bin));
  return p;
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

/** `--pg-version` from what the caller knows: "15", "15.4", "15.4 (Debian …)", "16beta1" or server_version_num. */
export function squawkPgVersion(v: string): string {
  const t = v.trim();
  if (/^\d{5,6}$/.test(t)) {
    // server_version_num: 150004 is 15.4; before 10, 90624 is 9.6.24.
    const n = Number(t);
    return n >= 100000 ? `${Math.floor(n / 10000)}.${n % 10000}` : `${Math.floor(n / 10000)}.${Math.floor(n / 100) % 100}`;
  }
  const m = /^(\d+)(?:\.(\d+))?/.exec(t);
  if (!m) throw new Error(`Not a PostgreSQL version: "${v}".`);
  return m[2] !== undefined ? `${m[1]}.${m[2]}` : `${m[1]}`;
}

async function runSquawk(
  bin: string,
  file: string,
  text: string,
  noTransaction: boolean,
  pgVersion: string | undefined,
  signal: AbortSignal | undefined,
): Promise<SquawkViolation[]> {
  const args = [
    '--reporter=json',
    `--config=${os.devNull}`,
    noTransaction ? '--no-assume-in-transaction' : '--assume-in-transaction',
    ...(pgVersion ? [`--pg-version=${pgVersion}`] : []),
    `--stdin-filepath=${file}`,
  ];
  const stdout: string[] = [];
  const r = await runToEnd(bin, args, {
    input: text,
    signal,
    timeoutMs: RUN_TIMEOUT_MS,
    env: { GITHUB_ACTIONS: undefined },
    onLine: (line, stream) => {
      if (stream === 'stdout') stdout.push(line);
    },
  });
  if (r.aborted) throw abortError();
  const out = stdout.join('\n').trim();
  if ((r.exitCode === 0 || r.exitCode === 1) && out.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(out);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed) && parsed.every(isViolation)) return parsed;
  }
  throw new LintFailedError(`squawk gave no report for ${file}: ${describeFailure(r)}`);
}

/** A squawk position (0-based line, 0-based column in UTF-8 bytes) as a character offset and a 1-based column. */
function position(lineStarts: number[], text: string, line: number, byteColumn: number): { offset: number; column: number } {
  const start = lineStarts[Math.min(Math.max(line, 0), lineStarts.length - 1)] ?? 0;
  const endOfLine = text.indexOf('\n', start);
  const lineText = text.slice(start, endOfLine < 0 ? text.length : endOfLine);
  const chars = Buffer.from(lineText, 'utf8').subarray(0, Math.max(byteColumn, 0)).toString('utf8').length;
  return { offset: start + chars, column: chars + 1 };
}

// ---------------------------------------------------------------------------------------------------------

interface Origin {
  name: Name;
  file: string;
}

/**
 * Lint the pending migration files, in the order they would run. Transactional files are linted as running inside
 * a transaction, `noTransaction` ones as autocommit statements. Throws LintUnavailableError when squawk is missing
 * or broken, LintFailedError when it produced no report, an AbortError when `signal` aborts.
 */
export async function lintMigrations(
  files: { path: string; noTransaction: boolean }[],
  opts: { pgVersion?: string; signal?: AbortSignal } = {},
): Promise<LintResult> {
  const { signal } = opts;
  const bin = squawkBinary();
  const version = await squawkVersion(bin, signal);
  const pgVersion = opts.pgVersion !== undefined ? squawkPgVersion(opts.pgVersion) : undefined;

  const created: Origin[] = []; // tables created so far in the set, in order
  const indexes: { index: Name; table: Name }[] = []; // indexes created so far in the set
  const findings: LintFinding[] = [];

  for (const f of files) {
    if (signal?.aborted) throw abortError();
    const text = await readFile(f.path, 'utf8');
    const violations = await runSquawk(bin, f.path, text, f.noTransaction, pgVersion, signal);
    const stmts = statements(text);
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);

    // Which tables are new before each statement (created earlier in the set, or by the statement itself).
    const newBefore = new Map<Stmt, Origin[]>();
    for (const s of stmts) {
      if (s.creates) created.push({ name: s.creates, file: f.path });
      if (s.createsIndex) indexes.push(s.createsIndex);
      newBefore.set(s, [...created]);
      const renamedFrom = s.renamesTo && s.target ? created.find((o) => sameName(o.name, s.target as Name)) : undefined;
      if (renamedFrom && s.renamesTo) created.push({ name: s.renamesTo, file: renamedFrom.file });
    }

    for (const v of violations) {
      const pos = position(lineStarts, text, v.line, v.column);
      const stmt = stmts.find((s) => pos.offset >= s.start && pos.offset < s.end) ?? stmts.find((s) => s.end > pos.offset);
      const finding: LintFinding = {
        file: f.path,
        line: v.line + 1,
        column: pos.column,
        rule: v.rule_name,
        level: v.level.toLowerCase() === 'error' ? 'error' : 'warning',
        message: v.message,
        verdict: 'kept',
        ...(v.help ? { help: v.help } : {}),
      };
      const { verdict, why } = verdictFor(v.rule_name, f, stmt, stmt ? (newBefore.get(stmt) ?? []) : [], indexes);
      finding.verdict = verdict;
      if (why) finding.why = why;
      findings.push(finding);
    }
  }
  return { tool: 'squawk', version, findings, files: files.map((f) => f.path) };
}

function verdictFor(
  rule: string,
  file: { path: string; noTransaction: boolean },
  stmt: Stmt | undefined,
  known: Origin[],
  indexes: { index: Name; table: Name }[],
): { verdict: 'kept' | 'filtered'; why?: string } {
  const isNew = (n: Name | undefined): Origin | undefined => (n ? known.find((o) => sameName(o.name, n)) : undefined);
  const table = stmt?.target ?? (stmt?.index ? indexes.find((i) => sameName(i.index, stmt.index as Name))?.table : undefined);
  const origin = isNew(table);
  const newTableWhy = (o: Origin, t: Name): string =>
    `${show(t)} is created by ${path.basename(o.file)} in this same set of pending migrations: nobody else reads or ` +
    'writes it yet, so the lock this statement takes on it blocks no one, and there are no existing rows to rewrite or scan.';

  if (rule === 'prefer-robust-stmts') {
    return file.noTransaction
      ? {
          verdict: 'kept',
          why:
            'A no-transaction file commits statement by statement; after a failure the recovery is to run the file ' +
            'again, which needs IF [NOT] EXISTS on every statement (sql/migrations/README.md).',
        }
      : {
          verdict: 'filtered',
          why:
            'The file runs as one transaction: a failure rolls all of it back, so a re-run starts clean and needs no ' +
            'IF [NOT] EXISTS (0001 deliberately has none, so that an object already present stops it).',
        };
  }

  if (rule === 'adding-foreign-key-constraint') {
    if (!origin || !table) return { verdict: 'kept' };
    const existing = stmt?.references.filter((r) => !isNew(r)) ?? [];
    if (stmt?.references.length && existing.length === 0) {
      return {
        verdict: 'filtered',
        why: `${newTableWhy(origin, table)} The referenced ${stmt.references.map(show).join(', ')} is new as well.`,
      };
    }
    const names = existing.length ? existing.map(show).join(', ') : 'the referenced table';
    return {
      verdict: 'kept',
      why:
        `${show(table)} is new, but the key references ${names}, which already exists: adding the key takes SHARE ROW ` +
        `EXCLUSIVE on ${names} until the transaction ends, so writes to it wait, and the statement itself waits ` +
        'for every open write transaction on it. This is the real hazard of the file; the engine runs it under a ' +
        'short lock_timeout and retries instead of letting the application queue behind it.',
    };
  }

  const policy = RULES[rule] ?? { kind: 'keep' };
  if (policy.kind === 'filter') return { verdict: 'filtered', why: policy.why };
  if (policy.kind === 'new-table' && origin && table) {
    const existing = stmt?.references.filter((r) => !isNew(r)) ?? [];
    const also =
      rule === 'constraint-missing-not-valid' && existing.length
        ? ` (The lock the key takes on the existing ${existing.map(show).join(', ')} is another matter: squawk reports it as adding-foreign-key-constraint.)`
        : '';
    return { verdict: 'filtered', why: newTableWhy(origin, table) + also };
  }
  return { verdict: 'kept' };
}
