import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import ini from 'ini';
import pgpassHelper from 'pgpass/lib/helper.js';
import type { ClientConfig } from 'pg';

/**
 * Which database are we about to touch? Resolved the way libpq users expect (psql, pg_dump), so that an operator's
 * existing PGHOST / ~/.pgpass / pg_service.conf set-up just works, and explained parameter by parameter so the target
 * banner and error messages can say where each value came from.
 *
 * Precedence: `--db` (URL, conninfo or configured target name) — or, without `--db`, DATABASE_URL — then, for every
 * parameter still unset, the service file entry, then the PG* environment variables, then the defaults. `--db` and
 * DATABASE_URL are alternatives, never merged: mixing the host of one with the database of the other could aim a
 * destructive step at a database nobody named.
 */

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
export const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export type TargetEnv = 'dev' | 'staging' | 'production';

/** A named target from the configuration file. */
export interface TargetConfig {
  url?: string;
  host?: string;
  port?: number | string;
  database?: string;
  user?: string;
  sslmode?: string;
  env?: TargetEnv;
}

export type PasswordSource = 'url' | 'env' | 'pgpass' | 'service' | 'none';

export interface ResolvedTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Never print this; use describeTarget() and redactSecrets(). */
  password?: string;
  passwordSource: PasswordSource;
  /** The pgpass file that was consulted (shown as ~/… when under the home directory), for error messages. */
  passfile: string;
  sslmode: SslMode;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  /** 0 means wait forever, as in libpq. */
  connectTimeoutSec: number;
  applicationName: string;
  /**
   * Where each parameter came from: 'flag' | 'DATABASE_URL' | 'service:<name>' | 'env:PGHOST' | 'default' |
   * 'target:<name>' | 'pgpass'. Keys are this object's field names.
   */
  sources: Record<string, string>;
  /** The service-file entry used, if any, and the file it was found in. */
  service?: { name: string; file: string };
  targetName?: string;
  env?: TargetEnv;
  /** Things the operator should know that did not stop resolution (an ignored insecure ~/.pgpass, …). */
  warnings: string[];
}

/** The operator gave us something we cannot use. The message names the problem and the fix; never a password. */
export class ConnectionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionConfigError';
  }
}

export interface ResolveInput {
  /** The --db flag: a postgresql:// URL, a libpq conninfo string, or a configured target name. */
  db?: string;
  env?: NodeJS.ProcessEnv;
  homedir?: string;
  appName?: string;
  targets?: Record<string, TargetConfig>;
  /** Injectable for tests; defaults to the OS user name, as libpq does. */
  osUser?: string;
  /** Injectable for tests; the default host is this directory if it exists, else localhost. */
  defaultSocketDir?: string;
}

export const DEFAULT_APPLICATION_NAME = 'parlant-runbook';
const DEFAULT_PORT = 5432;
const DEFAULT_CONNECT_TIMEOUT_SEC = 10;
const DEBIAN_SOCKET_DIR = '/var/run/postgresql';
/** Debian's libpq is built with this SYSCONFDIR; PGSYSCONFDIR replaces it, as in libpq. */
const DEFAULT_SYSCONFDIR = '/etc/postgresql-common';

// ---------------------------------------------------------------------------------------------------------------
// libpq keywords

/** The keywords we act on. Names are libpq's. */
type Param =
  | 'host'
  | 'port'
  | 'dbname'
  | 'user'
  | 'password'
  | 'sslmode'
  | 'sslrootcert'
  | 'sslcert'
  | 'sslkey'
  | 'connect_timeout'
  | 'passfile'
  | 'service';

const USED: ReadonlySet<string> = new Set<Param>([
  'host',
  'port',
  'dbname',
  'user',
  'password',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'connect_timeout',
  'passfile',
  'service',
]);

/**
 * Valid libpq keywords that do not change which server, database or role we reach. They are accepted (so a conninfo
 * string copied from psql works) and ignored; application_name in particular is always our own (DESIGN §6).
 */
