// Which heavyweight table locks a SQL statement takes, for the dry run (PostgreSQL 12-17).
//
// Pure: a small SQL lexer (comments, string literals, dollar quotes and quoted identifiers are never mistaken for
// keywords) and a recogniser for the statements migrations use. It reads text only, so what depends on the
// catalog (the table an index belongs to, whether a dropped constraint is a foreign key) is named as such, not
// guessed. The modes and the commands that take them are the manual's "Explicit Locking" chapter and the lock
// notes of each command's reference page; the conflict table below is the manual's table 13.2.

export type LockMode =
  | 'ACCESS SHARE'
  | 'ROW SHARE'
  | 'ROW EXCLUSIVE'
  | 'SHARE UPDATE EXCLUSIVE'
  | 'SHARE'
  | 'SHARE ROW EXCLUSIVE'
  | 'EXCLUSIVE'
  | 'ACCESS EXCLUSIVE';

/** `table` is unquoted (lower-case unless it was quoted), schema-qualified as written (`sim.user`). */
export interface TableLock {
  table: string;
  mode: LockMode;
  why: string;
}

export interface StatementLocks {
  /** e.g. 'CREATE TABLE parlant_agent', 'CREATE INDEX CONCURRENTLY parlant_agent_workspace_id_idx', 'INSERT INTO parlant_agent' */
  summary: string;
  locks: TableLock[];
  /** true when the statement's locks block ordinary reads or writes of an EXISTING table (not one it creates) */
  blocksWrites: boolean;
  blocksReads: boolean;
  /** Human notes, e.g. 'waits for every older transaction in the database (concurrent build)', 'held until COMMIT'. */
  notes: string[];
}

const UNKNOWN = 'lock not known: check before running';

// ---------------------------------------------------------------------------------------------------------------
// Lock modes

/** The eight modes, weakest first (PostgreSQL's lock levels 1-8). */
const MODES: readonly LockMode[] = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
];

