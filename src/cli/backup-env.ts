import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BackupEnv } from '../backup/env.js';
import { commandOf } from '../core/config.js';
import { childProcessEnv, type ResolvedTarget } from '../db/connection.js';
import { backupDir } from './evidence.js';
import type { Basics } from './session.js';
import { toolVersion } from './version.js';

/**
 * The backup engine's environment for a target: where archives go (config backup_dir, else <state>/backups), a
 * private scratch dir, and the child tools' PG* variables with a temporary PGPASSFILE (removed by `cleanup`).
 */
export async function backupEnv(b: Basics, target: ResolvedTarget, appName: string): Promise<{ env: BackupEnv; cleanup: () => Promise<void> }> {
  const tmp = path.join(b.stateDir, 'tmp');
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  const child = await childProcessEnv(target, { tmpDir: tmp, appName: `${appName} child` });
  return { env: makeBackupEnv(b, target, appName, child.env), cleanup: child.cleanup };
}

/** The same, with a child environment the caller already made (the run's session has one). */
export function makeBackupEnv(b: Basics, target: ResolvedTarget, appName: string, childEnv: Record<string, string | undefined>): BackupEnv {
  const upload = b.config.config.backup_upload;
  return {
    target,
    appName,
    backupDir: backupDir(b.stateDir, b.config),
    tmpDir: path.join(b.stateDir, 'tmp'),
    childEnv,
    secrets: target.password ? [target.password] : [],
    pathEnv: process.env.PATH ?? '',
    toolVersion: toolVersion(),
    ...(upload !== undefined ? { upload: commandOf(upload) } : {}),
  };
}
