import { accessSync, constants, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeFailure, runToEnd } from './run.js';

/**
 * Where the PostgreSQL programs live. PATH wins (the operator's choice), then the Debian/Ubuntu layout
 * `/usr/lib/postgresql/<major>/bin`, where server binaries such as initdb and pg_ctl usually are but are
 * not linked onto PATH.
 */

export type PgBinaryName =
  | 'initdb'
  | 'pg_ctl'
  | 'postgres'
  | 'pg_dump'
  | 'pg_restore'
  | 'psql'
  | 'pg_basebackup'
  | 'pg_isready';

export interface FindPgBinaryOptions {
  /** The PATH to search; defaults to `process.env.PATH`. */
  pathEnv?: string;
  /** The directory holding one sub-directory per major version; defaults to `/usr/lib/postgresql`. Injectable for tests. */
  libRoot?: string;
}

export interface PgToolVersion {
  major: number;
  minor: number;
  /** The tool's own line, e.g. `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  text: string;
}

export const DEFAULT_PG_LIB_ROOT = '/usr/lib/postgresql';

/** A tool's version could not be read (the file runs but does not say it is PostgreSQL's). */
export class PgToolVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgToolVersionError';
  }
}

export function isExecutableFile(file: string): boolean {
  try {
    // stat follows symlinks: /usr/local/bin/initdb is commonly a link into /usr/lib/postgresql/N/bin.
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Version-like directory names ("15", "9.6") sorted newest first; anything else is ignored. */
function versionDirs(libRoot: string): string[] {
  let names: string[];
  try {
    names = readdirSync(libRoot);
  } catch {
    return [];
  }
  const parse = (n: string): number[] => n.split('.').map((p) => Number(p));
  return names
    .filter((n) => /^\d+(\.\d+)?$/.test(n))
    .sort((a, b) => {
      const [a1 = 0, a2 = 0] = parse(a);
      const [b1 = 0, b2 = 0] = parse(b);
      return b1 - a1 || b2 - a2;
    })
    .map((n) => path.join(libRoot, n, 'bin'));
}

/**
 * Directories searched, in order. Relative PATH entries are skipped: resolving them against whatever the
 * current directory happens to be would let a file in the working directory pose as pg_dump.
 */
function searchDirs(opts: FindPgBinaryOptions): string[] {
  const pathEnv = opts.pathEnv ?? process.env.PATH ?? '';
  const fromPath = pathEnv.split(path.delimiter).filter((d) => d !== '' && path.isAbsolute(d));
  return [...fromPath, ...versionDirs(opts.libRoot ?? DEFAULT_PG_LIB_ROOT)];
}

/** The absolute path of a PostgreSQL program, or null when it is nowhere to be found. */
export function findPgBinary(name: PgBinaryName, opts: FindPgBinaryOptions = {}): string | null {
  for (const dir of searchDirs(opts)) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

/**
 * One directory that holds initdb, pg_ctl and postgres together. pg_ctl starts the `postgres` that sits
 * next to it, and initdb must come from the same major version, so the server tools are taken as a set
 * rather than looked up one by one (which could pair a PATH initdb 16 with a pg_ctl 15).
 */
export function findPgServerBinDir(opts: FindPgBinaryOptions = {}): string | null {
  for (const dir of searchDirs(opts)) {
    const initdb = path.join(dir, 'initdb');
    if (!isExecutableFile(initdb)) continue;
    let realDir: string;
    try {
      realDir = path.dirname(realpathSync(initdb));
    } catch {
      continue;
    }
    if (isExecutableFile(path.join(realDir, 'pg_ctl')) && isExecutableFile(path.join(realDir, 'postgres'))) return realDir;
  }
  return null;
}

/** Parse `<tool> (PostgreSQL) 15.18 (Debian …)`, `16beta2`, `17devel`; null when it is not PostgreSQL's banner. */
export function parsePgVersion(text: string): { major: number; minor: number } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  return { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) };
}

/**
 * Run `<tool> --version`. For 9.x releases the result reads major 9, minor 6 (the old two-part majors are
 * not modelled: every supported server is ≥ 10).
 */
export async function pgToolVersion(file: string): Promise<PgToolVersion> {
  const r = await runToEnd(file, ['--version'], { timeoutMs: 15_000 });
  if (!r.ok) throw new PgToolVersionError(`Could not read the version of ${file}: ${describeFailure(r)}`);
  const text = r.stdoutTail.find((l) => l.trim() !== '')?.trim() ?? '';
  const v = parsePgVersion(text);
  if (!v) throw new PgToolVersionError(`${file} --version printed "${text}", which is not a PostgreSQL version line.`);
  return { ...v, text };
}
