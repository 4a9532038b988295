import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionError, explainConnectionError } from '../../src/db/connect.js';
import {
  ConnectionConfigError,
  NoPasswordError,
  childProcessEnv,
  describeTarget,
  escapePgpass,
  redactSecrets,
  redactUrl,
  resolveTarget,
  retarget,
  toPgClientConfig,
  type ResolveInput,
  type ResolvedTarget,
} from '../../src/db/connection.js';

let home: string;
let missingSocketDir: string;

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'prb-conn-'));
  missingSocketDir = path.join(home, 'no-socket-dir');
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** resolveTarget with nothing from the real machine: empty env, a temp home, a fixed OS user, no socket dir. */
function resolve(input: ResolveInput = {}): Promise<ResolvedTarget> {
  return resolveTarget({
    osUser: 'alice',
    homedir: home,
    defaultSocketDir: missingSocketDir,
    ...input,
    // No system service file unless a test sets PGSYSCONFDIR itself.
    env: { PGSYSCONFDIR: path.join(home, 'etc'), ...input.env },
  });
}

async function writeSecret(file: string, text: string, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text, { mode });
  await chmod(file, mode);
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('resolveTarget', () => {
  describe('defaults', () => {
    it('falls back to localhost:5432, the OS user, a database named after the user, sslmode prefer and 10 s', async () => {
      const t = await resolve();
      expect(t).toMatchObject({
        host: 'localhost',
        port: 5432,
        user: 'alice',
        database: 'alice',
        sslmode: 'prefer',
        connectTimeoutSec: 10,
        applicationName: 'parlant-runbook',
        passwordSource: 'none',
      });
      expect(t.password).toBeUndefined();
      expect(t.sources).toEqual({
        host: 'default',
        port: 'default',
        user: 'default',
        database: 'default',
        sslmode: 'default',
        connectTimeoutSec: 'default',
      });
    });

    it('uses the default socket directory as host when it exists', async () => {
      const t = await resolve({ defaultSocketDir: home });
      expect(t.host).toBe(home);
      expect(describeTarget(t)).toBe(`${home}:5432/alice as alice`);
    });

    it('uses the application name it is given and ignores PGAPPNAME', async () => {
      const t = await resolve({ appName: 'parlant-runbook/0.1.0 run=abc', env: { PGAPPNAME: 'psql' } });
      expect(t.applicationName).toBe('parlant-runbook/0.1.0 run=abc');
    });
  });

  describe('precedence', () => {
    it('takes each parameter from the PG* environment variables over the defaults', async () => {
      const t = await resolve({
        env: {
          PGHOST: 'envhost',
          PGPORT: '6543',
          PGUSER: 'envuser',
          PGDATABASE: 'envdb',
          PGSSLMODE: 'require',
          PGCONNECT_TIMEOUT: '3',
        },
      });
      expect(t).toMatchObject({ host: 'envhost', port: 6543, user: 'envuser', database: 'envdb', sslmode: 'require', connectTimeoutSec: 3 });
      expect(t.sources).toMatchObject({
        host: 'env:PGHOST',
        port: 'env:PGPORT',
        user: 'env:PGUSER',
        database: 'env:PGDATABASE',
        sslmode: 'env:PGSSLMODE',
        connectTimeoutSec: 'env:PGCONNECT_TIMEOUT',
      });
    });

    it('defaults the database to the resolved user, not the OS user', async () => {
      const t = await resolve({ env: { PGUSER: 'bob' } });
      expect(t.database).toBe('bob');
      expect(t.sources.database).toBe('default');
    });

    it('lets the service file win over environment variables, parameter by parameter', async () => {
      await writeSecret(path.join(home, '.pg_service.conf'), '[sim]\nhost=svchost\ndbname=svcdb\n');
      const t = await resolve({ env: { PGSERVICE: 'sim', PGHOST: 'envhost', PGPORT: '6000', PGDATABASE: 'envdb' } });
      expect(t).toMatchObject({ host: 'svchost', database: 'svcdb', port: 6000, user: 'alice' });
      expect(t.sources).toMatchObject({ host: 'service:sim', database: 'service:sim', port: 'env:PGPORT', user: 'default' });
      expect(t.service).toEqual({ name: 'sim', file: path.join(home, '.pg_service.conf') });
    });

    it('lets DATABASE_URL win over the service file and the environment for the parameters it sets', async () => {
      await writeSecret(path.join(home, '.pg_service.conf'), '[sim]\nhost=svchost\nport=7000\nuser=svcuser\n');
      const t = await resolve({
        env: { DATABASE_URL: 'postgresql://urlhost/urldb', PGSERVICE: 'sim', PGPORT: '6000', PGUSER: 'envuser', PGSSLMODE: 'disable' },
      });
      expect(t).toMatchObject({ host: 'urlhost', database: 'urldb', port: 7000, user: 'svcuser', sslmode: 'disable' });
      expect(t.sources).toMatchObject({
        host: 'DATABASE_URL',
        database: 'DATABASE_URL',
        port: 'service:sim',
        user: 'service:sim',
        sslmode: 'env:PGSSLMODE',
      });
    });

    it('lets --db win over everything and ignores DATABASE_URL entirely when --db is given', async () => {
      const t = await resolve({
        db: 'host=flaghost',
        env: { DATABASE_URL: 'postgresql://urluser@urlhost:1111/urldb', PGHOST: 'envhost', PGDATABASE: 'envdb' },
      });
      expect(t).toMatchObject({ host: 'flaghost', database: 'envdb', port: 5432, user: 'alice' });
      expect(t.sources).toMatchObject({ host: 'flag', database: 'env:PGDATABASE', port: 'default' });
    });

    it('uses a service named in --db before PGSERVICE', async () => {
      await writeSecret(path.join(home, '.pg_service.conf'), '[a]\nhost=ahost\n[b]\nhost=bhost\n');
      const t = await resolve({ db: 'service=b dbname=x', env: { PGSERVICE: 'a' } });
      expect(t.host).toBe('bhost');
      expect(t.sources.host).toBe('service:b');
    });
  });

  describe('URLs', () => {
    it('reads user, percent-encoded password, host, port, database and query parameters', async () => {
      const t = await resolve({ db: 'postgresql://sim%5Fadmin:p%40ss%3Aw@db.internal:6432/sim?sslmode=require&connect_timeout=3' });
      expect(t).toMatchObject({
        host: 'db.internal',
        port: 6432,
        user: 'sim_admin',
        database: 'sim',
        sslmode: 'require',
        connectTimeoutSec: 3,
        passwordSource: 'url',
      });
      expect(t.password).toBe('p@ss:w');
      expect(t.sources).toMatchObject({ host: 'flag', password: 'flag', sslmode: 'flag' });
    });

    it('reads a percent-encoded Unix socket directory as the host', async () => {
      const t = await resolve({ db: 'postgresql://u@%2Fvar%2Frun%2Fpostgresql/db' });
      expect(t).toMatchObject({ host: '/var/run/postgresql', user: 'u', database: 'db', port: 5432 });
      expect(describeTarget(t)).toBe('/var/run/postgresql:5432/db as u');
    });

    it('accepts the socket directory as a host query parameter, the postgres:// scheme and an empty authority', async () => {
      const t = await resolve({ db: 'postgres:///sim?host=/run/pg&port=5433' });
      expect(t).toMatchObject({ host: '/run/pg', port: 5433, database: 'sim', user: 'alice' });
    });

    it('reads a bracketed IPv6 host and shows it in brackets', async () => {
      const t = await resolve({ db: 'postgresql://u@[::1]:5433/d' });
      expect(t.host).toBe('::1');
      expect(describeTarget(t)).toBe('[::1]:5433/d as u');
    });

    it('accepts ssl=true as sslmode=require, as libpq does', async () => {
      expect((await resolve({ db: 'postgresql://h/d?ssl=true' })).sslmode).toBe('require');
    });

    it('ignores application_name in the URL: we always set our own', async () => {
      const t = await resolve({ db: 'postgresql://h/d?application_name=psql', appName: 'ours' });
      expect(t.applicationName).toBe('ours');
    });
  });

  describe('conninfo strings', () => {
    it('reads keyword=value pairs with libpq quoting and escapes', async () => {
      const t = await resolve({ db: "host = db1 port=6000 dbname='my db' user=o\\'neil password='a b\\'c' sslmode=verify-full" });
      expect(t).toMatchObject({ host: 'db1', port: 6000, database: 'my db', user: "o'neil", sslmode: 'verify-full', passwordSource: 'url' });
      expect(t.password).toBe("a b'c");
    });

    it('reads DATABASE_URL given as a conninfo string', async () => {
      const t = await resolve({ env: { DATABASE_URL: 'host=h dbname=d' } });
      expect(t).toMatchObject({ host: 'h', database: 'd' });
      expect(t.sources.host).toBe('DATABASE_URL');
    });
  });

  describe('configured targets', () => {
    const targets = {
      staging: { url: 'postgresql://app@staging.db:5433/sim', user: 'admin', env: 'staging' as const },
      dev: { host: 'localhost', port: 5544, database: 'sim_dev', sslmode: 'disable' },
    };

    it('resolves a target name from its URL, with explicit fields refining it', async () => {
      const t = await resolve({ db: 'staging', targets });
      expect(t).toMatchObject({ host: 'staging.db', port: 5433, database: 'sim', user: 'admin', targetName: 'staging', env: 'staging' });
      expect(t.sources).toMatchObject({ host: 'target:staging', user: 'target:staging' });
    });

    it('resolves a target given by fields, and fills the rest from the environment', async () => {
      const t = await resolve({ db: 'dev', targets, env: { PGUSER: 'dana' } });
      expect(t).toMatchObject({ host: 'localhost', port: 5544, database: 'sim_dev', user: 'dana', sslmode: 'disable', targetName: 'dev' });
      expect(t.env).toBeUndefined();
      expect(t.sources.user).toBe('env:PGUSER');
    });
  });

  describe('service files', () => {
    it('reads PGSERVICEFILE instead of ~/.pg_service.conf', async () => {
      const file = path.join(home, 'custom.conf');
      await writeSecret(file, '[sim]\nhost=custom\n');
      await writeSecret(path.join(home, '.pg_service.conf'), '[sim]\nhost=homefile\n');
      const t = await resolve({ env: { PGSERVICE: 'sim', PGSERVICEFILE: file } });
      expect(t.host).toBe('custom');
      expect(t.service?.file).toBe(file);
    });

    it('falls back to PGSYSCONFDIR/pg_service.conf for a service the user file does not have', async () => {
      await writeSecret(path.join(home, '.pg_service.conf'), '[other]\nhost=nope\n');
      await writeSecret(path.join(home, 'sys', 'pg_service.conf'), '[sim]\nhost=syshost\nport=5999\n');
      const t = await resolve({ env: { PGSERVICE: 'sim', PGSYSCONFDIR: path.join(home, 'sys') } });
      expect(t).toMatchObject({ host: 'syshost', port: 5999 });
      expect(t.service?.file).toBe(path.join(home, 'sys', 'pg_service.conf'));
    });

    it('prefers the user file over the system file', async () => {
      await writeSecret(path.join(home, '.pg_service.conf'), '[sim]\nhost=userhost\n');
      await writeSecret(path.join(home, 'sys', 'pg_service.conf'), '[sim]\nhost=syshost\n');
      const t = await resolve({ env: { PGSERVICE: 'sim', PGSYSCONFDIR: path.join(home, 'sys') } });
      expect(t.host).toBe('userhost');
    });

    it('reads values literally, as libpq does: no inline comments, quotes or booleans; dotted section names', async () => {
      await writeSecret(
        path.join(home, '.pg_service.conf'),
        '# comment\n[prod.eu]\nhost=h\ndbname="quoted"\nuser=true\npassword=a#b;c\n\n[prod]\nhost=other\n',
      );
      const t = await resolve({ env: { PGSERVICE: 'prod.eu' } });
      expect(t).toMatchObject({ host: 'h', database: '"quoted"', user: 'true', passwordSource: 'service' });
      expect(t.password).toBe('a#b;c');
    });
  });

  describe('passwords', () => {
    it('takes PGPASSWORD when the connection string has none', async () => {
      const t = await resolve({ db: 'host=h', env: { PGPASSWORD: 'fromenv' } });
      expect(t.password).toBe('fromenv');
      expect(t.passwordSource).toBe('env');
      expect(t.sources.password).toBe('env:PGPASSWORD');
    });

    it('prefers the service file password over PGPASSWORD', async () => {
      await writeSecret(path.join(home, '.pg_service.conf'), '[s]\npassword=svc\n');
      const t = await resolve({ env: { PGSERVICE: 's', PGPASSWORD: 'env' } });
      expect(t.password).toBe('svc');
      expect(t.passwordSource).toBe('service');
    });

    it('finds the first matching ~/.pgpass line, with wildcards and escaped colons', async () => {
      await writeSecret(
        path.join(home, '.pgpass'),
        ['other:5432:*:bob:wrong', 'db.internal:*:sim:bob:pa\\:ss\\\\word', 'db.internal:*:*:bob:later'].join('\n') + '\n',
      );
      const t = await resolve({ db: 'host=db.internal port=6432 dbname=sim user=bob' });
      expect(t.password).toBe('pa:ss\\word');
      expect(t.passwordSource).toBe('pgpass');
      expect(t.passfile).toBe('~/.pgpass');
      expect(t.sources.password).toBe('pgpass');
    });

    it('matches a default-socket connection against localhost lines', async () => {
      await writeSecret(path.join(home, '.pgpass'), 'localhost:5432:*:postgres:sockpw\n');
      const t = await resolve({ db: 'host=/var/run/postgresql user=postgres' });
      expect(t.password).toBe('sockpw');
    });

    it('reads PGPASSFILE instead of ~/.pgpass', async () => {
      const file = path.join(home, 'elsewhere', 'passfile');
      await writeSecret(file, '*:*:*:*:frompassfile\n');
      const t = await resolve({ env: { PGPASSFILE: file } });
      expect(t.password).toBe('frompassfile');
      expect(t.passfile).toBe('~/elsewhere/passfile');
    });

    it('ignores a pgpass file that others can read, and says so', async () => {
      await writeSecret(path.join(home, '.pgpass'), '*:*:*:*:exposed\n', 0o644);
      const t = await resolve();
      expect(t.password).toBeUndefined();
      expect(t.passwordSource).toBe('none');
      expect(t.warnings).toEqual(['~/.pgpass was ignored because group or others can access it: run chmod 0600 ~/.pgpass.']);
    });

    it('never shows the password when the target is logged or serialised', async () => {
      const t = await resolve({ db: 'postgresql://u:hunter2@h/d' });
      expect(t.password).toBe('hunter2');
      expect(JSON.stringify(t)).not.toContain('hunter2');
      expect(Object.keys(t)).not.toContain('password');
    });

    it('keeps the password when retargeting to another database', async () => {
      const t = await resolve({ db: 'postgresql://u:hunter2@h/d' });
      const maint = retarget(t, { database: 'postgres', sources: { database: 'flag' } });
      expect(maint.password).toBe('hunter2');
      expect(maint.database).toBe('postgres');
      expect(t.database).toBe('d');
    });
  });

  describe('bad input', () => {
    const targets = { staging: { host: 's' }, dev: { host: 'd' } };

    it.each<[string, ResolveInput, string]>([
      [
        'a --db word that is neither URL, conninfo nor target',
        { db: 'prod', targets },
        "--db 'prod' is not a postgresql:// URL and no target named 'prod' is configured. Configured targets: staging, dev. To name a database, use --db 'dbname=prod'.",
      ],
      [
        'a --db word with no targets configured',
        { db: 'prod' },
        "--db 'prod' is not a postgresql:// URL and no target named 'prod' is configured. No targets are configured. To name a database, use --db 'dbname=prod'.",
      ],
      [
        'an unparsable URL',
        { db: 'postgresql://u:hunter2@[::1/db' },
        "--db 'postgresql://u:***@[::1/db' is not a valid PostgreSQL URL: the IPv6 address has no closing ']'. Use the form postgresql://user@host:5432/dbname.",
      ],
      [
        'a malformed percent-escape',
        { db: 'postgresql://u:hunter2@h/d%zz' },
        "--db 'postgresql://u:***@h/d%zz' is not a valid PostgreSQL URL: the database name has a malformed %-escape. Percent-encode special characters (%25 for %, %40 for @, %2F for /).",
      ],
      [
        'another scheme',
        { db: 'mysql://root:hunter2@h/d' },
        "--db 'mysql://root:***@h/d' is not a PostgreSQL URL. Use postgresql://user@host:5432/dbname.",
      ],
      [
        'a port that is not a number in a URL',
        { db: 'postgresql://h:54x2/d' },
        "Port '54x2' (from --db) is not a number. Use a port between 1 and 65535, e.g. 5432.",
      ],
      [
        'a port that is not a number in PGPORT',
        { env: { PGPORT: 'abc' } },
        "Port 'abc' (from PGPORT) is not a number. Use a port between 1 and 65535, e.g. 5432.",
      ],
      ['a port out of range', { db: 'port=70000' }, 'Port 70000 (from --db) is out of range. Use a port between 1 and 65535, e.g. 5432.'],
      [
        'an unknown sslmode',
        { env: { PGSSLMODE: 'requir' } },
        "sslmode 'requir' (from PGSSLMODE) is not valid. Use one of: disable, allow, prefer, require, verify-ca, verify-full.",
      ],
      [
        'a connect timeout that is not a number',
        { db: 'postgresql://h/d?connect_timeout=soon' },
        "connect_timeout 'soon' (from --db) is not a whole number of seconds. Use e.g. 10 (0 waits forever).",
      ],
      [
        'an unknown keyword',
        { db: 'host=h colour=blue' },
        "--db contains an unknown connection option 'colour'. Use libpq keywords such as host, port, dbname, user, sslmode (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS).",
      ],
      [
        'a conninfo word without a value',
        { db: 'host=h sim' },
        '--db is not a valid connection string: \'sim\' has no \'=value\'. Write keyword=value pairs such as "host=db1 dbname=sim", or a postgresql:// URL.',
      ],
      [
        'several hosts',
        { db: 'host=a,b' },
        '--db names several hosts; parlant-runbook connects to exactly one server. Name a single host and port.',
      ],
      [
        'hostaddr',
        { db: 'hostaddr=10.0.0.1' },
        '--db uses hostaddr, which parlant-runbook does not support. Use host=<address> instead.',
      ],
      [
        'a DATABASE_URL that is neither URL nor conninfo',
        { env: { DATABASE_URL: 'sim' } },
        'DATABASE_URL is not a postgresql:// URL or a connection string. Set it to postgresql://user@host:5432/dbname, or unset it.',
      ],
    ])('rejects %s with a message that says what to do', async (_name, input, message) => {
      const err = await failure(resolve(input));
      expect(err).toBeInstanceOf(ConnectionConfigError);
      expect(err.message).toBe(message);
    });

    it('rejects a PGSERVICE that no service file has, naming the files it looked in', async () => {
      const err = await failure(resolve({ env: { PGSERVICE: 'nosuch' } }));
      expect(err).toBeInstanceOf(ConnectionConfigError);
      expect(err.message).toBe(
        `Service 'nosuch' (from PGSERVICE) was not found in ${path.join(home, '.pg_service.conf')} or ${path.join(home, 'etc', 'pg_service.conf')}. Add a [nosuch] section to one of them, or unset PGSERVICE.`,
      );
    });

    it('does not echo words of a mis-quoted conninfo password', async () => {
      const err = await failure(resolve({ db: 'host=h password=top secret' }));
      expect(err.message).toBe(
        '--db is not a valid connection string: a word has no \'=value\'. Write keyword=value pairs such as "host=db1 dbname=sim", or a postgresql:// URL.',
      );
      expect(err.message).not.toContain('secret');
      expect(err.message).not.toContain('top');
    });

    it('never puts a URL password into an error message', async () => {
      for (const db of ['postgresql://u:hunter2@h:bad/d', 'postgresql://u:hunter2@h/d?sslmode=nope', 'postgresql://u:hunter2@h/d?x=1']) {
        const err = await failure(resolve({ db }));
        expect(err).toBeInstanceOf(ConnectionConfigError);
        expect(err.message).not.toContain('hunter2');
      }
    });
  });
});