const IGNORED: ReadonlySet<string> = new Set([
  'application_name',
  'fallback_application_name',
  'client_encoding',
  'options',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'channel_binding',
  'sslnegotiation',
  'sslcompression',
  'sslcertmode',
  'sslpassword',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'requirepeer',
  'require_auth',
  'gssencmode',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'target_session_attrs',
  'load_balance_hosts',
]);

/** A set of parameter values from one place, with the source label recorded in `sources`. */
interface Layer {
  source: string;
  values: Partial<Record<Param, string>>;
}

/** Human wording of a source label, for messages: "--db", "PGPORT", "service 'x'", "target 'prod'". */
export function describeSource(source: string): string {
  if (source === 'flag') return '--db';
  if (source === 'DATABASE_URL') return 'DATABASE_URL';
  if (source === 'default') return 'the default';
  if (source === 'pgpass') return 'the pgpass file';
  if (source.startsWith('env:')) return source.slice(4);
  if (source.startsWith('service:')) return `service '${source.slice(8)}'`;
  if (source.startsWith('target:')) return `target '${source.slice(7)}'`;
  return source;
}

function applyKeyword(values: Partial<Record<Param, string>>, key: string, value: string, origin: string, echo: boolean): void {
  const shown = echo ? ` '${key}'` : '';
  if (USED.has(key)) {
    if ((key === 'host' || key === 'port') && value.includes(',')) {
      throw new ConnectionConfigError(
        `${origin} names several ${key === 'host' ? 'hosts' : 'ports'}; parlant-runbook connects to exactly one server. Name a single host and port.`,
      );
    }
    values[key as Param] = value;
    return;
  }
  if (key === 'hostaddr') {
    throw new ConnectionConfigError(`${origin} uses hostaddr, which parlant-runbook does not support. Use host=<address> instead.`);
  }
  if (key === 'replication') {
    throw new ConnectionConfigError(`${origin} asks for a replication connection, which parlant-runbook does not use. Remove replication=.`);
  }
  if (IGNORED.has(key)) return;
  throw new ConnectionConfigError(
    `${origin} contains an unknown connection option${shown}. Use libpq keywords such as host, port, dbname, user, sslmode (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS).`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// URL and conninfo parsing

const URL_PREFIX = /^postgres(?:ql)?:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

function decode(part: string, what: string, origin: string, shown: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConnectionConfigError(
      `${origin} ${shown} is not a valid PostgreSQL URL: the ${what} has a malformed %-escape. Percent-encode special characters (%25 for %, %40 for @, %2F for /).`,
    );
  }
}

/** Parses a libpq connection URI (postgresql://user:password@host:port/dbname?param=value). */
export function parseConnectionUrl(url: string, origin: string): Partial<Record<Param, string>> {
  const shown = `'${redactUrl(url)}'`;
  const bad = (why: string): ConnectionConfigError =>
    new ConnectionConfigError(`${origin} ${shown} is not a valid PostgreSQL URL: ${why}. Use the form postgresql://user@host:5432/dbname.`);
  const m = /^postgres(?:ql)?:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?(?:#.*)?$/is.exec(url);
  if (!m) throw bad('it could not be parsed');
  const authority = m[1] ?? '';
  const values: Partial<Record<Param, string>> = {};

  // libpq takes the first '@' as the end of the credentials; a raw '@' in a password must be written %40.
  const at = authority.indexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user) values.user = decode(user, 'user name', origin, shown);
    if (colon >= 0) {
      const pw = userinfo.slice(colon + 1);
      if (pw) values.password = decode(pw, 'password', origin, shown);
    }
  }

  let host: string;
  let port: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw bad("the IPv6 address has no closing ']'");
    host = hostport.slice(1, close);
    const rest = hostport.slice(close + 1);
    if (rest && !rest.startsWith(':')) throw bad("unexpected text after the IPv6 address (expected ':port')");
    port = rest ? rest.slice(1) : undefined;
  } else {
    const colon = hostport.indexOf(':');
    host = colon >= 0 ? hostport.slice(0, colon) : hostport;
    port = colon >= 0 ? hostport.slice(colon + 1) : undefined;
  }
  if (hostport.includes(',')) {
    throw new ConnectionConfigError(
      `${origin} ${shown} names several hosts; parlant-runbook connects to exactly one server. Name a single host and port.`,
    );
  }
  if (host) values.host = decode(host, 'host', origin, shown);
  if (port) values.port = decode(port, 'port', origin, shown);
  const db = m[2];
  if (db) values.dbname = decode(db, 'database name', origin, shown);

  const query = m[3];
  if (query) {
    for (const pair of query.split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq < 0) throw bad("a query parameter has no '=value'");
      const key = decode(pair.slice(0, eq), 'query', origin, shown);
      const value = decode(pair.slice(eq + 1), 'query', origin, shown);
      // JDBC-style ?ssl=true is accepted by libpq as sslmode=require.
      if (key === 'ssl') {
        if (value === 'true') values.sslmode = 'require';
        else throw bad("ssl= accepts only 'true' (use sslmode= for other modes)");
        continue;
      }
      applyKeyword(values, key, value, `${origin} ${shown}`, true);
    }
  }
  return values;
}

