import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * One process per run: a lock file in the run's directory holding the pid. A second terminal resuming the
 * same run is refused while the first process lives; a lock left by a dead process is taken over.
 */
export interface RunLockInfo {
  pid: number;
  operator: string;
  host: string;
  at: number;
}

export class RunLockedError extends Error {
  constructor(public readonly holder: RunLockInfo, runId: string) {
    super(
      `Run ${runId} is in progress in another process (pid ${holder.pid}, ${holder.operator}@${holder.host}, since ${new Date(holder.at).toISOString()}). ` +
        'Wait for it to finish, or stop that process first.',
    );
    this.name = 'RunLockedError';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(runDir: string): RunLockInfo | undefined {
  try {
    return JSON.parse(readFileSync(path.join(runDir, 'lock'), 'utf8')) as RunLockInfo;
  } catch {
    return undefined;
  }
}

export function acquireRunLock(runDir: string, runId: string, me: Omit<RunLockInfo, 'pid' | 'at'>): () => void {
  const file = path.join(runDir, 'lock');
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now(), ...me }));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(runDir);
      if (holder && isAlive(holder.pid) && holder.pid !== process.pid) throw new RunLockedError(holder, runId);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take the lock of run ${runId}`);
}
