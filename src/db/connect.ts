import pg from 'pg';
import {
  NoPasswordError,
  describeSource,
  describeTarget,
  isUnixSocket,
  pgSslOptions,
  redactSecrets,
  toPgClientConfig,
  type ResolvedTarget,
} from './connection.js';

/**
 * Opening a connection, and explaining a failure to the operator in one paragraph: what we tried to reach, what went
 * wrong, and what to check (STYLE §9, §10). The transaction helpers follow graphile-migrate's pgReal.ts.
 */

export type ConnectionErrorKind =
  | 'unknown-host'
  | 'refused'
  | 'timeout'
  | 'auth'
  | 'hba'
  | 'no-database'
  | 'no-role'
  | 'ssl'
  | 'too-many'
  | 'starting'
  | 'other';

export class ConnectionError extends Error {
  constructor(
    message: string,
    public readonly kind: ConnectionErrorKind,
    /** SQLSTATE or Node error code of the underlying failure, when there was one. */
    public readonly code: string | undefined,
    /** describeTarget() of what we tried to reach. */
    public readonly target: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  hostname?: unknown;
}

function field(err: unknown, key: keyof ErrorShape): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const v = (err as ErrorShape)[key];
  return typeof v === 'string' ? v : undefined;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isServerWithoutSsl(err: unknown): boolean {
  return /server does not support SSL/i.test(field(err, 'message') ?? '');
}

function isHbaRejection(err: unknown): boolean {
  return field(err, 'code') === '28000' && /no pg_hba\.conf entry/i.test(field(err, 'message') ?? '');
}

function trimPeriod(s: string): string {
  return s.trim().replace(/[.\s]+$/, '');
}

/** What the operator can check about the password, depending on where it came from. */
function passwordAdvice(t: ResolvedTarget): string {
  const ignored = t.warnings.find((w) => w.startsWith(t.passfile));
  switch (t.passwordSource) {
    case 'none':
      return `No password was found: set PGPASSWORD or add a line to ${t.passfile} (host:port:database:user:password)${
        ignored ? `. Note: ${trimPeriod(ignored)}` : ''
      }`;
    case 'env':
      return 'The password from PGPASSWORD was rejected: check PGPASSWORD';
    case 'pgpass':
      return `The password from ${t.passfile} was rejected: check the line that matches ${t.host}:${t.port}:${t.database}:${t.user} in ${t.passfile}`;
    case 'service':
      return `The password in ${t.service ? `service '${t.service.name}' (${t.service.file})` : 'the service file'} was rejected: check it`;
    case 'url':
      return `The password in ${describeSource(t.sources.password ?? 'flag')} was rejected: check it, and percent-encode special characters in a URL (%40 for @, %3A for :)`;
  }
}

function origin(t: ResolvedTarget, field: string): string {
  const s = t.sources[field];
  return s ? ` (from ${describeSource(s)})` : '';
}

/** Turns whatever node-postgres or the socket layer threw into a ConnectionError the operator can act on. */
export function explainConnectionError(err: unknown, t: ResolvedTarget): ConnectionError {
  const code = field(err, 'code');
  const message = field(err, 'message') ?? String(err);
  const where = describeTarget(t);
  const socket = isUnixSocket(t.host);
  const socketFile = `${t.host.replace(/\/$/, '')}/.s.PGSQL.${t.port}`;

  // A password equal to the user, database or host name (postgres/postgres in a dev container) is already on
  // screen in every target banner; masking it would only turn the message into "Can't connect to h/*** as ***".
  const visible = new Set([t.user, t.database, t.host]);
  const secrets = t.password !== undefined && !visible.has(t.password) ? [t.password] : [];
  const make = (kind: ConnectionErrorKind, cause: string, advice: string): ConnectionError => {
    const text = `Can't connect to ${where}: ${trimPeriod(cause)}. ${trimPeriod(advice)}.`;
    return new ConnectionError(redactSecrets(text, secrets), kind, code, where);
  };

  if (err instanceof NoPasswordError || /client password must be a (non-empty )?string/i.test(message)) {
    return make('auth', `the server asks for a password for user '${t.user}'`, passwordAdvice(t));
  }

  switch (code) {
    case 'ENOTFOUND':
      return make('unknown-host', `host '${t.host}' was not found`, `Check the host name${origin(t, 'host')} and your DNS settings`);
    case 'EAI_AGAIN':
      return make(
        'unknown-host',
        `the host name '${t.host}' could not be resolved right now (temporary DNS failure)`,
        `Check the host name${origin(t, 'host')}, your network and DNS settings, then retry`,
      );
    case 'ECONNREFUSED':
      return socket
        ? make(
            'refused',
            `the server socket ${socketFile} refused the connection`,
            'Check that PostgreSQL is running on this machine; a socket file left by a crashed server refuses connections',
          )
        : make(
            'refused',
            'connection refused',
            `Check that PostgreSQL is running and listening on ${t.host} port ${t.port} (listen_addresses and port in postgresql.conf), and that the host${origin(t, 'host')} and port${origin(t, 'port')} are right`,
          );
    case 'ENOENT':
      if (socket) {
        return make(
          'refused',
          `there is no server socket ${socketFile}`,
          `Check that PostgreSQL is running on this machine with port ${t.port} and unix_socket_directories including ${t.host}, or connect over TCP with host=localhost`,
        );
      }
      break;
    case 'EACCES':
      if (socket) {
        return make('refused', `permission denied on the server socket ${socketFile}`, 'Run as a user that may open the socket, or connect over TCP with host=localhost');
      }
      break;
    case 'ETIMEDOUT':
      return timeout();
    case '28P01':
      return make('auth', `password authentication failed for user '${t.user}'`, passwordAdvice(t));
    case '28000':
      if (/role .* does not exist/i.test(message)) {
        return make('no-role', `role '${t.user}' does not exist`, `Check the user name${origin(t, 'user')}, or create the role (CREATE ROLE "${t.user}" LOGIN)`);
      }
      if (/no pg_hba\.conf entry/i.test(message)) {
        const noEncryption = /no encryption/i.test(message);
        return make(
          'hba',
          `the server's pg_hba.conf does not allow this connection (${trimPeriod(message)})`,
          noEncryption
            ? `The server may accept only SSL connections: try sslmode=require (now sslmode=${t.sslmode}${origin(t, 'sslmode')}), or ask the DBA to add a pg_hba.conf line for this client`
            : 'Ask the DBA to add a pg_hba.conf line for this client, user and database, then reload the server',
        );
      }
      if (/(peer|ident) authentication failed/i.test(message)) {
        return make(
          'auth',
          trimPeriod(message),
          `Peer authentication needs the OS user to match the database user '${t.user}': run as that OS user, or connect over TCP (host=localhost) with a password`,
        );
      }
      return make('auth', trimPeriod(message), passwordAdvice(t));
    case '3D000':
      return make(
        'no-database',
        `database '${t.database}' does not exist`,
        `Check the database name${origin(t, 'database')}, or create it with createdb -h ${t.host} -p ${t.port} -U ${t.user} ${t.database}`,
      );
    case '53300':
      return make(
        'too-many',
        `the server has no free connection slots (${trimPeriod(message)})`,
        'Wait and retry, or look for idle sessions in pg_stat_activity; max_connections may be too low',
      );
    case '57P03':
      return make('starting', `the server is not accepting connections now (${trimPeriod(message)})`, 'Wait until it has finished starting up, recovering or shutting down, then retry');
    default:
      break;
  }

  if (/timeout expired|connection timeout/i.test(message)) return timeout();
  if (isServerWithoutSsl(err)) {
    return make(
      'ssl',
      `the server does not support SSL, but sslmode=${t.sslmode}${origin(t, 'sslmode')} requires it`,
      socket
        ? 'PostgreSQL never uses SSL on a Unix socket: use sslmode=prefer or disable for socket connections, or connect over TCP'
        : 'Enable ssl on the server, or use sslmode=prefer to fall back to an unencrypted connection',
    );
  }
  if (/error establishing an SSL connection/i.test(message)) {
    return make('ssl', 'the server answered the SSL request with an error', 'Check the server log; try sslmode=disable to see the server\'s own message');
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(
      'ssl',
      `the server's certificate is not valid for the host name '${t.host}'`,
      'Connect using a host name the certificate names, or use sslmode=verify-ca to check only the certificate chain',
    );
  }
  if ((code && TLS_CODES.has(code)) || (code && code.startsWith('ERR_SSL_'))) {
    return make(
      'ssl',
      `the server's SSL certificate could not be verified (${trimPeriod(message)})`,
      `Point sslrootcert at the CA that signed the server certificate${t.sslrootcert ? ` (now ${t.sslrootcert})` : ''}, or use sslmode=require to encrypt without verifying`,
    );
  }

  const via = socket ? 'Unix socket' : 'TCP';
  return make(
    'other',
    `${trimPeriod(message)}${code ? ` (${code})` : ''}`,
    `Tried ${via} with sslmode=${t.sslmode} and a ${t.connectTimeoutSec} s connect timeout, password ${
      t.passwordSource === 'none' ? 'none' : `from ${t.passwordSource === 'url' ? describeSource(t.sources.password ?? 'flag') : t.passwordSource}`
    }`,
  );

  function timeout(): ConnectionError {
    return make(
      'timeout',
      `no answer within ${t.connectTimeoutSec} s`,
      `Check that the host${origin(t, 'host')} and port are right and that no firewall drops the traffic; if the server is only slow, raise PGCONNECT_TIMEOUT`,
    );
  }
}

async function attempt(config: pg.ClientConfig): Promise<pg.Client> {
  const client = new pg.Client(config);
  // An idle client whose server goes away emits 'error'; unhandled, that would crash the process. The loss surfaces
  // instead as the rejection of the next query, where the caller handles it.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (e) {
    // Release the socket and timers of the failed attempt; end() on a never-connected client is a no-op.
    await client.end().catch(() => {});
    throw e;
  }
}

