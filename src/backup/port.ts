import type { BackupPort } from '../core/backup.js';
import type { BackupEnv } from './env.js';
import { runBackup } from './dump.js';
import { partialLoad, partialMerge } from './partial.js';
import { baseBackup, pitrReadiness, pitrRecover, type SandboxCluster } from './pitr.js';
import { listSessions, restoreArchive } from './restore.js';
import { catalogueOf, terminateSessions } from './sessions.js';
import { verifyArchive } from './verify.js';

/**
 * The real backup engine behind the steps' BackupPort: one BackupEnv (target, backup directory, the child
 * tools' environment) shared by dump, verify, restore, partial recovery and PITR. `sandbox` is the cluster this
 * tool owns when the target is the sandbox: only there may PITR recover for real.
 */
export function backupPort(env: BackupEnv, sandbox?: () => Promise<SandboxCluster | undefined>): BackupPort {
  return {
    dir: env.backupDir,
    backup: (req, emit, signal) => runBackup(env, req, emit, signal),
    verify: (req, emit, signal) => verifyArchive(env, req, emit, signal),
    sessions: (database) => listSessions(env, database),
    restore: (req, emit, signal) => restoreArchive(env, req, emit, signal),
    terminate: (pids) => terminateSessions(env, pids),
    catalogue: () => catalogueOf(env),
    partialLoad: (req, emit, signal) => partialLoad(env, req, emit, signal),
    partialMerge: (req, emit, signal) => partialMerge(env, req, emit, signal),
    pitrReadiness: async (emit, signal) => pitrReadiness(env, emit, signal, await sandbox?.()),
    baseBackup: async (req, emit, signal) => baseBackup(env, req, emit, signal, await sandbox?.()),
    pitrRecover: async (req, emit, signal) => pitrRecover(env, req, emit, signal, await sandbox?.()),
  };
}
