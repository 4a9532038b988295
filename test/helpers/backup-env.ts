import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BackupEvent, EmitBackup } from '../../src/core/backup.js';
import type { BackupEnv } from '../../src/backup/env.js';
import { childProcessEnv, resolveTarget } from '../../src/db/connection.js';

/**
 * A BackupEnv for integration tests against a test cluster (test/helpers/cluster.ts): the target from the cluster's
 * URL (the password stays in the target and the child's 0600 PGPASSFILE), a fresh 0700 backup directory and scratch
 * directory, and the password as the secret to scrub. `cleanup()` removes both directories and the passfile.
 */
export interface TestBackupEnv {
  env: BackupEnv;
  cleanup(): Promise<void>;
}

export interface TestBackupEnvOptions {
  /** Reuse a backup directory (e.g. shared by several envs); default a new temporary one, removed by cleanup. */
  backupDir?: string;
  appName?: string;
}

export async function testBackupEnv(cluster: { url: string; password: string }, opts: TestBackupEnvOptions = {}): Promise<TestBackupEnv> {
  const appName = opts.appName ?? 'parlant-runbook/test';
  // env: {} so that nothing from the developer's shell (PGHOST, a service file …) changes the target.
  const target = await resolveTarget({ db: cluster.url, env: {}, appName });
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'parlant-test-tmp-'));
  const ownBackupDir = opts.backupDir === undefined;
  const backupDir = opts.backupDir ?? (await mkdtemp(path.join(os.tmpdir(), 'parlant-test-backups-')));
  const child = await childProcessEnv(target, { tmpDir, appName });
  const env: BackupEnv = {
    target,
    appName,
    backupDir,
    tmpDir,
    childEnv: child.env,
    secrets: [cluster.password],
    pathEnv: process.env.PATH ?? '',
    toolVersion: '0.0.0-test',
  };
  return {
    env,
    async cleanup() {
      await child.cleanup();
      await rm(tmpDir, { recursive: true, force: true });
      if (ownBackupDir) await rm(backupDir, { recursive: true, force: true });
    },
  };
}

/** An emit that records every event, with helpers to read them back. */
export interface Recorder {
  emit: EmitBackup;
  events: BackupEvent[];
  /** Every info, command and output text, one per line. */
  text(): string;
  rows(): Extract<BackupEvent, { type: 'rows' }>[];
  stages(): Extract<BackupEvent, { type: 'stage' }>[];
}

export function recorder(): Recorder {
  const events: BackupEvent[] = [];
  return {
    emit: (e) => {
      if (e.type !== 'progress') events.push(e);
    },
    events,
    text: () =>
      events
        .flatMap((e) => (e.type === 'info' || e.type === 'command' || e.type === 'output' ? [e.text] : []))
        .join('\n'),
    rows: () => events.filter((e): e is Extract<BackupEvent, { type: 'rows' }> => e.type === 'rows'),
    stages: () => events.filter((e): e is Extract<BackupEvent, { type: 'stage' }> => e.type === 'stage'),
  };
}