/**
 * Connects to the target. sslmode prefer and allow are emulated the libpq way, since node-postgres has neither:
 * prefer retries without SSL when the server refuses SSL (or its pg_hba.conf rejects the SSL attempt); allow retries
 * with SSL when pg_hba.conf rejects the unencrypted attempt.
 */
export async function connect(t: ResolvedTarget, opts: { applicationName?: string; statementTimeoutMs?: number } = {}): Promise<pg.Client> {
  const config = toPgClientConfig(t, opts);
  try {
    return await attempt(config);
  } catch (first) {
    let retry: pg.ClientConfig | undefined;
    if (t.sslmode === 'prefer' && config.ssl && (isServerWithoutSsl(first) || isHbaRejection(first))) {
      retry = { ...config, ssl: false };
    } else if (t.sslmode === 'allow' && !config.ssl && !isUnixSocket(t.host) && isHbaRejection(first)) {
      retry = { ...config, ssl: pgSslOptions(t, 'require') };
    }
    if (!retry) throw explainConnectionError(first, t);
    try {
      return await attempt(retry);
    } catch (second) {
      throw explainConnectionError(second, t);
    }
  }
}

/** Connects, runs fn, and always closes the connection. */
export async function withClient<T>(
  t: ResolvedTarget,
  fn: (client: pg.Client) => Promise<T>,
  opts: { applicationName?: string; statementTimeoutMs?: number } = {},
): Promise<T> {
  const client = await connect(t, opts);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** BEGIN; fn; COMMIT — or ROLLBACK and rethrow fn's error (a failed ROLLBACK must not hide the real cause). */
export async function withTransaction<T>(client: pg.Client, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
