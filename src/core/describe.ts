import type { StepOf } from './model.js';

/** What a migrate step does, in words (show, the TUI's preview). */
export function migrateText(w: StepOf<'migrate'>['with']): string {
  const which = w.only ? `migrations ${w.only.join(', ')}` : w.to ? `migrations ${w.direction === 'up' ? `through ${w.to}` : `above ${w.to}`}` : 'every migration';
  return `${w.direction === 'up' ? 'applies' : 'rolls back'} ${which} under the migration lock (lock_timeout ${w.lock_timeout ?? 'from config, else 2s'}, ${w.retries ?? 8} retries)`;
}

const PROBE_TEXT: Record<StepOf<'probe'>['with']['probe'], string> = {
  connectivity: 'opens a fresh connection, times it and reads the server version',
  'client-tools': 'finds pg_dump, pg_restore and psql and compares their versions with the server',
  'disk-space': 'compares the free space where backups go with the estimated dump size',
  conflicts: 'looks for Parlant tables and enums that already exist and whether they match the migration',
  backup: 'looks for a verified backup of this database in the backup catalogue',
  health: 'calls the configured application health URL',
  terminal: 'checks whether this terminal survives a dropped SSH link (tmux / screen)',
  lint: 'lints the pending migration files for lock hazards (squawk)',
  risk: 'computes the risk assessment from the live numbers and the pending migrations',
  summary: 'lists every check of this run with its result',
};

export function probeText(w: StepOf<'probe'>['with']): string {
  return PROBE_TEXT[w.probe];
}

export function gateText(w: StepOf<'gate'>['with']): string {
  return `requires ${w.require === 'preflight' ? 'a passed preflight run' : 'a verified backup'} of this database${w.max_age ? ` younger than ${w.max_age}` : ''}; stops the run in ${(w.enforce_in ?? ['production']).join(' / ')}, warns elsewhere`;
}

const KIND_TEXT: Record<string, string> = {
  full: 'a full backup (pg_dump custom format)',
  directory: 'a full backup in directory format with parallel jobs',
  schema: 'a schema-only backup',
  tables: 'a backup of chosen tables',
  csv: 'CSV exports of chosen tables',
};

/** What a sessions step does, in words (show, the TUI's preview). */
export function sessionsText(s: StepOf<'sessions'>): string {
  const kept = s.with.exclude_apps?.length ? ` (leaving ${s.with.exclude_apps.join(', ')} connected)` : '';
  return `lists the other sessions on the target database${kept}, then terminates them after the database name is typed`;
}

/** What a backup / verify / restore / partial-recovery / pitr step does, in words (show, the TUI's preview). */
export function backupText(s: StepOf<'backup' | 'verify-backup' | 'restore' | 'partial-recovery' | 'pitr'>): string {
  switch (s.kind) {
    case 'backup': {
      const w = s.with;
      const what = KIND_TEXT[w.kind] ?? `the kind of backup in ${w.kind}`;
      const tables = w.tables ? ` (${Array.isArray(w.tables) ? w.tables.join(', ') : w.tables})` : '';
      return `takes ${what}${tables} into the backup directory with a manifest${w.verify === false ? '' : ', then verifies it'}${w.trial_restore === true ? ' with a trial restore' : ''}`;
    }
    case 'verify-backup':
      return `verifies ${s.with.file ?? 'the backup of this run (else the newest)'}: checksum, pg_restore --list, a full read${s.with.trial_restore === true ? ', a trial restore' : ''}`;
    case 'restore': {
      const into = s.with.into ?? 'new';
      const first = s.with.verify_first === true || s.with.verify_first === 'yes' ? 'verifies it first (another verified backup is offered if it fails), then ' : '';
      return `${first}restores ${s.with.file ?? 'the newest verified backup'} ${into === 'replace' ? 'OVER the existing database (drop and recreate; typed confirmation)' : into === 'new' ? 'into a new database' : `(${into})`} with pg_restore --exit-on-error, then compares row counts, sequences and indexes`;
    }
    case 'partial-recovery':
      return s.with.action === 'load'
        ? `loads ${Array.isArray(s.with.tables) ? s.with.tables.join(', ') : s.with.tables} from ${s.with.file ?? 'the newest verified backup'} into a side schema and counts missing and differing rows`
        : 'inserts the rows missing from the live tables, in one transaction; differing rows are left as they are';
    case 'pitr':
      return s.with.action === 'readiness'
        ? 'checks wal_level, WAL archiving and the base backups'
        : s.with.action === 'base-backup'
          ? 'takes a base backup with pg_basebackup (for point-in-time recovery)'
          : `recovers a copy of the cluster to ${s.with.target_time ?? 'the target time'} (recovery.signal + recovery_target_time)`;
  }
}