describe('describeTarget', () => {
  it('shows host:port/db as user and never the password', async () => {
    const t = await resolve({ db: 'postgresql://sim_admin:hunter2@db.internal:5432/sim' });
    expect(describeTarget(t)).toBe('db.internal:5432/sim as sim_admin');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgresql://u:hunter2@h:5432/d', 'postgresql://u:***@h:5432/d'],
    ['postgres://u:p@ss@h/d', 'postgres://u:***@h/d'],
    ['postgresql://u@h/d?sslmode=require&password=hunter2&x=1', 'postgresql://u@h/d?sslmode=require&password=***&x=1'],
    ['host=h password=hunter2 dbname=d', 'host=h password=*** dbname=d'],
    ["host=h password = 'a b\\'c' dbname=d", 'host=h password = *** dbname=d'],
    ['PGPASSWORD=hunter2 pg_dump', 'PGPASSWORD=*** pg_dump'],
    ['failed: postgresql://u:hunter2@h/d and postgresql://v:x@h2/d', 'failed: postgresql://u:***@h/d and postgresql://v:***@h2/d'],
    ['postgresql://u@h:5432/d', 'postgresql://u@h:5432/d'],
    ['password authentication failed for user "u"', 'password authentication failed for user "u"'],
  ])('redacts %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });
});

describe('redactSecrets', () => {
  it('removes the literal, percent-encoded and pgpass-escaped forms of each secret', () => {
    const text = 'pw s3:cr@t, encoded s3%3Acr%40t, escaped s3\\:cr@t';
    expect(redactSecrets(text, ['s3:cr@t', undefined, ''])).toBe('pw ***, encoded ***, escaped ***');
  });
});

describe('toPgClientConfig', () => {
  it('maps the target, the connect timeout, the application name and the statement timeout', async () => {
    const t = await resolve({ db: 'postgresql://u:pw@h:6000/d?connect_timeout=7', appName: 'parlant-runbook/0.1.0' });
    const c = toPgClientConfig(t, { statementTimeoutMs: 5000 });
    expect(c).toMatchObject({ host: 'h', port: 6000, user: 'u', database: 'd', password: 'pw', connectionTimeoutMillis: 7000 });
    expect(c.application_name).toBe('parlant-runbook/0.1.0');
    expect(c.statement_timeout).toBe(5000);
    expect(toPgClientConfig(t, { applicationName: 'other' }).application_name).toBe('other');
  });

  it('makes a missing password explicit instead of letting node-postgres look for one', async () => {
    const c = toPgClientConfig(await resolve({ db: 'host=h' }));
    expect(typeof c.password).toBe('function');
    expect(() => (c.password as () => string)()).toThrow(NoPasswordError);
  });

  it.each([
    ['disable', false],
    ['allow', false],
    ['prefer', { rejectUnauthorized: false }],
    ['require', { rejectUnauthorized: false }],
  ])('maps sslmode=%s to ssl %j', async (mode, ssl) => {
    expect(toPgClientConfig(await resolve({ db: `host=h sslmode=${mode}` })).ssl).toEqual(ssl);
  });

  it('does not try SSL on a Unix socket for sslmode prefer', async () => {
    expect(toPgClientConfig(await resolve({ db: 'host=/var/run/postgresql' })).ssl).toBe(false);
  });

  it('verifies the chain against sslrootcert but not the host name for verify-ca', async () => {
    const ca = path.join(home, 'root.crt');
    await writeFile(ca, 'CA-PEM');
    const ssl = toPgClientConfig(await resolve({ db: `host=h sslmode=verify-ca sslrootcert=${ca}` })).ssl;
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: 'CA-PEM' });
    const check = (ssl as { checkServerIdentity?: () => unknown }).checkServerIdentity;
    expect(check?.()).toBeUndefined();
  });

  it('verifies chain and host name for verify-full, and treats require with a root CA like verify-ca', async () => {
    const ca = path.join(home, 'root.crt');
    await writeFile(ca, 'CA-PEM');
    const full = toPgClientConfig(await resolve({ db: `host=h sslmode=verify-full sslrootcert=${ca}` })).ssl;
    expect(full).toEqual({ rejectUnauthorized: true, ca: 'CA-PEM' });
    const req = toPgClientConfig(await resolve({ db: `host=h sslmode=require sslrootcert=${ca}` })).ssl;
    expect(req).toMatchObject({ rejectUnauthorized: true, ca: 'CA-PEM' });
  });

  it('uses ~/.postgresql/root.crt as libpq does when no sslrootcert is given', async () => {
    await mkdir(path.join(home, '.postgresql'));
    await writeFile(path.join(home, '.postgresql', 'root.crt'), 'HOME-CA');
    const t = await resolve({ db: 'host=h sslmode=verify-full' });
    expect(t.sslrootcert).toBe(path.join(home, '.postgresql', 'root.crt'));
    expect(toPgClientConfig(t).ssl).toMatchObject({ ca: 'HOME-CA' });
  });

  it('says which file it could not read', async () => {
    const t = await resolve({ db: 'host=h sslmode=verify-ca sslrootcert=/nonexistent/root.crt' });
    expect(() => toPgClientConfig(t)).toThrow(
      new ConnectionConfigError("Can't read the sslrootcert file /nonexistent/root.crt (from --db): ENOENT. Check the path and its permissions."),
    );
  });
});