/** Parses a libpq keyword/value string (host=db1 port=5432 dbname='my db'), with libpq's quoting rules. */
export function parseConninfo(text: string, origin: string): Partial<Record<Param, string>> {
  // Tokens are echoed in messages only when the string holds no password: a mis-quoted password would otherwise
  // show up as "the word after…".
  const echo = !/password/i.test(text);
  const values: Partial<Record<Param, string>> = {};
  let i = 0;
  const n = text.length;
  const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  while (i < n) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const kStart = i;
    while (i < n && !isSpace(text[i]) && text[i] !== '=') i++;
    const key = text.slice(kStart, i);
    while (i < n && isSpace(text[i])) i++;
    if (text[i] !== '=') {
      throw new ConnectionConfigError(
        `${origin} is not a valid connection string: ${echo ? `'${key}' has` : 'a word has'} no '=value'. Write keyword=value pairs such as "host=db1 dbname=sim", or a postgresql:// URL.`,
      );
    }
    i++;
    while (i < n && isSpace(text[i])) i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i] as string;
        if (c === '\\' && i + 1 < n) {
          value += text[i + 1];
          i += 2;
        } else if (c === "'") {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) {
        throw new ConnectionConfigError(
          `${origin} is not a valid connection string: a quoted value${echo ? ` (for '${key}')` : ''} has no closing quote. Close it, and write \\' for a quote inside a value.`,
        );
      }
    } else {
      while (i < n && !isSpace(text[i])) {
        if (text[i] === '\\' && i + 1 < n) {
          value += text[i + 1];
          i += 2;
        } else {
          value += text[i];
          i++;
        }
      }
    }
    applyKeyword(values, key, value, origin, echo);
  }
  return values;
}

/** Parses --db or DATABASE_URL text that is a URL or a conninfo string. Returns undefined for a bare word. */
function parseConnectionString(text: string, origin: string): Partial<Record<Param, string>> | undefined {
  if (URL_PREFIX.test(text)) return parseConnectionUrl(text, origin);
  if (ANY_SCHEME.test(text)) {
    throw new ConnectionConfigError(
      `${origin} '${redactUrl(text)}' is not a PostgreSQL URL. Use postgresql://user@host:5432/dbname.`,
    );
  }
  if (text.includes('=')) return parseConninfo(text, origin);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Service file

interface ServiceEntry {
  name: string;
  file: string;
  values: Partial<Record<Param, string>>;
}

/**
 * libpq's search: the user's file (PGSERVICEFILE, else ~/.pg_service.conf), then the system file
 * (PGSYSCONFDIR/pg_service.conf, else the compiled-in directory). The first file that has the section wins.
 */
export function serviceFiles(env: NodeJS.ProcessEnv, homedir: string): string[] {
  return [
    env.PGSERVICEFILE || path.join(homedir, '.pg_service.conf'),
    path.join(env.PGSYSCONFDIR || DEFAULT_SYSCONFDIR, 'pg_service.conf'),
  ];
}

/**
 * libpq reads service-file values literally. The ini package would strip quotes, cut values at ';' or '#', turn
 * "true" into a boolean and nest sections that contain dots, so each line is re-quoted before it reaches ini.
 */
function parseServiceText(text: string): Record<string, unknown> {
  const lines = text.split(/\r?\n/).map((raw) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return '';
    if (line.startsWith('[')) return line.replace(/\./g, '\\.');
    const eq = line.indexOf('=');
    // ini would read a bare word as `word = true`; libpq rejects it. Dropping it keeps other sections usable.
    if (eq < 0) return '';
    return `${line.slice(0, eq).trim()}=${JSON.stringify(line.slice(eq + 1).trim())}`;
  });
  return ini.parse(lines.join('\n'));
}