/** The manual's conflict table: the modes each mode conflicts with. */
const CONFLICTS: Record<LockMode, readonly LockMode[]> = {
  'ACCESS SHARE': ['ACCESS EXCLUSIVE'],
  'ROW SHARE': ['EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ROW EXCLUSIVE': ['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE UPDATE EXCLUSIVE': ['SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  SHARE: ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE ROW EXCLUSIVE': ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  EXCLUSIVE: ['ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ACCESS EXCLUSIVE': MODES,
};

/** Whether a lock in mode `a` and one in mode `b` on the same table conflict (one waits for the other). */
export function lockConflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

/** `a` blocks everything `b` blocks, so holding both is the same as holding `a`. */
function covers(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[b].every((m) => CONFLICTS[a].includes(m));
}

/** The stronger of two modes by lock level, as ALTER TABLE combines its subcommands. */
function stronger(a: LockMode, b: LockMode): LockMode {
  return MODES.indexOf(a) >= MODES.indexOf(b) ? a : b;
}

// ---------------------------------------------------------------------------------------------------------------
// Lexer

interface Token {
  kind: 'word' | 'ident' | 'string' | 'number' | 'param' | 'op';
  /** The source text. */
  text: string;
  /** word: lower-cased; ident (a quoted identifier): the name, unquoted; otherwise the text. */
  value: string;
  /** Whitespace or a comment came before it. */
  spaced: boolean;
}

const WORD = /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/y;
const NUMBER = /(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/y;
const PARAM = /\$\d+/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;
/** Prefixed literals: E'…' (backslash escapes), B'…', X'…', N'…', U&'…' and the identifier U&"…". */
const PREFIX = /(?:[eEbBxXnN]|[uU]&)(?=['"])/y;

function sticky(re: RegExp, s: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(s)?.[0];
}

/** Index just past the quote closing a literal whose content starts at `from`; a doubled quote is an escaped one. */
function endOfQuoted(s: string, from: number, quote: string, backslash: boolean): number {
  let j = from;
  while (j < s.length) {
    const ch = s.charAt(j);
    if (backslash && ch === '\\') j += 2;
    else if (ch !== quote) j += 1;
    else if (s.charAt(j + 1) === quote) j += 2;
    else return j + 1;
  }
  return s.length;
}

/** Index just past a block comment starting at `from`; PostgreSQL's block comments nest. */
function endOfBlockComment(s: string, from: number): number {
  let depth = 0;
  let j = from;
  while (j < s.length) {
    if (s.startsWith('/*', j)) {
      depth += 1;
      j += 2;
    } else if (s.startsWith('*/', j)) {
      depth -= 1;
      j += 2;
      if (depth === 0) return j;
    } else j += 1;
  }
  return s.length;
}

/** Tokens of SQL text; comments and whitespace only set `spaced` on the next token. Never throws. */
function lex(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let spaced = false;
  const push = (kind: Token['kind'], end: number, value?: string): void => {
    const text = sql.slice(i, end);
    out.push({ kind, text, value: value ?? text, spaced });
    spaced = false;
    i = end;
  };
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (/\s/.test(c)) {
      i += 1;
      spaced = true;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl;
      spaced = true;
    } else if (sql.startsWith('/*', i)) {
      i = endOfBlockComment(sql, i);
      spaced = true;
    } else {
      const prefix = sticky(PREFIX, sql, i) ?? '';
      const quote = sql.charAt(i + prefix.length);
      if (quote === "'") {
        push('string', endOfQuoted(sql, i + prefix.length + 1, "'", /^e$/i.test(prefix)));
      } else if (quote === '"') {
        const open = i + prefix.length + 1;
        const end = endOfQuoted(sql, open, '"', false);
        const close = sql.charAt(end - 1) === '"' && end - 1 >= open ? end - 1 : end;
        push('ident', end, sql.slice(open, close).replaceAll('""', '"'));
      } else if (c === '$') {
        const param = sticky(PARAM, sql, i);
        const tag = param === undefined ? sticky(DOLLAR_TAG, sql, i) : undefined;
        if (param !== undefined) push('param', i + param.length);
        else if (tag !== undefined) {
          const close = sql.indexOf(tag, i + tag.length);
          push('string', close < 0 ? sql.length : close + tag.length);
        } else push('op', i + 1);
      } else {
        const word = sticky(WORD, sql, i);
        const num = word === undefined ? sticky(NUMBER, sql, i) : undefined;
        if (word !== undefined) push('word', i + word.length, word.toLowerCase());
        else if (num !== undefined) push('number', i + num.length);
        else push('op', i + 1);
      }
    }
  }
  return out;
}

/** Token lists of the statements in the text, split at `;`. */
function splitTokens(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'op' && t.text === ';') out.push([]);
    else out[out.length - 1]?.push(t);
  }
  return out.filter((s) => s.length > 0);
}

/** Strip -- comments and /* *\/ comments outside of string literals and quoted identifiers; collapse whitespace. */
export function normalizeStatement(statement: string): string {
  return joinTokens(lex(statement));
}

/** The statements of a script, each normalised, split at `;` outside literals, quoted names and dollar quotes. */
export function sqlStatements(sql: string): string[] {
  return splitTokens(lex(sql)).map(joinTokens);
}

function joinTokens(tokens: Token[]): string {
  return tokens.map((t, k) => (k > 0 && t.spaced ? ` ${t.text}` : t.text)).join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Names

/** Key words that cannot be a table name or alias without quotes (reserved, and reserved "can be function or type"). */
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation ' +
    'column concurrently constraint create cross current_catalog current_date current_role current_schema ' +
    'current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch ' +
    'for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join lateral ' +
    'leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer ' +
    'overlaps placing primary references returning right select session_user similar some symmetric system_user ' +
    'table tablesample then to trailing true union unique user using variadic verbose when where window with'
  ).split(' '),
);

/** One name as SQL would need it written: quoted when it is not a plain lower-case identifier or is reserved. */
function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/**
 * A table as written in SQL: `"user"`, `sim."user"`. Placeholders for tables the text does not name, like
 * '(table of x_idx)', read 'the table of x_idx'. (A quoted name containing a dot displays as if qualified.)
 */
function displayTable(table: string): string {
  if (table.startsWith('(') && table.endsWith(')')) return `the ${table.slice(1, -1)}`;
  return table.split('.').map(quoteIdent).join('.');
}

/** A name that may be missing from a malformed statement. */
function shown(table: string | undefined): string {
  return table === undefined ? '?' : displayTable(table);
}

function displayList(tables: string[]): string {
  return tables.map(displayTable).join(', ');
}

/** The unqualified name, for matching `public.x` against a foreign-key map keyed by `x`. */
function lastPart(table: string): string {
  return table.slice(table.lastIndexOf('.') + 1);
}

// ---------------------------------------------------------------------------------------------------------------
// A statement's tokens, with parenthesis structure

/** Functions whose argument syntax uses FROM (`extract(year FROM ts)`): a FROM inside them names no table. */
const FROM_FUNCTIONS = new Set(['extract', 'substring', 'trim', 'overlay']);

class Stmt {
  /** Parenthesis depth of each token (a parenthesis itself has the outer depth). */
  readonly depth: number[] = [];
  /** For each '(' and ')', the index of its partner (or the end). */
  readonly partner = new Map<number, number>();
  /** The word before the innermost '(' around each token: the function a token is an argument of. */
  readonly callee: (string | undefined)[] = [];

  constructor(readonly toks: Token[]) {
    const open: number[] = [];
    toks.forEach((t, i) => {
      if (this.op(i, ')')) {
        const o = open.pop();
        if (o !== undefined) {
          this.partner.set(o, i);
          this.partner.set(i, o);
        }
      }
      this.depth.push(open.length);
      const inner = open[open.length - 1];
      this.callee.push(inner === undefined ? undefined : this.word(inner - 1));
      if (this.op(i, '(')) open.push(i);
    });
  }

  get length(): number {
    return this.toks.length;
  }

  /** The lower-cased key word at i, if the token there is an unquoted word. */
  word(i: number): string | undefined {
    const t = this.toks[i];
    return t?.kind === 'word' ? t.value : undefined;
  }

  op(i: number, ch: string): boolean {
    const t = this.toks[i];
    return t?.kind === 'op' && t.text === ch;
  }

  /** The words at i, i+1, … are exactly `words`. */
  is(i: number, ...words: string[]): boolean {
    return words.every((w, k) => this.word(i + k) === w);
  }

  /** i, moved past the optional words (in this order) that are present. */
  skip(i: number, ...optional: string[][]): number {
    let j = i;
    for (const words of optional) if (this.is(j, ...words)) j += words.length;
    return j;
  }

  /** Index after the parenthesised group opening at i (i itself when there is none). */
  after(i: number): number {
    if (!this.op(i, '(')) return i;
    return (this.partner.get(i) ?? this.length) + 1;
  }

  /** A (possibly schema-qualified) name at i: its key and the index after it. Unquoted reserved words are not names. */
  name(i: number): { key: string; next: number } | undefined {
    const first = this.toks[i];
    const isName = first?.kind === 'ident' || (first?.kind === 'word' && !RESERVED.has(first.value));
    if (!first || !isName) return undefined;
    const parts = [first.value];
    let j = i + 1;
    for (;;) {
      const part = this.toks[j + 1];
      if (!this.op(j, '.') || !part || (part.kind !== 'word' && part.kind !== 'ident')) break;
      parts.push(part.value);
      j += 2;
    }
    return { key: parts.join('.'), next: j };
  }

  /** Names separated by commas from i: `a, b, c`; stops at the first thing that is not a name. `skipAfter` moves past what may follow each name. */
  names(i: number, skipAfter: (next: number) => number = (j) => j): { keys: string[]; next: number } {
    const keys: string[] = [];
    let j = i;
    for (;;) {
      const n = this.name(j);
      if (!n) break;
      keys.push(n.key);
      j = skipAfter(n.next);
      if (!this.op(j, ',')) break;
      j += 1;
    }
    return { keys, next: j };
  }

  /** The words appear in this order at depth 0 somewhere in [from, to). */
  has(from: number, to: number, ...words: string[]): boolean {
    for (let j = from; j < to; j++) if (this.depth[j] === 0 && this.is(j, ...words)) return true;
    return false;
  }

  /** Index of the first word `w` at depth 0 from `from` on, or -1. */
  find(w: string, from = 0): number {
    for (let j = from; j < this.length; j++) if (this.depth[j] === 0 && this.word(j) === w) return j;
    return -1;
  }

  /** The first up to n words, upper-cased: the summary of a statement not understood. */
  keywords(from: number, n: number): string {
    const out: string[] = [];
    for (let j = from; j < from + n && this.word(j) !== undefined; j++) out.push(this.word(j)?.toUpperCase() ?? '');
    return out.join(' ') || this.toks.map((t) => t.text).join(' ').slice(0, 40);
  }
}

/** Every table named after REFERENCES between from and to: the targets of foreign keys, in order, once each. */
function referencedTables(s: Stmt, from: number, to = s.length): string[] {
  const out: string[] = [];
  for (let j = from; j < to; j++) {
    const n = s.word(j) === 'references' ? s.name(j + 1) : undefined;
    if (n && !out.includes(n.key)) out.push(n.key);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Foreign keys

/** `CREATE [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] name`: the name and the index after it. */
function createTableHead(s: Stmt): { key: string; next: number } | undefined {
  let i = 1;
  while (['global', 'local', 'temp', 'temporary', 'unlogged'].includes(s.word(i) ?? '')) i += 1;
  if (s.word(0) !== 'create' || s.word(i) !== 'table') return undefined;
  return s.name(s.skip(i + 1, ['if', 'not', 'exists']));
}

/** `ALTER TABLE [IF EXISTS] [ONLY] name [*]`: the name and the index after it. */
function alterTableHead(s: Stmt): { key: string; next: number } | undefined {
  if (!s.is(0, 'alter', 'table')) return undefined;
  const n = s.name(s.skip(2, ['if', 'exists'], ['only']));
  return n && { key: n.key, next: s.op(n.next, '*') ? n.next + 1 : n.next };
}

/**
 * Map of table → tables its foreign keys reference, read from CREATE TABLE … REFERENCES … and ALTER TABLE … ADD …
 * FOREIGN KEY … REFERENCES in SQL text. Tables without foreign keys have no entry.
 */
export function foreignKeyMap(sql: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const toks of splitTokens(lex(sql))) {
    const s = new Stmt(toks);
    const head = createTableHead(s) ?? alterTableHead(s);
    if (!head) continue;
    const refs = map.get(head.key) ?? [];
    for (const r of referencedTables(s, head.next)) if (!refs.includes(r)) refs.push(r);
    if (refs.length > 0) map.set(head.key, refs);
  }
  return map;
}

/** The tables `fks` says `table` references (matching an unqualified key when `table` is qualified). */
function fkTargets(table: string, fks: Map<string, string[]> | undefined): string[] {
  return fks?.get(table) ?? fks?.get(lastPart(table)) ?? [];
}

/** The tables whose foreign keys reference `table`, per `fks`. */
function fkReferrers(table: string, fks: Map<string, string[]>): string[] {
  return [...fks].filter(([, targets]) => targets.includes(table) || targets.includes(lastPart(table))).map(([t]) => t);
}

// ---------------------------------------------------------------------------------------------------------------
// Building a result

/** Reasons a lock is taken. `tag` is the short form describeLocks shows after a group of tables. */
const WHY = {
  created: { why: 'the table being created', tag: 'new' },
  dropped: { why: 'the table being dropped', tag: '' },
  fkAdded: { why: 'referenced by a new foreign key, which adds triggers to it', tag: 'foreign keys' },
  fkDropped: { why: 'referenced by a foreign key of a dropped table, whose triggers on it are removed', tag: 'foreign keys' },
  fkCheck: { why: 'referenced by a foreign key: the checks lock its rows FOR KEY SHARE', tag: 'foreign key checks' },
  written: { why: 'the table written', tag: '' },
  read: { why: 'read by the statement', tag: '' },
  altered: { why: 'the table altered', tag: '' },
  target: { why: 'the table the command acts on', tag: '' },
  parent: { why: 'the parent table', tag: 'parent' },
  partition: { why: 'the partition attached or detached', tag: 'partition' },
  like: { why: 'copied by LIKE', tag: '' },
  indexTable: { why: 'the table of the index (not named in the statement)', tag: '' },
  index: { why: 'the index itself', tag: 'index' },
  truncatedByCascade: { why: 'references a truncated table, so CASCADE truncates it too', tag: 'CASCADE' },
} as const;

type Reason = (typeof WHY)[keyof typeof WHY];

const TAGS = new Map<string, string>(Object.values(WHY).map((r) => [r.why, r.tag]));

class Draft {
  readonly locks: TableLock[] = [];
  readonly created = new Set<string>();
  readonly notes: string[] = [];

  constructor(public summary: string) {}

  lock(table: string, mode: LockMode, reason: Reason): this {
    this.locks.push({ table, mode, why: reason.why });
    if (reason === WHY.created) this.created.add(table);
    return this;
  }

  note(...notes: string[]): this {
    for (const n of notes) if (!this.notes.includes(n)) this.notes.push(n);
    return this;
  }
}

/** One lock per table where one mode covers the other (the stronger one keeps the first position). */
function mergeLocks(locks: TableLock[]): TableLock[] {
  const out: TableLock[] = [];
  for (const l of locks) {
    const same = out.filter((o) => o.table === l.table);
    if (same.some((o) => covers(o.mode, l.mode))) continue;
    const weaker = same.find((o) => covers(l.mode, o.mode));
    if (weaker) out.splice(out.indexOf(weaker), 1, l);
    else out.push(l);
  }
  return out;
}

function finish(d: Draft): StatementLocks {
  const locks = mergeLocks(d.locks);
  const existing = locks.filter((l) => !d.created.has(l.table));
  const noReads = [...new Set(existing.filter((l) => lockConflicts(l.mode, 'ACCESS SHARE')).map((l) => l.table))];
  const noWrites = [
    ...new Set(existing.filter((l) => lockConflicts(l.mode, 'ROW EXCLUSIVE') && !noReads.includes(l.table)).map((l) => l.table)),
  ];
  const blocked: string[] = [];
  if (noReads.length > 0) blocked.push(`even reads of ${displayList(noReads)} wait`);
  if (noWrites.length > 0) blocked.push(`writes to ${displayList(noWrites)} wait, reads go on`);
  const notes = blocked.length > 0 ? [`held until COMMIT: ${blocked.join('; ')}`, ...d.notes] : d.notes;
  return { summary: d.summary, locks, blocksWrites: noReads.length + noWrites.length > 0, blocksReads: noReads.length > 0, notes };
}

function noTableLock(summary: string, ...notes: string[]): Draft {
  return new Draft(summary).note(...notes);
}

// ---------------------------------------------------------------------------------------------------------------
// Queries: INSERT, UPDATE, DELETE, MERGE, SELECT (with CTEs and subqueries)

/** A parenthesis opening a subquery (rather than a parenthesised join) starts with one of these. */
const QUERY_START = new Set(['select', 'values', 'with', 'table']);

/** Words that end a FROM list at their depth. */
const FROM_LIST_END = new Set([
  'where', 'group', 'having', 'window', 'order', 'limit', 'offset', 'fetch', 'for', 'union', 'intersect', 'except',
  'returning', 'set', 'do', 'when', 'then', 'select', 'values', 'conflict', 'into',
]);

/** Names defined by WITH lists anywhere in the statement: they are not tables. */
function cteNames(s: Stmt): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < s.length; i++) {
    if (s.word(i) !== 'with') continue;
    let j = s.skip(i + 1, ['recursive']);
    for (;;) {
      const n = s.name(j);
      if (!n) break;
      j = s.after(n.next);
      if (s.word(j) !== 'as') break;
      j = s.skip(j + 1, ['not'], ['materialized']);
      if (!s.op(j, '(')) break;
      names.add(n.key);
      j = s.after(j);
      if (!s.op(j, ',')) break;
      j += 1;
    }
  }
  return names;
}

interface QueryTables {
  /** The first verb at depth 0 (insert, update, delete, merge, select, values) and its target. */
  verb?: string;
  target?: string;
  writes: string[];
  reads: string[];
  /** A FOR UPDATE / FOR SHARE clause is present. */
  rowLocking: boolean;
}

/** The tables a query (from token `from` on) writes and reads, at any depth; CTE names excluded. */
function queryTables(s: Stmt, from = 0): QueryTables {
  const ctes = cteNames(s);
  const q: QueryTables = { writes: [], reads: [], rowLocking: false };
  const fromLists = new Set<number>(); // depths at which a FROM list is open
  const add = (list: string[], key: string): void => {
    if (!ctes.has(key) && !list.includes(key)) list.push(key);
  };
  const target = (i: number, verb: string): void => {
    const n = s.name(s.skip(i, ['only']));
    if (!n) return;
    add(q.writes, n.key);
    if (q.verb === undefined && s.depth[i] === 0) {
      q.verb = verb;
      q.target = n.key;
    }
  };
  // One FROM item: [ONLY | LATERAL] table, or a subquery (its own tables are found by the main loop), or a
  // parenthesised join, or a function call (no table).
  const item = (i: number, depth: number): void => {
    const j = s.skip(i, ['only'], ['lateral']);
    if (s.op(j, '(')) {
      if (!QUERY_START.has(s.word(j + 1) ?? '')) {
        fromLists.add(depth + 1);
        item(j + 1, depth + 1);
      }
      return;
    }
    const n = s.name(j);
    if (n && !s.op(n.next, '(')) add(q.reads, n.key);
  };
  for (let i = from; i < s.length; i++) {
    const d = s.depth[i] ?? 0;
    if (s.op(i, ',') && fromLists.has(d)) item(i + 1, d);
    if (s.op(i, ')')) fromLists.delete(d + 1);
    const w = s.word(i);
    const prev = s.toks[i - 1];
    if (w === undefined) continue;
    if (FROM_LIST_END.has(w)) fromLists.delete(d);
    if (d === 0 && q.verb === undefined && (w === 'select' || w === 'values')) q.verb = w;
    if (w === 'insert' && s.is(i + 1, 'into')) target(i + 2, w);
    else if (w === 'merge' && s.is(i + 1, 'into')) target(i + 2, w);
    else if (w === 'delete' && s.is(i + 1, 'from')) target(i + 2, w);
    // UPDATE as a statement starts the text, a CTE body or follows the CTE list, unlike FOR UPDATE, DO UPDATE…
    else if (w === 'update' && (prev === undefined || (prev.kind === 'op' && (prev.text === '(' || prev.text === ')')))) target(i + 1, w);
    else if (w === 'from' && s.word(i - 1) !== 'delete' && s.word(i - 1) !== 'distinct' && !FROM_FUNCTIONS.has(s.callee[i] ?? '')) {
      fromLists.add(d);
      item(i + 1, d);
    } else if (w === 'join') {
      fromLists.add(d);
      item(i + 1, d);
    } else if (w === 'using' && (!s.op(i + 1, '(') || QUERY_START.has(s.word(i + 2) ?? ''))) {
      // DELETE … USING and MERGE … USING; JOIN … USING (columns) names columns
      fromLists.add(d);
      item(i + 1, d);
    } else if (w === 'for' && ['update', 'share', 'no', 'key'].includes(s.word(i + 1) ?? '')) q.rowLocking = true;
  }
  return q;
}

/** ROW SHARE on the tables the foreign keys of the written tables reference (the checks SELECT … FOR KEY SHARE). */
function fkChecks(d: Draft, written: string[], fks: Map<string, string[]> | undefined): void {
  const targets = written.flatMap((t) => fkTargets(t, fks));
  for (const t of targets) d.lock(t, 'ROW SHARE', WHY.fkCheck);
  if (targets.length > 0) {
    d.note('foreign-key checks lock the referenced rows FOR KEY SHARE: only a concurrent DELETE of those rows (or a change of their key) waits');
  }
}

function query(s: Stmt, fks: Map<string, string[]> | undefined): Draft {
  const q = queryTables(s);
  const summaries: Record<string, string> = { insert: 'INSERT INTO', update: 'UPDATE', delete: 'DELETE FROM', merge: 'MERGE INTO' };
  const verb = q.verb ?? s.word(0) ?? '';
  const d = new Draft(q.target === undefined ? verb.toUpperCase() : `${summaries[verb] ?? verb.toUpperCase()} ${displayTable(q.target)}`);
  for (const t of q.writes) d.lock(t, 'ROW EXCLUSIVE', WHY.written);
  for (const t of q.reads) d.lock(t, q.rowLocking ? 'ROW SHARE' : 'ACCESS SHARE', WHY.read);
  if (q.rowLocking) {
    d.note('FOR UPDATE/SHARE: row locks on the rows selected; ROW SHARE is shown on every table read, though tables left out of an OF list take only ACCESS SHARE');
  }
  if (verb === 'merge') d.note('MERGE needs PostgreSQL 15 or later');
  if (['update', 'delete', 'merge'].includes(verb)) {
    d.note('row locks on the rows it changes: concurrent updates or deletes of those rows wait until COMMIT');
  }
  // the main target's own foreign keys are checked on insert and update (a DELETE checks the keys pointing at it)
  if (q.target !== undefined && verb !== 'delete') fkChecks(d, [q.target], fks);
  if (verb === 'delete' && q.target !== undefined && fks) {
    const referrers = fkReferrers(q.target, fks);
    if (referrers.length > 0) {
      d.note(
        `foreign keys of ${displayList(referrers)} reference ${displayTable(q.target)}: their ON DELETE actions ` +
          '(CASCADE deletes, SET NULL updates, NO ACTION checks) run within this statement and lock rows of those tables',
      );
    }
  }
  if (q.writes.length === 0 && q.reads.length === 0) d.note('names no table (functions it calls may still read some)');
  return d;
}

// ---------------------------------------------------------------------------------------------------------------
// CREATE …

function createTable(s: Stmt): Draft {
  const head = createTableHead(s);
  if (!head) return unknown(s);
  const d = new Draft(`CREATE TABLE ${displayTable(head.key)}`);
  if (s.is(head.next, 'partition', 'of')) {
    const parent = s.name(head.next + 2);
    if (parent) d.lock(parent.key, 'ACCESS EXCLUSIVE', WHY.parent);
  }
  const inherits = s.find('inherits', head.next);
  if (inherits >= 0 && s.op(inherits + 1, '(')) {
    for (const p of s.names(inherits + 2).keys) d.lock(p, 'SHARE UPDATE EXCLUSIVE', WHY.parent);
  }
  for (let j = head.next; j < s.length; j++) {
    const source = s.word(j) === 'like' && s.depth[j] === 1 ? s.name(j + 1) : undefined;
    if (source) d.lock(source.key, 'ACCESS SHARE', WHY.like);
  }
  const refs = referencedTables(s, head.next).filter((r) => r !== head.key);
  for (const r of refs) d.lock(r, 'SHARE ROW EXCLUSIVE', WHY.fkAdded);
  const as = s.find('as', head.next);
  if (as >= 0) {
    for (const r of queryTables(s, as + 1).reads) d.lock(r, 'ACCESS SHARE', WHY.read);
    d.note('runs the query and writes its rows into the new table');
  }
  return d.lock(head.key, 'ACCESS EXCLUSIVE', WHY.created);
}

/** CREATE [UNIQUE] INDEX [CONCURRENTLY] [[IF NOT EXISTS] name] ON [ONLY] table … */
function createIndex(s: Stmt): Draft {
  const unique = s.is(1, 'unique');
  let i = unique ? 3 : 2;
  const concurrent = s.is(i, 'concurrently');
  if (concurrent) i += 1;
  const index = s.name(s.skip(i, ['if', 'not', 'exists']));
  const on = index ? index.next : i;
  const table = s.is(on, 'on') ? s.name(s.skip(on + 1, ['only'])) : undefined;
  if (!table) return unknown(s);
  const named = index ? displayTable(index.key) : `ON ${displayTable(table.key)}`;
  const d = new Draft(`CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${concurrent ? 'CONCURRENTLY ' : ''}${named}`);
  if (!concurrent) return d.lock(table.key, 'SHARE', WHY.target).note('scans the whole table and builds the index while holding the lock');
  return d
    .lock(table.key, 'SHARE UPDATE EXCLUSIVE', WHY.target)
    .note(
      'waits for every older transaction in the database (concurrent build): a long-running or idle-in-transaction session anywhere stalls it',
      'cannot run inside a transaction block',
      'a failed build leaves an INVALID index, which IF NOT EXISTS then skips: DROP INDEX CONCURRENTLY it before running again',
    );
}

/** CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name {BEFORE | AFTER | INSTEAD OF} events ON table … */
function createTrigger(s: Stmt, at: number): Draft {
  const trigger = s.name(at + 1);
  const on = trigger ? s.find('on', trigger.next) : -1;
  const table = on >= 0 ? s.name(on + 1) : undefined;
  if (!trigger || !table) return unknown(s);
  return new Draft(`CREATE TRIGGER ${displayTable(trigger.key)}`).lock(table.key, 'SHARE ROW EXCLUSIVE', WHY.target);
}

/** CREATE [OR REPLACE] [TEMP] [RECURSIVE] VIEW name … AS query, CREATE MATERIALIZED VIEW [IF NOT EXISTS] name … AS query */
function createView(s: Stmt, at: number, replace: boolean): Draft {
  const materialized = s.is(at, 'materialized');
  const view = s.name(s.skip(at + (materialized ? 2 : 1), ['if', 'not', 'exists']));
  const as = view ? s.find('as', view.next) : -1;
  if (!view || as < 0) return unknown(s);
  const d = new Draft(`CREATE ${materialized ? 'MATERIALIZED ' : ''}VIEW ${displayTable(view.key)}`);
  for (const r of queryTables(s, as + 1).reads) d.lock(r, 'ACCESS SHARE', WHY.read);
  if (materialized && !s.is(s.length - 3, 'with', 'no', 'data')) d.note('runs the query to fill the view');
  // OR REPLACE may replace an existing view: queries on it wait
  return d.lock(view.key, 'ACCESS EXCLUSIVE', replace ? WHY.target : WHY.created);
}

function create(s: Stmt): Draft {
  const replace = s.is(1, 'or', 'replace');
  let i = replace ? 3 : 1;
  while (['global', 'local', 'temp', 'temporary', 'unlogged', 'recursive', 'trusted', 'procedural'].includes(s.word(i) ?? '')) i += 1;
  switch (s.word(i)) {
    case 'table':
      return createTable(s);
    case 'unique':
    case 'index':
      return createIndex(s);
    case 'view':
    case 'materialized':
      return createView(s, i, replace);
    case 'constraint':
      return s.is(i + 1, 'trigger') ? createTrigger(s, i + 1) : unknown(s);
    case 'trigger':
      return createTrigger(s, i);
    case 'type':
    case 'domain':
      return noTableLock(`CREATE ${s.word(i)?.toUpperCase()} ${shown(s.name(i + 1)?.key)}`, 'no table lock (catalog only)');
    case 'extension': {
      const ext = s.name(s.skip(i + 1, ['if', 'not', 'exists']));
      return noTableLock(
        `CREATE EXTENSION ${shown(ext?.key)}`,
        "no table lock of its own; the extension's script creates its objects (check what it does)",
      );
    }
    case 'schema': {
      const j = s.skip(i + 1, ['if', 'not', 'exists']);
      const schema = s.is(j, 'authorization') ? s.name(j + 1) : s.name(j);
      return noTableLock(`CREATE SCHEMA ${shown(schema?.key)}`, 'no table lock');
    }
    case 'function':
    case 'procedure':
      return noTableLock(
        `CREATE ${replace ? 'OR REPLACE ' : ''}${s.word(i)?.toUpperCase()} ${shown(s.name(i + 1)?.key)}`,
        'no table lock; the body runs only when called',
      );
    default:
      return unknown(s);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DROP …

/** Nothing follows position i but at most one of the given words: the statement was read to its end. */
function endsAt(s: Stmt, i: number, ...last: string[]): boolean {
  return i === s.length || (i === s.length - 1 && last.includes(s.word(i) ?? ''));
}

/** DROP {TABLE | VIEW | MATERIALIZED VIEW | SEQUENCE | FOREIGN TABLE} [IF EXISTS] name [, …] [CASCADE | RESTRICT] */
function dropRelations(s: Stmt, kind: string, at: number, fks: Map<string, string[]> | undefined): Draft {
  const { keys, next } = s.names(s.skip(at, ['if', 'exists']));
  if (keys.length === 0 || !endsAt(s, next, 'cascade', 'restrict')) return unknown(s);
  const d = new Draft(`DROP ${kind} ${displayList(keys)}`);
  for (const k of keys) d.lock(k, 'ACCESS EXCLUSIVE', WHY.dropped);
  if (kind === 'TABLE') {
    const targets = keys.flatMap((k) => fkTargets(k, fks));
    for (const t of targets) d.lock(t, 'ACCESS EXCLUSIVE', WHY.fkDropped);
    if (targets.length > 0) d.note('dropping a foreign key removes its triggers from the referenced table, which takes ACCESS EXCLUSIVE there');
    if (!fks) d.note('if it has foreign keys, the tables they reference get ACCESS EXCLUSIVE too (not known from this statement alone)');
  }
  if (s.is(next, 'cascade')) d.note('CASCADE also drops what depends on it (views, foreign keys of other tables), locking those tables');
  return d;
}

/** DROP INDEX [CONCURRENTLY] [IF EXISTS] name [, …]: the index's table is not in the text. */
function dropIndex(s: Stmt): Draft {
  const concurrent = s.is(2, 'concurrently');
  const { keys, next } = s.names(s.skip(concurrent ? 3 : 2, ['if', 'exists']));
  if (keys.length === 0 || !endsAt(s, next, 'cascade', 'restrict')) return unknown(s);
  const d = new Draft(`DROP INDEX ${concurrent ? 'CONCURRENTLY ' : ''}${displayList(keys)}`);
  for (const k of keys) d.lock(`(table of ${k})`, concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE', WHY.indexTable);
  if (concurrent) {
    d.note('waits for every transaction using the table to end (twice) instead of blocking them', 'cannot run inside a transaction block');
  }
  return d;
}

function drop(s: Stmt, fks: Map<string, string[]> | undefined): Draft {
  const kind = s.word(1);
  const cascade = s.word(s.length - 1) === 'cascade';
  switch (kind) {
    case 'table':
    case 'view':
    case 'sequence':
      return dropRelations(s, kind.toUpperCase(), 2, fks);
    case 'materialized':
      return s.is(2, 'view') ? dropRelations(s, 'MATERIALIZED VIEW', 3, fks) : unknown(s);
    case 'foreign':
      return s.is(2, 'table') ? dropRelations(s, 'FOREIGN TABLE', 3, fks) : unknown(s);
    case 'index':
      return dropIndex(s);
    case 'trigger': {
      const trigger = s.name(s.skip(2, ['if', 'exists']));
      const table = trigger && s.is(trigger.next, 'on') ? s.name(trigger.next + 1) : undefined;
      if (!trigger || !table) return unknown(s);
      return new Draft(`DROP TRIGGER ${displayTable(trigger.key)}`).lock(table.key, 'ACCESS EXCLUSIVE', WHY.target);
    }
    case 'type':
    case 'domain': {
      const { keys } = s.names(s.skip(2, ['if', 'exists']));
      return noTableLock(
        `DROP ${kind.toUpperCase()} ${displayList(keys)}`,
        cascade ? 'CASCADE drops the columns that use it: ACCESS EXCLUSIVE on their tables' : 'no table lock (fails while a column still uses it)',
      );
    }
    case 'extension':
    case 'schema': {
      const { keys } = s.names(s.skip(2, ['if', 'exists']));
      return noTableLock(
        `DROP ${kind.toUpperCase()} ${displayList(keys)}`,
        cascade
          ? 'CASCADE drops every object that depends on it: ACCESS EXCLUSIVE on the tables among them'
          : 'no table lock of its own (fails while objects depend on it)',
      );
    }
    case 'function':
    case 'procedure':
    case 'routine':
      return noTableLock(`DROP ${kind.toUpperCase()} ${shown(s.name(s.skip(2, ['if', 'exists']))?.key)}`, 'no table lock');
    default:
      return unknown(s);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ALTER TABLE

interface Subcommand {
  label: string;
  mode: LockMode;
  notes?: string[];
  /** Locks on other tables (foreign-key targets, partitions). */
  others?: { table: string; mode: LockMode; reason: Reason }[];
}

/** Storage parameters that ALTER TABLE SET/RESET changes under SHARE UPDATE EXCLUSIVE (the manual); others take ACCESS EXCLUSIVE. */
const LIGHT_RELOPTION = /^(fillfactor|parallel_workers|toast_tuple_target|autovacuum_\w+|toast\.\w+)$/;

/** The mode for `SET (option = value, …)` / `RESET (option, …)` with the list opening at `open`. */
function relOptionsMode(s: Stmt, open: number): LockMode {
  const close = s.partner.get(open) ?? s.length;
  const inner = (s.depth[open] ?? 0) + 1;
  let atName = true;
  for (let j = open + 1; j < close; j++) {
    if (atName) {
      // the name may be qualified: toast.autovacuum_enabled
      const option = s.name(j);
      if (!option || !LIGHT_RELOPTION.test(option.key)) return 'ACCESS EXCLUSIVE';
      atName = false;
    }
    if (s.op(j, ',') && s.depth[j] === inner) atName = true;
  }
  return 'SHARE UPDATE EXCLUSIVE';
}

const NOT_VALID_ADVICE = 'on a big table: NOT VALID, then VALIDATE CONSTRAINT';
const NOT_VALID_NOTE = 'NOT VALID: existing rows are not checked now; VALIDATE CONSTRAINT later takes only SHARE UPDATE EXCLUSIVE';
const INDEX_BUILD_NOTE =
  'builds an index while holding ACCESS EXCLUSIVE (on a big table build it first with CREATE UNIQUE INDEX CONCURRENTLY, then ADD … USING INDEX)';

function addSubcommand(s: Stmt, from: number, to: number): Subcommand {
  const refs = referencedTables(s, from, to);
  const notValid = s.has(from, to, 'not', 'valid');
  let i = from + 1;
  let constraintName = '';
  if (s.is(i, 'constraint')) {
    constraintName = ` ${shown(s.name(i + 1)?.key)}`;
    i = s.name(i + 1)?.next ?? i + 1;
  }
  const kind = s.word(i) ?? '';
  if (constraintName !== '' || ['check', 'unique', 'primary', 'exclude', 'foreign'].includes(kind)) {
    const what = kind === 'primary' || kind === 'foreign' ? `${kind.toUpperCase()} KEY` : kind.toUpperCase();
    const label = `ADD${constraintName ? ` CONSTRAINT${constraintName}` : ''} ${what}`;
    if (kind === 'foreign') {
      return {
        label,
        mode: 'SHARE ROW EXCLUSIVE',
        others: refs.map((table) => ({ table, mode: 'SHARE ROW EXCLUSIVE', reason: WHY.fkAdded })),
        notes: [notValid ? NOT_VALID_NOTE : `checks every existing row while holding the locks (${NOT_VALID_ADVICE})`],
      };
    }
    if (kind === 'check') {
      const scan = `scans every existing row while holding ACCESS EXCLUSIVE (${NOT_VALID_ADVICE})`;
      return { label, mode: 'ACCESS EXCLUSIVE', notes: [notValid ? NOT_VALID_NOTE : scan] };
    }
    if (['unique', 'primary', 'exclude'].includes(kind)) {
      return { label, mode: 'ACCESS EXCLUSIVE', notes: [s.has(i, to, 'using', 'index') ? 'uses an existing index: no build' : INDEX_BUILD_NOTE] };
    }
    return { label, mode: 'ACCESS EXCLUSIVE' };
  }
  const column = s.name(s.skip(i, ['column'], ['if', 'not', 'exists']));
  const has = (w: string): boolean => s.has(column?.next ?? i, to, w);
  const notes: string[] = [];
  if (has('generated') && has('stored')) notes.push('a STORED generated column rewrites the table and its indexes');
  else if (has('default') || ['serial', 'bigserial', 'smallserial', 'serial4', 'serial8', 'serial2'].includes(s.word(column?.next ?? i) ?? '')) {
    notes.push(
      'rewrites the table if the default is volatile (random(), clock_timestamp(), nextval() of a serial…); a constant default is catalog-only',
    );
  }
  if (has('primary') || has('unique')) notes.push(INDEX_BUILD_NOTE);
  return {
    label: `ADD COLUMN ${shown(column?.key)}`,
    mode: 'ACCESS EXCLUSIVE',
    notes,
    others: refs.map((table) => ({ table, mode: 'SHARE ROW EXCLUSIVE', reason: WHY.fkAdded })),
  };
}

const ALTER_COLUMN_WORDS = new Set([
  'set', 'drop', 'add', 'not', 'null', 'default', 'storage', 'compression', 'expression', 'identity', 'generated', 'restart',
]);

function alterColumnSubcommand(s: Stmt, from: number): Subcommand {
  const column = s.name(s.skip(from + 1, ['column']));
  const i = column?.next ?? from + 1;
  const label = (what: string): string => `ALTER COLUMN ${shown(column?.key)} ${what}`;
  if (s.is(i, 'type') || s.is(i, 'set', 'data', 'type')) {
    const note = 'rewrites the table and its indexes unless the new type is binary-compatible (e.g. varchar(n) to text)';
    return { label: label('TYPE'), mode: 'ACCESS EXCLUSIVE', notes: [note] };
  }
  if (s.is(i, 'set', 'not', 'null')) {
    const note = 'scans the table for NULLs while holding ACCESS EXCLUSIVE, unless a valid CHECK (column IS NOT NULL) constraint already proves it';
    return { label: label('SET NOT NULL'), mode: 'ACCESS EXCLUSIVE', notes: [note] };
  }
  if (s.is(i, 'set', 'statistics') || (s.is(i, 'set') && s.op(i + 1, '(')) || s.is(i, 'reset')) {
    return { label: label(s.is(i, 'reset') ? 'RESET' : s.is(i, 'set', 'statistics') ? 'SET STATISTICS' : 'SET'), mode: 'SHARE UPDATE EXCLUSIVE' };
  }
  if (s.is(i, 'set', 'expression')) {
    return { label: label('SET EXPRESSION'), mode: 'ACCESS EXCLUSIVE', notes: ['rewrites the table'] };
  }
  // SET/DROP DEFAULT, DROP NOT NULL, SET STORAGE, SET COMPRESSION, identity and generation forms
  const words: string[] = [];
  for (let j = i; ALTER_COLUMN_WORDS.has(s.word(j) ?? ''); j++) words.push(s.word(j)?.toUpperCase() ?? '');
  return { label: label(words.join(' ')), mode: 'ACCESS EXCLUSIVE' };
}

/** One ALTER TABLE subcommand, tokens [from, to). The modes follow AlterTableGetLockLevel and the manual. */
function subcommand(s: Stmt, from: number, to: number): Subcommand {
  const w = (k: number): string => s.word(from + k) ?? '';
  const named = (k: number): string => shown(s.name(s.skip(from + k, ['if', 'exists']))?.key);
  switch (w(0)) {
    case 'add':
      return addSubcommand(s, from, to);
    case 'drop':
      if (w(1) === 'constraint') {
        const note = 'if it is a foreign key, the table it references gets ACCESS EXCLUSIVE too (its triggers there are removed)';
        return { label: `DROP CONSTRAINT ${named(2)}`, mode: 'ACCESS EXCLUSIVE', notes: [note] };
      }
      return { label: `DROP COLUMN ${named(w(1) === 'column' ? 2 : 1)}`, mode: 'ACCESS EXCLUSIVE', notes: ['catalog only: no rewrite'] };
    case 'alter':
      return w(1) === 'constraint' ? { label: `ALTER CONSTRAINT ${named(2)}`, mode: 'ACCESS EXCLUSIVE' } : alterColumnSubcommand(s, from);
    case 'validate':
      return {
        label: `VALIDATE CONSTRAINT ${named(2)}`,
        mode: 'SHARE UPDATE EXCLUSIVE',
        notes: ['scans the table while reads and writes go on; a foreign key also takes ROW SHARE on the table it references'],
      };
    case 'rename':
      if (w(1) === 'to' || w(1) === 'constraint') return { label: `RENAME ${w(1).toUpperCase()} ${named(2)}`, mode: 'ACCESS EXCLUSIVE' };
      return { label: `RENAME COLUMN ${named(w(1) === 'column' ? 2 : 1)}`, mode: 'ACCESS EXCLUSIVE' };
    case 'set':
      if (s.op(from + 1, '(')) return { label: 'SET (…)', mode: relOptionsMode(s, from + 1) };
      if (w(1) === 'without' && w(2) === 'cluster') return { label: 'SET WITHOUT CLUSTER', mode: 'SHARE UPDATE EXCLUSIVE' };
      if (['tablespace', 'logged', 'unlogged'].includes(w(1)) || w(1) === 'access') {
        const label = `SET ${w(1) === 'access' ? 'ACCESS METHOD' : w(1).toUpperCase()}`;
        return { label, mode: 'ACCESS EXCLUSIVE', notes: ['rewrites (copies) the table and its indexes'] };
      }
      return { label: `SET ${w(1).toUpperCase()}`, mode: 'ACCESS EXCLUSIVE' };
    case 'reset':
      return { label: 'RESET (…)', mode: s.op(from + 1, '(') ? relOptionsMode(s, from + 1) : 'ACCESS EXCLUSIVE' };
    case 'cluster':
      return { label: 'CLUSTER ON', mode: 'SHARE UPDATE EXCLUSIVE' };
    case 'enable':
    case 'disable': {
      // ENABLE/DISABLE [ALWAYS | REPLICA] TRIGGER …, … RULE …, … ROW LEVEL SECURITY
      const what = s.skip(from + 1, ['always'], ['replica']);
      const object = s.is(what, 'row', 'level', 'security') ? 'ROW LEVEL SECURITY' : (s.word(what)?.toUpperCase() ?? '');
      return { label: `${w(0).toUpperCase()} ${object}`, mode: s.is(what, 'trigger') ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE' };
    }
    case 'attach': {
      const partition = s.name(from + 2);
      return {
        label: `ATTACH PARTITION ${named(2)}`,
        mode: 'SHARE UPDATE EXCLUSIVE',
        others: partition ? [{ table: partition.key, mode: 'ACCESS EXCLUSIVE', reason: WHY.partition }] : [],
        notes: ['also ACCESS EXCLUSIVE on the default partition, if any; scans the new partition unless a CHECK constraint proves its bounds'],
      };
    }
    case 'detach': {
      const partition = s.name(from + 2);
      const how = partition ? s.word(partition.next) : undefined;
      // CONCURRENTLY and FINALIZE (PostgreSQL 14 or later) take SHARE UPDATE EXCLUSIVE on the parent
      const concurrent = how === 'concurrently';
      return {
        label: `DETACH PARTITION ${named(2)}${how ? ` ${how.toUpperCase()}` : ''}`,
        mode: concurrent || how === 'finalize' ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
        others: partition ? [{ table: partition.key, mode: concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE', reason: WHY.partition }] : [],
        notes: concurrent ? ['runs as two transactions, waiting for every transaction using the table; cannot run inside a transaction block'] : [],
      };
    }
    default:
      // "An ACCESS EXCLUSIVE lock is acquired unless explicitly noted" (ALTER TABLE in the manual): owner, schema,
      // inherit, replica identity, row level security, OF …
      return { label: [w(0), w(1)].filter(Boolean).join(' ').toUpperCase(), mode: 'ACCESS EXCLUSIVE' };
  }
}

function alterTable(s: Stmt): Draft {
  const head = alterTableHead(s);
  if (!head || head.next >= s.length) return unknown(s);
  const subs: Subcommand[] = [];
  let start = head.next;
  for (let j = head.next; j <= s.length; j++) {
    if (j === s.length || (s.op(j, ',') && s.depth[j] === 0)) {
      subs.push(subcommand(s, start, j));
      start = j + 1;
    }
  }
  const mode = subs.reduce<LockMode>((m, sub) => stronger(m, sub.mode), 'SHARE UPDATE EXCLUSIVE');
  const d = new Draft(`ALTER TABLE ${displayTable(head.key)} ${subs.map((sub) => sub.label).join(', ')}`);
  d.lock(head.key, mode, WHY.altered);
  for (const sub of subs) {
    for (const o of sub.others ?? []) d.lock(o.table, o.mode, o.reason);
    d.note(...(sub.notes ?? []));
  }
  return d;
}

/** ALTER TYPE: the forms that touch no table. */
function alterType(s: Stmt): Draft {
  const type = s.name(2);
  if (!type) return unknown(s);
  const summary = `ALTER TYPE ${displayTable(type.key)}`;
  if (s.is(type.next, 'add', 'value')) return noTableLock(`${summary} ADD VALUE`, 'no table lock; the new label cannot be used before COMMIT');
  if (s.is(type.next, 'rename', 'value')) return noTableLock(`${summary} RENAME VALUE`, 'no table lock');
  if (s.is(type.next, 'rename', 'to') || s.is(type.next, 'owner', 'to') || s.is(type.next, 'set', 'schema')) {
    return noTableLock(summary, 'no table lock');
  }
  return unknown(s);
}

// ---------------------------------------------------------------------------------------------------------------
// Other commands

/** COMMENT ON …: SHARE UPDATE EXCLUSIVE on the relation the object belongs to, none for other objects. */
function comment(s: Stmt): Draft {
  const mode = 'SHARE UPDATE EXCLUSIVE';
  const kinds = [
    ['materialized', 'view'], ['foreign', 'table'], ['table'], ['view'], ['sequence'], ['index'],
    ['column'], ['constraint'], ['trigger'], ['rule'], ['policy'],
  ];
  const kind = kinds.find((k) => s.is(2, ...k));
  const object = kind ? s.name(2 + kind.length) : undefined;
  if (!kind || !object) return noTableLock(s.keywords(0, 3), 'no table lock');
  const summary = `COMMENT ON ${kind.join(' ').toUpperCase()} ${displayTable(object.key)}`;
  if (kind[0] === 'column') {
    // table.column (or schema.table.column)
    const dot = object.key.lastIndexOf('.');
    return dot > 0 ? new Draft(summary).lock(object.key.slice(0, dot), mode, WHY.target) : unknown(s);
  }
  if (['constraint', 'trigger', 'rule', 'policy'].includes(kind[0] ?? '')) {
    // name ON table; a domain's constraint is on no table
    const table = s.is(object.next, 'on') && !s.is(object.next + 1, 'domain') ? s.name(object.next + 1) : undefined;
    return table ? new Draft(summary).lock(table.key, mode, WHY.target) : noTableLock(summary, 'no table lock');
  }
  return new Draft(summary).lock(object.key, mode, kind[0] === 'index' ? WHY.index : WHY.target);
}

/** `[ONLY] name [*] [, …]`, as LOCK and TRUNCATE take them. */
function relationList(s: Stmt, i: number): { keys: string[]; next: number } {
  const keys: string[] = [];
  let j = i;
  for (;;) {
    const n = s.name(s.skip(j, ['only']));
    if (!n) break;
    keys.push(n.key);
    j = s.op(n.next, '*') ? n.next + 1 : n.next;
    if (!s.op(j, ',')) break;
    j += 1;
  }
  return { keys, next: j };
}

/** LOCK [TABLE] [ONLY] name [*] [, …] [IN mode MODE] [NOWAIT] */
function lockTable(s: Stmt): Draft {
  const { keys, next } = relationList(s, s.skip(1, ['table']));
  if (keys.length === 0) return unknown(s);
  let mode: LockMode = 'ACCESS EXCLUSIVE';
  let end = next;
  if (s.is(next, 'in')) {
    const words: string[] = [];
    for (end = next + 1; s.word(end) !== undefined && s.word(end) !== 'mode'; end++) words.push(s.word(end)?.toUpperCase() ?? '');
    const named = MODES.find((m) => m === words.join(' '));
    if (!named || !s.is(end, 'mode')) return unknown(s);
    mode = named;
    end += 1;
  }
  if (!endsAt(s, end, 'nowait')) return unknown(s);
  const d = new Draft(`LOCK TABLE ${displayList(keys)} IN ${mode} MODE`);
  for (const k of keys) d.lock(k, mode, WHY.target);
  d.note('only inside a transaction block; held until the transaction ends');
  if (s.is(end, 'nowait')) d.note('NOWAIT: fails at once instead of waiting');
  return d;
}

/** TRUNCATE [TABLE] [ONLY] name [*] [, …] [RESTART | CONTINUE IDENTITY] [CASCADE | RESTRICT] */
function truncate(s: Stmt, fks: Map<string, string[]> | undefined): Draft {
  const { keys } = relationList(s, s.skip(1, ['table']));
  if (keys.length === 0) return unknown(s);
  const d = new Draft(`TRUNCATE ${displayList(keys)}`);
  for (const k of keys) d.lock(k, 'ACCESS EXCLUSIVE', WHY.target);
  if (s.word(s.length - 1) === 'cascade') {
    if (fks) {
      // every table referencing a truncated one, transitively
      const all = [...keys];
      for (let k = 0; k < all.length; k++) for (const r of fkReferrers(all[k] ?? '', fks)) if (!all.includes(r)) all.push(r);
      for (const r of all.slice(keys.length)) d.lock(r, 'ACCESS EXCLUSIVE', WHY.truncatedByCascade);
    } else d.note('CASCADE also truncates (ACCESS EXCLUSIVE) every table with a foreign key to these');
  }
  return d.note('empties the tables: not MVCC-safe for transactions that started before it');
}

/** VACUUM [FULL] [FREEZE] [VERBOSE] [ANALYZE] | VACUUM (options), ANALYZE [VERBOSE] | ANALYZE (options); then tables [(columns)] */
function vacuumOrAnalyze(s: Stmt): Draft {
  const vacuum = s.word(0) === 'vacuum';
  let i = 1;
  let full = false;
  if (s.op(1, '(')) {
    // options: FULL [boolean], …
    for (let j = 2; j < s.after(1) - 1; j++) {
      if (s.word(j) === 'full' && !['false', 'off'].includes(s.word(j + 1) ?? '') && s.toks[j + 1]?.text !== '0') full = true;
    }
    i = s.after(1);
  } else {
    while (['full', 'freeze', 'verbose', 'analyze', 'analyse'].includes(s.word(i) ?? '')) full ||= s.word(i++) === 'full';
  }
  const { keys } = s.names(i, (j) => s.after(j)); // a column list may follow each table
  const command = `${vacuum ? 'VACUUM' : 'ANALYZE'}${full ? ' FULL' : ''}`;
  const d = new Draft(keys.length > 0 ? `${command} ${displayList(keys)}` : command);
  for (const k of keys) d.lock(k, full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', WHY.target);
  if (keys.length === 0) d.note(`every table in the database, one at a time, each under ${full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE'}`);
  if (full) d.note('rewrites the table and its indexes: needs the disk space of a copy');
  if (vacuum) d.note('cannot run inside a transaction block');
  else if (!full) d.note('reads a sample of each table; reads and writes go on');
  return d;
}

/** REINDEX [(options)] {INDEX | TABLE | SCHEMA | DATABASE | SYSTEM} [CONCURRENTLY] name */
function reindex(s: Stmt): Draft {
  const i = s.after(1);
  const kind = s.word(i) ?? '';
  const concurrent = s.is(i + 1, 'concurrently');
  const target = s.name(i + (concurrent ? 2 : 1));
  const summary = `REINDEX ${kind.toUpperCase()}${concurrent ? ' CONCURRENTLY' : ''}${target ? ` ${displayTable(target.key)}` : ''}`;
  if (['schema', 'database', 'system'].includes(kind)) {
    return noTableLock(summary, `every table of the ${kind === 'schema' ? 'schema' : 'database'} in turn, each locked as by REINDEX TABLE`);
  }
  if (!target || (kind !== 'index' && kind !== 'table')) return unknown(s);
  const table = kind === 'table' ? target.key : `(table of ${target.key})`;
  const index = kind === 'index' ? target.key : `(indexes of ${target.key})`;
  const d = new Draft(summary);
  if (concurrent) {
    return d
      .lock(table, 'SHARE UPDATE EXCLUSIVE', kind === 'table' ? WHY.target : WHY.indexTable)
      .note(
        'builds a new copy of each index and waits for older transactions, like CREATE INDEX CONCURRENTLY',
        'cannot run inside a transaction block',
      );
  }
  return d
    .lock(table, 'SHARE', kind === 'table' ? WHY.target : WHY.indexTable)
    .lock(index, 'ACCESS EXCLUSIVE', WHY.index)
    .note('ACCESS EXCLUSIVE on the index blocks nearly every query on the table (the planner locks all its indexes)');
}

/** CLUSTER [VERBOSE | (options)] [table [USING index]], and the old CLUSTER index ON table */
function cluster(s: Stmt): Draft {
  const first = s.name(s.skip(s.after(1), ['verbose']));
  const table = first && s.is(first.next, 'on') ? s.name(first.next + 1) : first;
  if (!table) return noTableLock('CLUSTER', 'every table clustered before, in turn, each under ACCESS EXCLUSIVE');
  return new Draft(`CLUSTER ${displayTable(table.key)}`)
    .lock(table.key, 'ACCESS EXCLUSIVE', WHY.target)
    .note('rewrites the table and its indexes in index order: needs the disk space of a copy');
}

/** REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA] */
function refresh(s: Stmt): Draft {
  const concurrent = s.is(3, 'concurrently');
  const view = s.is(1, 'materialized', 'view') ? s.name(concurrent ? 4 : 3) : undefined;
  if (!view) return unknown(s);
  const d = new Draft(`REFRESH MATERIALIZED VIEW ${concurrent ? 'CONCURRENTLY ' : ''}${displayTable(view.key)}`)
    .lock(view.key, concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE', WHY.target)
    .note('runs the view query: ACCESS SHARE on the tables it reads (not named here)');
  if (concurrent) d.note('reads of the view go on; needs a UNIQUE index on it');
  return d;
}

/** COPY table [(columns)] {FROM | TO} …, COPY (query) TO … */
function copy(s: Stmt, fks: Map<string, string[]> | undefined): Draft {
  if (s.op(1, '(')) {
    const d = new Draft('COPY (query) TO');
    for (const r of queryTables(s, 2).reads) d.lock(r, 'ACCESS SHARE', WHY.read);
    return d;
  }
  const table = s.name(1);
  const direction = table ? s.word(s.after(table.next)) : undefined;
  if (!table || (direction !== 'from' && direction !== 'to')) return unknown(s);
  const d = new Draft(`COPY ${displayTable(table.key)} ${direction.toUpperCase()}`);
  if (direction === 'to') return d.lock(table.key, 'ACCESS SHARE', WHY.read);
  d.lock(table.key, 'ROW EXCLUSIVE', WHY.written);
  fkChecks(d, [table.key], fks);
  return d;
}

/** Transaction control and session settings. */
function session(s: Stmt): Draft {
  const w = s.word(0);
  const ends = (w === 'commit' || w === 'end' || w === 'rollback' || w === 'abort') && !s.is(1, 'to') && s.find('savepoint') < 0;
  return noTableLock(s.keywords(0, 2), ends ? "no table lock; ends the transaction, releasing all of its locks" : 'no table lock');
}

function unknown(s: Stmt): Draft {
  return new Draft(s.keywords(0, 3)).note(UNKNOWN);
}

function analyse(s: Stmt, fks: Map<string, string[]> | undefined): Draft {
  switch (s.word(0)) {
    case 'create':
      return create(s);
    case 'drop':
      return drop(s, fks);
    case 'alter':
      return s.is(1, 'table') ? alterTable(s) : s.is(1, 'type') ? alterType(s) : unknown(s);
    case 'comment':
      return s.is(1, 'on') ? comment(s) : unknown(s);
    case 'insert':
    case 'update':
    case 'delete':
    case 'merge':
    case 'with':
    case 'select':
    case 'values':
      return query(s, fks);
    case 'lock':
      return lockTable(s);
    case 'truncate':
      return truncate(s, fks);
    case 'vacuum':
    case 'analyze':
    case 'analyse':
      return vacuumOrAnalyze(s);
    case 'reindex':
      return reindex(s);
    case 'cluster':
      return cluster(s);
    case 'refresh':
      return refresh(s);
    case 'copy':
      return copy(s, fks);
    case 'begin':
    case 'start':
    case 'commit':
    case 'end':
    case 'rollback':
    case 'abort':
    case 'savepoint':
    case 'release':
    case 'set':
    case 'reset':
    case 'show':
      return session(s);
    default:
      return unknown(s);
  }
}

/**
 * Locks of one statement. `fks` (from foreignKeyMap of the matching up file) lets DROP TABLE name the tables its
 * foreign keys reference: removing a foreign key drops its triggers on the referenced table, which takes ACCESS
 * EXCLUSIVE there (RemoveTriggerById; README: verified on PostgreSQL 15). It also names the rows INSERT/UPDATE
 * check (ROW SHARE) and what a DELETE's ON DELETE actions reach. Text holding several statements is described as
 * the one transaction a simple query makes of it. Never throws: what is not recognised gets no locks and a note.
 */
export function statementLocks(statement: string, fks?: Map<string, string[]>): StatementLocks {
  const drafts = splitTokens(lex(statement)).map((toks) => analyse(new Stmt(toks), fks));
  if (drafts.length === 0) return finish(noTableLock('(empty)', 'no SQL: only comments or blanks'));
  const first = drafts[0];
  if (drafts.length === 1 && first) return finish(first);
  const all = new Draft(drafts.map((d) => d.summary).join('; '));
  for (const d of drafts) {
    all.locks.push(...d.locks);
    for (const c of d.created) all.created.add(c);
    all.note(...d.notes);
  }
  return finish(all.note('several statements: sent as one query they run as one transaction, so every lock is held until its end'));
}

/**
 * A compact one-line rendering, used by the dry run: 'CREATE TABLE parlant_agent — SHARE ROW EXCLUSIVE on workspace,
 * "user" (foreign keys); ACCESS EXCLUSIVE on parlant_agent (new)'.
 */
export function describeLocks(l: StatementLocks): string {
  if (l.locks.length === 0) return `${l.summary} — ${l.notes.includes(UNKNOWN) ? UNKNOWN : 'no table lock'}`;
  // consecutive locks of the same mode and the same kind of reason form one group
  const groups: { mode: LockMode; tag: string; tables: string[] }[] = [];
  for (const lock of l.locks) {
    const tag = TAGS.get(lock.why) ?? '';
    const last = groups[groups.length - 1];
    if (last && last.mode === lock.mode && last.tag === tag) last.tables.push(lock.table);
    else groups.push({ mode: lock.mode, tag, tables: [lock.table] });
  }
  return `${l.summary} — ${groups.map((g) => `${g.mode} on ${displayList(g.tables)}${g.tag ? ` (${g.tag})` : ''}`).join('; ')}`;
}
