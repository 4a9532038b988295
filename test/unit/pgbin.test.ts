import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findPgBinary,
  findPgServerBinDir,
  parsePgVersion,
  pgToolVersion,
  PgToolVersionError,
} from '../../src/tools/pgbin.js';

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'prb-pgbin-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A fake executable that prints `output` for --version. */
async function fakeTool(dir: string, name: string, output = `${name} (PostgreSQL) 15.4`, executable = true): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\necho '${output}'\n`, { mode: executable ? 0o755 : 0o644 });
  return file;
}

describe('findPgBinary', () => {
  it('finds a tool on PATH first, before /usr/lib/postgresql', async () => {
    const onPath = await fakeTool(path.join(root, 'bin'), 'pg_dump');
    await fakeTool(path.join(root, 'lib', '16', 'bin'), 'pg_dump');
    expect(findPgBinary('pg_dump', { pathEnv: path.join(root, 'bin'), libRoot: path.join(root, 'lib') })).toBe(onPath);
  });

  it('takes the first PATH entry that has it', async () => {
    await fakeTool(path.join(root, 'b'), 'psql');
    const first = await fakeTool(path.join(root, 'a'), 'psql');
    const pathEnv = [path.join(root, 'empty'), path.join(root, 'a'), path.join(root, 'b')].join(path.delimiter);
    expect(findPgBinary('psql', { pathEnv, libRoot: path.join(root, 'lib') })).toBe(first);
  });

  it('falls back to the highest major version under the lib root', async () => {
    for (const v of ['9.6', '13', '16', '15']) await fakeTool(path.join(root, 'lib', v, 'bin'), 'initdb');
    await fs.mkdir(path.join(root, 'lib', 'common'), { recursive: true });
    expect(findPgBinary('initdb', { pathEnv: '', libRoot: path.join(root, 'lib') })).toBe(path.join(root, 'lib', '16', 'bin', 'initdb'));
  });

  it('orders versions numerically, not as text (10 after 9.6)', async () => {
    for (const v of ['9.6', '10']) await fakeTool(path.join(root, 'lib', v, 'bin'), 'pg_ctl');
    expect(findPgBinary('pg_ctl', { pathEnv: '', libRoot: path.join(root, 'lib') })).toBe(path.join(root, 'lib', '10', 'bin', 'pg_ctl'));
  });

  it('skips files that are not executable, and directories with the name', async () => {
    await fakeTool(path.join(root, 'a'), 'pg_restore', 'x', false);
    await fs.mkdir(path.join(root, 'b', 'pg_restore'), { recursive: true });
    const real = await fakeTool(path.join(root, 'c'), 'pg_restore');
    const pathEnv = ['a', 'b', 'c'].map((d) => path.join(root, d)).join(path.delimiter);
    expect(findPgBinary('pg_restore', { pathEnv, libRoot: path.join(root, 'lib') })).toBe(real);
  });

  it('ignores relative PATH entries', async () => {
    await fakeTool(path.join(root, 'rel'), 'pg_isready');
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(findPgBinary('pg_isready', { pathEnv: 'rel', libRoot: path.join(root, 'lib') })).toBeNull();
    } finally {
      process.chdir(cwd);
    }
  });

  it('follows a symlink on PATH and returns the link, an absolute path', async () => {
    const target = await fakeTool(path.join(root, 'lib', '15', 'bin'), 'pg_basebackup');
    await fs.mkdir(path.join(root, 'bin'));
    await fs.symlink(target, path.join(root, 'bin', 'pg_basebackup'));
    const found = findPgBinary('pg_basebackup', { pathEnv: path.join(root, 'bin'), libRoot: path.join(root, 'nothing') });
    expect(found).toBe(path.join(root, 'bin', 'pg_basebackup'));
    expect(path.isAbsolute(found ?? '')).toBe(true);
  });

  it('returns null when the tool is nowhere', () => {
    expect(findPgBinary('postgres', { pathEnv: path.join(root, 'none'), libRoot: path.join(root, 'none') })).toBeNull();
  });
});

describe('findPgServerBinDir', () => {
  it('pairs a PATH initdb with the pg_ctl and postgres next to its real file', async () => {
    const bin = path.join(root, 'lib', '15', 'bin');
    const initdb = await fakeTool(bin, 'initdb');
    await fakeTool(bin, 'pg_ctl');
    await fakeTool(bin, 'postgres');
    await fs.mkdir(path.join(root, 'local'));
    await fs.symlink(initdb, path.join(root, 'local', 'initdb'));
    await fakeTool(path.join(root, 'lib', '16', 'bin'), 'initdb'); // incomplete: no pg_ctl
    expect(findPgServerBinDir({ pathEnv: path.join(root, 'local'), libRoot: path.join(root, 'lib') })).toBe(await fs.realpath(bin));
  });

  it('skips a directory that lacks pg_ctl or postgres', async () => {
    await fakeTool(path.join(root, 'lib', '16', 'bin'), 'initdb');
    await fakeTool(path.join(root, 'lib', '16', 'bin'), 'pg_ctl');
    const complete = path.join(root, 'lib', '14', 'bin');
    for (const t of ['initdb', 'pg_ctl', 'postgres']) await fakeTool(complete, t);
    expect(findPgServerBinDir({ pathEnv: '', libRoot: path.join(root, 'lib') })).toBe(await fs.realpath(complete));
    expect(findPgServerBinDir({ pathEnv: '', libRoot: path.join(root, 'none') })).toBeNull();
  });
});

describe('pgToolVersion', () => {
  it('reads major and minor from --version', async () => {
    const tool = await fakeTool(path.join(root, 'bin'), 'pg_dump', 'pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)');
    expect(await pgToolVersion(tool)).toEqual({ major: 15, minor: 18, text: 'pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)' });
  });

  it('reads pre-release versions as minor 0', () => {
    expect(parsePgVersion('psql (PostgreSQL) 17devel')).toEqual({ major: 17, minor: 0 });
    expect(parsePgVersion('pg_dump (PostgreSQL) 16beta2')).toEqual({ major: 16, minor: 0 });
    expect(parsePgVersion('postgres (PostgreSQL) 9.6.24')).toEqual({ major: 9, minor: 6 });
    expect(parsePgVersion('mysql  Ver 8.0')).toBeNull();
  });

  it('says which file printed something that is not a PostgreSQL version', async () => {
    const tool = await fakeTool(path.join(root, 'bin'), 'pg_dump', 'hello');
    await expect(pgToolVersion(tool)).rejects.toThrow(PgToolVersionError);
    await expect(pgToolVersion(tool)).rejects.toThrow(`${tool} --version printed "hello"`);
  });

  it('reports a tool that fails, with its stderr', async () => {
    const tool = path.join(root, 'pg_dump');
    await fs.writeFile(tool, '#!/bin/sh\necho "libpq.so.5: cannot open shared object file" >&2\nexit 127\n', { mode: 0o755 });
    await expect(pgToolVersion(tool)).rejects.toThrow(/exited with code 127:\n\s+libpq\.so\.5: cannot open/);
  });

  it('runs the installed PostgreSQL tools', async () => {
    const real = findPgBinary('pg_ctl');
    if (!real) return; // no PostgreSQL on this machine: the fake-tool cases above cover the parsing
    const v = await pgToolVersion(real);
    expect(v.major).toBeGreaterThanOrEqual(10);
    expect(v.text).toMatch(/^pg_ctl \(PostgreSQL\)/);
  });
});