async function readIfExists(file: string, what: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConnectionConfigError(`Can't read the ${what} ${file} (${code ?? String(e)}). Fix its permissions or remove it.`);
  }
}

async function findService(name: string, origin: string, env: NodeJS.ProcessEnv, homedir: string): Promise<ServiceEntry> {
  const files = serviceFiles(env, homedir);
  for (const file of files) {
    const text = await readIfExists(file, 'service file');
    if (text === undefined) continue;
    const section = parseServiceText(text)[name];
    if (!section || typeof section !== 'object') continue;
    const values: Partial<Record<Param, string>> = {};
    for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
      if (key === 'service') {
        throw new ConnectionConfigError(`Service '${name}' in ${file} names another service; libpq does not allow nesting. Remove its service= line.`);
      }
      applyKeyword(values, key, String(value), `Service '${name}' in ${file}`, true);
    }
    return { name, file, values };
  }
  throw new ConnectionConfigError(
    `Service '${name}' (from ${origin}) was not found in ${files.join(' or ')}. Add a [${name}] section to one of them, or ${
      origin === 'PGSERVICE' ? 'unset PGSERVICE' : 'fix the service name'
    }.`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// pgpass

/** libpq matches a connection through its default socket directory against 'localhost' lines. */
function pgpassHost(host: string): string {
  return host === DEBIAN_SOCKET_DIR || host === '/tmp' || host === '/var/run/postgresql/' ? 'localhost' : host;
}

function tildePath(file: string, homedir: string): string {
  return homedir && file.startsWith(homedir + path.sep) ? `~${file.slice(homedir.length)}` : file;
}

interface PgpassLookup {
  password?: string;
  warning?: string;
}

/**
 * The permission rule is libpq's (and the pgpass package's): a file that is not a plain file, or that group or others
 * can access, is ignored with a warning. We check it here rather than through the package's usePgPass(), which reads
 * process.env instead of the environment we were given; the matching itself is the package's.
 */
export async function lookupPgpass(
  file: string,
  conn: { host: string; port: number; database: string; user: string },
  shownAs: string = file,
): Promise<PgpassLookup> {
  let st;
  try {
    st = await stat(file);
  } catch {
    return {};
  }
  if (!st.isFile()) return { warning: `${shownAs} is not a plain file, so it was ignored.` };
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    return { warning: `${shownAs} was ignored because group or others can access it: run chmod 0600 ${shownAs}.` };
  }
  const stream = createReadStream(file, { encoding: 'utf8' });
  const password = await new Promise<string | undefined>((resolve) => {
    pgpassHelper.getPassword(
      { host: pgpassHost(conn.host), port: String(conn.port), database: conn.database, user: conn.user },
      stream,
      resolve,
    );
  });
  return password === undefined ? {} : { password };
}

// ---------------------------------------------------------------------------------------------------------------
// Resolution

const ENV_VARS: ReadonlyArray<[string, Param]> = [
  ['PGHOST', 'host'],
  ['PGPORT', 'port'],
  ['PGUSER', 'user'],
  ['PGPASSWORD', 'password'],
  ['PGDATABASE', 'dbname'],
  ['PGSSLMODE', 'sslmode'],
  ['PGSSLROOTCERT', 'sslrootcert'],
  ['PGSSLCERT', 'sslcert'],
  ['PGSSLKEY', 'sslkey'],
  ['PGCONNECT_TIMEOUT', 'connect_timeout'],
  ['PGPASSFILE', 'passfile'],
];