describe('childProcessEnv', () => {
  it('points libpq tools at the target through a fresh 0600 passfile and removes PGPASSWORD and DATABASE_URL', async () => {
    const t = await resolve({ db: 'postgresql://sim%3Aadmin:p%5Cw%3Ax@db.internal:6432/sim?sslmode=require', appName: 'parlant-runbook/0.1.0' });
    const { env, cleanup } = await childProcessEnv(t, { tmpDir: home, appName: 'parlant-runbook/0.1.0 run=r1' });
    expect(env).toMatchObject({
      PGHOST: 'db.internal',
      PGPORT: '6432',
      PGUSER: 'sim:admin',
      PGDATABASE: 'sim',
      PGSSLMODE: 'require',
      PGAPPNAME: 'parlant-runbook/0.1.0 run=r1',
      PGCONNECT_TIMEOUT: '10',
    });
    for (const k of ['PGPASSWORD', 'DATABASE_URL', 'PGSERVICE', 'PGHOSTADDR']) {
      expect(Object.prototype.hasOwnProperty.call(env, k)).toBe(true);
      expect(env[k]).toBeUndefined();
    }
    const file = env.PGPASSFILE as string;
    expect(path.dirname(path.dirname(file))).toBe(home);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readFile(file, 'utf8')).toBe('db.internal:6432:*:sim\\:admin:p\\\\w\\:x\n');
    expect(Object.values(env).join(' ')).not.toContain('p\\w:x');

    await cleanup();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(await readdir(home)).toEqual([]);
  });

  it('adds a localhost line for Unix-socket targets, which libpq matches against localhost', async () => {
    const t = await resolve({ db: 'host=/var/run/postgresql user=postgres password=pw' });
    const { env, cleanup } = await childProcessEnv(t, { tmpDir: home });
    expect(await readFile(env.PGPASSFILE as string, 'utf8')).toBe('/var/run/postgresql:5432:*:postgres:pw\nlocalhost:5432:*:postgres:pw\n');
    await cleanup();
  });

  it('writes no passfile when there is no password', async () => {
    const { env, cleanup } = await childProcessEnv(await resolve({ db: 'host=h' }), { tmpDir: home });
    expect(env.PGPASSFILE).toBeUndefined();
    expect(await readdir(home)).toEqual([]);
    await cleanup();
  });

  it('escapes backslash and colon as pgpass requires', () => {
    expect(escapePgpass('a:b\\c')).toBe('a\\:b\\\\c');
  });
});

