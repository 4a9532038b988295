import os from 'node:os';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { CONFIG_NAME, loadConfig, stepConfig, type LoadedConfig } from '../core/config.js';
import type { Env, TargetInfo } from '../core/events.js';
import { packageRoot, resolveStateDir } from '../core/paths.js';
import type { Ports, StepConfig } from '../core/ports.js';
import { connect, ConnectionError } from '../db/connect.js';
import { childProcessEnv, describeTarget, isUnixSocket, resolveTarget, type ResolvedTarget } from '../db/connection.js';
import { PgMigrator } from '../db/migrate/runner.js';
import { PgDbPort } from '../db/port.js';
import { colourEnabled, makePaint, type Paint } from '../plain/paint.js';
import { hostPort } from '../tools/host.js';
import { clockPort, fsPort, httpPort, procPort } from '../tools/ports.js';
import { backupPort } from '../backup/port.js';
import { sandboxClusterFor } from '../sandbox/pitr-target.js';
import { makeBackupEnv } from './backup-env.js';
import { backupDir, evidencePort } from './evidence.js';
import { toolVersion } from './version.js';

/** Global flags (README: "global flags"). */
export interface GlobalOptions {
  db?: string;
  env?: Env;
  plain?: boolean;
  json?: boolean;
  yes?: boolean;
  confirm?: string;
  dryRun?: boolean;
  color?: boolean; // commander turns --no-color into color: false
  stateDir?: string;
  config?: string;
  var?: string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Basics {
  opts: GlobalOptions;
  stateDir: string;
  root: string;
  runbooksDir: string;
  config: LoadedConfig;
  paint: Paint;
  /** One colour policy, decided once (STYLE §7): the line reporter's paint and the TUI's theme follow it. */
  colour: boolean;
  /** One decision about interactivity (STYLE §7). */
  interactive: boolean;
  vars: Record<string, string>;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** CI is set (as Ink's is-in-ci reads it: CI=false or CI=0 mean no). */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  if (ci === '0' || ci === 'false') return false;
  return ci !== undefined || env.CONTINUOUS_INTEGRATION !== undefined;
}

export function parseVars(list: readonly string[] | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var "${item}" is not key=value. Write e.g. --var expected_minutes=15.`);
    vars[item.slice(0, eq).trim()] = item.slice(eq + 1);
  }
  return vars;
}

export async function basics(opts: GlobalOptions): Promise<Basics> {
  const stateDir = resolveStateDir(opts.stateDir);
  const root = packageRoot();
  const config = await loadConfig({ explicit: opts.config, cwd: process.cwd(), stateDir });
  const isTTY = Boolean(process.stdout.isTTY);
  const interactive = !inCi() && Boolean(process.stdin.isTTY) && isTTY && !opts.plain && !opts.json;
  const colour = colourEnabled({ noColor: opts.color === false, isTTY });
  return {
    opts,
    stateDir,
    root,
    runbooksDir: path.join(root, 'runbooks'),
    config,
    paint: makePaint(colour),
    colour,
    interactive,
    vars: parseVars(opts.var),
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  };
}

/** Loopback and socket targets default to dev; anything else with no configured environment counts as production. */
export function inferEnv(t: ResolvedTarget, flag: Env | undefined, configEnv: Env | undefined): { env: Env; source: string } {
  if (flag) return { env: flag, source: '--env' };
  if (t.env) return { env: t.env, source: `target ${t.targetName ?? ''}`.trim() };
  if (configEnv) return { env: configEnv, source: 'config env' };
  const local = isUnixSocket(t.host) || t.host === 'localhost' || t.host.startsWith('127.') || t.host === '::1';
  return local ? { env: 'dev', source: 'local host' } : { env: 'production', source: 'not configured: a remote host is treated as production' };
}

export interface Session {
  target: ResolvedTarget;
  info: TargetInfo;
  client: pg.Client;
  db: PgDbPort;
  ports: Ports;
  stepConfig: StepConfig;
  close(): Promise<void>;
}

/** Which database (no connection yet). Warnings about the settings (an insecure ~/.pgpass …) go to stderr once. */
export async function resolveFor(b: Basics): Promise<ResolvedTarget> {
  // With no --db and no DATABASE_URL, the config's default target (if any) is the one named.
  const named = b.opts.db ?? (process.env.DATABASE_URL ? undefined : b.config.config.default_target);
  const target = await resolveTarget({ db: named, targets: b.config.config.targets });
  for (const w of target.warnings) b.err(`${b.paint.warn('warning:')} ${w}\n`);
  return target;
}

/** The key under which runs against this target are found (for resume). */
export function targetKey(t: Pick<ResolvedTarget, 'host' | 'port' | 'database'>): string {
  return `${t.host}:${t.port}/${t.database}`;
}

/** Connect (application_name carries the run id) and build the real ports. */
export async function openSession(b: Basics, runId: string | undefined, resolved?: ResolvedTarget): Promise<Session> {
  const appName = `parlant-runbook/${toolVersion()}${runId ? ` run=${runId}` : ''}`.slice(0, 63);
  const target = resolved ?? (await resolveFor(b));
  let client: pg.Client;
  try {
    client = await connect(target, { applicationName: appName });
  } catch (e) {
    const nothingNamed = target.sources.host === 'default' && target.sources.database === 'default';
    if (e instanceof ConnectionError && nothingNamed) {
      throw new UsageError(
        `${e.message}\nNo database was named. Pass --db <postgresql://…>, set DATABASE_URL or PGHOST/PGDATABASE, name a default_target in ${CONFIG_NAME} — or try it on a throwaway sandbox: npm run demo`,
      );
    }
    throw e;
  }
  const version = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  const { env } = inferEnv(target, b.opts.env, b.config.config.env);
  const info: TargetInfo = {
    host: target.host,
    port: target.port,
    database: target.database,
    user: target.user,
    env,
    serverVersion: (version.rows[0]?.v ?? '').split(' ')[0],
    display: describeTarget(target),
    key: targetKey(target),
  };
  const tmp = path.join(b.stateDir, 'tmp');
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  const child = await childProcessEnv(target, { tmpDir: tmp, appName: `${appName} child` });
  const db = new PgDbPort(
    client,
    () => connect(target, { applicationName: `${appName} cancel` }),
    () => connect(target, { applicationName: appName }),
  );
  const secrets = target.password ? [target.password] : [];
  return {
    target,
    info,
    client,
    db,
    ports: {
      db,
      proc: procPort(child.env, secrets),
      http: httpPort,
      clock: clockPort,
      fs: fsPort,
      migrations: new PgMigrator({ target, appName, sqlRoot: path.join(packageRoot(), 'sql') }),
      evidence: evidencePort(b.stateDir, backupDir(b.stateDir, b.config)),
      backups: backupPort(makeBackupEnv(b, target, appName, child.env), () => sandboxClusterFor(b.stateDir, target)),
      host: hostPort({
        target,
        appName,
        backupDir: backupDir(b.stateDir, b.config),
        // The linter loads only when the preflight lints.
        lint: async (files, signal) => (await import('../tools/lint.js')).lintMigrations(files, { ...(info.serverVersion ? { pgVersion: info.serverVersion } : {}), ...(signal ? { signal } : {}) }),
      }),
    },
    stepConfig: stepConfig(b.config.config),
    async close() {
      await db.current.end().catch(() => undefined);
      await child.cleanup().catch(() => undefined);
    },
  };
}

export function operatorName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