/** Our field name for each libpq keyword, used as the key in `sources`. */
const FIELD: Record<Param, string> = {
  host: 'host',
  port: 'port',
  dbname: 'database',
  user: 'user',
  password: 'password',
  sslmode: 'sslmode',
  sslrootcert: 'sslrootcert',
  sslcert: 'sslcert',
  sslkey: 'sslkey',
  connect_timeout: 'connectTimeoutSec',
  passfile: 'passfile',
  service: 'service',
};

function targetLayer(name: string, target: TargetConfig): Layer {
  const source = `target:${name}`;
  const origin = `Target '${name}'`;
  const values: Partial<Record<Param, string>> = target.url ? parseConnectionUrl(target.url, `${origin} url`) : {};
  // Explicit fields refine the URL, so a shared URL can be reused with another database or user.
  if (target.host !== undefined) values.host = target.host;
  if (target.port !== undefined) values.port = String(target.port);
  if (target.database !== undefined) values.dbname = target.database;
  if (target.user !== undefined) values.user = target.user;
  if (target.sslmode !== undefined) values.sslmode = target.sslmode;
  return { source, values };
}

function unknownWord(word: string, targets: Record<string, TargetConfig>): ConnectionConfigError {
  const names = Object.keys(targets);
  const configured = names.length ? `Configured targets: ${names.join(', ')}.` : 'No targets are configured.';
  return new ConnectionConfigError(
    `--db '${word}' is not a postgresql:// URL and no target named '${word}' is configured. ${configured} To name a database, use --db 'dbname=${word}'.`,
  );
}

function defaultOsUser(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    // A container may run under a uid with no passwd entry.
    return env.USER || env.LOGNAME || 'postgres';
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

function parsePort(value: string, source: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(port)) {
    throw new ConnectionConfigError(`Port '${value}' (from ${describeSource(source)}) is not a number. Use a port between 1 and 65535, e.g. 5432.`);
  }
  if (port < 1 || port > 65535) {
    throw new ConnectionConfigError(`Port ${value} (from ${describeSource(source)}) is out of range. Use a port between 1 and 65535, e.g. 5432.`);
  }
  return port;
}

function parseSslMode(value: string, source: string): SslMode {
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  throw new ConnectionConfigError(`sslmode '${value}' (from ${describeSource(source)}) is not valid. Use one of: ${SSL_MODES.join(', ')}.`);
}

function parseTimeout(value: string, source: string): number {
  if (!/^\d+$/.test(value)) {
    throw new ConnectionConfigError(
      `connect_timeout '${value}' (from ${describeSource(source)}) is not a whole number of seconds. Use e.g. 10 (0 waits forever).`,
    );
  }
  return Number(value);
}

