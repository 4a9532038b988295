import type pg from 'pg';
import { connect } from '../db/connect.js';
import { redactSecrets, retarget, type ResolvedTarget } from '../db/connection.js';

/**
 * What every part of the backup engine needs: where the target is (the password stays inside `target` and the
 * child's PGPASSFILE, never argv), where archives go, and the environment child tools run with.
 */
export interface BackupEnv {
  target: ResolvedTarget;
  /** application_name prefix of our own connections (`parlant-runbook/<version> run=<id>`). */
  appName: string;
  /** Archives and manifests (created 0700 when missing). */
  backupDir: string;
  /** A private 0700 scratch directory (state dir's tmp). */
  tmpDir: string;
  /** PG* variables and a temporary PGPASSFILE for child tools (src/db/connection.ts childProcessEnv). */
  childEnv: Record<string, string | undefined>;
  /** Strings to scrub from anything shown (the password). */
  secrets: readonly string[];
  /** The operator's PATH, for finding pg_dump & co. */
  pathEnv: string;
  /** Where versioned PostgreSQL installs live (default /usr/lib/postgresql); tests point it elsewhere. */
  pgLibRoot?: string;
  /** This tool's version, recorded in manifests. */
  toolVersion: string;
  /** A configured command to run after a successful verification (e.g. copy to object storage); $1 = archive path. */
  upload?: { run: string | readonly string[]; timeoutMs?: number };
}

/** A new connection to another database on the same server, as the same role (restore targets, scratch databases). */
export function connectTo(env: BackupEnv, database: string, purpose: string): Promise<pg.Client> {
  return connect(retarget(env.target, { database }), { applicationName: `${env.appName} ${purpose}`.slice(0, 63) });
}

/** Remove secrets from text before it is shown or stored: the project's one redaction (URLs, encoded forms too). */
export function scrub(env: BackupEnv, text: string): string {
  return redactSecrets(text, env.secrets);
}