describe('explainConnectionError', () => {
  async function target(db: string | undefined = 'postgresql://sim_admin:hunter2@db.internal:5432/sim', env: NodeJS.ProcessEnv = {}): Promise<ResolvedTarget> {
    return resolve({ db, env });
  }

  it.each<[string, Record<string, unknown>, ConnectionError['kind'], string]>([
    [
      'an unknown host',
      { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db.internal' },
      'unknown-host',
      "Can't connect to db.internal:5432/sim as sim_admin: host 'db.internal' was not found. Check the host name (from --db) and your DNS settings.",
    ],
    [
      'a temporary DNS failure',
      { code: 'EAI_AGAIN', message: 'getaddrinfo EAI_AGAIN db.internal' },
      'unknown-host',
      "Can't connect to db.internal:5432/sim as sim_admin: the host name 'db.internal' could not be resolved right now (temporary DNS failure). Check the host name (from --db), your network and DNS settings, then retry.",
    ],
    [
      'a refused connection',
      { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.0.0.5:5432' },
      'refused',
      "Can't connect to db.internal:5432/sim as sim_admin: connection refused. Check that PostgreSQL is running and listening on db.internal port 5432 (listen_addresses and port in postgresql.conf), and that the host (from --db) and port (from --db) are right.",
    ],
    [
      'a timeout',
      { message: 'timeout expired' },
      'timeout',
      "Can't connect to db.internal:5432/sim as sim_admin: no answer within 10 s. Check that the host (from --db) and port are right and that no firewall drops the traffic; if the server is only slow, raise PGCONNECT_TIMEOUT.",
    ],
    [
      'a wrong password',
      { code: '28P01', message: 'password authentication failed for user "sim_admin"' },
      'auth',
      "Can't connect to db.internal:5432/sim as sim_admin: password authentication failed for user 'sim_admin'. The password in --db was rejected: check it, and percent-encode special characters in a URL (%40 for @, %3A for :).",
    ],
    [
      'a missing pg_hba.conf entry without encryption',
      { code: '28000', message: 'no pg_hba.conf entry for host "10.1.1.1", user "sim_admin", database "sim", no encryption' },
      'hba',
      "Can't connect to db.internal:5432/sim as sim_admin: the server's pg_hba.conf does not allow this connection (no pg_hba.conf entry for host \"10.1.1.1\", user \"sim_admin\", database \"sim\", no encryption). The server may accept only SSL connections: try sslmode=require (now sslmode=prefer (from the default)), or ask the DBA to add a pg_hba.conf line for this client.",
    ],
    [
      'a missing database',
      { code: '3D000', message: 'database "sim" does not exist' },
      'no-database',
      "Can't connect to db.internal:5432/sim as sim_admin: database 'sim' does not exist. Check the database name (from --db), or create it with createdb -h db.internal -p 5432 -U sim_admin sim.",
    ],
    [
      'a missing role',
      { code: '28000', message: 'role "sim_admin" does not exist' },
      'no-role',
      "Can't connect to db.internal:5432/sim as sim_admin: role 'sim_admin' does not exist. Check the user name (from --db), or create the role (CREATE ROLE \"sim_admin\" LOGIN).",
    ],
    [
      'a server without SSL',
      { message: 'The server does not support SSL connections' },
      'ssl',
      "Can't connect to db.internal:5432/sim as sim_admin: the server does not support SSL, but sslmode=prefer (from the default) requires it. Enable ssl on the server, or use sslmode=prefer to fall back to an unencrypted connection.",
    ],
    [
      'an unverifiable certificate',
      { code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' },
      'ssl',
      "Can't connect to db.internal:5432/sim as sim_admin: the server's SSL certificate could not be verified (self-signed certificate in certificate chain). Point sslrootcert at the CA that signed the server certificate, or use sslmode=require to encrypt without verifying.",
    ],
    [
      'too many connections',
      { code: '53300', message: 'sorry, too many clients already' },
      'too-many',
      "Can't connect to db.internal:5432/sim as sim_admin: the server has no free connection slots (sorry, too many clients already). Wait and retry, or look for idle sessions in pg_stat_activity; max_connections may be too low.",
    ],
    [
      'a server starting up',
      { code: '57P03', message: 'the database system is starting up' },
      'starting',
      "Can't connect to db.internal:5432/sim as sim_admin: the server is not accepting connections now (the database system is starting up). Wait until it has finished starting up, recovering or shutting down, then retry.",
    ],
    [
      'anything else',
      { code: 'ECONNRESET', message: 'read ECONNRESET' },
      'other',
      "Can't connect to db.internal:5432/sim as sim_admin: read ECONNRESET (ECONNRESET). Tried TCP with sslmode=prefer and a 10 s connect timeout, password from --db.",
    ],
  ])('explains %s', async (_name, err, kind, message) => {
    const e = explainConnectionError(err, await target());
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e.kind).toBe(kind);
    expect(e.message).toBe(message);
    expect(e.target).toBe('db.internal:5432/sim as sim_admin');
  });

  it('explains a missing Unix socket', async () => {
    const e = explainConnectionError({ code: 'ENOENT', message: 'connect ENOENT /run/pg/.s.PGSQL.5432' }, await target('host=/run/pg user=postgres dbname=sim'));
    expect(e.kind).toBe('refused');
    expect(e.message).toBe(
      "Can't connect to /run/pg:5432/sim as postgres: there is no server socket /run/pg/.s.PGSQL.5432. Check that PostgreSQL is running on this machine with port 5432 and unix_socket_directories including /run/pg, or connect over TCP with host=localhost.",
    );
  });

  it.each<[string, string, NodeJS.ProcessEnv, string]>([
    ['PGPASSWORD', 'host=h user=u dbname=d', { PGPASSWORD: 'hunter2' }, 'The password from PGPASSWORD was rejected: check PGPASSWORD.'],
    [
      'DATABASE_URL',
      '',
      { DATABASE_URL: 'postgresql://u:hunter2@h/d' },
      'The password in DATABASE_URL was rejected: check it, and percent-encode special characters in a URL (%40 for @, %3A for :).',
    ],
  ])('says the rejected password came from %s', async (_name, db, env, advice) => {
    const e = explainConnectionError({ code: '28P01', message: 'password authentication failed for user "u"' }, await resolve({ db: db || undefined, env }));
    expect(e.kind).toBe('auth');
    expect(e.message).toBe(`Can't connect to h:5432/d as u: password authentication failed for user 'u'. ${advice}`);
  });

  it('says the rejected password came from ~/.pgpass', async () => {
    await writeSecret(path.join(home, '.pgpass'), 'h:5432:d:u:hunter2\n');
    const e = explainConnectionError({ code: '28P01', message: 'password authentication failed for user "u"' }, await target('host=h user=u dbname=d'));
    expect(e.message).toBe(
      "Can't connect to h:5432/d as u: password authentication failed for user 'u'. The password from ~/.pgpass was rejected: check the line that matches h:5432:d:u in ~/.pgpass.",
    );
  });

  it('says when no password was found, and why ~/.pgpass was ignored', async () => {
    await writeSecret(path.join(home, '.pgpass'), '*:*:*:*:hunter2\n', 0o640);
    const e = explainConnectionError(new NoPasswordError(), await target('host=h user=u dbname=d'));
    expect(e.kind).toBe('auth');
    expect(e.message).toBe(
      "Can't connect to h:5432/d as u: the server asks for a password for user 'u'. No password was found: set PGPASSWORD or add a line to ~/.pgpass (host:port:database:user:password). Note: ~/.pgpass was ignored because group or others can access it: run chmod 0600 ~/.pgpass.",
    );
  });

  it('suggests sslmode=prefer when sslmode=require meets a server without SSL', async () => {
    const e = explainConnectionError({ message: 'The server does not support SSL connections' }, await target('host=h user=u dbname=d sslmode=require'));
    expect(e.message).toBe(
      "Can't connect to h:5432/d as u: the server does not support SSL, but sslmode=require (from --db) requires it. Enable ssl on the server, or use sslmode=prefer to fall back to an unencrypted connection.",
    );
  });

  it('does not mask a password that is also the user name, which every banner shows anyway', async () => {
    const e = explainConnectionError({ code: '28P01', message: 'password authentication failed for user "postgres"' }, await target('postgresql://postgres:postgres@h/postgres'));
    expect(e.message).toBe(
      "Can't connect to h:5432/postgres as postgres: password authentication failed for user 'postgres'. The password in --db was rejected: check it, and percent-encode special characters in a URL (%40 for @, %3A for :).",
    );
  });

  it('never includes the password, even when a cause quotes it', async () => {
    const t = await target();
    for (const err of [
      { message: 'weird failure mentioning hunter2' },
      { code: '28000', message: 'authentication failed: hunter2' },
      { code: 'XX000', message: 'postgresql://sim_admin:hunter2@db.internal/sim failed' },
    ]) {
      const e = explainConnectionError(err, t);
      expect(e.message).not.toContain('hunter2');
    }
  });
});