/** Works out the target database from flags, DATABASE_URL, the service file, PG* variables and defaults. */
export async function resolveTarget(input: ResolveInput = {}): Promise<ResolvedTarget> {
  const env = input.env ?? process.env;
  const homedir = input.homedir ?? os.homedir();
  const targets = input.targets ?? {};
  const layers: Layer[] = [];
  let targetName: string | undefined;
  let targetEnv: TargetEnv | undefined;

  const db = input.db?.trim();
  if (db) {
    const parsed = parseConnectionString(db, '--db');
    if (parsed) layers.push({ source: 'flag', values: parsed });
    else if (Object.prototype.hasOwnProperty.call(targets, db)) {
      const target = targets[db] as TargetConfig;
      layers.push(targetLayer(db, target));
      targetName = db;
      targetEnv = target.env;
    } else throw unknownWord(db, targets);
  } else if (env.DATABASE_URL) {
    const text = env.DATABASE_URL.trim();
    const parsed = parseConnectionString(text, 'DATABASE_URL');
    if (!parsed) {
      throw new ConnectionConfigError(
        `DATABASE_URL is not a postgresql:// URL or a connection string. Set it to postgresql://user@host:5432/dbname, or unset it.`,
      );
    }
    layers.push({ source: 'DATABASE_URL', values: parsed });
  }

  // The service named in the connection string wins over PGSERVICE, as in libpq.
  const serviceName = layers[0]?.values.service || env.PGSERVICE;
  let service: ServiceEntry | undefined;
  if (serviceName) {
    const origin = layers[0]?.values.service ? describeSource(layers[0].source) : 'PGSERVICE';
    service = await findService(serviceName, origin, env, homedir);
    layers.push({ source: `service:${serviceName}`, values: service.values });
  }

  for (const [name, param] of ENV_VARS) {
    const value = env[name];
    if (value) layers.push({ source: `env:${name}`, values: { [param]: value } });
  }

  const sources: Record<string, string> = {};
  const pick = (param: Param): { value: string; source: string } | undefined => {
    for (const layer of layers) {
      const value = layer.values[param];
      if (value !== undefined && value !== '') {
        sources[FIELD[param]] = layer.source;
        return { value, source: layer.source };
      }
    }
    return undefined;
  };
  const orDefault = (param: Param, value: string): { value: string; source: string } => {
    sources[FIELD[param]] = 'default';
    return { value, source: 'default' };
  };

  const socketDir = input.defaultSocketDir ?? DEBIAN_SOCKET_DIR;
  const hostPick = pick('host') ?? orDefault('host', (await isDirectory(socketDir)) ? socketDir : 'localhost');
  const portPick = pick('port') ?? orDefault('port', String(DEFAULT_PORT));
  const userPick = pick('user') ?? orDefault('user', input.osUser ?? defaultOsUser(env));
  const dbPick = pick('dbname') ?? orDefault('dbname', userPick.value);
  const sslPick = pick('sslmode') ?? orDefault('sslmode', 'prefer');
  const timeoutPick = pick('connect_timeout') ?? orDefault('connect_timeout', String(DEFAULT_CONNECT_TIMEOUT_SEC));

  const host = hostPick.value;
  const port = parsePort(portPick.value, portPick.source);
  const sslmode = parseSslMode(sslPick.value, sslPick.source);
  const connectTimeoutSec = parseTimeout(timeoutPick.value, timeoutPick.source);

  const passfilePick = pick('passfile');
  const passfileAbs = passfilePick?.value ?? path.join(homedir, '.pgpass');
  const passfile = tildePath(passfileAbs, homedir);

  const warnings: string[] = [];
  let password: string | undefined;
  let passwordSource: PasswordSource = 'none';
  const pwPick = pick('password');
  if (pwPick) {
    password = pwPick.value;
    passwordSource = pwPick.source.startsWith('env:') ? 'env' : pwPick.source.startsWith('service:') ? 'service' : 'url';
  } else {
    const found = await lookupPgpass(passfileAbs, { host, port, database: dbPick.value, user: userPick.value }, passfile);
    if (found.warning) warnings.push(found.warning);
    if (found.password !== undefined) {
      password = found.password;
      passwordSource = 'pgpass';
      sources.password = 'pgpass';
    }
  }

  const resolved: ResolvedTarget = {
    host,
    port,
    database: dbPick.value,
    user: userPick.value,
    passwordSource,
    passfile,
    sslmode,
    connectTimeoutSec,
    applicationName: input.appName ?? DEFAULT_APPLICATION_NAME,
    sources,
    warnings,
  };
  // Non-enumerable, like node-postgres does, so a stray console.log or JSON.stringify of the target shows no password.
  if (password !== undefined) {
    Object.defineProperty(resolved, 'password', { value: password, enumerable: false, writable: true, configurable: true });
  }
  for (const key of ['sslrootcert', 'sslcert', 'sslkey'] as const) {
    const p = pick(key);
    if (p) resolved[key] = p.value;
  }
  // libpq's default CA file; with it, require verifies the chain like verify-ca.
  if (!resolved.sslrootcert && sslmode !== 'disable' && sslmode !== 'allow' && sslmode !== 'prefer') {
    const rootCrt = path.join(homedir, '.postgresql', 'root.crt');
    if (await isFile(rootCrt)) {
      resolved.sslrootcert = rootCrt;
      sources.sslrootcert = 'default';
    }
  }
  if (service) resolved.service = { name: service.name, file: service.file };
  if (targetName !== undefined) resolved.targetName = targetName;
  if (targetEnv !== undefined) resolved.env = targetEnv;
  return resolved;
}

