import { statfs } from 'node:fs/promises';
import path from 'node:path';
import type { ClientTool, HostPort } from '../core/ports.js';
import { connect } from '../db/connect.js';
import type { ResolvedTarget } from '../db/connection.js';
import { findPgBinary, pgToolVersion } from './pgbin.js';

/**
 * The machine the operator runs on, as the preflight sees it: a timed fresh connection, the client tools on
 * PATH (then /usr/lib/postgresql/*\/bin), free disk where backups go, the environment, the migration linter.
 */
export function hostPort(o: {
  target: ResolvedTarget;
  appName: string;
  backupDir: string;
  env?: NodeJS.ProcessEnv;
  lint: HostPort['lint'];
}): HostPort {
  const env = o.env ?? process.env;
  return {
    backupDir: o.backupDir,
    env,
    lint: o.lint,
    async connectTime() {
      const t0 = performance.now();
      const c = await connect(o.target, { applicationName: `${o.appName} preflight`.slice(0, 63) });
      const ms = Math.round(performance.now() - t0);
      try {
        const r = await c.query<{ v: string; n: number }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num')::int AS n");
        return { ms, serverVersion: (r.rows[0]?.v ?? '').split(' ')[0] ?? '', serverVersionNum: r.rows[0]?.n ?? 0 };
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    async clientTool(name): Promise<ClientTool> {
      const file = findPgBinary(name, { pathEnv: env.PATH ?? '' });
      if (!file) return { name, problem: 'not found on PATH or in /usr/lib/postgresql/*/bin' };
      try {
        const v = await pgToolVersion(file);
        return { name, path: file, version: `${v.major}.${v.minor}`, major: v.major };
      } catch (e) {
        return { name, path: file, problem: (e as Error).message };
      }
    },
    async diskSpace(dir) {
      // The backup directory may not exist yet: measure the filesystem it will be created on.
      let p = path.resolve(dir);
      for (;;) {
        try {
          const s = await statfs(p);
          return { path: p, free: Number(s.bavail) * Number(s.bsize), total: Number(s.blocks) * Number(s.bsize) };
        } catch (e) {
          const parent = path.dirname(p);
          if (parent === p) throw e;
          p = parent;
        }
      }
    },
  };
}