/**
 * A copy of the target with some fields changed (e.g. the maintenance database for CREATE DATABASE). Use this rather
 * than `{ ...t }`: the password is non-enumerable and a spread would drop it.
 */
export function retarget(t: ResolvedTarget, changes: Partial<Omit<ResolvedTarget, 'password'>>): ResolvedTarget {
  const copy: ResolvedTarget = { ...t, ...changes, sources: { ...t.sources, ...changes.sources }, warnings: [...t.warnings] };
  if (t.password !== undefined) {
    Object.defineProperty(copy, 'password', { value: t.password, enumerable: false, writable: true, configurable: true });
  }
  return copy;
}

// ---------------------------------------------------------------------------------------------------------------
// Describing and redacting

export function isUnixSocket(host: string): boolean {
  return host.startsWith('/');
}

/** `host:port/db as user`, e.g. `/var/run/postgresql:5432/sim as postgres`. Never includes a password. */
export function describeTarget(t: Pick<ResolvedTarget, 'host' | 'port' | 'database' | 'user'>): string {
  const host = isIP(t.host) === 6 ? `[${t.host}]` : t.host;
  return `${host}:${t.port}/${t.database} as ${t.user}`;
}

const MASK = '***';

/** Removes passwords from URLs (user:password@, ?password=) and conninfo strings (password=…) anywhere in `s`. */
export function redactUrl(s: string): string {
  return (
    s
      // scheme://user:password@ — greedy to the last '@' of the token, so an unencoded '@' in a password is covered.
      .replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):\S*@/gi, `$1:${MASK}@`)
      .replace(/([?&]password=)[^&#\s]*/gi, `$1${MASK}`)
      .replace(/(?<![?&\w])(password\s*=\s*)(?:'(?:\\.|[^'\\])*'?|(?:\\.|[^\s\\])+)/gi, `$1${MASK}`)
      .replace(/\b(PGPASSWORD\s*=\s*)\S+/g, `$1${MASK}`)
  );
}

/** redactUrl, plus every literal occurrence of the given secrets (raw, percent-encoded and pgpass-escaped). */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = redactUrl(text);
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    forms.add(escapePgpass(s));
  }
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(MASK);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// node-postgres configuration

/** Thrown (inside pg's password callback) when the server asks for a password and resolution found none. */
export class NoPasswordError extends Error {
  constructor() {
    super('the server asks for a password but none was found');
    this.name = 'NoPasswordError';
  }
}

function readSslFile(file: string, what: string, t: ResolvedTarget): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    const from = t.sources[what] ? ` (from ${describeSource(t.sources[what] as string)})` : '';
    throw new ConnectionConfigError(`Can't read the ${what} file ${file}${from}: ${code}. Check the path and its permissions.`);
  }
}

/**
 * node-postgres `ssl` for an sslmode:
 * - disable, allow → no SSL (allow's retry with SSL is in connect());
 * - prefer → SSL without certificate checks, as libpq; connect() retries without SSL when the server refuses it;
 * - require → SSL without certificate checks, unless a root CA file is known: then the chain is checked, as libpq does;
 * - verify-ca → chain checked against sslrootcert, host name not checked; verify-full → both checked.
 * Without sslrootcert, verify-* use Node's bundled CAs (libpq would refuse; this is the same check, more forgiving).
 * Unix sockets never use SSL for disable/allow/prefer: the server refuses SSL on them, so trying costs a round trip.
 */
export function pgSslOptions(t: ResolvedTarget, mode: SslMode = t.sslmode): ClientConfig['ssl'] {
  if (mode === 'disable' || mode === 'allow') return false;
  if (mode === 'prefer' && isUnixSocket(t.host)) return false;
  const files: { ca?: string; cert?: string; key?: string } = {};
  if (t.sslrootcert && t.sslrootcert !== 'system') files.ca = readSslFile(t.sslrootcert, 'sslrootcert', t);
  if (t.sslcert) files.cert = readSslFile(t.sslcert, 'sslcert', t);
  if (t.sslkey) files.key = readSslFile(t.sslkey, 'sslkey', t);
  const verify = mode === 'verify-ca' || mode === 'verify-full' || (mode === 'require' && t.sslrootcert !== undefined);
  if (!verify) return { rejectUnauthorized: false, ...(files.cert ? { cert: files.cert } : {}), ...(files.key ? { key: files.key } : {}) };
  const options = { rejectUnauthorized: true, ...files };
  if (mode !== 'verify-full') return { ...options, checkServerIdentity: () => undefined };
  return options;
}

export function toPgClientConfig(
  t: ResolvedTarget,
  opts: { applicationName?: string; statementTimeoutMs?: number } = {},
): ClientConfig {
  const config: ClientConfig = {
    host: t.host,
    port: t.port,
    user: t.user,
    database: t.database,
    // With no password, node-postgres would fall back to process.env.PGPASSWORD and its own ~/.pgpass lookup,
    // second-guessing our resolution; a function that throws makes "no password" explicit and explainable.
    password:
      t.password ??
      ((): string => {
        throw new NoPasswordError();
      }),
    connectionTimeoutMillis: t.connectTimeoutSec * 1000,
    application_name: opts.applicationName ?? t.applicationName,
    ssl: pgSslOptions(t),
  };
  if (opts.statementTimeoutMs !== undefined) config.statement_timeout = opts.statementTimeoutMs;
  return config;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes (pg_dump, pg_restore, psql, operator commands)

/** pgpass field escaping: backslash and colon are escaped with a backslash. */
export function escapePgpass(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
}

export interface ChildEnv {
  env: Record<string, string | undefined>;
  cleanup(): Promise<void>;
}

/**
 * The environment that points a libpq tool at exactly this target. Variables that could redirect it (PGSERVICE,
 * PGHOSTADDR, DATABASE_URL) are removed; the password travels in a fresh 0600 passfile, never in argv or PGPASSWORD
 * (which `ps e` shows to root and ends up in core dumps).
 */
export async function childProcessEnv(t: ResolvedTarget, opts: { tmpDir: string; appName?: string }): Promise<ChildEnv> {
  const env: Record<string, string | undefined> = {
    PGHOST: t.host,
    PGPORT: String(t.port),
    PGUSER: t.user,
    PGDATABASE: t.database,
    PGSSLMODE: t.sslmode,
    PGSSLROOTCERT: t.sslrootcert,
    PGSSLCERT: t.sslcert,
    PGSSLKEY: t.sslkey,
    PGAPPNAME: opts.appName ?? t.applicationName,
    PGCONNECT_TIMEOUT: String(t.connectTimeoutSec),
    PGPASSWORD: undefined,
    DATABASE_URL: undefined,
    // In libpq a service file overrides PG* variables, so an inherited PGSERVICE could send the tool elsewhere.
    PGSERVICE: undefined,
    PGSERVICEFILE: undefined,
    PGHOSTADDR: undefined,
    PGREQUIRESSL: undefined,
  };
  if (t.password === undefined) return { env, cleanup: async () => {} };

  // mkdtemp creates the directory 0700; 'wx' + 0o600 means the file is never readable by others, not even briefly.
  const dir = await mkdtemp(path.join(opts.tmpDir, 'parlant-pgpass-'));
  const file = path.join(dir, 'pgpass');
  const pw = escapePgpass(t.password);
  const port = String(t.port);
  // Any database: pg_restore --create and pg_dumpall connect to more than one. Same server and role only.
  const lines = [`${escapePgpass(t.host)}:${port}:*:${escapePgpass(t.user)}:${pw}`];
  // A tool matches a connection through its default socket directory against 'localhost'.
  if (isUnixSocket(t.host)) lines.push(`localhost:${port}:*:${escapePgpass(t.user)}:${pw}`);
  try {
    await writeFile(file, lines.join('\n') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  env.PGPASSFILE = file;
  return {
    env,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
